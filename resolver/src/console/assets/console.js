/*
 * svcconn's web console: the only script (no inline script is allowed by
 * the pages' Content-Security-Policy).  Pages work without it; it adds
 * keyboard help only: "/" focuses the search box.
 */
"use strict";
document.addEventListener("keydown", function (e) {
  var q = document.getElementById("q");
  var t = e.target && e.target.tagName;
  if (e.key === "/" && q && t !== "INPUT" && t !== "TEXTAREA") {
    e.preventDefault();
    q.focus();
  }
});
