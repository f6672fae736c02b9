"""The nouns of a battle: verdicts, answers, turns and the battle itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from modelarena.backends.base import CUT, AnswerStats
from modelarena.battles.style import StyleCounts


class Verdict(StrEnum):
    A = "a"
    B = "b"
    TIE = "tie"
    BOTH_BAD = "both_bad"

    @classmethod
    def parse(cls, value: str) -> Verdict:
        aliases = {
            "a": cls.A,
            "model_a": cls.A,
            "leftvote": cls.A,
            "1": cls.A,
            "b": cls.B,
            "model_b": cls.B,
            "rightvote": cls.B,
            "2": cls.B,
            "tie": cls.TIE,
            "tievote": cls.TIE,
            "3": cls.TIE,
            "both_bad": cls.BOTH_BAD,
            "bothbad": cls.BOTH_BAD,
            "tie (bothbad)": cls.BOTH_BAD,
            "bothbad_vote": cls.BOTH_BAD,
            "both-bad": cls.BOTH_BAD,
            "4": cls.BOTH_BAD,
        }
        try:
            return aliases[value.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown verdict {value!r}; use one of: a, b, tie, both_bad"
            ) from None


class BattleStatus(StrEnum):
    PENDING = "pending"
    COMPLETE = "complete"
    FAILED = "failed"


class VoteReason(StrEnum):
    """Why a stored vote does not count."""

    IDENTITY_LEAK = "identity_leak"
    NOT_ANONYMOUS = "not_anonymous"
    BATTLE_FAILED = "battle_failed"
    BANNED_VOTER = "banned_voter"
    FLAGGED_VOTER = "flagged_voter"
    PROMPT_CAP = "prompt_cap"
    RATE_LIMITED = "rate_limited"
    IMPORTED_NON_ANONYMOUS = "imported_non_anonymous"
    DUPLICATE_IMPORT = "duplicate_import"  # a second copy of an imported vote (before 0004)
    INVITE_LIMIT = "invite_limit"  # a campaign invite's vote past its limit (a race)


@dataclass(frozen=True)
class Answer:
    side: str  # "a" | "b"
    turn: int
    prompt: str
    content: str = ""
    reasoning: str = ""
    error: str | None = None
    stats: AnswerStats = field(default_factory=AnswerStats)
    style: StyleCounts | None = None

    @property
    def answer_tokens(self) -> int | None:
        """Tokens of the answer itself, without the reasoning: the count a voter may see
        before the vote (a reasoning model's total would tell which side it is)."""
        total = self.stats.completion_tokens
        if total is None:
            return None
        return max(0, total - (self.stats.reasoning_tokens or 0))

    @property
    def cut(self) -> bool:
        """Whether the answer stopped at a length limit (its own ``max_tokens`` or the
        arena's bound) rather than where the model meant to end it."""
        return self.stats.finish_reason == CUT

    @property
    def time_s(self) -> float:
        """How long the answer took, in seconds (two decimals): the one duration every view
        shows, live pane and reveal alike."""
        return round(self.stats.total_time_s or 0.0, 2)


@dataclass
class Battle:
    id: str
    created_at: datetime
    category: str
    model_a: str
    model_b: str
    status: BattleStatus
    source: str = "arena"
    pair_probability: float | None = None
    failure_reason: str | None = None
    failure_message: str | None = None
    anonymous: bool = True
    revealed_at: datetime | None = None
    identity_leak: str | None = None
    session_id: str | None = None
    turn_started_at: datetime | None = None  # when the turn being generated began
    answers: list[Answer] = field(default_factory=list)

    @property
    def turns(self) -> int:
        return 1 + max((a.turn for a in self.answers), default=-1)

    def answer(self, turn: int, side: str) -> Answer | None:
        return next((a for a in self.answers if a.turn == turn and a.side == side), None)

    def conversation(self, side: str) -> list[tuple[str, str]]:
        """(prompt, answer) per turn for one side, in order."""
        mine = sorted((a for a in self.answers if a.side == side), key=lambda a: a.turn)
        return [(a.prompt, a.content) for a in mine]

    @property
    def complete(self) -> bool:
        if self.status is not BattleStatus.COMPLETE or not self.answers:
            return False
        return all(self.answer(t, s) is not None for t in range(self.turns) for s in "ab")


@dataclass(frozen=True)
class VoteRecord:
    id: int
    battle_id: str
    verdict: Verdict
    counted: bool
    reason: str | None
    voter: str | None
    source: str
    created_at: datetime
    # The battle as the vote's own transaction read it (revealed if the vote revealed it),
    # so the reveal costs no further query; None for votes read back from the store.
    battle: Battle | None = field(default=None, compare=False, repr=False)
