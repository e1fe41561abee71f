// Choropleth without tiles: region shapes coloured by a measure, each a link to its region page.
(function () {
  const data = JSON.parse(JSON.parse(document.getElementById("map-data").textContent));
  const values = data.features.map((f) => f.properties.value);
  const max = Math.max(1, ...values);
  // Sequential blues; the darkest still meets contrast with white outlines.
  const colours = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  const step = (v) => (v === 0 ? 0 : Math.min(colours.length - 1, 1 + Math.floor(((v - 1) / max) * (colours.length - 1))));
  const map = L.map("map", { attributionControl: false, zoomSnap: 0.25 });
  const layer = L.geoJSON(data, {
    style: (f) => ({ color: "#333", weight: 0.6, fillOpacity: 0.85, fillColor: colours[step(f.properties.value)] }),
    onEachFeature: (f, l) => {
      // Region names are data: build the tooltip as text, never as HTML.
      const tip = document.createElement("span");
      tip.textContent = `${f.properties.name}: ${f.properties.value}`;
      l.bindTooltip(tip);
      l.on("click", () => { window.location.href = f.properties.url; });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds());
  const legend = document.getElementById("legend");
  for (let i = 0; i < colours.length; i++) {
    let label = "0";
    if (i > 0) {
      const lo = Math.floor(((i - 1) * max) / (colours.length - 1)) + 1;
      const hi = Math.floor((i * max) / (colours.length - 1));
      if (lo > hi) continue;
      label = lo === hi ? String(lo) : `${lo}–${hi}`;
    }
    const item = document.createElement("li");
    const swatch = document.createElement("i");
    swatch.style.background = colours[i];
    item.append(swatch, label);
    legend.append(item);
  }
})();
