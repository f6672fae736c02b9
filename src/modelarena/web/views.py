"""What the web shows of a battle, before and after the reveal, as plain dicts.

Everything the browser receives about a battle is built here, so the anonymity rule has
one home: :func:`battle_view` never reads ``model_a``/``model_b`` unless the battle has
been revealed, and :func:`reveal_view` refuses while it is still anonymous.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelarena.battles.categories import CATEGORIES, get_category
from modelarena.battles.records import Answer, Battle, BattleStatus, VoteRecord
from modelarena.store import HUMAN
from modelarena.web.render import design_url, extract_design, render_markdown

if TYPE_CHECKING:
    from modelarena.arena import Arena

# Failure codes (stored with the answer) -> what the user reads. Never the backend's own
# message: it could carry a path, a host or a model name.
ERROR_MESSAGES = {
    "timeout": "The model took too long to answer.",
    "rate_limited": "The model's provider is rate limiting us right now.",
    "server_error": "The model's server returned an error.",
    "malformed_stream": "The model's answer arrived garbled.",
    "auth": "The model's provider refused our credentials.",
    "unavailable": "The model is not available right now.",
    "backend_error": "The model failed unexpectedly.",
    "lost": "This turn was interrupted (the server stopped while generating it).",
}


def error_message(code: str | None) -> str:
    return ERROR_MESSAGES.get(code or "", "The model failed to answer.")


def rendered(category_id: str, content: str) -> dict[str, Any]:
    """The safe renderings of one answer: HTML for chat; the code for designs (the document
    itself is served at its own address, see :func:`answer_view`)."""
    category = CATEGORIES.get(category_id)
    if category is not None and category.design:
        code, lang = extract_design(content)
        return {"kind": "design", "code": code, "lang": lang}
    return {"kind": "chat", "html": render_markdown(content)}


def answer_view(category: str, answer: Answer | None, battle_id: str) -> dict[str, Any] | None:
    if answer is None:
        return None
    out: dict[str, Any] = {
        "content": answer.content,
        # without reasoning tokens: before the vote they would tell a reasoning model apart
        "tokens": answer.answer_tokens,
        "time_s": answer.time_s,  # the one duration, as the reveal shows it
        "ok": answer.error is None,
        "cut": answer.cut,  # stopped at its length limit, not where the model meant to end
        "error": error_message(answer.error) if answer.error else None,
    }
    out.update(rendered(category, answer.content))
    if out["kind"] == "design":
        out["src"] = design_url(battle_id, answer.turn, answer.side)
    return out


def has_human_vote(arena: Arena, battle_id: str) -> bool:
    return any(v.source == HUMAN for v in arena.store.votes_for_battle(battle_id))


def battle_view(arena: Arena, battle: Battle, *, owner: bool) -> dict[str, Any]:
    """A battle as the API and pages show it. Identities only once it is revealed."""
    voted = has_human_vote(arena, battle.id)
    category = get_category(battle.category)
    turns = []
    for t in range(battle.turns):
        a, b = battle.answer(t, "a"), battle.answer(t, "b")
        first = a or b
        prompt = first.prompt if first is not None else ""
        turns.append(
            {
                "turn": t,
                "prompt": prompt,
                "a": answer_view(battle.category, a, battle.id),
                "b": answer_view(battle.category, b, battle.id),
            }
        )
    view: dict[str, Any] = {
        "id": battle.id,
        "category": battle.category,
        "category_label": category.label,
        "design": category.design,
        "created_at": battle.created_at.isoformat(),
        "status": battle.status.value,
        "anonymous": battle.anonymous,
        "flagged": battle.identity_leak is not None,
        "voted": voted,
        "can_vote": owner and battle.anonymous and not voted and battle.complete,
        "can_follow_up": owner
        and battle.anonymous
        and not voted
        and battle.status is BattleStatus.COMPLETE,
        "failure": error_message(battle.failure_reason)
        if battle.status is BattleStatus.FAILED
        else None,
        "turns": turns,
        "reveal": reveal_view(arena, battle) if is_revealed(arena, battle, voted) else None,
    }
    return view


def is_revealed(arena: Arena, battle: Battle, voted: bool | None = None) -> bool:
    """Identities may be shown once the battle is revealed or has a person's vote (an
    imported battle keeps its anonymous flag: it was voted on blind)."""
    if not battle.anonymous:
        return True
    return has_human_vote(arena, battle.id) if voted is None else voted


def model_card(arena: Arena, model_id: str) -> dict[str, Any]:
    info = arena.model_info(model_id)
    card = info.to_dict()
    card.pop("backend", None)
    return card


def reveal_view(arena: Arena, battle: Battle, vote: VoteRecord | None = None) -> dict[str, Any]:
    """Who was who, with each side's tokens, time, cost and reasoning. After the vote only.

    ``vote``: the human vote just stored, which reveals the battle (saves two queries)."""
    if vote is None:
        if not is_revealed(arena, battle):
            raise ValueError("the battle is still anonymous")
        votes = [v for v in arena.store.votes_for_battle(battle.id) if v.source == HUMAN]
        vote = votes[0] if votes else None
    sides: dict[str, Any] = {}
    for side, model_id in (("a", battle.model_a), ("b", battle.model_b)):
        info = arena.model_info(model_id)
        mine = [x for x in battle.answers if x.side == side]
        prompt_tokens = sum(x.stats.prompt_tokens or 0 for x in mine)
        completion_tokens = sum(x.stats.completion_tokens or 0 for x in mine)
        cost = info.cost_usd(prompt_tokens, completion_tokens)
        local = info.config is not None and info.config.backend == "gguf"
        sides[side] = {
            "model": model_card(arena, model_id),
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "time_s": round(sum(x.time_s for x in mine), 2),  # each as its pane showed it
            "cost_usd": 0.0 if cost is None and local else cost,
            "cost_note": "runs locally: no API cost" if local else None,
            "reasoning": [x.reasoning for x in sorted(mine, key=lambda x: x.turn)],
        }
    return {
        "battle_id": battle.id,
        "verdict": vote.verdict.value if vote else None,
        "counted": vote.counted if vote else None,
        "not_counted_reason": vote.reason if vote else None,
        "identity_leak": battle.identity_leak,
        "a": sides["a"],
        "b": sides["b"],
    }
