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

  // The справка draft saves itself (templates/visits/_report_form.html, hx-trigger="autosave"): a second after
  // the last keystroke, and at once when a field is left (change). «edits» counts input events; a save sends all
  // of them, so «saved» tells whether anything typed is not yet on the server (then leaving the page asks first).
  var DELAY = 1000, RETRY = 5000;
  var edits = 0, sending = 0, saved = 0, timer = null, retryTimer = null, submitting = false;

  function reportForm() { return document.getElementById("report-form"); }

  function setStatus(text, cls, retry) {
    var status = document.getElementById("save-status");
    if (!status) { return; }
    status.className = "save-status " + cls;
    status.setAttribute("role", cls === "error" ? "alert" : "status");
    status.textContent = text;
    if (retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "outline small";
      button.textContent = "Повторить";
      button.setAttribute("data-save-retry", "");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(button);
    }
  }

  function saveNow() {
    var form = reportForm();
    clearTimeout(timer);
    clearTimeout(retryTimer);
    if (form && edits > sending) { window.htmx.trigger(form, "autosave"); }
  }

  document.addEventListener("input", function (e) {
    if (!e.target.closest("#report-form")) { return; }
    edits += 1;
    clearTimeout(timer);
    timer = setTimeout(saveNow, DELAY);
  });
  document.addEventListener("change", function (e) {
    if (e.target.closest("#report-form")) { saveNow(); }
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-save-retry]")) { sending = saved; saveNow(); }
  });

  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt.closest || !elt.closest("#report-form")) { return; }
    sending = edits;
    e.detail.xhr.moEdits = edits;
    if (elt.tagName === "BUTTON") { submitting = true; }
    setStatus("Сохраняется…", "saving");
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt.closest || !elt.closest("#report-form")) { return; }
    if (e.detail.successful) {
      saved = Math.max(saved, e.detail.xhr.moEdits || 0);
    } else {
      submitting = false;
    }
  });
  document.addEventListener("htmx:sendError", function (e) {
    var elt = e.detail.elt;
    if (!elt.closest || !elt.closest("#report-form")) { return; }
    sending = saved;
    submitting = false;
    setStatus("Не сохранено — нет связи.", "error", true);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(saveNow, RETRY);
  });

  window.addEventListener("beforeunload", function (e) {
    if (reportForm() && edits > saved && !submitting) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
})();
