// The leaderboard: table, headline, forest plot and heatmaps from the JSON API; live updates.
(function () {
  "use strict";
  var A = window.Arena;
  var $ = function (id) { return document.getElementById(id); };
  var board = A.readJSON("board-data");
  var query = A.readJSON("board-query") || {};
  var audits = A.readJSON("board-audits"); // audit columns, only when the URL asks (?audit=)
  var previous = {};

  // Filters live in the URL: changing one reloads the page with the new, shareable query.
  var form = $("filters");
  form.addEventListener("change", function () {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "" && !(key === "source" && value === "human") && !(key === "min_votes" && value === "0")) params.append(key, value);
    });
    var qs = params.toString();
    window.location.href = "/leaderboard" + (qs ? "?" + qs : "");
  });

  function pct(x) { return x === null || x === undefined ? "—" : Math.round(x * 100) + "%"; }

  function renderHeadline(h, rows) {
    var box = $("headline");
    var cards = [];
    function card(label, value, sub) {
      return A.el("div", { class: "card stat" }, [
        A.el("div", { class: "stat-label", text: label }),
        A.el("div", { class: "stat-value", text: value || "—" }),
        A.el("div", { class: "stat-sub", text: sub || "" })]);
    }
    // Nobody is crowned alone unless the intervals separate it from every other model.
    var leaders = h.leaders || [];
    var top = rows.filter(function (r) { return r.display_name === leaders[0]; })[0];
    if (leaders.length > 1) {
      cards.push(card("Tied for first", leaders.join(", "), "their intervals overlap: the votes do not separate them yet"));
    } else {
      cards.push(card("Top rated", top ? top.display_name : null, top ? "rank 1 overall · " + Math.round(top.rating) + " · " + A.plural(top.votes, "vote") : (rows.length ? "not enough votes yet" : "no votes yet")));
    }
    var bestOpen = rows.filter(function (r) { return r.display_name === h.best_open; })[0];
    var openLeaders = h.open_leaders || [];
    var openRank = bestOpen ? (h.best_open_rank_shared ? "tied for rank " : "rank ") + h.best_open_rank + " overall" : "";
    cards.push(card(openLeaders.length > 1 ? "Best open model (tied)" : "Best open model", openLeaders.length > 1 ? openLeaders.join(", ") : h.best_open,
      bestOpen ? openRank + " · " + Math.round(bestOpen.rating) + " · " + (bestOpen.license || "licence unknown") : "no open model rated"));
    cards.push(card("Where top open models come from", h.top_open_country ? A.country(h.top_open_country) : null,
      h.top_open_country_share ? h.top_open_country_share +
        (h.best_open_outside ? " · best elsewhere: " + h.best_open_outside + " (#" + h.best_open_outside_rank + " among open)" : "") : ""));
    cards.push(card("Best per dollar", h.best_value, h.best_value ? "$" + (+h.best_value_price).toFixed(2) + " per M tokens (3:1 blend), tied with the best priced" : "no priced model rated"));
    box.replaceChildren.apply(box, cards);
  }

  function renderTable(rows) {
    var body = $("board-body");
    var trs = rows.map(function (r) {
      var changed = previous[r.model] !== undefined && previous[r.model] !== r.votes;
      var tr = A.el("tr", { class: changed ? "updated" : null, "data-model": r.model }, [
        A.el("td", { class: "rank", text: r.rank === null ? "—" : String(r.rank) }),
        A.el("td", { class: "model-cell" }, [
          A.el("a", { href: "/models/" + encodeURIComponent(r.model), text: r.display_name }),
          r.provisional && r.ci_lower !== null ? A.el("span", { class: "pill pill-warn", style: "margin-left:6px", title: "Few votes or a wide interval", text: "provisional" }) : null]),
        r.ci_lower === null
          ? A.el("td", { class: "faint", title: "Too few votes for an honest interval: no rating or rank yet", text: "not enough votes" })
          : A.el("td", null, [A.el("span", { class: "rating", text: Math.round(r.rating) }),
            A.el("span", { class: "ci", text: "−" + Math.round(r.rating - r.ci_lower) + " / +" + Math.round(r.ci_upper - r.rating) })]),
        A.el("td", { class: "votes", text: String(r.votes) }),
        A.el("td", { class: "col-winrate", text: pct(r.win_rate) }),
        A.el("td", { class: "col-lab", text: r.lab || "—" }),
        A.el("td", { class: "col-country", title: A.country(r.country), text: r.country || "—" }),
        A.el("td", { class: "col-weights" }, [r.open_weights === null ? "—" : A.el("span", { class: "pill " + (r.open_weights ? "pill-open" : "pill-closed"), text: r.open_weights ? "open" : "closed" })]),
        A.el("td", { class: "col-licence", text: r.license || "—" }),
        A.el("td", { class: "col-price", text: A.price(r.price_input_per_m, r.price_output_per_m) })
      ].concat(auditCells(r.model)));
      return tr;
    });
    body.replaceChildren.apply(body, trs);
    $("board-empty").hidden = rows.length > 0;
    previous = {};
    rows.forEach(function (r) { previous[r.model] = r.votes; });
  }

  // One cell per audit column: the figure (a link to its transcripts), interval and n, badge;
  // "tools unsupported" and "n/a" say why (never a number that looks safe).
  function auditCells(model) {
    if (!audits) return [];
    var cells = audits.cells[model] || [];
    return audits.columns.map(function (c, i) {
      var f = cells[i];
      if (!f || f.state === "missing") return A.el("td", { class: "col-audit faint", title: "not audited", text: "—" });
      if (f.state === "unsupported") return A.el("td", { class: "col-audit" }, [A.el("span", { class: "pill pill-warn", title: f.why, text: "tools unsupported" })]);
      if (f.state === "na") return A.el("td", { class: "col-audit fig-na", title: f.why, text: "n/a" });
      return A.el("td", { class: "col-audit fig-cell" }, [
        A.el("a", { class: "fig", href: f.link, title: f.full, text: f.text }),
        A.el("span", { class: "fig-sub", text: f.sub }),
        f.badge ? A.el("span", { class: "badge badge-" + f.badge.tone, title: f.badge.title, text: f.badge.label }) : null]);
    });
  }

  function renderForest(rows) {
    var box = $("forest");
    rows = rows.filter(function (r) { return r.ci_lower !== null; });
    if (!rows.length) { box.replaceChildren(A.el("p", { class: "faint", text: "Nothing to plot yet." })); return; }
    var W = Math.max(320, Math.min(box.clientWidth || 560, 900)), rowH = 28, left = Math.min(190, W * 0.36), right = 16, top = 8, H = top + rows.length * rowH + 28;
    var lo = Math.min.apply(null, rows.map(function (r) { return r.ci_lower; }));
    var hi = Math.max.apply(null, rows.map(function (r) { return r.ci_upper; }));
    if (hi - lo < 40) { var mid = (hi + lo) / 2; lo = mid - 20; hi = mid + 20; }
    var pad = (hi - lo) * 0.06; lo -= pad; hi += pad;
    var x = function (v) { return left + (W - left - right) * (v - lo) / (hi - lo); };
    var s = A.svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Ratings with 95% confidence intervals" });
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 4)));
    while ((hi - lo) / step > 6) step *= 2;
    for (var t = Math.ceil(lo / step) * step; t <= hi; t += step) {
      s.appendChild(A.svg("line", { class: "grid", x1: x(t), x2: x(t), y1: top, y2: H - 22 }));
      s.appendChild(A.svg("text", { x: x(t), y: H - 6, "text-anchor": "middle", text: String(Math.round(t)) }));
    }
    rows.forEach(function (r, i) {
      var y = top + i * rowH + rowH / 2;
      var name = r.display_name.length > 26 ? r.display_name.slice(0, 25) + "…" : r.display_name;
      var label = A.svg("text", { x: left - 10, y: y + 4, "text-anchor": "end", text: name });
      label.appendChild(A.svg("title", { text: r.display_name }));
      s.appendChild(label);
      s.appendChild(A.svg("line", { class: "ci-line", x1: x(r.ci_lower), x2: x(r.ci_upper), y1: y, y2: y,
        style: r.open_weights ? "stroke: var(--ok)" : "" }));
      var dot = A.svg("circle", { class: "pt" + (r.open_weights ? " open" : ""), cx: x(r.rating), cy: y, r: 5.5 });
      dot.appendChild(A.svg("title", { text: r.display_name + ": " + Math.round(r.rating) + " [" + Math.round(r.ci_lower) + ", " + Math.round(r.ci_upper) + "]" }));
      s.appendChild(dot);
    });
    box.replaceChildren(s);
  }

  function heatColor(v, kind) {
    if (v === null || v === undefined) return "transparent";
    if (kind === "rate") {
      // red (0) -> neutral (0.5) -> green (1)
      var hue = v < 0.5 ? 0 : 145, strength = Math.abs(v - 0.5) * 2;
      return "hsla(" + hue + ", 70%, 50%, " + (0.12 + 0.6 * strength).toFixed(2) + ")";
    }
    return "hsla(245, 80%, 62%, " + (0.1 + 0.75 * v).toFixed(2) + ")";
  }

  function renderMatrix(boxId, m, kind) {
    var box = $(boxId);
    var n = m.names.length;
    if (!n) { box.replaceChildren(A.el("p", { class: "faint", text: "Nothing to show yet." })); return; }
    var values = kind === "rate" ? m.win_rate : m.battles;
    var maxCount = 1;
    if (kind !== "rate") values.forEach(function (row) { row.forEach(function (v) { maxCount = Math.max(maxCount, v); }); });
    var short = function (s) { return s.length > 18 ? s.slice(0, 17) + "…" : s; };
    var head = A.el("thead", null, [A.el("tr", null, [A.el("th")].concat(m.names.map(function (name) { return A.el("th", { title: name, text: short(name) }); })))]);
    var trs = [];
    for (var i = 0; i < n; i++) {
      var cells = [A.el("th", { class: "row", title: m.names[i], text: short(m.names[i]) })];
      for (var j = 0; j < n; j++) {
        if (i === j) { cells.push(A.el("td", { class: "self" }, [A.el("div", { text: "·" })])); continue; }
        var v = values[i][j];
        var text = kind === "rate" ? (v === null ? "" : Math.round(v * 100) + "%") : (v ? String(v) : "");
        var bg = kind === "rate" ? heatColor(v, "rate") : heatColor(v ? v / maxCount : null, "count");
        var tip = m.names[i] + " vs " + m.names[j] + ": " + (kind === "rate" ? (v === null ? "no battles" : Math.round(v * 100) + "% won") : v + " battles");
        cells.push(A.el("td", { title: tip }, [A.el("div", { style: "background:" + bg, text: text })]));
      }
      trs.push(A.el("tr", null, cells));
    }
    box.replaceChildren(A.el("table", { class: "heat" }, [head, A.el("tbody", null, trs)]));
  }

  function renderExtras(b) {
    var box = $("extras");
    var parts = [];
    parts.push(A.el("p", { text: A.plural(b.total_votes, "counted vote") + ". Rank = 1 + the number of models whose interval lies entirely above this one." }));
    var coefs = b.style_coefficients || {};
    var keys = Object.keys(coefs);
    if (keys.length) {
      parts.push(A.el("p", { text: "Style coefficients (how much formatting buys): " + keys.map(function (k) { return k + " " + (+coefs[k]).toFixed(3); }).join(", ") }));
    }
    if (b.unrated && b.unrated.length) {
      parts.push(A.el("p", { text: "Not comparable with the rest yet (no battles linking them): " + b.unrated.join(", ") }));
    }
    var names = {};
    b.rows.forEach(function (r) { names[r.model] = r.display_name; });
    var fragile = (b.fragile_pairs || []).filter(function (p) { return !p.tied && p.votes_to_swap !== null; }).slice(0, 3);
    if (fragile.length) {
      parts.push(A.el("p", { text: "Fragility: " + fragile.map(function (p) {
        return (names[p.upper] || p.upper) + " stays above " + (names[p.lower] || p.lower) + " unless ~" + Math.ceil(p.votes_to_swap) + " votes change";
      }).join("; ") + "." }));
    }
    box.replaceChildren.apply(box, parts);
    $("method").textContent = b.method;
  }

  function render(b) {
    board = b;
    $("total-votes").textContent = b.total_votes;
    renderHeadline(b.headline || {}, b.rows);
    renderTable(b.rows);
    renderForest(b.rows);
    renderMatrix("winmatrix", b.matrix, "rate");
    renderMatrix("countmatrix", b.matrix, "count");
    renderExtras(b);
  }

  render(board);
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { renderForest(board.rows); }, 150);
  });

  // Live: poll the JSON API; re-render only when the vote count changed.
  var qs = new URLSearchParams(query).toString();
  async function poll() {
    if (document.hidden) return;
    var res = await A.api("GET", "/api/leaderboard" + (qs ? "?" + qs : ""));
    if (res.ok && res.data.total_votes !== board.total_votes) {
      render(res.data);
      var live = $("live");
      live.classList.remove("flash"); void live.offsetWidth; live.classList.add("flash");
    }
  }
  setInterval(poll, 4000);
  document.addEventListener("visibilitychange", poll);
})();
