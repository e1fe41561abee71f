// Choropleth without tiles: region shapes coloured by a measure, each a link to its region page.
// Also used for scenario results (a category per land unit): data.properties.category with a colour.
(function () {
  const holder = document.getElementById("map");
  if (!holder) return;
  let data = JSON.parse(JSON.parse(document.getElementById("map-data").textContent));
  const lang = document.documentElement.lang || "nl";
  const fmt = new Intl.NumberFormat(lang === "en" ? "en-GB" : "nl-NL", { maximumFractionDigits: 2 });
  const legend = document.getElementById("legend");
  const none = (legend && legend.dataset.none) || "–";
  const attribution = document.querySelector(".plek-attribution");
  const map = L.map("map", { attributionControl: true, zoomSnap: 0.25 });
  map.attributionControl.setPrefix(false);
  if (attribution && holder.dataset.attribution) map.attributionControl.addAttribution(holder.dataset.attribution);
  const categorical = data.features.some((f) => f.properties.colour && !f.properties.outline);
  const values = data.features.filter((f) => !f.properties.outline).map((f) => f.properties.value).filter((v) => v !== null && v !== undefined);
  const min = Math.min(0, ...values);
  const max = Math.max(min + 1, ...values);
  // Sequential blues; the darkest still meets contrast with white outlines.
  const colours = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  const bands = colours.length - 1;
  const step = (v) => {
    if (v === null || v === undefined) return -1;
    if (v === min) return 0;
    return Math.min(bands, 1 + Math.floor(((v - min) / (max - min)) * bands * 0.9999));
  };
  const fill = (f) => {
    if (categorical) return f.properties.colour;
    const s = step(f.properties.value);
    return s < 0 ? "#f7f7f7" : colours[s];
  };
  const show = (v) => (v === null || v === undefined ? none : fmt.format(v));
  // Outlines (e.g. the municipalities around a study's land units) give context: drawn first,
  // unfilled, without tooltips, and left out of the legend and the zoom.
  const outlines = data.features.filter((f) => f.properties.outline);
  data = { type: "FeatureCollection", features: data.features.filter((f) => !f.properties.outline) };
  if (outlines.length) {
    L.geoJSON({ type: "FeatureCollection", features: outlines }, {
      style: () => ({ color: "#555", weight: 1, dashArray: "4 3", fill: false }),
      interactive: false,
    }).addTo(map);
  }
  const layer = L.geoJSON(data, {
    style: (f) => {
      const missing = !categorical && step(f.properties.value) < 0; // no data: pale with a dashed edge
      return { color: missing ? "#777" : "#333", weight: missing ? 0.8 : 0.6, dashArray: missing ? "3 3" : null, fillOpacity: missing ? 1 : 0.85, fillColor: fill(f) };
    },
    onEachFeature: (f, l) => {
      // Names and labels are data: build the tooltip as text, never as HTML.
      const tip = document.createElement("span");
      tip.textContent = `${f.properties.name}: ${f.properties.label || show(f.properties.value)}`;
      l.bindTooltip(tip);
      if (f.properties.url) l.on("click", () => { window.location.href = f.properties.url; });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds());
  if (!legend) return;
  // Legend entries as DOM nodes with text content (labels may be user-written claim names).
  const entry = (colour, label) => {
    const item = document.createElement("li");
    const swatch = document.createElement("i");
    swatch.style.background = colour;
    item.append(swatch, label);
    return item;
  };
  if (categorical) {
    const seen = new Map();
    data.features.forEach((f) => seen.set(f.properties.label, f.properties.colour));
    seen.forEach((colour, label) => legend.append(entry(colour, String(label))));
    return;
  }
  if (values.length < data.features.length) legend.append(entry("#f7f7f7", none));
  legend.append(entry(colours[0], fmt.format(min)));
  const counts = min === 0 && values.every((v) => Number.isInteger(v));
  for (let i = 1; i <= bands && counts; i++) { // whole numbers: bands of whole numbers
    const lo = Math.floor(((i - 1) * max) / bands) + 1;
    const hi = i === bands ? max : Math.floor((i * max) / bands);
    if (lo <= hi) legend.append(entry(colours[i], lo === hi ? fmt.format(lo) : `${fmt.format(lo)} – ${fmt.format(hi)}`));
  }
  for (let i = 1; i <= bands && !counts; i++) {
    const lo = min + ((i - 1) * (max - min)) / bands;
    const hi = min + (i * (max - min)) / bands;
    legend.append(entry(colours[i], `${fmt.format(lo)} – ${fmt.format(hi)}`));
  }
})();
