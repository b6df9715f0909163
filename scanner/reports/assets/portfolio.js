(function () {
  "use strict";
  // Sortable tables: a header cell with data-sort="num" or "text" becomes a button; rows sort by
  // each cell's data-key (or its text).  Without scripts the tables keep the order they were written in.
  function key(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell ? (cell.hasAttribute("data-key") ? cell.getAttribute("data-key") : cell.textContent) : "";
    if (!numeric) { return raw.trim().toLowerCase(); }
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var body = table.tBodies[0];
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th[data-sort]"));
    heads.forEach(function (th) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var index = th.cellIndex;
        var numeric = th.getAttribute("data-sort") === "num";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var rows = Array.prototype.slice.call(body.rows).map(function (row, i) { return [row, i]; });
        rows.sort(function (a, b) {
          var x = key(a[0], index, numeric), y = key(b[0], index, numeric);
          var order = x < y ? -1 : (x > y ? 1 : 0);
          return (ascending ? order : -order) || a[1] - b[1];
        });
        rows.forEach(function (pair) { body.appendChild(pair[0]); });
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      });
    });
  });
  document.documentElement.setAttribute("data-sort", "ready");
}());
