/* Question page: after accepting or rejecting a match (swapped in by htmx), put focus back on the
   matches heading so keyboard and screen-reader users keep their place. */
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSettle", function (e) {
    var path = (e.detail && e.detail.pathInfo && e.detail.pathInfo.requestPath) || "";
    var heading = document.getElementById("h-matches");
    if (heading && path.indexOf("/matches/oordeel/") !== -1) heading.focus();
  });
})();
