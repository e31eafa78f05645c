// mo_app behaviour that would otherwise need inline script (forbidden by our CSP).
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");
  // The phone menu: <button data-menu-toggle aria-controls="site-menu"> shows and hides the menu.
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-menu-toggle]");
    if (!button) { return; }
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    var open = menu.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  // Ask before destructive submits: <button data-confirm="Удалить?">
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
  // Print buttons on print views: <button data-print>
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) { window.print(); }
  });
  // Check/uncheck all: <input type="checkbox" data-check-all="name">
  document.addEventListener("change", function (e) {
    var box = e.target.closest("[data-check-all]");
    if (!box) { return; }
    var name = box.getAttribute("data-check-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (c) {
      c.checked = box.checked;
    });
  });
})();
