// People area: organizations and accounts (no inline script: strict CSP).
(function () {
  "use strict";
  // With JS the search updates by itself (htmx); the «Найти» button is only for no-JS browsers.
  document.documentElement.classList.add("js");

  // The school is required for librarians only: dim it for other roles.
  function syncSchool(select) {
    var form = select.closest("form");
    var school = form && form.querySelector("[data-school-field]");
    if (school) {
      school.classList.toggle("school-optional", select.value !== "librarian");
    }
  }
  document.addEventListener("change", function (e) {
    var select = e.target.closest("[data-role-select]");
    if (select) { syncSchool(select); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-role-select]").forEach(syncSchool);
  });
})();
