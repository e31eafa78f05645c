// Plan area behaviour (no inline script under our CSP).
(function () {
  "use strict";
  // A year selector submits itself when changed: <form data-autosubmit><select>...</select></form>
  document.addEventListener("change", function (e) {
    var form = e.target.closest("form[data-autosubmit]");
    if (form && e.target.tagName === "SELECT") { form.submit(); }
  });
})();
