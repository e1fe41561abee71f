// Draws every Vega-Lite chart on the page: <div data-chart="id"> with <script type="application/json" id="id">.
// The numbers are also in the table next to each chart, so nothing depends on this script.
(function () {
  function draw() {
    if (typeof vegaEmbed === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src) return;
      var spec = JSON.parse(src.textContent);
      vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true }).then(function (res) {
        var svg = el.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", spec.description || "");
          svg.removeAttribute("tabindex");
        }
        el.setAttribute("data-drawn", "1");
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
