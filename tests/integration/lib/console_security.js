/*
 * console_security.js - the steps of tests/integration/console_security.sh
 * in headless Chromium through puppeteer-core (set up as console_browser.js).
 *
 * Proves:
 * - Security: an Administrator reaches a connection's Security page from
 *   its Overview and, through the page's forms, grants dave Reader, adds
 *   erin as User, changes erin to Administrator and removes erin; after
 *   each change `svcconn security regS --json` shows exactly that; a
 *   change posted without the CSRF token is refused (403) and changes
 *   nothing.
 * - The Reader: dave signs in, his Overview of regS has no Edit,
 *   Security or Delete button; his GET of the Security page shows the
 *   roles with no change control; his forged POSTs of the change route,
 *   with his own valid CSRF token, are refused by the authority layer
 *   (403 with its message) and the CLI shows nothing changed; his audit
 *   log page is refused (403: the layer's decision).
 * - Audit: for each filter (none, action, actor, connection, a time
 *   range, a text search, and all of them at once) the page lists
 *   exactly the records `svcconn audit` lists with the same filter (the
 *   same ids, newest first), walked page by page with the Next links at
 *   2 records a page; a time that is not one is refused next to the form
 *   with the CLI's text (400).
 * - New offers Kubernetes' variants exactly as `svcconn types kubernetes`
 *   lists them; the "Service account" form shows its preset
 *   authorizationType as a value, not an input, and saved it is stored
 *   with the variant's scheme (Token) and preset (`svcconn show`).
 * - Markup: a connection named x"><script>... and an actor
 *   eve"<script>... show as text on the Security, Overview and audit
 *   pages, and no dialog opens anywhere.
 * Screenshots of each page go to $SHOTS.
 */
"use strict";
const fs = require("fs");
const { launch, go, clickNav, text, signIn: signInAs, post, reporter } = require("./console_lib.js");
const { execFileSync } = require("child_process");

const env = process.env;
const base = env.BASE;
const proj = base + "/console/default/default";
const sec = `${proj}/connections/${env.ID_S}/security`;
let dialogs = 0;

const { fail, check, shot } = reporter("console_security", env.SHOTS, true);
function signIn(browser, user) {
  return signInAs(browser, base, env.WORK, user, () => { dialogs++; }, fail);
}
/* `svcconn ARGS --json` as the store's admin, parsed. */
function cli(args) {
  return JSON.parse(execFileSync(env.SVC_BIN, [...args, "--json"], { encoding: "utf8" }));
}
/* regS's assignments as "principal=Role", sorted, from the CLI. */
function cliRoles() {
  return cli(["security", "regS"]).roles.map((r) => `${r.principal}=${r.role}`).sort().join(",");
}
/* The assignments the Security page shows, the same way. */
async function pageRoles(page) {
  return (await page.$$eval("#roles tbody tr", (rows) => rows.map((tr) => {
    const sel = tr.querySelector("select");
    const role = sel ? sel.options[sel.selectedIndex].text : tr.cells[2].textContent;
    return `${tr.cells[0].textContent}=${role}`;
  }))).sort().join(",");
}
/* The session's CSRF token, from the sign-out form of any page. */
async function csrfOf(page) {
  return page.$eval("form.signout input[name=csrf]", (e) => e.value);
}
/* The ids of the audit page's rows, in order. */
async function pageIds(page) {
  return page.$$eval("#audit tbody tr", (rows) => rows.map((tr) => Number(tr.dataset.seq)));
}
/*
 * Every id the audit page lists for query (an object of the form's
 * fields), walked with its Next links at 2 a page; the CLI's ids for the
 * same filter, newest first; both compared.
 */
async function sameAsCli(page, query, cliArgs, what) {
  const qs = new URLSearchParams({ ...query, size: "2" }).toString();
  check(await go(page, `${proj}/audit?${qs}`) === 200, `the audit page of ${what} is not 200`);
  let ids = [];
  for (let i = 0; i < 100; i++) {
    ids = ids.concat(await pageIds(page));
    if (!(await page.$("a[rel=next]"))) break;
    check(await clickNav(page, "a[rel=next]") === 200, `a next page of ${what} is not 200`);
  }
  const want = cli(["audit", ...cliArgs]).map((e) => e.id).reverse();
  check(want.length > 0, `the CLI lists no record for ${what}: the test proves nothing`);
  check(JSON.stringify(ids) === JSON.stringify(want),
    `the page lists ${JSON.stringify(ids)} for ${what}, the CLI ${JSON.stringify(want)}`);
  return ids.length;
}

(async () => {
  const browser = await launch();
  try {
    // ---- an Administrator changes roles through the page ------------------
    const admin = await signIn(browser, "admin");
    check(await go(admin, `${proj}/connections/${env.ID_S}`) === 200, "regS's overview");
    check(await clickNav(admin, "#security-conn") === 200, "no Security page from the overview");
    check(admin.url() === sec, `Security led to ${admin.url()}`);
    check((await text(admin, "h1")) === "Security of regS", "not regS's Security page");
    check(await pageRoles(admin) === cliRoles(), "the page's roles are not the CLI's");
    check(cliRoles() === "admin=Administrator", `regS's roles before: ${cliRoles()}`);
    check((await text(admin, "main")).includes("Roles on the store"), "no inherited store roles shown");
    await admin.type("#principal", "dave");
    await admin.select("#add-role", "Reader");
    check(await clickNav(admin, "#add-principal") === 200, "adding dave did not lead back to the page");
    check(cliRoles() === "admin=Administrator,dave=Reader", `after adding dave the CLI shows ${cliRoles()}`);
    await admin.type("#principal", "erin");
    await admin.select("#add-role", "User");
    await clickNav(admin, "#add-principal");
    check(cliRoles() === "admin=Administrator,dave=Reader,erin=User", `after adding erin: ${cliRoles()}`);
    check(await pageRoles(admin) === cliRoles(), "the page does not show what the CLI shows");
    await shot(admin, "security-admin");
    // change erin's row to Administrator, then remove it
    const erinRow = await admin.$$eval("#roles tbody tr", (rows) =>
      rows.findIndex((tr) => tr.cells[0].textContent === "erin"));
    await admin.select(`#role-${erinRow}`, "Administrator");
    await clickNav(admin, `#roles tbody tr:nth-child(${erinRow + 1}) form.inline-form button`);
    check(cliRoles() === "admin=Administrator,dave=Reader,erin=Administrator", `after the change: ${cliRoles()}`);
    const erinAgain = await admin.$$eval("#roles tbody tr", (rows) =>
      rows.findIndex((tr) => tr.cells[0].textContent === "erin"));
    await clickNav(admin, `#roles tbody tr:nth-child(${erinAgain + 1}) button.danger`);
    check(cliRoles() === "admin=Administrator,dave=Reader", `after removing erin: ${cliRoles()}`);
    // no CSRF token: refused, nothing changed
    let [st, body] = await post(admin, sec, { action: "set", principal: "mallory", role: "Administrator" });
    check(st === 403, `a change without the CSRF token answered ${st}`);
    check(cliRoles() === "admin=Administrator,dave=Reader", `the change without a token changed: ${cliRoles()}`);

    // ---- the markup names show as text --------------------------------------
    check(await go(admin, `${proj}/connections/${env.ID_X}/security`) === 200, "the markup connection's Security");
    check((await text(admin, "h1")) === `Security of ${env.XNAME}`, "the markup name is not shown as text");
    check(await go(admin, `${proj}/connections/${env.ID_X}`) === 200, "the markup connection's overview");
    check((await text(admin, "main")).includes(env.XACTOR), "the markup actor is not shown as text");

    // ---- the Reader -------------------------------------------------------
    const dave = await signIn(browser, "dave");
    check(await go(dave, `${proj}/connections/${env.ID_S}`) === 200, "dave cannot read regS");
    for (const sel of ["#edit-conn", "#security-conn", "a[href$='/delete']"])
      check(!(await dave.$(sel)), `the Reader sees ${sel}`);
    check(await go(dave, sec) === 200, "the Reader's GET of Security");
    check(await dave.$("#roles select, #add-principal, #inherit-toggle, main form[method=post]") === null,
      "the Reader's Security page has change controls");
    check(await pageRoles(dave) === cliRoles(), "the Reader's page does not show the roles");
    check((await text(dave, "#your-role")) === "Reader", "the Reader's role is not shown");
    await shot(dave, "security-reader");
    const token = await csrfOf(dave);
    [st, body] = await post(dave, sec, { csrf: token, action: "set", principal: "dave", role: "Administrator" });
    check(st === 403, `the Reader's forged grant answered ${st}`);
    check(/dave/.test(body) && /Administrator/.test(body), `the refusal does not name the role: ${body}`);
    await shot(dave, "security-reader-refused");
    [st] = await post(dave, sec, { csrf: token, action: "inherit", inherit: "off" });
    check(st === 403, `the Reader's forged inheritance change answered ${st}`);
    check(cliRoles() === "admin=Administrator,dave=Reader", `the Reader's forged change changed the roles: ${cliRoles()}`);
    check(cli(["security", "regS"]).inherit === true, "the Reader switched inheritance off");
    check(await go(dave, `${proj}/audit`) === 403, "the Reader read the audit log");

    // ---- the audit log --------------------------------------------------------
    check(await clickNav(admin, "header nav a[href$='/audit']") === 200, "no audit log from the navigation");
    await shot(admin, "audit");
    const total = cli(["audit"]).length;
    check((await admin.$$eval("#audit tbody tr", (r) => r.length)) === Math.min(total, 20),
      "not the first 20 records on the first page");
    let n = await sameAsCli(admin, {}, [], "no filter");
    check(n >= 10, `only ${n} records in all`);
    await sameAsCli(admin, { action: "role-set" }, ["--action", "role-set"], "action role-set");
    // the actor as recorded: "OSUSER as eve..." (SVCCONN_USER impersonated)
    const xrec = cli(["audit", "--action", "create"]).find((e) => e.connection === env.XNAME);
    check(xrec && xrec.actor.includes(env.XACTOR), "the markup actor's record is missing");
    await sameAsCli(admin, { actor: xrec.actor }, ["--actor", xrec.actor], "the markup actor");
    await sameAsCli(admin, { connection: "regS" }, ["--connection", "regS"], "connection regS");
    await sameAsCli(admin, { connection: env.ID_S }, ["--connection", env.ID_S], "regS's id");
    n = await sameAsCli(admin, { from: "2026-01-15", until: "2026-03-10T00:00" },
      ["--from", "2026-01-15", "--until", "2026-03-10T00:00"], "a time range");
    check(n === 2, `${n} records from 15 January to 10 March, not regS's and regOld's creation`);
    await sameAsCli(admin, { q: "SCRIPT" }, ["--search", "SCRIPT"], "a search");
    await sameAsCli(admin, { action: "role-set", actor: "admin", connection: "regS", from: "2026-01-01", q: "erin" },
      ["--action", "role-set", "--actor", "admin", "--connection", "regS", "--from", "2026-01-01",
        "--search", "erin"], "all filters at once");
    // the filters shown in the form, the form applying them
    check(await go(admin, `${proj}/audit`) === 200, "the audit page");
    await admin.type("#action", "create");
    await admin.select("#size", "50");
    check(await clickNav(admin, "#audit-apply") === 200, "the filter form");
    check(admin.url().includes("action=create") && admin.url().includes("size=50"), `the form led to ${admin.url()}`);
    const creates = cli(["audit", "--action", "create"]).map((e) => e.id).reverse();
    check(JSON.stringify(await pageIds(admin)) === JSON.stringify(creates), "the form's filter differs from the CLI's");
    check((await text(admin, "#audit tbody")).includes(env.XNAME), "the markup connection is not in the records");
    await shot(admin, "audit-filtered");
    // a time that is not one: the CLI's text next to the form
    check(await go(admin, `${proj}/audit?from=2026-13-45`) === 400, "a wrong time was not a 400");
    const cliErr = fs.readFileSync(env.TIME_ERR_FILE, "utf8").replace(/^svcconn: error: /, "").trim();
    check((await text(admin, "#audit-error")) === cliErr,
      `the page says "${await text(admin, "#audit-error")}", the CLI "${cliErr}"`);
    check((await admin.$eval("#from", (e) => e.value)) === "2026-13-45", "the wrong time is not kept in its field");

    // ---- New: the catalog's variants ------------------------------------------
    const types = execFileSync(env.SVC_BIN, ["types", "kubernetes"], { encoding: "utf8" });
    const wantVariants = types.split("variants (accepted by --scheme):")[1].trim().split("\n")
      .map((l) => l.trim().split(/\s+/)[0]);
    check(await go(admin, `${proj}/connections/new?type=kubernetes`) === 200, "New's Kubernetes page");
    const gotVariants = await admin.$$eval("#variants tbody a", (as) =>
      as.map((a) => new URL(a.href).searchParams.get("scheme")));
    check(JSON.stringify(gotVariants) === JSON.stringify(wantVariants),
      `New offers the variants ${JSON.stringify(gotVariants)}, the catalog ${JSON.stringify(wantVariants)}`);
    await shot(admin, "new-variants");
    check(await clickNav(admin, "#variants a[href$='scheme=ServiceAccount']") === 200, "the Service account variant");
    check((await text(admin, "#variant")) === "Service account", "the form does not name the variant");
    check(!(await admin.$("#f-authorizationType")), "the variant's preset is an input");
    check((await text(admin, "#p-authorizationType")).includes("ServiceAccount"), "the preset is not shown");
    await shot(admin, "new-variant-form");
    await admin.type("#f-apiToken", Buffer.from("sa-token-" + Date.now()).toString("base64"));
    await admin.type("#f-url", "https://k8s.example.test:6443");
    await admin.type("#f-name", "k8sSA");
    check(await clickNav(admin, "button[value=save]") === 200, "saving the variant's form");
    const k8s = cli(["show", "k8sSA"]);
    check(k8s.scheme === "Token" && k8s.data.authorizationType === "ServiceAccount" &&
      k8s.auth.apiToken === "***", `k8sSA is not the variant's connection: ${JSON.stringify(k8s)}`);
    check(dialogs === 0, `${dialogs} dialogs opened: markup ran`);
  } finally {
    await browser.close();
  }
  console.log("console_security.js: ok");
})().catch((e) => fail(e.stack || String(e)));
