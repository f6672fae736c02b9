// A campaign page: served prompts to vote on (invited voters), the board as it fills, the
// decision, and for the owner the invites and prompts. Everything goes through /api/c/<token>.
(function () {
  "use strict";
  var A = window.Arena;
  var $ = function (id) { return document.getElementById(id); };
  var root = $("c-root");
  if (!root) return;
  var token = root.getAttribute("data-token");
  var isPublic = root.getAttribute("data-public") === "true";
  var isOwner = root.getAttribute("data-owner") === "true";
  var base = isPublic ? "/api/campaigns/" + encodeURIComponent(root.getAttribute("data-name")) : "/api/c/" + token;
  var battle = null;
  var tournament = null;  // {id, position} while a four-model tournament is on screen
  var busy = false;
  var language = "";

  function error(text) { A.showError($("c-error"), text); }

  function fill(node, answer) { A.fillAnswer(node, answer); }

  // two anonymous answers side by side, and the vote bar ready
  function showPair(a, b) {
    fill($("c-answer-a"), a);
    fill($("c-answer-b"), b);
    $("c-panes").hidden = false;
    $("c-votebar").hidden = false;
    document.querySelectorAll("#c-votebar .vote-btn").forEach(function (x) { x.disabled = false; });
  }

  function showStatus(s) {
    $("c-verdict").textContent = (s.stop_now ? "Stop now: " : "") + s.decision;
    root.setAttribute("data-stop-now", s.stop_now ? "true" : "false");
    var sep = s.separation;
    $("c-separation").textContent = sep
      ? (s.display_names[sep.first] || sep.first) + " − " + (s.display_names[sep.second] || sep.second) + ": " +
        sep.difference.toFixed(0) + " points, " + Math.round(sep.confidence * 100) + "% CI " + sep.lower.toFixed(0) + " to " + sep.upper.toFixed(0) +
        " (n = " + sep.votes + ")"
      : "";
    var mine = s.my_votes !== undefined ? "You have voted " + A.plural(s.my_votes, "time") : "";
    if (s.votes_left !== undefined && s.votes_left !== null) mine += "; " + A.plural(s.votes_left, "vote") + " left on this link";
    var done = s.progress.filter(function (p) { return p.done; }).length;
    var target = s.target_votes ? s.target_votes + " votes per model" : "95% intervals ≤ " + s.target_width + " points";
    $("c-progress").textContent = (mine ? mine + ". " : "") + done + " of " + s.progress.length +
      " models at the target (" + target + ").";
    $("c-votes").textContent = "(" + A.plural(s.total_votes, "vote") + ")";
    var select = $("c-language");
    if (select.options.length === 1) {
      Object.keys(s.languages).sort().forEach(function (code) {
        select.appendChild(A.el("option", { value: code, text: code + " (" + A.plural(s.languages[code], "prompt") + ")" }));
      });
    }
    var progress = {};
    s.progress.forEach(function (p) { progress[p.model] = p; });
    var body = $("c-board").querySelector("tbody");
    body.textContent = "";
    s.board.forEach(function (row) {
      var p = progress[row.model];
      var ci = row.ci_lower === null ? "not enough votes" : row.ci_lower.toFixed(0) + "–" + row.ci_upper.toFixed(0);
      body.appendChild(A.el("tr", { "data-model": row.model }, [
        A.el("td", { text: row.rank === null ? "–" : String(row.rank) }),
        A.el("td", { text: row.display_name }),
        A.el("td", { text: row.rating.toFixed(0) }),
        A.el("td", { text: ci }),
        A.el("td", { text: String(row.votes) }),
        A.el("td", { text: p && p.done ? "done" : "" })
      ]));
    });
    $("c-method").textContent = s.method;
    if ($("c-tournament")) $("c-tournament").hidden = s.models.length < 4 || s.stop_now;
    if (isOwner) showOwner(s);
  }

  function showOwner(s) {
    var list = $("c-invites");
    list.textContent = "";
    s.invites.forEach(function (inv) {
      var text = (inv.label || "invite " + inv.id.slice(0, 6)) + ": " + A.plural(inv.votes, "vote") +
        (inv.votes_limit ? " of " + inv.votes_limit : "") + (inv.revoked ? " (revoked)" : "");
      var item = A.el("li", null, [text + " "]);
      if (!inv.revoked) {
        var button = A.el("button", { type: "button", class: "btn btn-ghost", text: "Revoke" });
        button.addEventListener("click", async function () {
          var r = await A.api("POST", base + "/invites/" + inv.id + "/revoke");
          if (!r.ok) error(r.message); else refresh();
        });
        item.appendChild(button);
      }
      list.appendChild(item);
    });
    var prompts = $("c-prompts");
    prompts.textContent = "";
    s.prompt_list.forEach(function (p) {
      prompts.appendChild(A.el("li", null, [A.el("span", { class: "faint", text: "[" + p.language + "] " }), p.prompt]));
    });
    $("c-publish").textContent = s.published ? "Make private" : "Publish the board";
    $("c-publish").setAttribute("data-value", s.published ? "false" : "true");
    $("c-stop").textContent = s.stopped ? "Resume" : "Stop the campaign";
    $("c-stop").setAttribute("data-value", s.stopped ? "false" : "true");
  }

  async function refresh() {
    var r = await A.api("GET", base + (language ? "?language=" + encodeURIComponent(language) : ""));
    if (!r.ok) { error(r.message); return; }
    showStatus(r.data);
  }

  function showBattle(b) {
    battle = b;
    $("c-prompt").textContent = b.prompt;
    $("c-next").hidden = true;
    $("c-name-a").textContent = "";
    $("c-name-b").textContent = "";
    if (b.status === "complete") {
      $("c-status").textContent = "";
      showPair(b.a, b.b);
    } else if (b.status === "failed") {
      $("c-status").textContent = "A model failed to answer; here is another prompt.";
      next();
    } else {
      $("c-status").textContent = "Both models are answering…";
      $("c-panes").hidden = true;
      $("c-votebar").hidden = true;
      setTimeout(poll, 400);
    }
  }

  async function poll() {
    if (!battle) return;
    var r = await A.api("GET", base + "/battles/" + battle.id);
    if (!r.ok) { error(r.message); return; }
    showBattle(r.data);
  }

  async function next() {
    error("");
    tournament = null;
    var r = await A.api("POST", base + "/next");
    if (!r.ok) {
      $("c-status").textContent = r.code === "vote_limit" || r.code === "campaign_stopped" ? r.message : "";
      $("c-panes").hidden = true;
      $("c-votebar").hidden = true;
      $("c-next").hidden = true;
      if (r.code !== "vote_limit" && r.code !== "campaign_stopped") error(r.message);
      return;
    }
    showBattle(r.data);
  }

  function showTournament(t) {
    $("c-panes").hidden = true;
    $("c-votebar").hidden = true;
    if (t.status === "generating") {
      $("c-status").textContent = "Four models are answering… (" + t.answers_ready + " of 4 ready)";
      setTimeout(pollTournament, 400);
    } else if (t.status === "voting" && t.match) {
      tournament.position = t.match.position;
      $("c-status").textContent = t.match.label + ": vote " + (t.votes_given + 1) + " of " + t.votes_total;
      $("c-prompt").textContent = t.prompt;
      $("c-name-a").textContent = "";
      $("c-name-b").textContent = "";
      showPair(t.match.a, t.match.b);
    } else if (t.status === "done") {
      tournament = null;
      $("c-status").textContent = "The ranking: " + t.ranking.map(function (r) {
        return r.place + ". " + r.model.display_name; }).join(", ");
      $("c-next").hidden = false;
      refresh();
    } else {
      tournament = null;
      $("c-status").textContent = "A model failed to answer; try again.";
      $("c-next").hidden = false;
    }
  }

  async function pollTournament() {
    if (!tournament) return;
    var r = await A.api("GET", base + "/tournaments/" + tournament.id);
    if (!r.ok) { error(r.message); return; }
    showTournament(r.data);
  }

  async function startTournament() {
    error("");
    battle = null;
    $("c-next").hidden = true;
    var r = await A.api("POST", base + "/tournaments");
    if (!r.ok) { error(r.message); $("c-next").hidden = false; return; }
    tournament = { id: r.data.id, position: null };
    $("c-prompt").textContent = r.data.prompt;
    pollTournament();
  }

  async function vote(verdict) {
    if (tournament) {
      if (busy) return;
      busy = true;
      document.querySelectorAll("#c-votebar .vote-btn").forEach(function (x) { x.disabled = true; });
      var t = await A.api("POST", base + "/tournaments/" + tournament.id + "/vote",
                          { verdict: verdict, position: tournament.position });
      busy = false;
      if (!t.ok) { error(t.message); return; }
      showTournament(t.data);
      return;
    }
    if (busy || !battle) return;
    busy = true;
    document.querySelectorAll("#c-votebar .vote-btn").forEach(function (x) { x.disabled = true; });
    var r = await A.api("POST", base + "/battles/" + battle.id + "/vote", { verdict: verdict });
    busy = false;
    if (!r.ok) { error(r.message); return; }
    $("c-name-a").textContent = r.data.reveal.a;
    $("c-name-b").textContent = r.data.reveal.b;
    $("c-votebar").hidden = true;
    $("c-next").hidden = false;
    $("c-status").textContent = "Thank you. Your vote " + (r.data.counted ? "counts." : "was stored but does not count.");
    await refresh();
  }

  $("c-language").addEventListener("change", function (e) { language = e.target.value; refresh(); });
  if (!isPublic && !isOwner) {
    document.querySelectorAll("#c-votebar .vote-btn").forEach(function (button) {
      button.addEventListener("click", function () { vote(button.getAttribute("data-verdict")); });
    });
    $("c-next").addEventListener("click", next);
    $("c-tournament").addEventListener("click", startTournament);
    next();
  }
  if (isOwner) {
    $("c-invite-form").addEventListener("submit", async function (e) {
      e.preventDefault();
      var limit = parseInt($("c-limit").value, 10);
      var r = await A.api("POST", base + "/invites", { votes_limit: isNaN(limit) ? null : limit, label: $("c-label").value || null });
      if (!r.ok) { error(r.message); return; }
      $("c-new-link").textContent = location.origin + r.data.url;
      refresh();
    });
    $("c-prompt-form").addEventListener("submit", async function (e) {
      e.preventDefault();
      var r = await A.api("POST", base + "/prompts", { text: $("c-new-prompts").value });
      if (!r.ok) { error(r.message); return; }
      $("c-new-prompts").value = "";
      refresh();
    });
    ["c-publish", "c-stop"].forEach(function (id) {
      $(id).addEventListener("click", async function () {
        var path = id === "c-publish" ? "/publish" : "/stop";
        var r = await A.api("POST", base + path, { value: $(id).getAttribute("data-value") === "true" });
        if (!r.ok) error(r.message); else refresh();
      });
    });
  }
  refresh();
  setInterval(refresh, 15000);
})();
