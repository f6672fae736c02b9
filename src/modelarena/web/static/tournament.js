// The tournament page: start one, wait for all four answers, vote match by match, show the ranking.
(function () {
  "use strict";
  var A = window.Arena;
  var $ = function (id) { return document.getElementById(id); };
  var current = null;  // the tournament id
  var shown = null;    // the match position on screen
  var busy = false;

  var VERDICTS = { a: "A better", b: "B better", tie: "tie", both_bad: "both bad" };
  var STAGES = { round1: "Round 1", winners: "Winners' match", losers: "Losers' match" };

  function error(text) { A.showError($("t-error"), text); }

  function fill(node, answer) { A.fillAnswer(node, answer, true); }

  function show(state) {
    $("t-session").hidden = false;
    var status = $("t-status");
    $("t-match").hidden = true;
    $("t-ranking").hidden = true;
    if (state.status === "generating") {
      status.textContent = "Writing four answers: " + state.answers_ready + " of 4 ready. The first pair appears when all four are done.";
      setTimeout(poll, 800);
      return;
    }
    if (state.status === "failed") {
      status.textContent = "A model failed to answer, so this tournament stopped. Start a new one.";
      return;
    }
    if (state.status === "voting" && state.match) {
      status.textContent = "Vote " + (state.votes_given + 1) + " of " + state.votes_total + ".";
      shown = state.match.position;
      $("t-match-label").textContent = state.match.label + ", match " + (state.match.position % 2 + 1) + " of 2";
      fill($("t-answer-a"), state.match.a);
      fill($("t-answer-b"), state.match.b);
      $("t-match").hidden = false;
      return;
    }
    if (state.status === "done" && state.ranking) {
      status.textContent = "All " + state.votes_total + " votes given.";
      var list = $("t-ranking-list");
      list.textContent = "";
      state.ranking.forEach(function (r) {
        list.appendChild(A.el("li", { "data-place": String(r.place) }, [
          A.el("strong", { text: "#" + r.place + " " }),
          A.el("a", { href: "/models/" + encodeURIComponent(r.model.id), text: r.model.display_name }),
          " ",
          r.model.lab ? A.el("span", { class: "pill", text: r.model.lab }) : null
        ]));
      });
      var matches = $("t-matches");
      matches.textContent = "";
      state.matches.forEach(function (m) {
        matches.appendChild(A.el("li", { text: STAGES[m.stage] + ": " + m.a + " v " + m.b + " — " + VERDICTS[m.verdict] }));
      });
      $("t-ranking").hidden = false;
    }
  }

  async function poll() {
    if (!current) return;
    var res = await A.api("GET", "/api/tournaments/" + current);
    if (!res.ok) { error(res.message); return; }
    show(res.data);
  }

  $("t-composer").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    if (busy) return;
    error("");
    busy = true;
    var res = await A.api("POST", "/api/tournaments", { prompt: $("t-prompt").value, category: $("t-category").value });
    busy = false;
    if (!res.ok) { error(res.message); return; }
    current = res.data.id;
    $("t-composer").hidden = true;
    poll();
  });

  Array.prototype.forEach.call(document.querySelectorAll("#t-match .vote-btn"), function (btn) {
    btn.addEventListener("click", async function () {
      if (busy || !current) return;
      busy = true;
      var res = await A.api("POST", "/api/tournaments/" + current + "/vote",
                            { verdict: btn.getAttribute("data-verdict"), position: shown });
      busy = false;
      if (!res.ok) { $("t-status").textContent = res.message; return; }
      show(res.data);
    });
  });

  $("t-again").addEventListener("click", function () {
    current = null;
    $("t-session").hidden = true;
    $("t-composer").hidden = false;
    $("t-prompt").value = "";
  });
})();
