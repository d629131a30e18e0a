/*
 * console_checks.js - the steps of tests/integration/console_checks.sh in
 * headless Chromium through puppeteer-core (set up as console_browser.js).
 *
 * Proves:
 * - Add check: an Administrator reaches Add check from the Approvals and
 *   checks tab; the kinds offered are exactly those `svcconn checks --help`
 *   names; through the Approvals form (approver bob, a minimum, a
 *   timeout, instructions) and the Exclusive lock form `svcconn checks
 *   regC --json` shows exactly those two checks with those settings.
 * - A wrong value (timeout "abc") is refused (400) next to its field with
 *   the CLI's text, the typed values are kept, and nothing is added.
 * - Disable, then Delete (through its confirmation page) of the lock,
 *   each reflected in the CLI; a change posted without the CSRF token is
 *   refused (403) and changes nothing.
 * - The Reader (dave) sees the checks with no Add, Disable or Delete; his
 *   forged adds, disables and deletes with his own valid CSRF token are
 *   refused by the authority layer (403) and the CLI shows nothing
 *   changed.
 * - Markup: an approver named <img src=x onerror=alert(1)> shows as text
 *   on the tab and no dialog opens.
 * Screenshots (checks-add, checks-list) go to $SHOTS.
 */
"use strict";
const fs = require("fs");
const { launch, go, clickNav, text, signIn: signInAs, post, reporter } = require("./console_lib.js");
const { execFileSync } = require("child_process");

const env = process.env;
const base = env.BASE;
const proj = base + "/console/default/default";
const tab = `${proj}/connections/${env.ID_C}/checks`;
const xname = "<img src=x onerror=alert(1)>";
let dialogs = 0;

const { fail, check, shot } = reporter("console_checks", env.SHOTS, true);
function signIn(browser, user) {
  return signInAs(browser, base, env.WORK, user, () => { dialogs++; }, fail);
}
/* regC's checks from the CLI. */
function cliChecks() {
  return JSON.parse(execFileSync(env.SVC_BIN, ["checks", "regC", "--json"], { encoding: "utf8" }));
}
/* The same, as "kind:enabled" in creation order. */
function cliSummary() {
  return cliChecks().map((c) => `${c.kind}:${c.enabled}`).join(",");
}
async function csrfOf(page) {
  return page.$eval("form.signout input[name=csrf]", (e) => e.value);
}
/* The rows of the tab as "kind:enabled", in order. */
async function pageSummary(page) {
  return (await page.$$eval("#checks tbody tr", (rows) => rows.map((tr) =>
    `${tr.cells[0].textContent}:${tr.cells[1].textContent === "enabled"}`))).join(",");
}

(async () => {
  const browser = await launch();
  try {
    // ---- an Administrator adds an Approvals check -------------------------
    const admin = await signIn(browser, "admin");
    check(await go(admin, tab) === 200, "regC's checks tab");
    check(cliSummary() === "", `regC has checks before: ${cliSummary()}`);
    check(await clickNav(admin, "#add-check") === 200, "no Add check from the tab");
    const kinds = await admin.$$eval("#kinds a", (as) => as.map((a) => a.textContent));
    const help = execFileSync(env.SVC_BIN, ["checks", "--help"], { encoding: "utf8" });
    const helpKinds = help.split("Kinds and their options:")[1].split("\n")
      .filter((l) => /^  [a-z]/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    check(JSON.stringify([...kinds].sort()) === JSON.stringify([...helpKinds].sort()),
      `the page offers ${JSON.stringify(kinds)}, the CLI ${JSON.stringify(helpKinds)}`);
    check(await clickNav(admin, "#kind-approval") === 200, "the approval kind's form");
    for (const f of ["approvers", "min", "allow-requester", "instructions", "timeout"])
      check(await admin.$(`#f-${f}`), `the approval form has no field ${f}`);
    // a timeout that is not one: the CLI's text next to the field
    await admin.type("#f-approvers", "bob");
    await admin.type("#f-timeout", "abc");
    check(await clickNav(admin, "#create-check") === 400, "a wrong timeout was not a 400");
    const cliErr = fs.readFileSync(env.TIMEOUT_ERR_FILE, "utf8").replace(/^svcconn: error: /, "").trim();
    check((await text(admin, "#f-timeout-error")) === cliErr,
      `the page says "${await text(admin, "#f-timeout-error")}", the CLI "${cliErr}"`);
    check((await admin.$eval("#f-timeout", (e) => e.getAttribute("aria-describedby"))) === "f-timeout-error",
      "the error is not tied to its field");
    check((await admin.$eval("#f-approvers", (e) => e.value)) === "bob", "the approvers typed are not kept");
    check(cliSummary() === "", `the refused add added: ${cliSummary()}`);
    await shot(admin, "checks-add");
    await admin.$eval("#f-timeout", (e) => { e.value = ""; });
    await admin.type("#f-timeout", "2d");
    await admin.type("#f-min", "1");
    await admin.type("#f-instructions", "look at the change first");
    check(await clickNav(admin, "#create-check") === 200, "creating the approval check");
    check(admin.url() === tab, `Create led to ${admin.url()}`);
    let cks = cliChecks();
    check(cks.length === 1 && cks[0].kind === "approval" &&
      JSON.stringify(cks[0].config) === JSON.stringify({ approvers: ["bob"], min: 1,
        instructions: "look at the change first", timeout: 172800 }),
      `the CLI shows ${JSON.stringify(cks)}`);

    // ---- an Exclusive lock ---------------------------------------------------
    await clickNav(admin, "#add-check");
    check(await clickNav(admin, "#kind-exclusive-lock") === 200, "the lock's form");
    check(await clickNav(admin, "#create-check") === 200, "creating the lock");
    check(cliSummary() === "approval:true,exclusive-lock:true", `after the lock: ${cliSummary()}`);
    check(await pageSummary(admin) === cliSummary(), "the tab does not show what the CLI shows");
    await shot(admin, "checks-list");

    // ---- disable, then delete the lock -------------------------------------
    const lockId = cliChecks().find((c) => c.kind === "exclusive-lock").id;
    check(await clickNav(admin, `#checks tr[data-id='${lockId}'] button.toggle`) === 200, "disabling the lock");
    check(cliSummary() === "approval:true,exclusive-lock:false", `after disabling: ${cliSummary()}`);
    check(await pageSummary(admin) === cliSummary(), "the tab does not show the lock disabled");
    // no CSRF token: refused, nothing changed
    let [st] = await post(admin, tab, { action: "enable", check: lockId });
    check(st === 403, `an enable without the CSRF token answered ${st}`);
    [st] = await post(admin, `${tab}/delete`, { action: "remove", check: lockId });
    check(st === 403, `a delete without the CSRF token answered ${st}`);
    check(cliSummary() === "approval:true,exclusive-lock:false", `the posts without a token changed: ${cliSummary()}`);
    await go(admin, tab);
    check(await clickNav(admin, `#checks tr[data-id='${lockId}'] a.danger`) === 200, "the delete confirmation");
    check((await text(admin, "main")).includes("exclusive-lock"), "the confirmation does not name the check");
    check(cliSummary() === "approval:true,exclusive-lock:false", "the confirmation page deleted");
    check(await clickNav(admin, "main form button.danger") === 200, "confirming the delete");
    check(cliSummary() === "approval:true", `after deleting: ${cliSummary()}`);

    // ---- the markup approver shows as text ------------------------------------
    await go(admin, `${tab}/new?kind=approval`);
    await admin.type("#f-approvers", xname);
    check(await clickNav(admin, "#create-check") === 200, "adding the markup approver");
    check((await text(admin, "#checks tbody")).includes(xname), "the markup approver is not shown as text");
    check(!(await admin.$("#checks img")), "the markup approver became an element");
    const approvalIds = cliChecks().map((c) => c.id);

    // ---- the Reader ----------------------------------------------------------
    const dave = await signIn(browser, "dave");
    check(await go(dave, tab) === 200, "dave cannot read regC's checks");
    check(await pageSummary(dave) === cliSummary(), "the Reader's tab does not show the checks");
    check(await dave.$("#add-check, #checks form, #checks a.danger") === null,
      "the Reader sees Add, Disable or Delete");
    const token = await csrfOf(dave);
    const before = JSON.stringify(cliChecks());
    [st] = await post(dave, `${tab}/new`, { csrf: token, kind: "exclusive-lock" });
    check(st === 403, `the Reader's forged add answered ${st}`);
    [st] = await post(dave, tab, { csrf: token, action: "disable", check: approvalIds[0] });
    check(st === 403, `the Reader's forged disable answered ${st}`);
    [st] = await post(dave, `${tab}/delete`, { csrf: token, action: "remove", check: approvalIds[0] });
    check(st === 403, `the Reader's forged delete answered ${st}`);
    check(JSON.stringify(cliChecks()) === before, "the Reader's forged posts changed the checks");

    // the first approval check goes, the markup one stays (the script checks)
    await go(admin, `${tab}/delete?check=${approvalIds[0]}`);
    check(await clickNav(admin, "main form button.danger") === 200, "deleting bob's check");
    check(dialogs === 0, `${dialogs} dialogs opened: markup ran`);
  } finally {
    await browser.close();
  }
  console.log("console_checks.js: ok");
})().catch((e) => fail(e.stack || String(e)));
