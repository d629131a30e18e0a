/*
 * console_password.js - the steps of tests/integration/console_password.sh
 * in headless Chromium through puppeteer-core.
 *
 * Proves: the sign-in page offers a user name and password and a
 * personal access token; alice's wrong password is refused (401) with the
 * error next to the password field (aria-describedby), her name kept and
 * the password field empty; an unknown user gets the same message; the
 * right password lands on the connections list as alice, whose Reader
 * role shows no New button; with --max-auth-failures 3, the third refusal
 * (bob's wrong password, in another context) is a 401 and the next
 * sign-in, even bob's right password, is the 429 page saying when to try
 * again; across all of it neither password is in any page's source, any
 * request's URL or the navigation history.  Screenshots: the sign-in with
 * its error, and the 429 page.
 */
"use strict";
const fs = require("fs");
const { launch, go, clickNav, text, reporter } = require("./console_lib.js");

const env = process.env;
const base = env.BASE;
const pw = { alice: fs.readFileSync(`${env.WORK}/pw.alice`, "utf8"),
  bob: fs.readFileSync(`${env.WORK}/pw.bob`, "utf8") };
const urls = [];
const pages = [];

const { fail, check, shot } = reporter("console_password", env.SHOTS);
/* A new context's page whose every request URL is kept. */
async function fresh(browser) {
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on("request", (r) => urls.push(r.url()));
  page.on("dialog", async (d) => { await d.dismiss(); fail(`a dialog: ${d.message()}`); });
  pages.push(page);
  return page;
}
/* No password in page's source. */
async function clean(page, where) {
  const src = await page.content();
  check(!src.includes(pw.alice) && !src.includes(pw.bob), `a password is in the source of ${where}`);
}
/* Sign in on page with user and password; the status. */
async function signIn(page, user, password) {
  check(await go(page, `${base}/console/signin`) === 200, "no sign-in page");
  await page.type("#user", user);
  await page.type("#password", password);
  return clickNav(page, "#signin-password button[type=submit]");
}

(async () => {
  const browser = await launch();
  try {
    const a = await fresh(browser);
    check(await go(a, `${base}/console/signin`) === 200, "no sign-in page");
    for (const sel of ["#user", "#password", "#token", "#signin-password", "#signin-token"])
      check(await a.$(sel) !== null, `the sign-in page has no ${sel}`);
    check(await a.$eval("#password", (e) => e.type) === "password", "the password is shown as typed");

    // a wrong password: refused, next to the field, the name kept, the password not
    check(await signIn(a, "alice", pw.alice + "x") === 401, "a wrong password was not refused");
    const msg = await text(a, "#password-error");
    check(msg.includes("the user name or the password is wrong"), `the error: ${msg}`);
    check(await a.$eval("#password", (e) => e.getAttribute("aria-describedby")) === "password-error",
      "the error is not tied to the password field");
    check(await a.$eval("#user", (e) => e.value) === "alice", "the user name was not kept");
    check(await a.$eval("#password", (e) => e.value) === "", "the password came back in the form");
    await clean(a, "the refused sign-in");
    await shot(a, "signin-password-refused");

    // an unknown user: the same message
    check(await signIn(a, "mallory", pw.alice) === 401, "an unknown user was not refused");
    check(await text(a, "#password-error") === msg, "an unknown user's message differs from a wrong password's");

    // the right password: the connections list, as alice
    check(await signIn(a, "alice", pw.alice) === 200, "alice's sign-in failed");
    check(a.url() === `${base}/console/default/default/connections`, `alice landed on ${a.url()}`);
    check((await text(a, ".who")).includes("alice in default"), "the page does not name alice");
    check(!(await a.content()).includes("New service connection</a>"), "a Reader sees New");
    await clean(a, "alice's list");

    // a third refusal, then the 429 page even for the right password
    const b = await fresh(browser);
    check(await signIn(b, "bob", pw.bob.toUpperCase()) === 401, "bob's wrong password was not refused");
    const st = await signIn(b, "bob", pw.bob);
    check(st === 429, `the sign-in after three refusals answered ${st}`);
    const t = await text(b, "main");
    check(/try again in \d+ seconds \(at \d\d:\d\d:\d\d UTC\)/.test(t), `the 429 page: ${t}`);
    check(await b.$("#user") === null, "the 429 page is the sign-in form");
    await clean(b, "the 429 page");
    await shot(b, "signin-too-many");

    // no password in a request's URL or the history
    for (const p of pages) {
      const cdp = await p.target().createCDPSession();
      const h = await cdp.send("Page.getNavigationHistory");
      for (const e of h.entries) urls.push(e.url);
    }
    check(urls.length > 5, "no requests were seen");
    for (const u of urls)
      check(!u.includes(pw.alice) && !u.includes(pw.bob) &&
        !decodeURIComponent(u).includes(pw.alice), `a password in a URL: ${u}`);
  } finally {
    await browser.close();
  }
})().catch((e) => fail(e.stack || String(e)));
