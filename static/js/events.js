// Events area behaviour (no inline script: strict CSP).
(function () {
  "use strict";
  // Event form: show only the date inputs that the chosen kind of date needs.
  function syncDateFields(root) {
    var select = (root || document).querySelector('select[name="date_kind"]');
    if (!select) { return; }
    var kind = select.value;
    select.form.querySelectorAll("[data-date-kinds]").forEach(function (box) {
      var kinds = box.getAttribute("data-date-kinds").split(" ");
      box.hidden = kinds.indexOf(kind) === -1;
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches('select[name="date_kind"]')) { syncDateFields(e.target.form); }
  });
  document.addEventListener("DOMContentLoaded", function () { syncDateFields(document); });
  document.addEventListener("htmx:afterSettle", function (e) { syncDateFields(e.target); });
  // The calendar feed link: select it all on focus so it can be copied.
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-select-on-focus]")) { e.target.select(); }
  });
})();
