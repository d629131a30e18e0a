/*
 * console_lib.js - what the console's browser tests (console_*.js) share:
 * Debian's chromium launched for the test's server, navigation, a
 * signed-in context per user, a form posted from a page as a forged
 * change would be, and the reports (fail, check, screenshots).
 */
"use strict";
const puppeteer = require("puppeteer-core");
const fs = require("fs");

/* Headless chromium trusting the test's certificate. */
function launch() {
  return puppeteer.launch({
    executablePath: "/usr/bin/chromium", headless: true, acceptInsecureCerts: true,
    // --no-sandbox: Chromium refuses root without it (CI runs as root);
    // passed here only, for the tests' browser
    args: ["--no-sandbox", "--ignore-certificate-errors", "--disable-dev-shm-usage",
      "--disable-gpu"],
  });
}
/* Go to url; the response's status. */
async function go(page, url) {
  const r = await page.goto(url, { waitUntil: "load" });
  return r.status();
}
/* Click selector and wait for the page it leads to; the response's status. */
async function clickNav(page, selector) {
  const [r] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }),
    page.click(selector)]);
  return r ? r.status() : 0;
}
async function text(page, selector) {
  return page.$eval(selector, (e) => e.textContent);
}
/*
 * A browser context signed in as user with the token in WORK/tok.USER,
 * on base's connections list of the default project (else fail(msg));
 * onDialog(page, dialog) is told of every dialog (then dismissed).
 */
async function signIn(browser, base, work, user, onDialog, fail) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on("dialog", async (d) => {
    onDialog(page, d);
    await d.dismiss();
  });
  await go(page, `${base}/console/signin`);
  await page.type("#token", fs.readFileSync(`${work}/tok.${user}`, "utf8").trim());
  const status = await clickNav(page, "#signin-token button[type=submit]");
  if (status !== 200 || page.url() !== `${base}/console/default/default/connections`)
    fail(`${user}'s sign-in ended at ${page.url()} (${status})`);
  return page;
}
/*
 * A form posted from page (its own origin) to url with fields (name ->
 * value): the answer's status and the text of the page it shows.  (The
 * pages' CSP forbids fetch; a form is what a forged post would be.)
 */
async function post(page, url, fields) {
  const [r] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }),
    page.evaluate((u, f) => {
      const form = document.createElement("form");
      form.method = "post";
      form.action = u;
      for (const [k, v] of Object.entries(f)) {
        const i = document.createElement("input");
        i.type = "hidden";
        i.name = k;
        i.value = v;
        form.appendChild(i);
      }
      document.body.appendChild(form);
      form.submit();
    }, url, fields)]);
  return [r.status(), await text(page, "main")];
}

/*
 * The reports of the test called name: fail(msg) prints "name: msg" and
 * exits 1; check(cond, msg) fails with msg unless cond; shot(page, file)
 * saves page's screenshot as dir/file.png (the whole page when fullPage);
 * shots() says how many were saved.
 */
function reporter(name, dir, fullPage) {
  let n = 0;
  const fail = (msg) => {
    console.error(`${name}: ${msg}`);
    process.exit(1);
  };
  return {
    fail,
    check: (cond, msg) => { if (!cond) fail(msg); },
    shot: async (page, file) => {
      await page.screenshot({ path: `${dir}/${file}.png`, fullPage: !!fullPage });
      n++;
    },
    shots: () => n,
  };
}

module.exports = { launch, go, clickNav, text, signIn, post, reporter };
