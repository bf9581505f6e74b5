// Draws every chart of the page with plotly.js: each <div data-chart="ID"> takes its figure from the
// JSON in <script type="application/json" id="ID">. Data never becomes code: the JSON is parsed, and
// plotly draws text as text. A figure with a `link` opens /runs/<id> when a cell is clicked. A chart
// inside a closed <details> is drawn when it is opened (a page of 100 columns draws only what is seen).
(function () {
  "use strict";

  function draw(element) {
    if (element.hasAttribute("data-drawn")) {
      return;
    }
    var island = document.getElementById(element.getAttribute("data-chart"));
    if (!island || typeof Plotly === "undefined") {
      return;
    }
    element.setAttribute("data-drawn", "");
    var figure = JSON.parse(island.textContent);
    var config = { displaylogo: false, responsive: true };
    Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      if (!figure.link) {
        return;
      }
      element.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        var data = point && point.customdata;
        var id = Array.isArray(data) ? data[0] : data;
        if (Number.isInteger(id)) {
          window.location.href = figure.link + String(id);
        }
      });
    });
  }

  function start() {
    var charts = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < charts.length; i++) {
      if (!charts[i].closest("details:not([open])")) {
        draw(charts[i]);
      }
    }
    document.addEventListener(
      "toggle",
      function (event) {
        var details = event.target;
        if (!details.open || !details.querySelectorAll) {
          return;
        }
        var inside = details.querySelectorAll("[data-chart]");
        for (var j = 0; j < inside.length; j++) {
          if (!inside[j].closest("details:not([open])")) {
            draw(inside[j]);
          }
        }
      },
      true
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
