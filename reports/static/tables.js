// Sortable, filterable tables: every <table data-sortable> sorts by a column when its header is clicked
// (again: the other way); a header with data-sort="number" sorts its cells' data-value numerically,
// empty values last. <input data-filter-for="ID"> keeps the rows of table#ID whose data-column holds
// the text typed; <input type="checkbox" data-drifted-only-for="ID"> keeps the drifted rows only.
// Text from data is only compared, never written back as HTML.
(function () {
  "use strict";

  function cellKey(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) {
      return numeric ? NaN : "";
    }
    if (numeric) {
      var raw = cell.getAttribute("data-value");
      return raw === null || raw === "" ? NaN : parseFloat(raw);
    }
    return (cell.textContent || "").trim().toLowerCase();
  }

  function compare(a, b, numeric, direction) {
    if (numeric) {
      var aMissing = isNaN(a), bMissing = isNaN(b);
      if (aMissing || bMissing) {
        return aMissing === bMissing ? 0 : aMissing ? 1 : -1; // missing values last either way
      }
      return direction * (a - b);
    }
    return direction * (a < b ? -1 : a > b ? 1 : 0);
  }

  function sortBy(table, header) {
    var index = header.cellIndex;
    var numeric = header.getAttribute("data-sort") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) {
      headers[i].removeAttribute("aria-sort");
    }
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: cellKey(row, index, numeric), position: position };
    });
    rows.sort(function (a, b) {
      return compare(a.key, b.key, numeric, ascending ? 1 : -1) || a.position - b.position;
    });
    rows.forEach(function (item) {
      body.appendChild(item.row);
    });
  }

  function applyFilters(id) {
    var table = document.getElementById(id);
    if (!table) {
      return;
    }
    var box = document.querySelector('[data-filter-for="' + id + '"]');
    var check = document.querySelector('[data-drifted-only-for="' + id + '"]');
    var text = box ? box.value.trim().toLowerCase() : "";
    var driftedOnly = check ? check.checked : false;
    var rows = table.tBodies[0].rows;
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var name = (rows[i].getAttribute("data-column") || "").toLowerCase();
      var keep = (!text || name.indexOf(text) !== -1) &&
        (!driftedOnly || rows[i].getAttribute("data-drifted") === "true");
      rows[i].hidden = !keep;
      shown += keep ? 1 : 0;
    }
    var count = document.querySelector('[data-count-for="' + id + '"]');
    if (count) {
      count.textContent = shown + " of " + rows.length + " shown";
    }
  }

  function start() {
    var tables = document.querySelectorAll("table[data-sortable]");
    Array.prototype.forEach.call(tables, function (table) {
      if (!table.tHead) {
        return;
      }
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
        if (!header.hasAttribute("data-sort")) {
          return;
        }
        header.tabIndex = 0;
        header.classList.add("sortable");
        header.addEventListener("click", function () {
          sortBy(table, header);
        });
        header.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            sortBy(table, header);
          }
        });
      });
      if (table.id) {
        applyFilters(table.id);
      }
    });
    var controls = document.querySelectorAll("[data-filter-for], [data-drifted-only-for]");
    Array.prototype.forEach.call(controls, function (control) {
      var id = control.getAttribute("data-filter-for") || control.getAttribute("data-drifted-only-for");
      control.addEventListener("input", function () {
        applyFilters(id);
      });
      control.addEventListener("change", function () {
        applyFilters(id);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
