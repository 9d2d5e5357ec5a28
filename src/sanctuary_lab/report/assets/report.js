/* Render every Vega-Lite chart on the page from the JSON spec embedded beside it.
   No network: the Vega runtime (assets/vega.js) and the county topology (assets/counties.js,
   global SANCTUARY_COUNTIES) are local scripts. */
(function () {
  "use strict";
  var TOPOLOGY_DATASETS = ["counties_topology", "states_topology"];

  function specFor(el) {
    var node = document.getElementById(el.getAttribute("data-spec"));
    var spec = JSON.parse(node.textContent);
    if (spec.usermeta && spec.usermeta.topology) {
      if (!window.SANCTUARY_COUNTIES) {
        throw new Error("county topology (assets/counties.js) is not loaded");
      }
      spec.datasets = Object.assign({}, spec.datasets || {});
      TOPOLOGY_DATASETS.forEach(function (name) { spec.datasets[name] = window.SANCTUARY_COUNTIES; });
      // keep the map's aspect ratio on narrow screens instead of a fixed height
      var width = el.clientWidth || 640;
      spec.height = Math.max(180, Math.min(spec.height || 340, Math.round(width * 0.6)));
    }
    return spec;
  }

  function renderAll() {
    var charts = document.querySelectorAll(".vega-chart");
    Array.prototype.forEach.call(charts, function (el) {
      var spec;
      try {
        spec = specFor(el);
      } catch (err) {
        el.setAttribute("data-rendered", "error");
        el.textContent = "Chart could not be read: " + err.message;
        console.error("chart " + el.id + ": " + err.message);
        return;
      }
      window.vegaEmbed(el, spec, { renderer: "svg", actions: false })
        .then(function () { el.setAttribute("data-rendered", "ok"); })
        .catch(function (err) {
          el.setAttribute("data-rendered", "error");
          el.textContent = "Chart failed to render: " + err.message;
          console.error("chart " + el.id + ": " + err.message);
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
