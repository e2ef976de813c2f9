/* Linkpflege report: filter, search and column sorting. The page is complete without this
   script; it only hides rows and reorders them. It reads text, never writes markup
   (no innerHTML), so harvested text stays text. Its sha256 is in the page's CSP. */
(function () {
  "use strict";
  var filter = document.getElementById("filter");
  if (!filter) {
    return;
  }
  var search = document.getElementById("filter-text");
  var provider = document.getElementById("filter-provider");
  var section = document.getElementById("filter-section");
  var status = document.getElementById("filter-status");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-section]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.report-section"));
  var collator = new Intl.Collator("de", { numeric: true, sensitivity: "base" });
  var haystack = new Map();

  // "Ärzte", "ÄRZTE" and "aerzte" all find "Ärzte"; other accents are ignored.
  function normal(text) {
    return text
      .normalize("NFC")
      .toLocaleLowerCase("de")
      .replace(/ä/g, "ae")
      .replace(/ö/g, "oe")
      .replace(/ü/g, "ue")
      .replace(/ß/g, "ss")
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "");
  }

  rows.forEach(function (row) {
    haystack.set(row, normal(row.textContent));
  });
  // Remember which collapsed sections the reader opened, so a cleared filter restores them.
  sections.forEach(function (part) {
    var details = part.querySelector("details");
    if (details) {
      details.addEventListener("toggle", function () {
        if (!part.hasAttribute("data-opened-by-filter")) {
          part.setAttribute("data-reader-open", details.open ? "1" : "");
        }
      });
    }
  });

  function apply() {
    var words = normal(search.value).split(/\s+/).filter(Boolean);
    var wantedProvider = provider.value;
    var wantedSection = section.value;
    var active = words.length > 0 || wantedProvider !== "" || wantedSection !== "";
    var shown = 0;
    rows.forEach(function (row) {
      var text = haystack.get(row);
      var match =
        (wantedProvider === "" || row.getAttribute("data-provider") === wantedProvider) &&
        (wantedSection === "" || row.getAttribute("data-section") === wantedSection) &&
        words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
      row.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    sections.forEach(function (part) {
      var visible = part.querySelectorAll("tr[data-section]:not([hidden])").length;
      var note = part.querySelector(".no-match");
      var table = part.querySelector("table.links");
      part.hidden = active && visible === 0;
      if (note) {
        note.hidden = visible > 0;
      }
      if (table) {
        table.hidden = visible === 0;
      }
      var details = part.querySelector("details");
      if (details) {
        if (active && visible > 0) {
          part.setAttribute("data-opened-by-filter", "");
          details.open = true;
        } else if (part.hasAttribute("data-opened-by-filter")) {
          details.open = part.getAttribute("data-reader-open") === "1";
          part.removeAttribute("data-opened-by-filter");
        }
      }
    });
    status.textContent = active
      ? shown + " von " + rows.length + " Links angezeigt."
      : "Alle " + rows.length + " Links angezeigt.";
  }

  function sortKey(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return "";
    }
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim();
  }

  function sortBy(header, button) {
    var table = header.closest("table");
    var body = table.tBodies[0];
    var index = header.cellIndex;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var ordered = Array.prototype.slice.call(body.rows);
    ordered.sort(function (first, second) {
      var a = sortKey(first, index);
      var b = sortKey(second, index);
      // Empty cells last, whichever the direction.
      if (a === "" || b === "") {
        return a === b ? 0 : a === "" ? 1 : -1;
      }
      var order = collator.compare(a, b);
      return ascending ? order : -order;
    });
    ordered.forEach(function (row) {
      body.appendChild(row);
    });
    button.setAttribute(
      "aria-label",
      button.textContent + (ascending ? ", aufsteigend sortiert" : ", absteigend sortiert")
    );
  }

  document.querySelectorAll("table.links thead th[data-sortable]").forEach(function (header) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = header.textContent;
    header.textContent = "";
    header.appendChild(button);
    button.addEventListener("click", function () {
      sortBy(header, button);
    });
  });

  search.addEventListener("input", apply);
  provider.addEventListener("change", apply);
  section.addEventListener("change", apply);
  filter.hidden = false;
  apply();
})();
