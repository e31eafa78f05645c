// The toolbar of print views (templates/print_base.html): «Назад» and «Печать» without inline script.
(function () {
  "use strict";
  var bar = document.querySelector(".print-toolbar");
  if (!bar) { return; }
  bar.addEventListener("click", function (e) {
    if (e.target.closest("[data-back]") && window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    } else if (e.target.closest("[data-print]")) {
      e.stopPropagation(); // app.js, when a page includes it too, must not print a second time
      window.print();
    }
  });
})();
