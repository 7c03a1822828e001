// The console's behaviour: CSRF header for htmx, auto-submitting switches, keyboard shortcuts.
// Loaded as a static file because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Every state-changing htmx request carries the session's CSRF token (checked by the server).
  document.addEventListener("htmx:configRequest", function (event) {
    var token = cookie("kefu_csrf");
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });

  // Selects marked data-autosubmit submit their form on change (the language switch).
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form) form.requestSubmit();
  });

  // Forms marked data-json-post send their fields as JSON to the API (with the CSRF header), so the
  // console uses the very endpoint integrations use; the message list then refreshes itself.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-json-post]");
    if (!form) return;
    event.preventDefault();
    var error = form.querySelector("[data-reply-error]");
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cookie("kefu_csrf") },
      body: JSON.stringify(Object.fromEntries(new FormData(form)))
    }).then(function (response) {
      if (error) error.hidden = response.ok;
      if (!response.ok) return;
      form.reset();
      document.body.dispatchEvent(new CustomEvent("kefu:message"));
    }).catch(function () {
      if (error) error.hidden = false;
    }).finally(function () {
      button.disabled = false;
    });
  });

  // Ctrl+Enter (or Cmd+Enter) in a reply box sends it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches("[data-reply]")) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  function help() { return document.getElementById("help"); }

  function toggleHelp() {
    var dialog = help();
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-help-open]")) toggleHelp();
  });

  function items() { return Array.prototype.slice.call(document.querySelectorAll("[data-inbox-item]")); }

  function move(step) {
    var list = items();
    if (!list.length) return;
    var current = list.findIndex(function (li) { return li.classList.contains("selected"); });
    var next = Math.max(0, Math.min(list.length - 1, current + step));
    if (current >= 0) list[current].classList.remove("selected");
    list[next].classList.add("selected");
    list[next].querySelector("a").focus();
  }

  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "i") { window.location.assign("/console"); return; }
      if (key === "w") { window.location.assign("/console/wallboard"); return; }
      if (key === "t") { window.location.assign("/console/tickets"); return; }
      if (key === "a") { window.location.assign("/console/admin"); return; }
    }
    if (key === "?") { event.preventDefault(); toggleHelp(); }
    else if (key === "j") { move(1); }
    else if (key === "k") { move(-1); }
    else if (key === "g") { pendingG = true; }
    else if (key === "r" && document.querySelector("[data-reply]")) {
      event.preventDefault();
      document.querySelector("[data-reply]").focus();
    }
    else if (key === "a" || key === "d") {
      // Accept or decline the oldest offer in the inbox.
      var offer = document.querySelector(key === "a" ? "[data-offer-accept]" : "[data-offer-decline]");
      if (offer) { event.preventDefault(); offer.click(); }
    }
    else if (key === "o") {
      // Enter already follows the focused link; "o" opens the selection even after focus moved away.
      var selected = document.querySelector("[data-inbox-item].selected a");
      if (selected) selected.click();
    }
  });

  // Saved views: the inbox's filters under a name, kept per user in this browser (localStorage).
  function viewsKey(holder) { return "kefu.views." + holder.getAttribute("data-user"); }

  function loadViews(holder) {
    try { return JSON.parse(localStorage.getItem(viewsKey(holder)) || "[]"); } catch (e) { return []; }
  }

  function drawViews() {
    var holder = document.querySelector("[data-saved-views]");
    if (!holder) return;
    var list = holder.querySelector("[data-saved-list]");
    var current = (document.getElementById("inbox") || holder).getAttribute("data-inbox-query") || "";
    list.replaceChildren();
    loadViews(holder).forEach(function (view, index) {
      var link = document.createElement("a");
      link.href = "/console" + (view.query ? "?" + view.query : "");
      link.textContent = view.name; // the user's own words, shown as text
      link.setAttribute("data-saved-view", "");
      if (view.query === current) link.setAttribute("aria-current", "page");
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "quiet";
      remove.textContent = "×";
      remove.setAttribute("aria-label", holder.querySelector("[data-save-view]").getAttribute("data-remove-label") + " " + view.name);
      remove.addEventListener("click", function () {
        var views = loadViews(holder);
        views.splice(index, 1);
        localStorage.setItem(viewsKey(holder), JSON.stringify(views));
        drawViews();
      });
      list.appendChild(link);
      list.appendChild(remove);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-save-view]");
    if (!button) return;
    var holder = button.closest("[data-saved-views]");
    var name = (window.prompt(button.getAttribute("data-prompt")) || "").trim().slice(0, 40);
    if (!name) return;
    var views = loadViews(holder).filter(function (view) { return view.name !== name; });
    views.push({ name: name, query: document.getElementById("inbox").getAttribute("data-inbox-query") || "" });
    localStorage.setItem(viewsKey(holder), JSON.stringify(views.slice(-12)));
    drawViews();
  });
  document.addEventListener("DOMContentLoaded", drawViews);
  document.addEventListener("htmx:afterSettle", drawViews);

  // Keep the keyboard selection when the inbox refreshes itself.
  var rememberedHref = "";
  document.addEventListener("htmx:beforeSwap", function () {
    var selected = document.querySelector("[data-inbox-item].selected a");
    rememberedHref = selected ? selected.getAttribute("href") : "";
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!rememberedHref) return;
    var link = document.querySelector('#inbox a[href="' + CSS.escape(rememberedHref) + '"]');
    if (link) link.closest("[data-inbox-item]").classList.add("selected");
  });
  // Live updates: /ws/console names what changed ("message.created"); the page hears "kefu:event" and
  // "kefu:message" (the name's first part), and fragments listening for them refresh over ordinary GETs.
  // Polling remains the fallback while the socket is down.
  function announce(message) {
    var kind = String(JSON.parse(message.data).type || "").split(".")[0];
    document.body.dispatchEvent(new CustomEvent("kefu:event"));
    if (/^[a-z_]+$/.test(kind)) document.body.dispatchEvent(new CustomEvent("kefu:" + kind));
  }

  function listen(delay) {
    if (!document.querySelector("[hx-trigger*='kefu:']")) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/console");
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = announce;
    socket.onclose = function () {
      setTimeout(function () { listen(Math.min(delay * 2, 30000)); }, delay);
    };
  }
  document.addEventListener("DOMContentLoaded", function () { listen(1000); });
})();
