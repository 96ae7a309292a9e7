// Progressive touches for the dashboard; every page works without this file.
(function () {
  "use strict";
  // Pick a month → show it at once.
  document.querySelectorAll("input[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () { if (input.value) input.form.submit(); });
  });
  // Click a column heading to sort the ranking table by it.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("th[data-sort]");
    heads.forEach(function (th, index) {
      th.addEventListener("click", function () {
        var numeric = th.dataset.sort === "num";
        var ascending = !th.classList.contains("sorted-asc");
        heads.forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index], y = b.cells[index];
          var u = numeric ? parseFloat(x.dataset.value) : x.textContent.trim();
          var v = numeric ? parseFloat(y.dataset.value) : y.textContent.trim();
          var c = numeric ? u - v : u.localeCompare(v);
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
