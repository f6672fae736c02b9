// The arena page: start a battle, stream both answers (one SSE stream), vote, reveal.
(function () {
  "use strict";
  var A = window.Arena;
  var $ = function (id) { return document.getElementById(id); };

  var form = $("composer"), promptBox = $("prompt"), sendBtn = $("send-btn");
  var formError = $("form-error"), battleEl = $("battle"), turnsEl = $("turns");
  var votebar = $("votebar"), resultEl = $("result"), failureEl = $("failure");
  var flagNotice = $("flag-notice"), followForm = $("followup"), followInput = $("followup-input");
  var tpl = $("turn-tpl");

  var VERDICT_TEXT = { a: "A is better", b: "B is better", tie: "Tie", both_bad: "Both are bad" };
  var REASONS = {
    identity_leak: "an answer said which model or lab wrote it, so the battle was not blind",
    not_anonymous: "the models had already been revealed",
    battle_failed: "a model failed to answer",
    banned_voter: "this session may not vote",
    flagged_voter: "this session's votes are under review",
    prompt_cap: "this prompt already has many votes",
    rate_limited: "too many votes from this session"
  };

  var state = null;

  function newState(prompt, category, design) {
    return { id: null, firstPrompt: prompt, category: category, design: design, es: null,
             turn: null, phase: "idle", timer: null };
  }

  // ------------------------------------------------------------ category picker
  var cats = form.querySelectorAll(".cat");
  function selectedCategory() {
    var checked = form.querySelector('input[name="category"]:checked');
    return { id: checked.value, design: checked.closest(".cat").dataset.design === "true",
             example: checked.dataset.example };
  }
  cats.forEach(function (label) {
    label.querySelector("input").addEventListener("change", function () {
      cats.forEach(function (l) { l.classList.toggle("is-checked", l.querySelector("input").checked); });
      var c = selectedCategory();
      promptBox.placeholder = c.design ? "Describe what to build — e.g. " + c.example : "Ask both models anything…";
    });
  });
  $("example-btn").addEventListener("click", function () {
    promptBox.value = selectedCategory().example;
    promptBox.focus();
  });

  // ------------------------------------------------------------------ panes
  function addTurn(prompt, design) {
    var node = tpl.content.firstElementChild.cloneNode(true);
    node.querySelector(".turn-prompt-text").textContent = prompt;
    var panes = {};
    node.querySelectorAll(".pane").forEach(function (pane) {
      var side = pane.dataset.side;
      panes[side] = {
        el: pane, answer: pane.querySelector(".answer"), design: pane.querySelector(".design"),
        frame: pane.querySelector(".design-frame"), code: pane.querySelector(".code"),
        codeInner: pane.querySelector(".code code"), tok: pane.querySelector(".tok"),
        secs: pane.querySelector(".secs"), error: pane.querySelector(".pane-error"),
        codeBtn: pane.querySelector(".code-toggle"), fsBtn: pane.querySelector(".fullscreen"),
        text: "", tokens: 0, done: false, rendered: false
      };
      wirePaneTools(panes[side]);
    });
    turnsEl.appendChild(node);
    var turn = { el: node, panes: panes, design: design, started: performance.now() };
    resetTurn(turn);
    return turn;
  }

  function resetTurn(turn) {
    ["a", "b"].forEach(function (side) {
      var p = turn.panes[side];
      p.text = ""; p.tokens = 0; p.done = false; p.rendered = false;
      p.el.dataset.state = "streaming";
      p.tok.textContent = "0"; p.secs.textContent = "0.0";
      p.error.hidden = true;
      p.answer.className = "answer md";
      p.answer.replaceChildren();
      var sk = A.el("div", { class: "skeleton" }, [A.el("span"), A.el("span"), A.el("span")]);
      p.answer.appendChild(sk);
      p.answer.hidden = false;
      p.design.hidden = true;
      p.code.hidden = true;
      p.code.classList.remove("live");
      p.codeInner.textContent = "";
      p.el.classList.remove("show-code");
      p.codeBtn.hidden = true; p.fsBtn.hidden = true;
    });
    turn.started = performance.now();
  }

  function wirePaneTools(p) {
    p.codeBtn.addEventListener("click", function () {
      var on = !p.el.classList.contains("show-code");
      p.el.classList.toggle("show-code", on);
      p.code.hidden = !on;
      p.codeBtn.setAttribute("aria-pressed", on ? "true" : "false");
    });
    p.fsBtn.addEventListener("click", function () { toggleFullscreen(p.el); });
  }

  function toggleFullscreen(pane) {
    var on = !pane.classList.contains("fullscreen");
    document.querySelectorAll(".pane.fullscreen").forEach(function (x) { x.classList.remove("fullscreen"); });
    var backdrop = document.querySelector(".fs-backdrop");
    if (backdrop) backdrop.remove();
    document.body.classList.toggle("has-fullscreen", on);
    if (on) {
      pane.classList.add("fullscreen");
      backdrop = A.el("div", { class: "fs-backdrop" });
      backdrop.addEventListener("click", function () { toggleFullscreen(pane); });
      document.body.appendChild(backdrop);
    }
  }

  function tick() {
    if (!state || !state.turn) return;
    var t = (performance.now() - state.turn.started) / 1000;
    ["a", "b"].forEach(function (side) {
      var p = state.turn.panes[side];
      if (!p.done) p.secs.textContent = t.toFixed(1);
    });
  }

  // ----------------------------------------------------------------- stream
  function openStream(url) {
    if (state.es) state.es.close();
    var es = new EventSource(url);
    state.es = es;
    state.phase = "streaming";
    clearInterval(state.timer);
    state.timer = setInterval(tick, 100);
    var on = function (name, fn) {
      es.addEventListener(name, function (ev) { fn(JSON.parse(ev.data)); });
    };
    on("start", function (d) {
      state.turn.design = !!d.design;
      if (d.prompt) state.turn.el.querySelector(".turn-prompt-text").textContent = d.prompt;
      resetTurn(state.turn);
    });
    on("delta", function (d) {
      var p = state.turn.panes[d.side];
      p.tokens = d.tokens;
      p.tok.textContent = d.tokens;
      if (!d.text) return;
      p.text += d.text;
      if (state.turn.design) {
        p.answer.hidden = true;
        p.code.hidden = false;
        p.code.classList.add("live");
        p.codeInner.textContent = p.text;
        p.code.scrollTop = p.code.scrollHeight;
      } else if (!p.rendered) {
        p.answer.classList.add("streaming-text", "cursor");
        p.answer.textContent = p.text;
      }
    });
    on("render", function (d) {
      var p = state.turn.panes[d.side];
      if (p.done) return;
      p.rendered = true;
      p.answer.classList.remove("streaming-text");
      p.answer.classList.add("cursor");
      p.answer.innerHTML = d.html; // sanitised on the server (markdown-it, html off, then nh3)
    });
    on("side_done", function (d) { finishSide(state.turn.panes[d.side], d); });
    on("done", function (d) {
      es.close();
      clearInterval(state.timer);
      onTurnDone(d);
    });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED && state.phase === "streaming") {
        es.close();
        clearInterval(state.timer);
        showFailure("The connection to the server was lost.");
      }
    };
  }

  function finishSide(p, d) {
    p.done = true;
    p.el.dataset.state = d.ok ? "done" : "error";
    p.tok.textContent = d.tokens || 0;
    if (d.elapsed_s !== null && d.elapsed_s !== undefined) p.secs.textContent = (+d.elapsed_s).toFixed(1);
    p.answer.classList.remove("cursor", "streaming-text");
    if (d.kind === "design") {
      p.answer.hidden = true;
      p.code.classList.remove("live");
      p.codeInner.innerHTML = "";
      p.codeInner.textContent = d.code || p.text;
      p.code.hidden = true;
      p.design.hidden = false;
      // its own address and policy; sandbox="allow-scripts", never allow-same-origin
      if (p.frame.getAttribute("src") !== d.src) p.frame.src = d.src;
      p.codeBtn.hidden = false; p.fsBtn.hidden = false;
      p.codeBtn.setAttribute("aria-pressed", "false");
    } else if (d.kind === "chat") {
      p.answer.innerHTML = d.html; // sanitised on the server
      if (!p.text.trim() && d.ok) p.answer.appendChild(A.el("p", { class: "faint", text: "(empty answer)" }));
    }
    if (d.error) {
      p.error.textContent = d.error;
      p.error.hidden = false;
      if (!p.text) p.answer.replaceChildren();
    }
    var cutNote = p.el.querySelector(".cut-note");
    if (d.cut && !cutNote) {
      p.el.appendChild(A.el("p", { class: "cut-note faint", text: "Cut at its length limit: the model had not finished." }));
    } else if (!d.cut && cutNote) {
      cutNote.remove();
    }
  }

  function onTurnDone(d) {
    if (d.status === "failed") {
      state.phase = "failed";
      showFailure(d.error || "A model failed to answer.");
      return;
    }
    state.phase = "voting";
    flagNotice.hidden = !d.flagged;
    if (d.can_vote) {
      votebar.hidden = false;
      setVoting(false);
    }
  }

  function showFailure(text) {
    state.phase = "failed";
    ["a", "b"].forEach(function (side) {
      var p = state.turn && state.turn.panes[side];
      if (p && !p.done) { p.done = true; p.el.dataset.state = "error"; p.answer.replaceChildren(); }
    });
    $("failure-text").textContent = text + " Nothing was counted; you can retry the same prompt with a fresh pair.";
    failureEl.hidden = false;
    votebar.hidden = true;
  }

  // ------------------------------------------------------------ start / turn
  async function start(prompt, category, design) {
    if (state && state.es) state.es.close();
    formError.hidden = true;
    sendBtn.disabled = true;
    var res = await A.api("POST", "/api/battles", { prompt: prompt, category: category });
    sendBtn.disabled = false;
    if (!res.ok) {
      formError.textContent = res.message;
      formError.hidden = false;
      return;
    }
    reset();
    state = newState(prompt, category, design);
    state.id = res.data.id;
    document.body.classList.add("battling");
    battleEl.hidden = false;
    battleEl.dataset.battleId = state.id;
    state.turn = addTurn(prompt, design);
    form.hidden = true;
    history.replaceState(null, "", "#b=" + state.id); // a reload resumes this battle
    openStream(res.data.stream_url);
    window.scrollTo({ top: 0 });
  }

  function reset() {
    if (state) { clearInterval(state.timer); if (state.es) state.es.close(); }
    turnsEl.replaceChildren();
    votebar.hidden = true; resultEl.hidden = true; failureEl.hidden = true; flagNotice.hidden = true;
    followInput.value = "";
    var backdrop = document.querySelector(".fs-backdrop");
    if (backdrop) backdrop.remove();
    document.body.classList.remove("has-fullscreen");
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = promptBox.value.trim();
    if (!text) {
      formError.textContent = "Write a prompt first.";
      formError.hidden = false;
      promptBox.focus();
      return;
    }
    var c = selectedCategory();
    start(text, c.id, c.design);
  });
  promptBox.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  followForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var text = followInput.value.trim();
    if (!text || !state || state.phase !== "voting") return;
    setVoting(true);
    var res = await A.api("POST", "/api/battles/" + state.id + "/turns", { prompt: text });
    if (!res.ok) {
      setVoting(false);
      followInput.setCustomValidity(res.message);
      followInput.reportValidity();
      setTimeout(function () { followInput.setCustomValidity(""); }, 3000);
      return;
    }
    followInput.value = "";
    votebar.hidden = true;
    state.turn = addTurn(text, state.design);
    state.turn.el.scrollIntoView({ behavior: "smooth", block: "start" });
    openStream(res.data.stream_url);
  });

  $("retry-btn").addEventListener("click", function () {
    if (state) start(state.firstPrompt, state.category, state.design);
  });
  $("new-btn").addEventListener("click", newBattle);

  function newBattle() {
    history.replaceState(null, "", location.pathname);
    reset();
    state = null;
    battleEl.hidden = true;
    form.hidden = false;
    document.body.classList.remove("battling");
    promptBox.value = "";
    window.scrollTo({ top: 0 });
    promptBox.focus();
  }

  // ------------------------------------------------------------------- vote
  function setVoting(busy) {
    votebar.querySelectorAll("button, input").forEach(function (b) { b.disabled = busy; });
  }

  async function vote(verdict) {
    if (!state || state.phase !== "voting") return;
    state.phase = "voting-sent";
    setVoting(true);
    var res = await A.api("POST", "/api/battles/" + state.id + "/vote", { verdict: verdict });
    if (!res.ok) {
      state.phase = "voting";
      setVoting(false);
      $("failure-text").textContent = res.message;
      if (res.status === 409) { votebar.hidden = true; }
      var note = A.el("div", { class: "notice notice-bad", role: "alert", text: res.message });
      votebar.prepend(note);
      setTimeout(function () { note.remove(); }, 5000);
      return;
    }
    state.phase = "revealed";
    votebar.hidden = true;
    showReveal(res.data.reveal, res.data);
  }

  votebar.querySelectorAll(".vote-btn").forEach(function (b) {
    b.addEventListener("click", function () { vote(b.dataset.verdict); });
  });

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable);
    if (ev.key === "Escape") {
      var fs = document.querySelector(".pane.fullscreen");
      if (fs) toggleFullscreen(fs);
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (state && state.phase === "voting" && !votebar.hidden) {
      var verdict = { "1": "a", "2": "b", "3": "tie", "4": "both_bad" }[ev.key];
      if (verdict) { ev.preventDefault(); vote(verdict); }
    } else if (state && state.phase === "revealed" && (ev.key === "n" || ev.key === "N")) {
      ev.preventDefault();
      newBattle();
    }
  });

  // ----------------------------------------------------------------- reveal
  function showReveal(reveal, voteResult) {
    if (!reveal) return;
    var turnsNodes = turnsEl.querySelectorAll(".turn");
    ["a", "b"].forEach(function (side) {
      var info = reveal[side];
      var m = info.model;
      turnsNodes.forEach(function (node) {
        var pane = node.querySelector('.pane[data-side="' + side + '"]');
        var nameEl = pane.querySelector(".pane-name");
        nameEl.replaceChildren(A.el("a", { href: "/models/" + encodeURIComponent(m.id), text: m.display_name }));
        var won = reveal.verdict === side;
        pane.dataset.winner = won ? "true" : "false";
      });
      var first = turnsNodes[0].querySelector('.pane[data-side="' + side + '"] .reveal-info');
      var facts = [
        m.lab ? A.el("span", { class: "pill", text: m.lab }) : null,
        m.country ? A.el("span", { class: "pill", text: A.country(m.country) }) : null,
        m.open_weights === null ? null : A.el("span", { class: "pill " + (m.open_weights ? "pill-open" : "pill-closed"),
          text: m.open_weights ? "Open weights" : "Closed weights" }),
        m.license ? A.el("span", { class: "pill", text: m.license }) : null
      ];
      var stats = (info.completion_tokens || 0) + " tokens · " + (+info.time_s).toFixed(1) + " s · " +
        (info.cost_note ? info.cost_note : info.cost_usd === null ? "cost unknown" : A.money(info.cost_usd) + " est. cost");
      var children = [
        A.el("div", { class: "reveal-facts" }, facts),
        A.el("div", { class: "reveal-stats", text: stats })
      ];
      if (m.description) children.push(A.el("p", { class: "reveal-desc", text: m.description }));
      var reasoning = (info.reasoning || []).filter(function (r) { return r && r.trim(); });
      if (reasoning.length) {
        children.push(A.el("details", { class: "reasoning" }, [
          A.el("summary", { text: "Reasoning trace" }), A.el("pre", { text: reasoning.join("\n\n---\n\n") })]));
      }
      first.replaceChildren.apply(first, children);
      first.hidden = false;
    });
    var text = "You voted “" + VERDICT_TEXT[voteResult.verdict] + "”. ";
    text += voteResult.counted ? "Your vote counts towards the leaderboard."
                               : "Your vote was stored but not counted: " + (REASONS[voteResult.not_counted_reason] || voteResult.not_counted_reason) + ".";
    $("result-text").textContent = text;
    resultEl.hidden = false;
    $("new-btn").focus({ preventScroll: true });
  }

  // ----------------------------------------------------------------- resume
  // After a reload the URL still names the battle (#b=<id>): show it again, follow a turn
  // still being generated, and offer the vote if it is still open.
  async function resume(id) {
    var res = await A.api("GET", "/api/battles/" + encodeURIComponent(id));
    if (!res.ok) { history.replaceState(null, "", location.pathname); return false; }
    var view = res.data;
    var first = view.turns.length ? view.turns[0].prompt : "";
    state = newState(first, view.category, view.design);
    state.id = view.id;
    document.body.classList.add("battling");
    battleEl.hidden = false;
    battleEl.dataset.battleId = view.id;
    form.hidden = true;
    view.turns.forEach(function (t) {
      var turn = addTurn(t.prompt, view.design);
      ["a", "b"].forEach(function (side) {
        var ans = t[side];
        var data = ans ? Object.assign({ side: side, elapsed_s: ans.time_s }, ans)
                       : { side: side, ok: false, error: "No answer." };
        turn.panes[side].text = ans ? ans.content : "";
        finishSide(turn.panes[side], data);
      });
      state.turn = turn;
    });
    if (view.generating || view.status === "pending") {
      state.turn = addTurn("", view.design); // the turn in progress (not stored yet)
      openStream("/api/battles/" + view.id + "/stream");
      return true;
    }
    if (view.status === "failed") { showFailure(view.failure || "A model failed to answer."); return true; }
    if (view.reveal) {
      state.phase = "revealed";
      showReveal(view.reveal, { verdict: view.reveal.verdict, counted: view.reveal.counted,
                                not_counted_reason: view.reveal.not_counted_reason });
      return true;
    }
    state.phase = "voting";
    flagNotice.hidden = !view.flagged;
    votebar.hidden = !view.can_vote;
    return true;
  }

  var match = /^#b=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  if (match) resume(match[1]);
  else promptBox.focus();
})();
