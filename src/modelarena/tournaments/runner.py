"""Running a four-model tournament on an :class:`~modelarena.arena.Arena`.

:meth:`TournamentRunner.start` draws four models uniformly at random among the available
contestants (every set of four equally likely; the adaptive pairing weights are for pairs
and are not used here), fills the bracket's slots in a random order and creates the two
round-1 battles. :meth:`TournamentRunner.generate` has all four models answer at once (the
two battles' turns run concurrently). The voter is shown a match only once **all four**
answers are complete, so the order of the matches, who meets whom and who sits on the left
were fixed before any model finished: a fast model is never shown first because it is fast.

Each choice is kept in the tournament until the ranking is complete; then the four votes
go through :meth:`Arena.avote` (the one vote door) as ordinary votes on the four battles,
and the identities are revealed. Casting earlier would reveal the round-1 battles (the
battle and model pages show a voted battle with its models) while round 2, which shows the
same answers again, is still to be voted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from modelarena.arena import Arena, ArenaError
from modelarena.battles.categories import get_category
from modelarena.battles.identity import find_identity_leak
from modelarena.battles.records import (
    Answer,
    Battle,
    BattleStatus,
    Verdict,
    VoteReason,
    VoteRecord,
)
from modelarena.store import HUMAN, BattleNotFound, VoteRejected
from modelarena.store.tournaments import (
    DONE,
    FAILED,
    GENERATING,
    VOTING,
    MatchRecord,
    TournamentRecord,
)
from modelarena.tournaments import bracket
from modelarena.tournaments.bracket import Pairing

log = logging.getLogger(__name__)

SOURCE = "tournament"  # the battles' source: a tournament's matches are told apart by it


class TournamentError(ValueError):
    """A request the tournament refuses, with a stable ``code`` and a message to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Progress:
    """Where a tournament stands, for the page: answers ready while generating, then the
    match to vote on (``current``), then the ranking."""

    tournament: TournamentRecord
    answers_ready: int
    current: MatchRecord | None
    battle: Battle | None  # the current match's battle, with both answers


def _pairing(m: MatchRecord) -> Pairing:
    return Pairing(m.position, m.stage, m.slot_a, m.slot_b)


class TournamentRunner:
    def __init__(self, arena: Arena, rng: random.Random | None = None) -> None:
        self.arena = arena
        self.store = arena.store.tournaments
        self._rng = rng or random.SystemRandom()

    # ---------------------------------------------------------------- starting
    def available_models(self) -> list[str]:
        excluded = self.arena.excluded_models()
        return sorted(
            m for m, c in self.arena.contestants.items() if c.weight > 0 and m not in excluded
        )

    def draw_models(self) -> list[str]:
        """Four different available contestants, uniformly at random."""
        pool = self.available_models()
        if len(pool) < 4:
            raise TournamentError(
                "not_enough_models",
                f"a tournament needs four available models; {len(pool)} are: configure more "
                "models or use pairwise battles",
            )
        return self._rng.sample(pool, 4)

    def start(
        self,
        category: str,
        prompt: str,
        *,
        owner: str,
        models: Sequence[str] | None = None,
        source: str = HUMAN,
    ) -> TournamentRecord:
        """Create the tournament and its two round-1 battles (no answer yet). ``models``:
        the four to compare (default: drawn); ``source``: what its votes are cast as
        (``human`` for the public arena; a campaign passes its own source, so the votes
        count on its board and stay off the public one)."""
        get_category(category)  # raises UnknownCategory
        text = self.arena.validate_prompt(prompt)
        if models is not None:
            unknown = [m for m in models if m not in self.arena.contestants]
            if unknown or len(models) != 4 or len(set(models)) != 4:
                raise TournamentError("bad_models", "name four different configured models")
            chosen = list(models)
        else:
            chosen = self.draw_models()
        slots = bracket.draw_slots(chosen, self._rng)
        matches = []
        for p in bracket.round_one():
            battle = self.arena.store.create_battle(
                category=category,
                model_a=slots[p.slot_a],
                model_b=slots[p.slot_b],
                session_id=owner,
                source=SOURCE,
                prompt=text,
            )
            matches.append(MatchRecord(p.position, p.stage, p.slot_a, p.slot_b, battle.id))
        record = TournamentRecord(
            id=secrets.token_hex(12),
            created_at=datetime.now(UTC),
            owner=owner,
            category=category,
            models=tuple(slots),
            status=GENERATING,
            matches=tuple(matches),
            vote_source=source,
        )
        self.store.create(record)
        return record

    async def generate(self, tournament_id: str, prompt: str) -> TournamentRecord:
        """All four answers at once (both round-1 turns concurrently); then the tournament
        is open for voting, or failed when a model failed to answer."""
        t = self.store.get(tournament_id)
        text = self.arena.validate_prompt(prompt)
        results = await asyncio.gather(
            *(self.arena.run_turn(m.battle_id, text) for m in t.matches[:2]),
            return_exceptions=True,
        )
        ok = True
        for m, result in zip(t.matches[:2], results, strict=True):
            if isinstance(result, BaseException):
                log.warning("tournament %s: battle %s: %s", t.id, m.battle_id, result)
                ok = False
            elif not result.complete:
                ok = False
        self.store.set_status(t.id, VOTING if ok else FAILED, expected=GENERATING)
        return self.store.get(tournament_id)

    # ---------------------------------------------------------------- progress
    def progress(self, tournament_id: str) -> Progress:
        """The tournament, and the match to vote on now (none while answers are being
        written, none once it is done). Raises ``TournamentNotFound``."""
        t = self.store.get(tournament_id)
        battles = [self.arena.battle(m.battle_id) for m in t.matches[:2]]
        ready = sum(len([a for a in b.answers if a.error is None]) for b in battles)
        if t.status == GENERATING and any(b.status is BattleStatus.FAILED for b in battles):
            self.store.set_status(t.id, FAILED, expected=GENERATING)  # e.g. a lost turn
            t = self.store.get(tournament_id)
        if t.status != VOTING:
            return Progress(t, ready, None, None)
        current = next((m for m in t.matches if m.verdict is None), None)
        battle = self.arena.battle(current.battle_id) if current else None
        return Progress(t, ready, current, battle)

    # ------------------------------------------------------------------ voting
    async def choose(
        self,
        tournament_id: str,
        verdict: str,
        *,
        owner: str,
        position: int | None = None,
        ip_hash: str | None = None,
    ) -> Progress:
        """The voter's verdict on the current match. ``position``: the match the page
        showed (a choice for another one, e.g. from a second tab, is refused).

        Raises :class:`TournamentError` (``not_your_tournament``, ``not_voting``,
        ``unknown_verdict``, ``stale_match``) or ``TournamentNotFound``."""
        ready = await asyncio.to_thread(self._decide, tournament_id, verdict, owner, position)
        if ready is not None:
            await self._finish(ready, ip_hash)
        return await asyncio.to_thread(self.progress, tournament_id)

    def _decide(
        self, tournament_id: str, verdict: str, owner: str, position: int | None
    ) -> TournamentRecord | None:
        """Store the choice (and open round 2 after round 1); the tournament when its last
        match was just decided, else None. Blocking: run on a worker thread."""
        try:
            choice = Verdict.parse(verdict).value
        except ValueError:
            raise TournamentError(
                "unknown_verdict", "unknown verdict; use one of: a, b, tie, both_bad"
            ) from None
        t = self.store.get(tournament_id)
        if t.owner != owner:
            raise TournamentError(
                "not_your_tournament", "only the person who started this tournament can vote"
            )
        if t.status != VOTING:
            raise TournamentError("not_voting", _not_voting(t.status))
        current = next((m for m in t.matches if m.verdict is None), None)
        if current is None or (position is not None and position != current.position):
            raise TournamentError("stale_match", "this match was already decided; reload")
        advances = bracket.advancing(choice, self._rng.random() < 0.5)
        if not self.store.choose(t.id, current.position, choice, advances):
            raise TournamentError("stale_match", "this match was already decided; reload")
        decided = dataclasses.replace(current, verdict=choice, advances=advances)
        if current.position == 1:  # round 1 complete: the winners' and the losers' match
            first = t.matches[0]
            assert first.advances is not None
            self._open_round_two(
                t, (_pairing(first), first.advances), (_pairing(decided), advances)
            )
        elif current.position == bracket.MATCHES - 1:
            return self.store.get(t.id)
        return None

    def _answer_of(self, t: TournamentRecord, slot: int) -> Answer:
        for m in t.matches[:2]:
            if slot in (m.slot_a, m.slot_b):
                side = "a" if slot == m.slot_a else "b"
                answer = self.arena.store.get_battle(m.battle_id).answer(0, side)
                if answer is not None:
                    return answer
        raise TournamentError("missing_answer", "an answer of this tournament is missing")

    def _open_round_two(
        self, t: TournamentRecord, first: tuple[Pairing, str], second: tuple[Pairing, str]
    ) -> None:
        words = self.arena.identity_words()
        matches = []
        for p in bracket.round_two(first, second, self._rng):
            a = dataclasses.replace(self._answer_of(t, p.slot_a), side="a")
            b = dataclasses.replace(self._answer_of(t, p.slot_b), side="b")
            battle = self.arena.store.create_battle(
                category=t.category,
                model_a=t.models[p.slot_a],
                model_b=t.models[p.slot_b],
                session_id=t.owner,
                source=SOURCE,
                prompt=a.prompt,
            )
            leak = find_identity_leak(a.content, words, prompt=a.prompt) or find_identity_leak(
                b.content, words, prompt=a.prompt
            )
            self.arena.store.save_answers(battle.id, [a, b], identity_leak=leak)
            matches.append(MatchRecord(p.position, p.stage, p.slot_a, p.slot_b, battle.id))
        self.store.add_matches(t.id, matches)

    async def _finish(self, t: TournamentRecord, ip_hash: str | None) -> list[VoteRecord]:
        """Rank, then cast the four votes through the arena's vote door (once: the status
        change from voting to done is the guard)."""
        decided = [(_pairing(m), m.verdict or "", m.advances or "a") for m in t.matches]
        places = bracket.ranking(decided)
        if not self.store.set_status(t.id, DONE, expected=VOTING, ranking=places):
            return []
        records = []
        for m in t.matches:
            # a person's vote on a battle whose answer names its model is stored uncounted
            # by the door itself; other sources (a campaign's) say so explicitly
            leak = t.vote_source != HUMAN and self.arena.battle(m.battle_id).identity_leak
            try:
                records.append(
                    await self.arena.avote(
                        m.battle_id,
                        m.verdict or "tie",
                        voter=t.owner,
                        source=t.vote_source,
                        ip_hash=ip_hash,
                        owner=t.owner,
                        refuse_failed=True,
                        not_counted_reason=VoteReason.IDENTITY_LEAK.value if leak else None,
                    )
                )
            except (BattleNotFound, VoteRejected, ArenaError) as exc:
                log.warning("tournament %s: vote on %s refused: %s", t.id, m.battle_id, exc)
        return records


def _not_voting(status: str) -> str:
    if status == GENERATING:
        return "the four answers are not complete yet"
    if status == DONE:
        return "this tournament is over; start a new one"
    return "a model failed to answer in this tournament; start a new one"
