
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var count = document.getElementById("filter-count");
  if (!form || !count) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.resource"));
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
  function apply() {
    var want = {};
    names.forEach(function (name) { want[name] = chosen(name); });
    var shown = 0;
    rows.forEach(function (row) {
      var on = names.every(function (name) {
        return want[name][row.getAttribute("data-" + name)] === true;
      });
      row.hidden = !on;
      if (on) { shown += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector("tr.finding:not([hidden])");
    });
    count.textContent = shown === rows.length
      ? "Showing all " + rows.length + " results."
      : "Showing " + shown + " of " + rows.length + " results (filtered: " + names.map(function (name) {
          return name + " " + Object.keys(want[name]).join(", ");
        }).join("; ") + ").";
    document.documentElement.setAttribute("data-shown", String(shown));
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
  var opened = [];
  window.addEventListener("beforeprint", function () {
    // Printed, the evidence is shown whole; the rules appendix keeps its details folded.
    opened = Array.prototype.filter.call(document.querySelectorAll(
      "#glance details:not([open]), #scan details:not([open]), #findings details:not([open])"),
      function (d) { d.open = true; return true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  form.hidden = false;
  apply();
  document.documentElement.setAttribute("data-filters", "ready");
}());
