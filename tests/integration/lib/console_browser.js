/*
 * console_browser.js - the steps of tests/integration/console.sh in headless
 * Chromium through puppeteer-core: each user signs in with its own personal
 * access token in its own browser context.
 *
 * Proves: a failed sign-in is refused (401) and a good one lands on the
 * list; the list and Overview show the connection, "set" for its secret,
 * and the page source never holds the secret; a job that needs permission
 * (202 needs-permission over the agent API) is Permitted in the browser
 * (View, Permit, Permit) and the job start then succeeds (201); the
 * requester's own approval is refused with the library's message and
 * another approver's approval lets the job start; the usage history shows
 * the runs with their results; a connection named <img src=x
 * onerror=alert(1)> and a description with </script> show as text and
 * run nothing (a dialog fails the test); a POST without the CSRF token,
 * with a wrong one, and one from another origin are refused (403) and
 * delete nothing; a Reader's Overview has no Delete button and its forged
 * POST (with its own valid CSRF token) is refused by the authority layer;
 * Delete through its confirmation page deletes; sign-out ends the session;
 * the pages fit 390 px wide; the skip link is the first Tab stop.
 */
"use strict";
const fs = require("fs");
const { launch, go, clickNav, text, signIn: signInAs, post, reporter } = require("./console_lib.js");
const { execFileSync } = require("child_process");

const env = process.env;
const base = env.BASE;
const proj = base + "/console/default/default";
const secret = fs.readFileSync(env.SECRET_FILE, "utf8");
let dialogs = 0;

const { fail, check, shot, shots } = reporter("console_browser", env.SHOTS);

/* curl ARGS against the server: [status, body] */
function curl(args) {
  const out = execFileSync("curl", ["-sS", "--cacert", `${env.WORK}/cert.pem`,
    "-w", "\n%{http_code}", ...args]).toString();
  const nl = out.lastIndexOf("\n");
  return [Number(out.slice(nl + 1)), out.slice(0, nl)];
}
/* An agent's job start of pipeline on conn for run (requested by alice). */
function jobStart(pipeline, conn, run) {
  const yaml = "resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n" +
    `      endpoint: ${conn}\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n`;
  fs.writeFileSync(`${env.WORK}/job.json`, JSON.stringify({ pipeline, yaml, job: "Build",
    runId: run, requestedBy: "alice" }));
  const [code, body] = curl(["-H", `@${env.WORK}/hdr.agent`, "--data-binary",
    `@${env.WORK}/job.json`, `${base}/default/default/_apis/svcconn/jobs`]);
  return [code, JSON.parse(body)];
}
function jobComplete(jobId, result) {
  const [code] = curl(["-H", `@${env.WORK}/hdr.agent`, "--data", JSON.stringify({ result }),
    `${base}/default/default/_apis/svcconn/jobs/${jobId}/complete`]);
  check(code === 200, `job ${jobId} did not complete: ${code}`);
}

/* No secret in the page's source. */
async function noSecret(page, where) {
  check(!(await page.content()).includes(secret), `the secret is in the source of ${where}`);
}

/* A browser context signed in as user, on the connections list. */
function signIn(browser, user) {
  return signInAs(browser, base, env.WORK, user, (page, d) => {
    dialogs++;
    console.error(`console_browser: a dialog opened on ${page.url()}: ${d.message()}`);
  }, fail);
}

(async () => {
  const browser = await launch();
  try {
    // ---- sign-in ---------------------------------------------------------
    const anon = await (await browser.createBrowserContext()).newPage();
    await anon.setViewport({ width: 1280, height: 800 });
    check(await go(anon, `${base}/console/signin`) === 200, "no sign-in page");
    await shot(anon, "signin");
    await anon.type("#token", "svcp_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    check(await clickNav(anon, "#signin-token button[type=submit]") === 401, "a wrong token was not refused");
    check((await text(anon, "#token-error")).includes("the access token was refused"),
      "no message for a refused token");
    // a page without a session leads to the sign-in
    await go(anon, `${proj}/connections`);
    check(anon.url() === `${base}/console/signin`, "a page without a session did not lead to the sign-in");

    const admin = await signIn(browser, "admin");
    await admin.keyboard.press("Tab");
    check(await admin.evaluate(() => document.activeElement.className) === "skip",
      "the first Tab stop is not the skip link");
    const resp = await admin.goto(`${proj}/connections`);
    const h = resp.headers();
    check(h["content-security-policy"].includes("script-src 'self'") &&
      h["content-security-policy"].includes("default-src 'none'") &&
      h["cache-control"] === "no-store" && h["x-content-type-options"] === "nosniff" &&
      h["referrer-policy"] === "no-referrer", `headers: ${JSON.stringify(h)}`);

    // ---- list and overview: the connection, no secret ---------------------------
    const list = await text(admin, "main table");
    check(list.includes("regA") && list.includes("Docker Registry"), `list: ${list}`);
    // the hostile name and description are text, not markup
    check(list.includes("<img src=x onerror=alert(1)>"), "the hostile name is not shown as text");
    check(list.includes("</script><script>alert(2)</script>"), "the hostile description is not shown as text");
    check((await admin.$$("main img")).length === 0, "the hostile name became an element");
    await noSecret(admin, "the list");
    await shot(admin, "connections");
    await admin.type("#q", "victim");
    await clickNav(admin, ".search button");
    const found = await text(admin, "main table tbody");
    check(found.includes("regV") && !found.includes("regA"), `search: ${found}`);

    check(await go(admin, `${proj}/connections/${env.ID_A}`) === 200, "no overview");
    const ov = await text(admin, "main");
    check(ov.includes("regA") && ov.includes("Docker Registry") && ov.includes("r.example.test") &&
      ov.includes("set (write-only)"), `overview: ${ov}`);
    await noSecret(admin, "the overview");
    await shot(admin, "overview");
    await go(admin, `${proj}/connections/${env.ID_X}`);
    check((await text(admin, "h1")).includes("<img src=x onerror=alert(1)>"), "hostile name's overview");
    check(await admin.evaluate(() => document.scripts.length) === 1, "a script element came from a value");
    await noSecret(admin, "the hostile connection's overview");

    // ---- a pipeline's permission request, Permitted in the browser -------------
    let [code, out] = jobStart("deploy", "regP", "1");
    check(code === 202 && out.status === "needs-permission", `job start on regP: ${code} ${JSON.stringify(out)}`);
    await go(admin, `${proj}/requests`);
    check((await text(admin, "main table")).includes("deploy"), "the request is not listed");
    await shot(admin, "requests");
    await clickNav(admin, "main table tbody a");
    check((await text(admin, "main")).includes("This pipeline needs permission to access a resource"),
      "the request page does not say what waits");
    await shot(admin, "request");
    await clickNav(admin, ".actions a");
    await shot(admin, "permit");
    check(await clickNav(admin, "main form button[type=submit]") === 200, "Permit failed");
    check((await text(admin, "#request-status")) === "permitted", "the request is not permitted");
    [code, out] = jobStart("deploy", "regP", "1");
    check(code === 201 && out.status === "granted", `the permitted run did not continue: ${code}`);
    jobComplete(out.jobId, "Succeeded");

    // ---- an approval: the requester refused, another approver approves ----------
    [code, out] = jobStart("app", "regA", "2");
    check(code === 202 && out.status === "waiting", `job start on regA: ${code} ${JSON.stringify(out)}`);
    const alice = await signIn(browser, "alice");
    await go(alice, `${proj}/approvals`);
    check((await text(alice, "main table")).includes("app"), "the approval is not listed");
    await shot(alice, "approvals");
    await clickNav(alice, "main table tbody a");
    const approvalUrl = alice.url();
    await alice.type("#comment", "my own run");
    check(await clickNav(alice, "button[value=approve]") === 403, "the requester's approval was not refused");
    check((await text(alice, ".error")).includes("requested this run and may not approve it"),
      `no refusal from the library: ${await text(alice, "main")}`);
    await shot(alice, "approval-refused");
    const bob = await signIn(browser, "bob");
    await go(bob, approvalUrl);
    await bob.type("#comment", "ok <b>from</b> bob");
    check(await clickNav(bob, "button[value=approve]") === 200, "bob's approval failed");
    check((await text(bob, "#approval-status")) === "approved", "the approval is not approved");
    check((await text(bob, "main table")).includes("ok <b>from</b> bob"), "the comment is not shown as text");
    await shot(bob, "approval");
    [code, out] = jobStart("app", "regA", "2");
    check(code === 201, `the approved run did not continue: ${code}`);
    jobComplete(out.jobId, "Succeeded");

    // ---- usage history and checks ---------------------------------------------
    await go(admin, `${proj}/connections/${env.ID_A}/history`);
    const hist = await text(admin, "main table");
    check(hist.includes("app") && hist.includes("Build") && hist.includes("Succeeded") &&
      hist.includes("granted"), `history: ${hist}`);
    await shot(admin, "history");
    await go(admin, `${proj}/connections/${env.ID_A}/checks`);
    check((await text(admin, "main table")).includes("approval"), "the approval check is not listed");
    await shot(admin, "checks");

    // ---- attacks: CSRF and origin ---------------------------------------------------
    const del = `${proj}/connections/${env.ID_V}/delete`;
    await go(admin, `${proj}/connections/${env.ID_V}`);
    let [st, body] = await post(admin, del, { confirm: "1" });
    check(st === 403 && body.includes("CSRF"), `a POST without the CSRF token answered ${st}: ${body}`);
    await go(admin, `${proj}/connections/${env.ID_V}`);
    [st] = await post(admin, del, { csrf: "0".repeat(64) });
    check(st === 403, `a POST with a wrong CSRF token answered ${st}`);
    // the real form, its request rewritten as another origin's
    await go(admin, del);
    await admin.setRequestInterception(true);
    const evil = (r) => {
      if (r.method() === "POST")
        r.continue({ headers: { ...r.headers(), origin: "https://evil.example.test",
          "sec-fetch-site": "cross-site" } });
      else
        r.continue();
    };
    admin.on("request", evil);
    check(await clickNav(admin, "main form button[type=submit]") === 403 &&
      (await text(admin, ".error")).includes("origin"), "a POST from another origin was not refused");
    admin.off("request", evil);
    await admin.setRequestInterception(false);
    check(await go(admin, `${proj}/connections/${env.ID_V}`) === 200, "a refused POST deleted the connection");

    // ---- a Reader: no buttons, a forged POST refused by the authority layer --------
    const carol = await signIn(browser, "carol");
    check(await go(carol, `${proj}/connections/${env.ID_V}`) === 200, "the Reader cannot read");
    check((await carol.$$("a.danger, .actions a")).length === 0, "the Reader sees a Delete button");
    const csrf = await carol.$eval("input[name=csrf]", (e) => e.value);
    [st, body] = await post(carol, del, { csrf });
    check(st === 403 && body.includes("Administrator"), `the Reader's forged delete answered ${st}: ${body}`);
    await go(carol, `${proj}/connections/${env.ID_V}`);
    await shot(carol, "reader-overview");
    check(await go(admin, `${proj}/connections/${env.ID_V}`) === 200, "the Reader's POST deleted the connection");

    // ---- Delete through its confirmation page -------------------------------------
    await clickNav(admin, ".actions a.danger");
    await shot(admin, "delete");
    check(await clickNav(admin, "main form button[type=submit]") === 200, "Delete failed");
    check(admin.url() === `${proj}/connections` &&
      !(await text(admin, "main table")).includes("regV"), "regV is still listed");

    // ---- a phone's width ------------------------------------------------------------
    await admin.setViewport({ width: 390, height: 844 });
    for (const [p, name] of [["/connections", "connections-phone"],
      [`/connections/${env.ID_A}`, "overview-phone"]]) {
      await go(admin, proj + p);
      const w = await admin.evaluate(() => document.documentElement.scrollWidth);
      check(w <= 390, `${p} is ${w} px wide at 390`);
      await shot(admin, name);
    }

    // ---- sign-out ends the session ------------------------------------------------
    await clickNav(admin, ".signout button");
    check(admin.url() === `${base}/console/signin`, "sign-out did not lead to the sign-in");
    await go(admin, `${proj}/connections`);
    check(admin.url() === `${base}/console/signin`, "the session outlived its sign-out");

    check(dialogs === 0, `${dialogs} dialogs opened: a value ran as script`);
  } finally {
    await browser.close();
  }
  console.log(`console_browser: ok, ${shots()} screenshots`);
})().catch((e) => fail(e.stack || String(e)));
