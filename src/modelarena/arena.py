"""The application object: settings, catalog, contestants, backends and store, together.

The CLI, the web app and the judge all drive battles through one :class:`Arena`, so the
rules (anonymity, one vote per battle, failure handling) live in one place.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelarena.backends import build_backend, generation_settings
from modelarena.backends.base import Backend, BackendError
from modelarena.backends.check import Problem, diagnose
from modelarena.backends.contestants import contestant_configs
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
from modelarena.battles.runner import (
    AnswerLimits,
    StreamEvent,
    build_messages,
    context_chars,
    stream_both,
    turn_refusal,
)
from modelarena.catalog import Catalog, CatalogEntry, load_catalog
from modelarena.config import ModelConfig, Settings, load_settings
from modelarena.store import HUMAN, Ballot, Store, TurnRefused

log = logging.getLogger(__name__)

FAILURES_TO_EXCLUDE = 3  # consecutive failures that take a model out of pairing
PROBE_AFTER_S = 300.0  # then it gets one chance again (a probe) after this long


class ArenaError(ValueError):
    """A user mistake the arena refuses, with a message safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ModelUnavailable(ArenaError):
    """A contestant cannot run here. The message is neutral (a voter may see it);
    ``problem`` names the model, the cause and the fix, for the operator only."""

    def __init__(self, problem: Problem) -> None:
        super().__init__("model_unavailable", "a model is not available right now")
        self.problem = problem


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


class Arena:
    def __init__(self, settings: Settings, store: Store, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog or load_catalog(settings.catalog)
        models = contestant_configs(settings, self.catalog)
        self.contestants: dict[str, ModelConfig] = {m.id: m for m in models}
        self._backends: dict[str, Backend] = {}
        self._health: dict[str, _Health] = {m: _Health() for m in self.contestants}
        # SQLite votes from the event loop: one worker thread at a time (see avote)
        self._vote_slot: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    @classmethod
    def from_config(cls, path: str | None = None, **overrides: Any) -> Arena:
        settings = load_settings(path)
        if overrides:
            settings = settings.model_copy(update=overrides)
        return cls(settings, Store.open(settings.database_url))

    @property
    def using_bundled_default(self) -> bool:
        return not self.settings.models and bool(self.contestants)

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

    def diagnose(self, model_id: str, reason: str, message: str) -> Problem:
        """For the operator: which model failed, why, and how to fix it."""
        return diagnose(self.contestants[model_id], reason, message)

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
        if ok:
            h.failures, h.excluded_at = 0, None
            return
        h.failures += 1
        if h.failures >= FAILURES_TO_EXCLUDE:
            # excluded until PROBE_AFTER_S passes; then one battle probes it again
            h.excluded_at = time.monotonic() if now is None else now

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

    def claim_turn(self, battle_id: str, *, owner: str | None = None) -> int:
        """Open a follow-up turn on a complete battle and return its number. From here until
        its answers are stored the battle is pending: a vote is refused (``incomplete``)
        rather than taken mid-turn. Atomic in the store, so a vote and a follow-up sent at
        once are never both accepted; the loser gets ``battle_voted`` or ``incomplete``.

        Raises :class:`ArenaError` (``turn_in_progress``, ``battle_failed``,
        ``battle_voted``, ``not_your_battle``) or ``BattleNotFound``."""
        try:
            return self.store.claim_turn(battle_id, owner=owner).turns
        except TurnRefused as exc:
            raise ArenaError(exc.code, str(exc)) from None

    def check_follow_up(self, battle: Battle, prompt: str) -> None:
        """Refuse a follow-up past ``max_turns`` or ``max_context_chars`` (``too_many_turns``,
        ``context_too_long``): every turn sends the whole conversation again."""
        category = get_category(battle.category)
        contexts = []
        for side, model in (("a", battle.model_a), ("b", battle.model_b)):
            cfg = self.contestants.get(model)
            system = cfg.system_prompt if cfg else None
            messages = build_messages(category, battle.conversation(side), prompt, system)
            contexts.append(context_chars(messages))
        refusal = turn_refusal(
            battle.turns,
            contexts,
            max_turns=self.settings.max_turns,
            max_context_chars=self.settings.max_context_chars,
        )
        if refusal is not None:
            raise ArenaError(*refusal)

    async def stream_turn(
        self, battle_id: str, prompt: str, *, claimed: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Generate both answers to ``prompt`` (the first turn or a follow-up), streaming.

        A follow-up is claimed first (see :meth:`claim_turn`) unless ``claimed``: the caller
        did so already. The answers are stored when both are done; a failed side fails the
        battle, which is then never counted.
        """
        text = self.validate_prompt(prompt)
        battle = self.store.get_battle(battle_id)
        if battle.turns > 0 and not claimed:
            self.check_follow_up(battle, text)
            self.claim_turn(battle_id)
            battle = self.store.get_battle(battle_id)
        if battle.status is BattleStatus.FAILED:
            raise ArenaError("battle_failed", "this battle failed; start a new one")
        if not battle.anonymous:
            raise ArenaError("battle_revealed", "this battle is over; start a new one")
        turn = battle.turns
        category = get_category(battle.category)
        sides = (battle.model_a, battle.model_b)
        try:
            backends = (self.backend(sides[0]), self.backend(sides[1]))
        except BackendError as exc:
            failed = sides[1] if sides[0] in self._backends else sides[0]
            problem = self.diagnose(failed, exc.reason, str(exc))
            log.error("%s", problem.describe())
            self.store.fail_battle(battle_id, exc.reason, "a model is not available")
            raise ModelUnavailable(problem) from exc
        configs = (self.contestants[sides[0]], self.contestants[sides[1]])
        messages = tuple(
            build_messages(category, battle.conversation(side), text, cfg.system_prompt)
            for side, cfg in zip("ab", configs, strict=True)
        )
        settings = (generation_settings(configs[0]), generation_settings(configs[1]))
        finished: list[Answer] = []
        limits = AnswerLimits(self.settings.max_answer_tokens, self.settings.max_answer_chars)
        both = stream_both(backends, (messages[0], messages[1]), settings, turn, text, limits)
        async for event in both:
            if event.answer is not None:
                finished.append(event.answer)
                model = sides[0] if event.side == "a" else sides[1]
                self.record_outcome(model, event.answer.error is None)
                if event.answer.error is not None:
                    problem = self.diagnose(model, event.answer.error, event.error or "")
                    log.error("%s", problem.describe())
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

    # ---------------------------------------------------------- lost turns
    def turn_limit_s(self, models: Iterable[str] | None = None) -> float:
        """How long a turn of these models (default: any contestant) can take at most: each
        side stops at twice its ``timeout_s``, plus a margin for storing the answers. A
        turn pending for longer was lost (its process died)."""
        ids = self.contestants if models is None else models
        configs = [self.contestants[m] for m in ids if m in self.contestants]
        return 2 * max((c.timeout_s for c in configs), default=120.0) + 15.0

    def recover_lost_turns(self) -> int:
        """Mark failed (reason ``lost``) every turn pending for longer than any turn can
        take: its process crashed. The voter sees the failure and can retry. Returns how
        many battles changed; safe to run at any time, from any worker."""
        lost = self.store.fail_lost_turns(self.turn_limit_s())
        if lost:
            log.warning("%d turn(s) lost in a crash marked failed", lost)
        return lost

    def battle(self, battle_id: str) -> Battle:
        """The battle, with a turn lost in a crash (pending past :meth:`turn_limit_s`)
        marked failed first. Raises ``BattleNotFound``."""
        battle = self.store.get_battle(battle_id)
        if battle.status is BattleStatus.PENDING and battle.turn_started_at is not None:
            age = (datetime.now(UTC) - battle.turn_started_at).total_seconds()
            limit = self.turn_limit_s((battle.model_a, battle.model_b))
            if age > limit and self.store.fail_lost_turns(limit, battle_id=battle_id):
                battle = self.store.get_battle(battle_id)
        return battle

    # ------------------------------------------------------------------ votes
    def vote(
        self,
        battle_id: str,
        verdict: Verdict | str,
        *,
        voter: str | None,
        source: str = HUMAN,
        ip_hash: str | None = None,
        owner: str | None = None,
        refuse_failed: bool = False,
        not_counted_reason: str | None = None,
        detail: str | None = None,
    ) -> VoteRecord:
        """Cast a vote: the one door for every vote (web, CLI, judge), so the rules live
        in one place. A person's vote (``source`` human) ends the battle's anonymity and
        counts against the per-prompt cap; a judge's (``judge:<model>``) does neither.

        ``owner``: refuse unless the battle belongs to this session. ``refuse_failed``:
        refuse a vote on a failed battle (the web) rather than store it uncounted (the CLI).
        The record's ``battle`` is the battle as the vote read it. Raises
        ``BattleNotFound`` or ``VoteRejected`` (``duplicate``, ``incomplete``,
        ``not_your_battle``, ``battle_failed``; nothing stored)."""
        ballot = self._ballot(
            battle_id, verdict, voter, source, ip_hash, owner, refuse_failed,
            not_counted_reason, detail,
        )  # fmt: skip
        return _with_battle(*self.store.cast_vote(ballot))

    async def avote(
        self,
        battle_id: str,
        verdict: Verdict | str,
        *,
        voter: str | None,
        source: str = HUMAN,
        ip_hash: str | None = None,
        owner: str | None = None,
        refuse_failed: bool = False,
        not_counted_reason: str | None = None,
        detail: str | None = None,
    ) -> VoteRecord:
        """:meth:`vote` for the event loop. On PostgreSQL the vote joins the group commit
        on the loop itself; on SQLite it runs on a worker thread, one vote at a time (a
        crowd of threads queueing for SQLite's one writer and the GIL made each vote
        several times slower)."""
        ballot = self._ballot(
            battle_id, verdict, voter, source, ip_hash, owner, refuse_failed,
            not_counted_reason, detail,
        )  # fmt: skip
        if self.store.batches_votes:
            return _with_battle(*await self.store.cast_vote_async(ballot))
        loop = asyncio.get_running_loop()
        if self._vote_slot is None or self._vote_slot[0] is not loop:
            self._vote_slot = (loop, asyncio.Semaphore(1))
        async with self._vote_slot[1]:
            return _with_battle(*await asyncio.to_thread(self.store.cast_vote, ballot))

    def _ballot(
        self,
        battle_id: str,
        verdict: Verdict | str,
        voter: str | None,
        source: str,
        ip_hash: str | None,
        owner: str | None,
        refuse_failed: bool,
        not_counted_reason: str | None,
        detail: str | None,
    ) -> Ballot:
        human = source == HUMAN
        return Ballot(
            battle_id,
            verdict if isinstance(verdict, Verdict) else Verdict.parse(verdict),
            voter,
            source=source,
            ip_hash=ip_hash,
            not_counted_reason=not_counted_reason,
            detail=detail,
            reveal=human,
            owner=owner,
            prompt_cap=self.settings.votes_per_prompt if human else None,
            refuse_failed=refuse_failed,
        )


def _with_battle(battle: Battle, record: VoteRecord) -> VoteRecord:
    return dataclasses.replace(record, battle=battle)
