// The conversation page: live message stream, reply / internal note, files, `/` scripts, knowledge inserts,
// solve and the action panels. Plain JavaScript under the CSP (no inline script, no eval). Text from
// customers and the library only ever reaches the page as server-escaped HTML or through textContent/value.
(function () {
  "use strict";

  var root = document.querySelector("[data-conversation]");
  if (!root) return;

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, body, json) {
    var headers = { "X-CSRF-Token": cookie("kefu_csrf") };
    if (json) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: headers,
      body: json ? JSON.stringify(body) : body
    });
  }

  // --- The live stream: fetch only what is newer than the last shown message, and append it. ----------
  var list = document.getElementById("messages");
  var loading = false, again = false;

  function lastId() { return Number(list.getAttribute("data-last-id") || "0"); }

  function scrollToEnd() { list.scrollTop = list.scrollHeight; }

  function fetchNew() {
    if (!list) return;
    if (loading) { again = true; return; }
    loading = true;
    var url = list.getAttribute("data-messages") + "?after=" + lastId();
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html.trim()) return;
        var template = document.createElement("template");
        template.innerHTML = html; // server-rendered with autoescape: message text is already escaped
        var customerWrote = false;
        Array.prototype.forEach.call(template.content.querySelectorAll("li[data-message-id]"), function (item) {
          var id = Number(item.getAttribute("data-message-id"));
          if (id <= lastId() || document.querySelector('#messages [data-message-id="' + id + '"]')) return;
          list.appendChild(item);
          list.setAttribute("data-last-id", String(id));
          if (item.getAttribute("data-sender") === "customer") customerWrote = true;
        });
        var empty = list.querySelector("[data-empty]");
        if (empty && list.querySelector("[data-message-id]")) empty.remove();
        scrollToEnd();
        if (customerWrote) document.body.dispatchEvent(new CustomEvent("kefu:assist"));
      })
      .catch(function () { /* the next event or the poll tries again */ })
      .finally(function () {
        loading = false;
        if (again) { again = false; fetchNew(); }
      });
  }

  document.body.addEventListener("kefu:message", fetchNew);
  setInterval(fetchNew, 15000); // the fallback while the socket is down
  scrollToEnd();

  // --- Reply, internal note, file. ----------------------------------------------------------------------
  var form = document.querySelector("[data-reply-form]");
  var box = form ? form.querySelector("[data-reply]") : null;

  function mode() {
    var checked = form.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "reply";
  }

  function setMode(value) {
    var radio = form.querySelector('input[name=mode][value="' + value + '"]');
    if (radio) radio.checked = true;
    form.classList.toggle("note-mode", value === "note");
  }

  function showError(visible) {
    var error = form.querySelector("[data-reply-error]");
    if (error) error.hidden = !visible;
  }

  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "mode") setMode(event.target.value);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      closeSuggestions();
      var text = box.value;
      if (!text.trim()) return;
      var url = form.getAttribute(mode() === "note" ? "data-note-url" : "data-reply-url");
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      post(url, { body: text }, true).then(function (response) {
        showError(!response.ok);
        if (!response.ok) return;
        box.value = "";
        setMode("reply");
        fetchNew();
      }).catch(function () { showError(true); }).finally(function () { button.disabled = false; });
    });
    var attach = form.querySelector("[data-attach]");
    if (attach) {
      attach.addEventListener("change", function () {
        var file = attach.files[0];
        if (!file) return;
        var data = new FormData();
        data.append("file", file);
        post(form.getAttribute("data-file-url"), data, false).then(function (response) {
          showError(!response.ok);
          if (response.ok) fetchNew();
        }).catch(function () { showError(true); }).finally(function () { attach.value = ""; });
      });
    }
  }

  // --- `/keyword` scripts: a suggestion list under the reply box; Enter inserts the rendered script. ------
  var suggestions = document.getElementById("script-suggestions");
  var found = [], active = -1, timer = null, asked = "";

  function slashQuery() {
    if (!box) return null;
    var before = box.value.slice(0, box.selectionStart);
    var match = before.match(/(?:^|\s)\/([^\s\/]*)$/);
    return match ? match[1] : null;
  }

  function closeSuggestions() {
    if (!suggestions) return;
    suggestions.hidden = true;
    suggestions.replaceChildren();
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    found = []; active = -1;
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(suggestions.children, function (item, i) {
      item.setAttribute("aria-selected", i === index ? "true" : "false");
      if (i === index) box.setAttribute("aria-activedescendant", item.id);
    });
  }

  function showSuggestions(scripts) {
    found = scripts;
    suggestions.replaceChildren();
    if (!scripts.length) { closeSuggestions(); return; }
    scripts.forEach(function (script, i) {
      var item = document.createElement("li");
      item.id = "script-option-" + script.id;
      item.setAttribute("role", "option");
      item.setAttribute("data-script-option", String(script.id));
      var title = document.createElement("strong");
      title.textContent = (script.shortcut ? "/" + script.shortcut + " · " : "") + script.title;
      var text = document.createElement("span");
      text.textContent = script.text;
      item.appendChild(title);
      item.appendChild(text);
      item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
      suggestions.appendChild(item);
    });
    suggestions.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  function lookUp() {
    var query = slashQuery();
    if (query === null) { closeSuggestions(); return; }
    asked = query;
    var url = form.getAttribute("data-scripts-url") + "?q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (scripts) { if (asked === query && slashQuery() === query) showSuggestions(scripts); })
      .catch(closeSuggestions);
  }

  function recordUse(scriptId) {
    post("/console/scripts/" + encodeURIComponent(scriptId) + "/use", {}, true).catch(function () {});
  }

  function choose(index) {
    var script = found[index];
    if (!script) return;
    var caret = box.selectionStart;
    var before = box.value.slice(0, caret).replace(/\/[^\s\/]*$/, "");
    box.value = before + script.text + box.value.slice(caret);
    var at = before.length + script.text.length;
    box.setSelectionRange(at, at);
    closeSuggestions();
    box.focus();
    recordUse(script.id);
  }

  if (box && suggestions) {
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 120);
    });
    box.addEventListener("keydown", function (event) {
      if (suggestions.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(found.length - 1, active + 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(0, active - 1)); }
      else if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        event.stopPropagation();
        choose(active);
      } else if (event.key === "Escape") { event.preventDefault(); closeSuggestions(); }
    });
    box.addEventListener("blur", function () { setTimeout(closeSuggestions, 150); });
  }

  // --- One-click insert from the knowledge panel and agent assist. --------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert]");
    if (!button || !box) return;
    var text = button.getAttribute("data-insert");
    var start = box.selectionStart, end = box.selectionEnd;
    var spacer = start > 0 && !/\s$/.test(box.value.slice(0, start)) ? "\n" : "";
    box.value = box.value.slice(0, start) + spacer + text + box.value.slice(end);
    var at = start + spacer.length + text.length;
    box.focus();
    box.setSelectionRange(at, at);
    if (button.hasAttribute("data-script-id")) recordUse(button.getAttribute("data-script-id"));
  });

  // --- Solve, and the transfer / ticket panels. ----------------------------------------------------------
  var solveButton = document.querySelector("[data-solve]");

  function solve() {
    if (!solveButton || solveButton.disabled) return;
    solveButton.disabled = true;
    var error = document.querySelector("[data-solve-error]");
    post(solveButton.getAttribute("data-solve"), {}, true).then(function (response) {
      if (response.ok) { window.location.reload(); return; }
      if (error) error.hidden = false;
      solveButton.disabled = false;
    }).catch(function () { if (error) error.hidden = false; solveButton.disabled = false; });
  }
  if (solveButton) solveButton.addEventListener("click", solve);

  function toggle(id, open) {
    var panel = document.getElementById(id);
    var button = document.querySelector('[data-toggle="' + id + '"]');
    if (!panel) return;
    var show = open === undefined ? panel.hidden : open;
    panel.hidden = !show;
    if (button) button.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) {
      var field = panel.querySelector("select, input:not([type=hidden]), textarea");
      if (field) field.focus();
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-toggle]");
    if (button) toggle(button.getAttribute("data-toggle"));
  });

  // --- Keyboard: n note, t transfer, Shift+S solve, / search the knowledge base (not while typing). -----
  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "n" && form) { event.preventDefault(); setMode("note"); box.focus(); }
    else if (event.key === "r" && form) { setMode("reply"); }
    else if (event.key === "t" && document.getElementById("transfer-panel")) { event.preventDefault(); toggle("transfer-panel", true); }
    else if (event.key === "S") { event.preventDefault(); solve(); }
    else if (event.key === "/") {
      var search = document.getElementById("kb-query");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });
})();
