// Draws every Vega-Lite chart on the page: <div data-chart="id"> with <script type="application/json" id="id">.
// The numbers are also in the table next to each chart, so nothing depends on this script.
(function () {
  function draw() {
    if (typeof vegaEmbed === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src) return;
      var spec = JSON.parse(src.textContent);
      var opts = { actions: false, renderer: "svg", ast: true };
      // Axis and tooltip numbers in the page's language (nl: 8.364,9; en: 8,364.9).
      if ((document.documentElement.lang || "nl").slice(0, 2) === "nl") {
        opts.formatLocale = { decimal: ",", thousands: ".", grouping: [3], currency: ["€ ", ""] };
        opts.timeFormatLocale = {
          dateTime: "%a %e %B %Y %X", date: "%d-%m-%Y", time: "%H:%M:%S", periods: ["", ""],
          days: ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
          shortDays: ["zo", "ma", "di", "wo", "do", "vr", "za"],
          months: ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"],
          shortMonths: ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
        };
      }
      vegaEmbed(el, spec, opts).then(function (res) {
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
