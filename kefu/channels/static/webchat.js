/* kefu web chat widget: <script src="https://kefu.example.com/webchat.js" data-site="shop"
   data-customer="member-7" data-sig="<hex HMAC-SHA256(site secret, customer)>" async></script>
   Plain JavaScript, no build step. Messages are shown as text only (textContent), never as markup.
   Unacknowledged messages are kept in localStorage and sent again after a reconnect with the same
   client id, so the server stores each once; "resume" fetches what arrived while offline. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src).origin.replace(/^http/, "ws");
  var zh = (navigator.language || "zh").toLowerCase().indexOf("zh") === 0;
  var T = zh
    ? { title: "在线客服", placeholder: "请输入消息…", send: "发送", offline: "连接中断，正在重连…", typing: "对方正在输入…",
        rate: "请为本次服务评分", dims: { attitude: "服务态度", efficiency: "解决效率", accuracy: "答复准确" }, submit: "提交评价", thanks: "感谢您的评价！",
        queue: function (n, min) { return "您前面还有 " + (n - 1) + " 位" + (min === null ? "" : "，预计等待约 " + min + " 分钟"); } }
    : { title: "Chat with us", placeholder: "Type a message…", send: "Send", offline: "Reconnecting…", typing: "Typing…",
        rate: "How did we do?", dims: { attitude: "Attitude", efficiency: "Efficiency", accuracy: "Accuracy" }, submit: "Send rating", thanks: "Thank you for your rating!",
        queue: function (n, min) { return "You are number " + n + " in line" + (min === null ? "" : ", about " + min + " min"); } };
  var http = new URL(script.src).origin;
  var store = window.localStorage;
  var KEY = "kefu.webchat." + (script.dataset.site || "default");
  var state = JSON.parse(store.getItem(KEY) || "null") || { visitor: newId(), lastId: 0, unacked: {} };
  var seen = {};
  var socket = null;
  var retry = 500;

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function save() { store.setItem(KEY, JSON.stringify(state)); }

  var box = document.createElement("div");
  box.setAttribute("style", "position:fixed;right:16px;bottom:16px;width:320px;font:14px sans-serif;" +
    "background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.2);z-index:99999");
  var head = document.createElement("div");
  head.textContent = T.title;
  head.setAttribute("style", "padding:8px;background:#1677ff;color:#fff;border-radius:8px 8px 0 0");
  var log = document.createElement("div");
  log.setAttribute("style", "height:260px;overflow-y:auto;padding:8px");
  var status = document.createElement("div");
  status.setAttribute("style", "padding:0 8px;color:#888;font-size:12px;min-height:16px");
  var form = document.createElement("form");
  form.setAttribute("style", "display:flex;border-top:1px solid #eee");
  var input = document.createElement("input");
  input.placeholder = T.placeholder;
  input.maxLength = 20000;
  input.setAttribute("style", "flex:1;border:0;padding:8px");
  var button = document.createElement("button");
  button.textContent = T.send;
  var picker = document.createElement("input");
  picker.type = "file";
  picker.accept = "image/png,image/jpeg,image/gif,image/webp,application/pdf";
  picker.setAttribute("style", "width:90px");
  form.appendChild(picker);
  form.appendChild(input);
  form.appendChild(button);
  [head, log, status, form].forEach(function (el) { box.appendChild(el); });
  document.body.appendChild(box);

  function show(sender, text, key) {
    if (key && seen[key]) { return; }
    if (key) { seen[key] = true; }
    var line = document.createElement("div");
    line.textContent = text; // text only: a message can never become markup
    line.setAttribute("style", "margin:4px 0;white-space:pre-wrap;text-align:" + (sender === "customer" ? "right" : "left"));
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  }
  // The CSAT card after the agent solved the chat: 1–5 on each dimension, posted to the survey's form
  // endpoint as a simple form request (no CORS preflight; the site may be on another origin).
  function survey(token) {
    if (seen["survey" + token]) { return; }
    seen["survey" + token] = true;
    var card = document.createElement("form");
    card.setAttribute("data-kefu-survey", "");
    card.setAttribute("style", "margin:6px 0;padding:6px;border:1px solid #d9d9d9;border-radius:6px;background:#fafafa");
    var title = document.createElement("div");
    title.textContent = T.rate;
    card.appendChild(title);
    var scores = {};
    Object.keys(T.dims).forEach(function (dim) {
      var row = document.createElement("div");
      row.setAttribute("data-dimension", dim);
      var label = document.createElement("span");
      label.textContent = T.dims[dim] + " ";
      row.appendChild(label);
      [1, 2, 3, 4, 5].forEach(function (n) {
        var star = document.createElement("button");
        star.type = "button";
        star.textContent = "★";
        star.value = String(n);
        star.setAttribute("aria-label", T.dims[dim] + " " + n);
        star.setAttribute("style", "border:0;background:none;cursor:pointer;font-size:16px;color:#ccc");
        star.addEventListener("click", function () {
          scores[dim] = n;
          Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) {
            b.style.color = Number(b.value) <= n ? "#faad14" : "#ccc";
          });
        });
        row.appendChild(star);
      });
      card.appendChild(row);
    });
    var submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = T.submit;
    card.appendChild(submit);
    card.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new URLSearchParams();
      Object.keys(T.dims).forEach(function (dim) { body.append(dim, String(scores[dim] || 5)); });
      fetch(http + "/api/v1/surveys/" + encodeURIComponent(token) + "/page", { method: "POST", mode: "no-cors", body: body })
        .then(function () {
          var done = document.createElement("div");
          done.setAttribute("data-kefu-survey-done", "");
          done.textContent = T.thanks;
          card.replaceWith(done);
        });
    });
    log.appendChild(card);
    log.scrollTop = log.scrollHeight;
  }
  function send(frame) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); }
  }
  function identity() {
    var query = "visitor=" + encodeURIComponent(state.visitor) + "&site=" + encodeURIComponent(script.dataset.site || "");
    if (script.dataset.customer) {
      query += "&customer=" + encodeURIComponent(script.dataset.customer) + "&sig=" + encodeURIComponent(script.dataset.sig || "");
    }
    return query;
  }
  function connect() {
    socket = new WebSocket(origin + "/ws/webchat?" + identity());
    socket.onopen = function () {
      retry = 500;
      status.textContent = "";
      Object.keys(state.unacked).forEach(function (id) { send({ type: "message", client_id: id, body: state.unacked[id] }); });
      send({ type: "resume", after: state.lastId });
    };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "greeting") { show("system", frame.text, "greeting"); }
      else if (frame.type === "ack") {
        delete state.unacked[frame.client_id];
        seen["m" + frame.message_id] = true;
        state.lastId = Math.max(state.lastId, frame.message_id);
        save();
      } else if (frame.type === "message") {
        status.textContent = "";
        show(frame.sender, frame.body, "m" + frame.message_id);
        state.lastId = Math.max(state.lastId, frame.message_id);
        save();
      } else if (frame.type === "history") {
        frame.messages.forEach(function (m) {
          show(m.sender, m.body, "m" + m.message_id);
          state.lastId = Math.max(state.lastId, m.message_id);
        });
        save();
      } else if (frame.type === "typing") { status.textContent = T.typing; }
      else if (frame.type === "survey") { survey(frame.token); }
      else if (frame.type === "queue") {
        status.textContent = T.queue(frame.position, frame.ewt_seconds === null ? null : Math.max(1, Math.round(frame.ewt_seconds / 60)));
      }
      else if (frame.type === "error" && frame.client_id) { delete state.unacked[frame.client_id]; save(); show("system", frame.message); }
    };
    socket.onclose = function () {
      status.textContent = T.offline;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) { return; }
    var id = newId();
    state.unacked[id] = body;
    save();
    show("customer", body);
    send({ type: "message", client_id: id, body: body });
    input.value = "";
  });
  picker.addEventListener("change", function () {
    var file = picker.files[0];
    if (!file) { return; }
    var data = new FormData();
    data.append("file", file);
    var url = http + "/api/v1/webchat/uploads?" + identity() + "&client_id=" + newId();
    fetch(url, { method: "POST", body: data }).then(function (response) {
      return response.json().then(function (body) {
        show(response.ok ? "customer" : "system", response.ok ? "[" + file.name + "]" : body.message);
        if (response.ok) { seen["m" + body.message_id] = true; }
      });
    });
    picker.value = "";
  });
  var lastTyping = 0;
  input.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 3000) { lastTyping = now; send({ type: "typing" }); }
  });
  Object.keys(state.unacked).forEach(function (id) { show("customer", state.unacked[id]); });
  save();
  connect();
})();
