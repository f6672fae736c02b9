// Shared helpers for every page: theme toggle, the JSON API with the CSRF header, formatting.
(function () {
  "use strict";
  var root = document.documentElement;
  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("arena-theme", next); } catch (e) { /* private mode */ }
      document.dispatchEvent(new CustomEvent("themechange"));
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // fetch + JSON + the CSRF header; never throws: {ok, status, data, message, retryAfter}
  async function api(method, url, body) {
    var init = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken();
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      return { ok: false, status: 0, data: null, message: "The server cannot be reached. Check your connection and try again." };
    }
    var data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    var message = null;
    if (!response.ok) {
      message = (data && data.error && data.error.message) || ("The server answered " + response.status + ".");
      message = message.charAt(0).toUpperCase() + message.slice(1);
      if (!/[.!?]$/.test(message)) message += ".";
    }
    return { ok: response.ok, status: response.status, data: data, message: message,
             code: data && data.error ? data.error.code : null,
             retryAfter: response.headers.get("Retry-After") };
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "class") node.className = attrs[k];
        else if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    return node;
  }

  var COUNTRY_NAMES = { US: "United States", CN: "China", FR: "France", GB: "United Kingdom", CA: "Canada",
    DE: "Germany", AE: "UAE", IL: "Israel", KR: "South Korea", JP: "Japan", IN: "India", CH: "Switzerland", SG: "Singapore" };
  function flag(code) {
    if (!code || code.length !== 2) return "";
    var base = 0x1F1E6;
    return String.fromCodePoint(base + code.charCodeAt(0) - 65, base + code.charCodeAt(1) - 65);
  }
  function country(code) {
    if (!code) return "—";
    return COUNTRY_NAMES[code] ? COUNTRY_NAMES[code] + " (" + code + ")" : code;
  }
  function money(x) {
    if (x === null || x === undefined) return "—";
    if (x === 0) return "$0";
    if (x < 0.0001) return "<$0.0001";
    if (x < 0.01) return "$" + x.toFixed(4);
    return "$" + x.toFixed(x < 1 ? 3 : 2);
  }
  function price(input, output) {
    if (input === null || input === undefined || output === null || output === undefined) return "—";
    if (input === 0 && output === 0) return "free";
    return "$" + (+input).toFixed(2) + " / $" + (+output).toFixed(2);
  }
  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // an error line: shown with its text, hidden without
  function showError(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  // an answer from the API into its pane: a sandboxed frame for a design (loaded lazily
  // when asked), otherwise the HTML the server rendered and sanitised (render_markdown)
  function fillAnswer(node, answer, lazy) {
    node.textContent = "";
    if (answer.kind === "design") {
      node.appendChild(el("iframe", { class: "design-frame", src: answer.src, sandbox: "allow-scripts",
                                      title: "Design", loading: lazy ? "lazy" : null }));
    } else {
      node.innerHTML = answer.html;
    }
  }

  window.Arena = { plural: plural, api: api, el: el, svg: svg, flag: flag, country: country, money: money,
                   price: price, readJSON: readJSON, csrfToken: csrfToken, showError: showError,
                   fillAnswer: fillAnswer };
})();
