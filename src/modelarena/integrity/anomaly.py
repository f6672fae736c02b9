"""Anomalous voters: a per-voter test of their votes against the fitted leaderboard.

Two published tests (see ``docs/security.md``), both computed for every voter at once with
numpy, never a Python loop over votes:

* **Likelihood-ratio test** (the decision rule). Under the null a voter's votes follow the
  fitted Bradley-Terry model (ties as half a win). Two alternatives, each one extra
  parameter:

  - *favour*: the voter adds ``delta`` to one model ``m``'s strength in every vote that
    involves ``m`` (a rank rigger pushing a target up, or a competitor down). Fitted for
    every model the voter voted on; ``delta`` is capped at ``MAX_SHIFT``;
  - *temperature*: the voter's votes follow ``sigmoid(beta * d)`` instead of
    ``sigmoid(d)`` (``beta`` near 0 is a random bot, ``beta < 0`` a contrarian one).

  Each ``2 * (loglik(alternative) - loglik(null))`` is referred to chi-square with one
  degree of freedom; the voter's p-value is the smallest of them times their number
  (Bonferroni over the voter's models plus one). Ties as half a win make the vote
  variance smaller than the Bernoulli one, so the test is conservative for honest voters.

* **Fisher's method on per-vote p-values against the pair's history** (reported as
  evidence, and usable as the rule with ``method="fisher"``). Each vote gets the
  probability, under the pair's own outcome shares (add-one smoothed), of an outcome no
  more likely than the one cast; ``-2 * sum(log p)`` is chi-square with ``2k`` degrees of
  freedom. It only reacts to upsets, so it misses a rigger whose target is mid-table.

Both run on each voter's votes and on each address's votes taken together (the keyed
``ip_hash``; see :mod:`modelarena.integrity.scan`), so rigging votes spread over fresh
sessions from one address are tested as one voter's.

Flags carry a reason code and the numbers behind it; :func:`apply_flags` stores them and
stops the voter's votes from counting (reason ``flagged_voter``). Nothing is deleted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelarena.battles.records import VoteReason
from modelarena.integrity.scan import ScanResult, scan_votes
from modelarena.integrity.voter_stats import (
    ALPHA,
    MIN_VOTES,
    IntArray,
    Method,
    VoterTests,
    decide,
    fit_ratings,
    voter_tests,
)
from modelarena.store import HUMAN, Store

__all__ = [
    "ADDRESS_REASON",
    "ALPHA",
    "CLEARED",
    "MIN_VOTES",
    "REASON",
    "Flag",
    "VoterTests",
    "apply_flags",
    "decide",
    "detect_anomalous_voters",
    "fit_ratings",
    "scan_votes",
    "voter_tests",
]

REASON = "anomalous_votes"
"""The voters-table reason code of a voter flagged by the scan."""
ADDRESS_REASON = "anomalous_address"
"""Reason code of a voter flagged because the votes from their address, taken together, do
not fit the board (and theirs lean the same way)."""
CLEARED = "cleared"
"""Flag reason of a voter an admin reviewed and cleared: the scan leaves them alone."""


@dataclass(frozen=True)
class Flag:
    """One voter whose votes do not fit the leaderboard, and why."""

    voter: str
    reason: str
    p_value: float
    votes: int
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "voter": self.voter,
            "reason": self.reason,
            "p_value": self.p_value,
            "votes": self.votes,
            **self.detail,
        }

    def detail_text(self) -> str:
        return json.dumps(
            {"p_value": self.p_value, "votes": self.votes, **self.detail}, sort_keys=True
        )


# ------------------------------------------------------------------ against the store
@dataclass(frozen=True)
class _Log:
    voters: list[str]
    models: list[str]
    voter: IntArray  # -1 for votes without a voter
    addresses: list[str]
    address: IntArray  # -1 for votes without an address hash
    model_a: IntArray
    model_b: IntArray
    outcome: IntArray  # 0 a, 1 b, 2 tie, 3 both bad
    counted: NDArray[np.bool_]
    scan: NDArray[np.bool_]  # votes the scan looks at


_OUTCOME = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}


def _read_log(store: Store, sources: Sequence[str]) -> _Log:
    rows = store.voter_log.scanned_votes(sources)
    cleared = store.voter_log.voters_with_flag(CLEARED)
    voter_names = sorted({r[0] for r in rows if r[0] is not None})
    vindex = {name: i for i, name in enumerate(voter_names)}
    models = sorted({r[1] for r in rows} | {r[2] for r in rows})
    mindex = {name: i for i, name in enumerate(models)}
    address_names = sorted({r[6] for r in rows if r[6] is not None})
    aindex = {name: i for i, name in enumerate(address_names)}
    n = len(rows)
    voter = np.fromiter(
        (vindex.get(r[0], -1) if r[0] is not None else -1 for r in rows), dtype=np.int64, count=n
    )
    counted = np.fromiter((bool(r[4]) for r in rows), dtype=bool, count=n)
    flagged = VoteReason.FLAGGED_VOTER.value
    scan = np.fromiter(
        (
            (r[0] is not None and r[0] not in cleared and (bool(r[4]) or r[5] == flagged))
            for r in rows
        ),
        dtype=bool,
        count=n,
    )
    return _Log(
        voters=voter_names,
        models=models,
        voter=voter,
        addresses=address_names,
        address=np.fromiter(
            (aindex.get(r[6], -1) if r[6] is not None else -1 for r in rows),
            dtype=np.int64,
            count=n,
        ),
        model_a=np.fromiter((mindex[r[1]] for r in rows), dtype=np.int64, count=n),
        model_b=np.fromiter((mindex[r[2]] for r in rows), dtype=np.int64, count=n),
        outcome=np.fromiter((_OUTCOME[r[3]] for r in rows), dtype=np.int64, count=n),
        counted=counted,
        scan=scan,
    )


def detect_anomalous_voters(
    store: Store,
    *,
    alpha: float = ALPHA,
    min_votes: int = MIN_VOTES,
    method: Method = "lrt",
    sources: Sequence[str] = (HUMAN,),
    rounds: int = 2,
) -> list[Flag]:
    """Test every voter's votes against the leaderboard fitted on the counted votes.

    The scan looks at each voter's counted votes and their votes already uncounted as
    ``flagged_voter`` (so a flag is confirmed, or dropped, as the board moves); voters an
    admin cleared are skipped. Each address's votes are tested together too (reason
    ``anomalous_address``). Returns flags, most significant first.
    """
    log = _read_log(store, sources)
    if not log.voters or len(log.models) < 2:
        return []
    found = scan_votes(
        log.voter,
        log.model_a,
        log.model_b,
        log.outcome,
        fit_mask=log.counted | log.scan,
        scan_mask=log.scan,
        n_voters=len(log.voters),
        n_models=len(log.models),
        address=log.address,
        n_addresses=len(log.addresses),
        alpha=alpha,
        min_votes=min_votes,
        method=method,
        rounds=rounds,
    )
    if found.tests is None:
        return []
    out = [_flag(found, log, int(i), method, alpha) for i in np.flatnonzero(found.flagged)]
    out.sort(key=lambda f: (f.p_value, f.voter))
    return out


def _evidence(tests: VoterTests, i: int, models: list[str], method: Method) -> dict[str, Any]:
    model = int(tests.favoured[i])
    return {
        "test": "fisher" if method == "fisher" else "likelihood_ratio",
        "favoured_model": models[model] if model >= 0 else None,
        "shift_points": round(float(tests.shift[i]), 1),
        "temperature": round(float(tests.beta[i]), 3),
        "fisher_p": float(tests.fisher_p[i]),
    }


def _flag(found: ScanResult, log: _Log, i: int, method: Method, alpha: float) -> Flag:
    tests = found.tests
    assert tests is not None
    g = int(found.via_address[i])
    if g < 0 or found.address_tests is None:
        return Flag(
            voter=log.voters[i],
            reason=REASON,
            p_value=float(tests.p_value[i]),
            votes=int(tests.votes[i]),
            detail={**_evidence(tests, i, log.models, method), "alpha": alpha},
        )
    group = found.address_tests
    return Flag(
        voter=log.voters[i],
        reason=ADDRESS_REASON,
        p_value=float(group.p_value[g]),
        votes=int(tests.votes[i]),
        detail={
            **_evidence(group, g, log.models, method),
            "alpha": alpha,
            "address": log.addresses[g][:12],  # a prefix of the keyed hash, never the IP
            "address_sessions": int(found.sessions[g]),
            "address_votes": int(group.votes[g]),
            "own_p_value": float(tests.p_value[i]),
        },
    )


def apply_flags(store: Store, flags: Sequence[Flag], *, actor: str = "scan") -> int:
    """Store each flag on its voter and stop their votes from counting. Returns votes uncounted.

    Votes are kept with ``counted = false`` and reason ``flagged_voter``; an admin can
    clear the voter (``arena admin unban``) to count them again. Running the scan again
    uncounts any votes a flagged voter cast since.
    """
    if not flags:
        return 0
    current = {r["id"]: r for r in store.voter_log.voters(flagged_or_banned=True)}
    still_counted = store.voter_log.with_counted_votes(f.voter for f in flags)
    total = 0
    for flag in flags:
        if (current.get(flag.voter) or {}).get("flag_reason") != flag.reason:
            store.set_voter_status(
                flag.voter, flag_reason=flag.reason, flag_detail=flag.detail_text(), actor=actor
            )
        if flag.voter in still_counted:
            total += store.set_votes_counted(
                voter=flag.voter, counted=False, reason=VoteReason.FLAGGED_VOTER.value, actor=actor
            )
    return total
