// Visits area behaviour (no inline script under our CSP).
(function () {
  "use strict";
  // «Добавить строку» in the report's recommendations: clone the <template> row with a fresh index.
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-add-rec-row]");
    if (!button) { return; }
    var body = document.getElementById("rec-rows");
    var tpl = document.getElementById("rec-row-template");
    if (!body || !tpl) { return; }
    var index = parseInt(body.getAttribute("data-next-index") || "0", 10);
    body.setAttribute("data-next-index", String(index + 1));
    var html = tpl.innerHTML.replace(/__i__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.querySelector("tr");
    body.appendChild(row);
    var text = row.querySelector("textarea");
    if (text) { text.focus(); }
  });
})();
