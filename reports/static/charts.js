// Draws every chart of the page with plotly.js: each <div data-chart="ID"> takes its figure from the
// JSON in <script type="application/json" id="ID">. Data never becomes code: the JSON is parsed, and
// plotly draws text as text. A figure with a `link` opens /runs/<id> when a cell is clicked.
(function () {
  "use strict";

  function draw(element) {
    var island = document.getElementById(element.getAttribute("data-chart"));
    if (!island || typeof Plotly === "undefined") {
      return;
    }
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
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
