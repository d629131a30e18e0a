/*
 * console_forms.js - the steps of tests/integration/console_forms.sh in
 * headless Chromium through puppeteer-core (set up as console_browser.js).
 *
 * Proves: an Administrator reaches New service connection from the list,
 * picks Docker Registry and Username and password, and gets the form the
 * catalog describes (its labels, a password input for the secret); a
 * registry that is not a URL is refused next to its field with the CLI's
 * text, the password typed not echoed back into the page; Verify and save
 * with a wrong password against the loopback registry is refused with the
 * verifier's category and message and stores nothing (`svcconn show`
 * fails); with the right password it is verified and saved; Edit shows
 * the stored non-secret values, the password only as "set", and a changed
 * description saved with Verify and save without retyping the password
 * verifies (the stored password is used); a Reader has no New and no
 * Edit, its Edit page and its forged New (with its own CSRF token) are
 * refused (403); a New posted without the CSRF token is refused (403).
 * Screenshots of each form go to $SHOTS.
 */
"use strict";
const fs = require("fs");
const { launch, go, clickNav, text, signIn: signInAs, post, reporter } = require("./console_lib.js");
const { execFileSync } = require("child_process");

const env = process.env;
const base = env.BASE;
const proj = base + "/console/default/default";
const good = fs.readFileSync(`${env.WORK}/good`, "utf8");
const bad = fs.readFileSync(`${env.WORK}/bad`, "utf8");
const cliErr = fs.readFileSync(env.CLI_ERR_FILE, "utf8");
let dialogs = 0;

const { fail, check, shot } = reporter("console_forms", env.SHOTS, true);
async function value(page, selector) {
  return page.$eval(selector, (e) => e.value);
}
/* Replace the text of input selector with s. */
async function typeIn(page, selector, s) {
  await page.$eval(selector, (e) => { e.value = ""; });
  await page.type(selector, s);
}
/* 1 when `svcconn show NAME` finds it in the store. */
function stored(name) {
  try {
    execFileSync(env.SVC_BIN, ["show", name], { stdio: "ignore" });
    return true;
  } catch (e) {
    return false;
  }
}
function signIn(browser, user) {
  return signInAs(browser, base, env.WORK, user, () => { dialogs++; }, fail);
}

(async () => {
  const browser = await launch();
  try {
    // ---- New: type, scheme, the generated form -----------------------------
    const admin = await signIn(browser, "admin");
    await clickNav(admin, "#new-conn");
    check((await text(admin, "main table")).includes("Docker Registry"), "no Docker Registry to choose");
    await shot(admin, "new-types");
    await clickNav(admin, "main table a[href$='type=dockerregistry']");
    await shot(admin, "new-schemes");
    await clickNav(admin, "main table a[href$='scheme=UsernamePassword']");
    check((await text(admin, "h1")) === "New Docker Registry service connection", "not the form");
    const labels = await text(admin, "form.conn-form");
    for (const l of ["Registry type", "Docker Registry", "Docker ID", "Docker Password", "Email",
      "Grant access permission to all pipelines"])
      check(labels.includes(l), `the form lacks ${l}`);
    check(await admin.$eval("#f-password", (e) => e.type) === "password", "the password is not a password input");
    await shot(admin, "new-form");

    // ---- a validator's error next to its field, the CLI's text -------------------
    await admin.select("#f-registrytype", "Others");
    await admin.type("#f-registry", "not-a-url");
    await admin.type("#f-username", "ci");
    await admin.type("#f-password", bad);
    await admin.type("#f-name", "regF");
    await admin.type("#f-description", "made in the console");
    check(await clickNav(admin, "button[value=save]") === 400, "a registry that is not a URL was accepted");
    const err = (await text(admin, "#e-registry")).trim();
    check(err.length > 0 && cliErr.includes(err), `the field's error "${err}" is not the CLI's: ${cliErr}`);
    check(!(await admin.content()).includes(bad), "the typed password was echoed back");
    check(await value(admin, "#f-password") === "", "the password input is filled");
    check(await value(admin, "#f-username") === "ci", "the user name was not kept");
    await shot(admin, "new-error");
    check(!stored("regF"), "a refused form stored a connection");

    // ---- Verify and save: the wrong password refused, nothing stored --------------
    await typeIn(admin, "#f-registry", env.REG_URL);
    await admin.type("#f-password", bad);
    check(await clickNav(admin, "button[value=verify]") === 422, "a wrong password was not refused");
    const refused = await text(admin, "#form-error");
    check(refused.includes("verification failed (auth): GET ") &&
      refused.includes("credentials refused (HTTP 401 Unauthorized); nothing stored"),
    `not the verifier's message: ${refused}`);
    check(!(await admin.content()).includes(bad), "the wrong password was echoed back");
    check(!stored("regF"), "a refused verification stored the connection");
    await shot(admin, "new-verify-refused");

    // ---- the right one: verified and saved -------------------------------------------
    check(await value(admin, "#f-registry") === env.REG_URL, "the registry was not kept");
    await admin.type("#f-password", good);
    check(await clickNav(admin, "button[value=verify]") === 200, "the right password was refused");
    check((await text(admin, "#verify-result")).includes("verification ok: GET ") &&
      (await text(admin, "#verify-result")).includes("login succeeded"), "no verification shown");
    check(stored("regF"), "regF was not stored");
    await shot(admin, "new-verified");
    await clickNav(admin, "main p a");
    const ov = await text(admin, "main");
    check(ov.includes("regF") && ov.includes(env.REG_URL) && ov.includes("set (write-only)"),
      `overview: ${ov}`);

    // ---- Edit: prefilled, the password write-only ------------------------------------
    await clickNav(admin, "#edit-conn");
    check(await value(admin, "#f-registry") === env.REG_URL, "Edit lacks the registry");
    check(await value(admin, "#f-username") === "ci", "Edit lacks the user name");
    check(await value(admin, "#f-password") === "", "Edit fills the password");
    check((await admin.$eval("#f-password", (e) => e.placeholder)).includes("set"),
      "Edit does not say the password is set");
    check(!(await admin.content()).includes(good), "the password is in the Edit page");
    await shot(admin, "edit-form");
    await typeIn(admin, "#f-description", "edited in the console");
    check(await clickNav(admin, "button[value=verify]") === 200,
      `the edit without the password did not verify: ${await text(admin, "main")}`);
    check((await text(admin, "#verify-result")).includes("login succeeded"), "the stored password did not verify");
    await clickNav(admin, "main p a");
    check((await text(admin, "main")).includes("edited in the console"), "the description did not change");
    const id = admin.url().split("/").pop();

    // ---- CSRF -------------------------------------------------------------------------
    let [st] = await post(admin, `${proj}/connections/new`, { type: "dockerregistry",
      scheme: "UsernamePassword", name: "regX", "f.registry": env.REG_URL, "f.username": "ci",
      "f.password": good, action: "save" });
    check(st === 403 && !stored("regX"), `a New without the CSRF token answered ${st}`);

    // ---- a Reader: no New, no Edit, both refused ----------------------------------------
    const carol = await signIn(browser, "carol");
    check((await carol.$$("#new-conn")).length === 0, "the Reader sees New");
    await go(carol, `${proj}/connections/${id}`);
    check((await carol.$$("#edit-conn")).length === 0, "the Reader sees Edit");
    await shot(carol, "reader-no-edit");
    check(await go(carol, `${proj}/connections/${id}/edit`) === 403, "the Reader's Edit page was served");
    await go(carol, `${proj}/connections`);
    const csrf = await carol.$eval("input[name=csrf]", (e) => e.value);
    let body;
    [st, body] = await post(carol, `${proj}/connections/new`, { csrf, type: "dockerregistry",
      scheme: "UsernamePassword", name: "regX", "f.registry": env.REG_URL, "f.username": "ci",
      "f.password": good, action: "save" });
    check(st === 403 && body.includes("Creator") && !stored("regX"),
      `the Reader's forged New answered ${st}: ${body}`);
    check(dialogs === 0, "a dialog opened");
  } finally {
    await browser.close();
  }
  console.log("console_forms: ok");
})().catch((e) => fail(e.stack || String(e)));
