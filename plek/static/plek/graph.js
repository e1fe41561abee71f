// Network graph: node colour by kind, size by betweenness centrality.
(function () {
  const data = JSON.parse(JSON.parse(document.getElementById("graph-data").textContent));
  const colour = { hub: "#154273", network: "#e17000", organisation: "#39870c", programme: "#a90061" };
  const maxB = Math.max(0.0001, ...data.nodes.map((n) => n.betweenness));
  const elements = data.nodes.map((n) => ({
    data: { id: n.id, label: n.label, kind: n.kind, size: 12 + 38 * (n.betweenness / maxB) },
  })).concat(data.edges.map((e, i) => ({ data: { id: "e" + i, source: e.source, target: e.target } })));
  cytoscape({
    container: document.getElementById("graph"),
    elements,
    layout: { name: data.nodes.length > 150 ? "circle" : "cose", animate: false, randomize: false },
    style: [
      { selector: "node", style: { "background-color": (n) => colour[n.data("kind")] || "#555", width: "data(size)", height: "data(size)", label: "data(label)", "font-size": 8, "text-wrap": "ellipsis", "text-max-width": 120 } },
      { selector: "edge", style: { width: 1, "line-color": "#999", opacity: 0.6 } },
    ],
  });
})();
