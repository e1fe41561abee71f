// Network graph: node colour by kind, size by betweenness centrality; group nodes stand for the
// nodes left out of a focused view; the focused hub is drawn with a thick outline.
(function () {
  const data = JSON.parse(JSON.parse(document.getElementById("graph-data").textContent));
  const colour = { hub: "#154273", network: "#e17000", organisation: "#39870c", programme: "#a90061", group: "#ffffff" };
  const maxB = Math.max(0.0001, ...data.nodes.map((n) => n.betweenness));
  const elements = data.nodes.map((n) => ({
    data: {
      id: n.id, label: n.label, kind: n.kind,
      size: n.kind === "group" ? 34 : 12 + 38 * (n.betweenness / maxB),
      border: n.id === data.focus ? 4 : (n.kind === "group" ? 2 : 0),
    },
  })).concat(data.edges.map((e, i) => ({ data: { id: "e" + i, source: e.source, target: e.target } })));
  const small = data.nodes.length <= 150;
  cytoscape({
    container: document.getElementById("graph"),
    elements,
    layout: small
      ? { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 70 }
      : { name: "circle", animate: false },
    style: [
      { selector: "node", style: { "background-color": (n) => colour[n.data("kind")] || "#555", width: "data(size)", height: "data(size)", "border-width": "data(border)", "border-color": "#000", label: "data(label)", "font-size": small ? 10 : 8, "text-wrap": "ellipsis", "text-max-width": 140 } },
      { selector: "edge", style: { width: 1, "line-color": "#999", opacity: 0.6 } },
    ],
  });
})();
