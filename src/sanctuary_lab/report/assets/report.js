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

/* Claims index: search box and filters (who, topic, verdict); cards stay in their order. */
(function () {
  "use strict";
  function setup() {
    var box = document.getElementById("claim-search");
    if (!box) { return; }
    var selects = ["filter-who", "filter-topic", "filter-verdict"].map(function (id) {
      return document.getElementById(id);
    });
    var cards = Array.prototype.slice.call(document.querySelectorAll(".claim-card"));
    var count = document.getElementById("claim-count");
    var none = document.getElementById("no-claims");
    function norm(s) { return (s || "").toLowerCase().replace(/\s+/g, " ").trim(); }
    function apply() {
      var words = norm(box.value).split(" ").filter(Boolean);
      var who = selects[0].value, topic = selects[1].value, verdict = selects[2].value;
      var shown = 0;
      cards.forEach(function (card) {
        var text = norm(card.textContent);
        var ok = words.every(function (w) { return text.indexOf(w) !== -1; }) &&
          (!who || card.getAttribute("data-who") === who) &&
          (!topic || card.getAttribute("data-topic") === topic) &&
          (!verdict || card.getAttribute("data-verdict") === verdict);
        card.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + (shown === 1 ? " claim shown" : " claims shown");
      none.hidden = shown !== 0;
    }
    box.addEventListener("input", apply);
    selects.forEach(function (s) { s.addEventListener("change", apply); });
    apply();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();

/* Explorer: find a county or city in window.SANCTUARY_EXPLORER and draw its series. */
(function () {
  "use strict";
  var MAX_MATCHES = 12;
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function key(s) { return (s || "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim(); }
  function seriesSpec(title, unit, points, source) {
    var values = points.map(function (p) { return { year: p[0], value: p[1] }; });
    var single = values.length < 2;
    return {
      title: { text: title, subtitle: "Source: " + source },
      width: "container", height: 170,
      data: { values: values },
      mark: single ? { type: "point", filled: true, size: 70, color: "#1f5f8b" }
                   : { type: "line", point: true, color: "#1f5f8b" },
      encoding: {
        x: { field: "year", type: "quantitative", title: "Year",
             axis: { format: "d", tickMinStep: 1 }, scale: { zero: false } },
        y: { field: "value", type: "quantitative", title: title + " (" + unit + ")" },
        tooltip: [{ field: "year", type: "quantitative", title: "Year" },
                  { field: "value", type: "quantitative", title: unit, format: ",.4~g" }]
      },
      config: { font: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif" }
    };
  }
  function setup() {
    var box = document.getElementById("place-search");
    var data = window.SANCTUARY_EXPLORER;
    if (!box || !data) { return; }
    var places = data.places;
    var meta = data.meta.series;
    var list = document.getElementById("place-list");
    var matches = document.getElementById("place-matches");
    var status = document.getElementById("place-status");
    var byLabel = {};
    places.forEach(function (p) {
      byLabel[key(p.label)] = p;
      list.appendChild(el("option", { value: p.label }));
    });
    function show(place) {
      var section = document.getElementById("place");
      section.hidden = false;
      document.getElementById("place-title").textContent = place.label;
      var facts = document.getElementById("place-facts");
      facts.textContent = "";
      Object.keys(place.facts).forEach(function (k) {
        facts.appendChild(el("dt", {}, k));
        facts.appendChild(el("dd", {}, place.facts[k]));
      });
      var grid = document.getElementById("place-charts");
      grid.textContent = "";
      var names = Object.keys(place.series);
      if (!names.length) { grid.appendChild(el("p", { "class": "muted" }, "No series for this place.")); }
      names.forEach(function (name, i) {
        var s = place.series[name];
        var m = meta[name] || { title: name, unit: "value" };
        var fig = el("figure", { "class": "chart-figure" });
        var div = el("div", { "class": "vega-chart", id: "explorer-chart-" + i, "data-kind": "explorer" });
        fig.appendChild(div);
        grid.appendChild(fig);
        window.vegaEmbed(div, seriesSpec(m.title, m.unit, s.points, s.source), { mode: "vega-lite", renderer: "svg", actions: false })
          .then(function () { div.setAttribute("data-rendered", "ok"); })
          .catch(function (err) {
            div.setAttribute("data-rendered", "error");
            div.textContent = "Chart failed to render: " + err.message;
            console.error("explorer chart: " + err.message);
          });
      });
      status.textContent = "Showing " + place.label + ".";
    }
    function search() {
      var q = key(box.value);
      matches.textContent = "";
      if (!q) { return; }
      if (byLabel[q]) { show(byLabel[q]); return; }
      var words = q.split(" ");
      var found = places.filter(function (p) {
        var k = key(p.label);
        return words.every(function (w) { return k.indexOf(w) !== -1; });
      }).slice(0, MAX_MATCHES);
      status.textContent = found.length ? found.length + (found.length === MAX_MATCHES ? "+" : "") + " matches" : "No county or city matches.";
      found.forEach(function (p) {
        var li = el("li");
        var b = el("button", { type: "button", "class": "linkish" }, p.label);
        b.addEventListener("click", function () { box.value = p.label; matches.textContent = ""; show(p); });
        li.appendChild(b);
        matches.appendChild(li);
      });
      if (found.length === 1) { show(found[0]); }
    }
    box.addEventListener("input", search);
    box.addEventListener("change", search);
    if (window.location.hash.length > 1) {
      box.value = decodeURIComponent(window.location.hash.slice(1));
      search();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
