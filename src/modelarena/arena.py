"""The application object: settings, catalog, contestants, backends and store, together.

The CLI, the web app and the judge all drive battles through one :class:`Arena`, so the
rules (anonymity, one vote per battle, failure handling) live in one place.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelarena.backends import build_backend
from modelarena.backends.base import Backend, BackendError
from modelarena.backends.bundled import default_model_configs
from modelarena.battles.categories import get_category
from modelarena.battles.identity import find_identity_leak
from modelarena.battles.pairing import draw_pair
from modelarena.battles.records import (
    Answer,
    Battle,
    BattleStatus,
    Verdict,
    VoteRecord,
)
from modelarena.battles.runner import StreamEvent, build_messages, stream_both
from modelarena.catalog import Catalog, CatalogEntry, load_catalog
from modelarena.config import ModelConfig, Settings, load_settings
from modelarena.store import HUMAN, Ballot, Store

FAILURES_TO_EXCLUDE = 3  # consecutive failures that take a model out of pairing
PROBE_AFTER_S = 300.0  # then it gets one chance again (a probe) after this long


class ArenaError(ValueError):
    """A user mistake the arena refuses, with a message safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ModelInfo:
    """What the leaderboard and the reveal show about one contestant."""

    id: str
    display_name: str
    entry: CatalogEntry | None
    config: ModelConfig | None

    @property
    def lab(self) -> str | None:
        return self.entry.lab if self.entry else None

    @property
    def country(self) -> str | None:
        return self.entry.country if self.entry else None

    @property
    def open_weights(self) -> bool | None:
        return self.entry.open_weights if self.entry else None

    @property
    def license(self) -> str | None:
        return self.entry.license if self.entry else None

    @property
    def license_class(self) -> str | None:
        return self.entry.license_class if self.entry else None

    def cost_usd(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        e = self.entry
        if e is None or e.price_input_per_m is None or e.price_output_per_m is None:
            return None
        return (
            (prompt_tokens or 0) * e.price_input_per_m
            + (completion_tokens or 0) * e.price_output_per_m
        ) / 1e6

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {
            "id": self.id,
            "display_name": self.display_name,
            "catalog_id": e.id if e else None,
            "lab": self.lab,
            "country": self.country,
            "open_weights": self.open_weights,
            "license": self.license,
            "license_class": self.license_class,
            "price_input_per_m": e.price_input_per_m if e else None,
            "price_output_per_m": e.price_output_per_m if e else None,
            "total_params_b": e.total_params_b if e else None,
            "active_params_b": e.active_params_b if e else None,
            "release_date": e.release_date.isoformat() if e and e.release_date else None,
            "description": self.config.description if self.config else "",
            "backend": self.config.backend if self.config else None,
        }


@dataclass
class _Health:
    failures: int = 0
    excluded_at: float | None = None
    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=20))


class Arena:
    def __init__(self, settings: Settings, store: Store, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog or load_catalog(settings.catalog)
        models = list(settings.models) or default_model_configs()
        self.contestants: dict[str, ModelConfig] = {m.id: m for m in models}
        self._backends: dict[str, Backend] = {}
        self._health: dict[str, _Health] = {m: _Health() for m in self.contestants}

    @classmethod
    def from_config(cls, path: str | None = None, **overrides: Any) -> Arena:
        settings = load_settings(path)
        if overrides:
            settings = settings.model_copy(update=overrides)
        return cls(settings, Store.open(settings.database_url))

    @property
    def using_bundled_default(self) -> bool:
        return not self.settings.models

    async def aclose(self) -> None:
        for backend in self._backends.values():
            await backend.aclose()
        self._backends.clear()
        await self.store.aclose()

    # ------------------------------------------------------------------ models
    def model_info(self, model_id: str) -> ModelInfo:
        config = self.contestants.get(model_id)
        entry = None
        if config is not None:
            entry = self.catalog.get(config.catalog_id)
        if entry is None:
            resolved = self.catalog.resolve(model_id)
            entry = self.catalog.get(resolved) if resolved else None
        name = (config.display_name if config and config.display_name else None) or (
            entry.display_name if entry else model_id
        )
        return ModelInfo(model_id, name, entry, config)

    def identity_words(self) -> list[str]:
        """Names of configured models and labs, added to the identity-word filter."""
        words: set[str] = set()
        for model_id in self.contestants:
            info = self.model_info(model_id)
            words.add(model_id)
            if info.entry:
                words.update({info.entry.display_name, info.entry.lab, *info.entry.aliases})
        return sorted(w for w in words if len(w) >= 4)

    def backend(self, model_id: str) -> Backend:
        if model_id not in self._backends:
            self._backends[model_id] = build_backend(self.contestants[model_id])
        return self._backends[model_id]

    # ------------------------------------------------------------------ health
    def excluded_models(self, now: float | None = None) -> frozenset[str]:
        now = time.monotonic() if now is None else now
        out = set()
        for model_id, h in self._health.items():
            if h.excluded_at is not None and now - h.excluded_at < PROBE_AFTER_S:
                out.add(model_id)
        return frozenset(out)

    def record_outcome(self, model_id: str, ok: bool, now: float | None = None) -> None:
        h = self._health.setdefault(model_id, _Health())
        h.recent.append(ok)
        if ok:
            h.failures, h.excluded_at = 0, None
            return
        h.failures += 1
        if h.failures >= FAILURES_TO_EXCLUDE:
            # excluded until PROBE_AFTER_S passes; then one battle probes it again
            h.excluded_at = time.monotonic() if now is None else now

    def health(self) -> dict[str, dict[str, Any]]:
        excluded = self.excluded_models()
        return {
            m: {
                "consecutive_failures": h.failures,
                "excluded": m in excluded,
                "recent_success_rate": (sum(h.recent) / len(h.recent)) if h.recent else None,
            }
            for m, h in self._health.items()
        }

    # ----------------------------------------------------------------- battles
    def validate_prompt(self, prompt: str) -> str:
        text = prompt.strip() if isinstance(prompt, str) else ""
        if not text:
            raise ArenaError("empty_prompt", "the prompt is empty")
        if len(text) > self.settings.max_prompt_chars:
            raise ArenaError(
                "prompt_too_long",
                f"the prompt is {len(text)} characters; the limit is "
                f"{self.settings.max_prompt_chars}",
            )
        return text

    def start_battle(
        self,
        category: str,
        prompt: str,
        *,
        session_id: str | None = None,
        models: Sequence[str] | None = None,
    ) -> Battle:
        """Create a battle between two drawn (or named) contestants. No answer yet."""
        get_category(category)  # raises UnknownCategory
        text = self.validate_prompt(prompt)
        if models:
            unknown = [m for m in models if m not in self.contestants]
            if unknown or len(models) != 2 or models[0] == models[1]:
                raise ArenaError("bad_models", "name two different configured models")
            a, b, prob = models[0], models[1], None
        else:
            excluded = self.excluded_models() | {
                m for m, c in self.contestants.items() if c.weight <= 0
            }
            matrix = None
            if self.settings.pairing == "adaptive":
                from modelarena.adaptive_pairing import adaptive_pair_matrix

                matrix = adaptive_pair_matrix(self.store, list(self.contestants), excluded)
            pairing = draw_pair(
                list(self.contestants),
                weights={m: c.weight for m, c in self.contestants.items()},
                votes=self.store.vote_totals(),
                excluded=excluded,
                pair_matrix=matrix,
            )
            a, b, prob = pairing.model_a, pairing.model_b, pairing.probability
        return self.store.create_battle(
            category=category,
            model_a=a,
            model_b=b,
            pair_probability=prob,
            session_id=session_id,
            prompt=text,
        )

    async def stream_turn(self, battle_id: str, prompt: str) -> AsyncIterator[StreamEvent]:
        """Generate both answers to ``prompt`` (the first turn or a follow-up), streaming.

        The answers are stored when both are done; a failed side fails the battle, which
        is then never counted.
        """
        battle = self.store.get_battle(battle_id)
        text = self.validate_prompt(prompt)
        if battle.status is BattleStatus.FAILED:
            raise ArenaError("battle_failed", "this battle failed; start a new one")
        if not battle.anonymous:
            raise ArenaError("battle_revealed", "this battle is over; start a new one")
        turn = battle.turns
        if turn > 0:
            if any(v.source == HUMAN for v in self.store.votes_for_battle(battle_id)):
                raise ArenaError("battle_voted", "this battle already has a vote")
            self.store.mark_pending(battle_id)
        category = get_category(battle.category)
        sides = (battle.model_a, battle.model_b)
        try:
            backends = (self.backend(sides[0]), self.backend(sides[1]))
        except BackendError as exc:
            self.store.fail_battle(battle_id, exc.reason, "a model is not available")
            raise ArenaError("model_unavailable", "a model is not available right now") from exc
        configs = (self.contestants[sides[0]], self.contestants[sides[1]])
        messages = tuple(
            build_messages(category, battle.conversation(side), text, cfg.system_prompt)
            for side, cfg in zip("ab", configs, strict=True)
        )
        settings = (configs[0].generation_settings(), configs[1].generation_settings())
        finished: list[Answer] = []
        async for event in stream_both(backends, (messages[0], messages[1]), settings, turn, text):
            if event.answer is not None:
                finished.append(event.answer)
                model = sides[0] if event.side == "a" else sides[1]
                self.record_outcome(model, event.answer.error is None)
            yield event
        # what the user asked, every turn: a name it asked the answer to speak as is no leak
        asked = "\n".join([*(p for p, _ in battle.conversation("a")), text])
        words = self.identity_words()
        leak = None
        for answer in finished:
            leak = leak or find_identity_leak(answer.content, words, prompt=asked)
        self.store.save_answers(battle_id, finished, identity_leak=leak)

    async def run_turn(self, battle_id: str, prompt: str) -> Battle:
        """Like :meth:`stream_turn`, without the stream."""
        async for _ in self.stream_turn(battle_id, prompt):
            pass
        return self.store.get_battle(battle_id)

    def vote(
        self,
        battle_id: str,
        verdict: Verdict | str,
        *,
        voter: str | None,
        ip_hash: str | None = None,
        not_counted_reason: str | None = None,
        owner: str | None = None,
    ) -> VoteRecord:
        """Store a human vote. ``owner``: refuse unless the battle belongs to this session."""
        v = verdict if isinstance(verdict, Verdict) else Verdict.parse(verdict)
        return self.store.record_vote(
            battle_id,
            v,
            voter=voter,
            ip_hash=ip_hash,
            not_counted_reason=not_counted_reason,
            owner=owner,
            prompt_cap=self.settings.votes_per_prompt,
        )

    def web_ballot(
        self,
        battle_id: str,
        verdict: Verdict,
        *,
        voter: str | None,
        ip_hash: str | None = None,
        owner: str | None = None,
    ) -> Ballot:
        """A human vote from the web. Unlike :meth:`vote`, a vote on a failed battle is
        refused rather than stored."""
        return Ballot(
            battle_id,
            verdict,
            voter,
            ip_hash=ip_hash,
            owner=owner,
            prompt_cap=self.settings.votes_per_prompt,
            refuse_failed=True,
        )

    def reveal(self, battle_id: str) -> Battle:
        return self.store.reveal(battle_id)
