(function () {
  "use strict";
  // Printing opens the remediation and evidence lists (the rules appendix and the per-rule lists of
  // passed resources stay folded: they are counted, not printed one by one).
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll(
      "#glance details:not([open]), #scan details:not([open]), #findings details:not([open]):not(.quiet-list)"),
      function (d) { d.open = true; return true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  var form = document.getElementById("filters");
  var count = document.getElementById("filter-count");
  if (!form || !count) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding, tr.quiet"));
  var blocks = Array.prototype.slice.call(document.querySelectorAll("section.rule-group"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.status-group"));
  var names = ["status", "severity", "domain"];
  function boxes(name) {
    return Array.prototype.filter.call(form.querySelectorAll("input[type=checkbox]"),
      function (box) { return box.name === name; });
  }
  function chosen(name) {
    var set = {};
    boxes(name).forEach(function (box) { if (box.checked) { set[box.value] = true; } });
    return set;
  }
  function sum(list) {
    return list.reduce(function (n, row) { return n + Number(row.getAttribute("data-count") || 1); }, 0);
  }
  function apply() {
    var want = {};
    names.forEach(function (name) { want[name] = chosen(name); });
    rows.forEach(function (row) {
      row.hidden = !names.every(function (name) { return want[name][row.getAttribute("data-" + name)] === true; });
    });
    blocks.forEach(function (block) { block.hidden = !block.querySelector("tr.finding:not([hidden])"); });
    sections.forEach(function (section) { section.hidden = !section.querySelector("tr:not([hidden])[data-count]"); });
    var findings = rows.filter(function (row) { return row.classList.contains("finding"); });
    var shown = findings.filter(function (row) { return !row.hidden; });
    var quiet = rows.filter(function (row) { return row.classList.contains("quiet") && !row.hidden; });
    var total = sum(findings);
    count.textContent = (sum(shown) === total ? "Showing all " + total + " findings"
      : "Showing " + sum(shown) + " of " + total + " findings") +
      (quiet.length ? ", and " + sum(quiet) + " passed or not applicable results counted per rule." : ".");
    document.documentElement.setAttribute("data-shown", String(sum(shown)));
  }
  var query = new URLSearchParams(window.location.search);
  names.forEach(function (name) {
    if (query.has(name)) {
      var values = query.get(name).split(",");
      boxes(name).forEach(function (box) { box.checked = values.indexOf(box.value) >= 0; });
    }
  });
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.getElementById("filters-all").addEventListener("click", function () {
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = true; });
    apply();
  });
  document.getElementById("filters-problems").addEventListener("click", function () {
    boxes("status").forEach(function (box) { box.checked = box.value !== "PASS" && box.value !== "NOT_APPLICABLE"; });
    apply();
  });
  form.hidden = false;
  apply();
  document.documentElement.setAttribute("data-filters", "ready");
}());
