// Ticket and admin pages: forms that answer with field errors, SLA countdowns that tick.
// Loaded as a static file because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";

  // A form marked data-show-errors is re-rendered by the server with its field errors (422, or 409 for a
  // refused change, or 403 for a refused decision); htmx would drop those answers, so they are swapped in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || !source.closest || !source.closest("[data-show-errors]")) return;
    if (status === 403 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap, move focus to the first error so a keyboard user hears it and can fix the field.
  document.addEventListener("htmx:afterSettle", function (event) {
    var error = event.detail.elt && event.detail.elt.querySelector && event.detail.elt.querySelector("[data-field-error]");
    if (!error) return;
    var scope = error.closest("label, form") || error.parentElement;
    var field = scope && scope.querySelector("input, select, textarea");
    if (field) field.focus();
  });

  // SLA countdowns: [−]H:MM:SS of wall-clock time to the deadline (no words, so nothing to translate).
  function clockText(seconds) {
    var sign = seconds < 0 ? "\u2212" : "";
    var total = Math.floor(Math.abs(seconds));
    var h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = total % 60;
    return sign + h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-deadline")) - now) / 1000;
      if (isNaN(left)) return;
      el.textContent = clockText(left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-deadline]")) {
      tick();
      setInterval(tick, 1000);
    }
  });
})();
