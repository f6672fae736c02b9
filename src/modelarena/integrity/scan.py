"""The anomaly scan on arrays: each voter's votes, and each address's votes taken together.

A client that drops its cookie gets a new voter id, so one person can spread rigging votes
over many ids, each under ``min_votes`` and never tested. The scan therefore runs the same
tests (:func:`~modelarena.integrity.voter_stats.voter_tests`) twice: on each voter's votes,
and on the votes from each address (the keyed ``ip_hash``) that at least ``MIN_SESSIONS``
voters used, taken together as if one voter had cast them.

When an address is flagged, its voters whose own votes there lean the way the address's do
are flagged with it: their share of the deciding test's score statistic has its sign (for
the favour test, their votes on the favoured model went its way more than the board
expects; for the temperature test, their votes ignored the board as the address's did). At
a shared address (an office, a campus, a carrier's NAT) the others are left alone; those
that happened to lean the same way are flagged too, which is why a flag keeps every vote
and an admin can clear it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

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

MIN_SESSIONS = 2
"""Addresses used by fewer voters are not tested as a group (that is the voter's own test)."""
_LN10_400 = math.log(10.0) / 400.0


@dataclass(frozen=True)
class ScanResult:
    """What one scan found (the last round's tests)."""

    flagged: NDArray[np.bool_]  # per voter, by their own votes or their address's
    tests: VoterTests | None  # per voter
    via_address: IntArray  # per voter flagged only through an address: that address; else -1
    address_tests: VoterTests | None  # per address
    flagged_addresses: NDArray[np.bool_]
    sessions: IntArray  # per address: voters with scanned votes there


def _distinct_voters(
    address: IntArray, voter: IntArray, n_addresses: int, n_voters: int
) -> IntArray:
    pairs = np.unique(address * n_voters + voter)
    return np.bincount(pairs // n_voters, minlength=n_addresses).astype(np.int64)


def _leaning_voters(
    flagged: NDArray[np.bool_],
    tests: VoterTests,
    votes: tuple[IntArray, IntArray, IntArray, IntArray, NDArray[np.float64]],
    ratings: NDArray[np.float64],
    n_voters: int,
    lrt_decides: NDArray[np.bool_],
) -> IntArray:
    """Per voter, the flagged address whose decision their own votes there lean with."""
    address, voter, a, b, y = votes
    via = -np.ones(n_voters, dtype=np.int64)
    sel = flagged[address]
    if not sel.any():
        return via
    g, v, a, b, y = address[sel], voter[sel], a[sel], b[sel], y[sel]
    d = (ratings[a] - ratings[b]) * _LN10_400
    lrt = lrt_decides[g]
    favour = lrt & tests.favour[g]
    model = tests.favoured[g]
    on_a, on_b = a == model, b == model
    # the favoured model's side of each vote: its score and its expected score
    towards = np.where(on_a, y - expit(d), (1.0 - y) - expit(-d)) * np.sign(tests.shift[g])
    colder = (y - expit(d)) * d * np.sign(tests.beta[g] - 1.0)
    share = np.where(favour, np.where(on_a | on_b, towards, 0.0), np.where(lrt, colder, 1.0))
    keys, pair = np.unique(g * n_voters + v, return_inverse=True)
    lean = np.bincount(pair, share, keys.size) > 0
    via[keys[lean] % n_voters] = keys[lean] // n_voters
    return via


def scan_votes(
    voter: IntArray,
    model_a: IntArray,
    model_b: IntArray,
    outcome: IntArray,
    *,
    fit_mask: NDArray[np.bool_],
    scan_mask: NDArray[np.bool_],
    n_voters: int,
    n_models: int,
    address: IntArray | None = None,
    n_addresses: int = 0,
    alpha: float = ALPHA,
    min_votes: int = MIN_VOTES,
    method: Method = "lrt",
    rounds: int = 2,
) -> ScanResult:
    """Fit on ``fit_mask`` votes; test each voter's, and each address's, ``scan_mask`` votes.

    ``voter`` is -1 for votes without a voter (they inform the fit, are never tested);
    ``address`` (optional) is -1 for votes without one. With ``rounds`` > 1 the board is
    refitted without the voters flagged so far and everyone is tested again, so a large
    attack cannot hide by having moved the fit it is tested against.
    """
    score = np.array([1.0, 0.0, 0.5, 0.5])[outcome]
    excluded = np.zeros(n_voters, dtype=bool)
    result = ScanResult(
        excluded,
        None,
        -np.ones(n_voters, dtype=np.int64),
        None,
        np.zeros(n_addresses, dtype=bool),
        np.zeros(n_addresses, dtype=np.int64),
    )
    has_voter = voter >= 0
    for _ in range(max(1, rounds)):
        voter_ok = np.ones(voter.size, dtype=bool)
        voter_ok[has_voter] = ~excluded[voter[has_voter]]
        fit = fit_mask & voter_ok
        if not fit.any():
            break
        fitted = fit_ratings(model_a[fit], model_b[fit], outcome[fit], n_models)
        rated = np.isfinite(fitted)
        ratings = np.nan_to_num(fitted)
        both = rated[model_a] & rated[model_b]
        mask = scan_mask & has_voter & both
        hist = fit & both
        history = (model_a[hist], model_b[hist], score[hist])
        tests = voter_tests(
            voter[mask], model_a[mask], model_b[mask], score[mask], ratings, n_voters, history
        )
        own = decide(tests, alpha=alpha, min_votes=min_votes, method=method)
        via = -np.ones(n_voters, dtype=np.int64)
        address_tests = None
        flagged_addresses = np.zeros(n_addresses, dtype=bool)
        sessions = np.zeros(n_addresses, dtype=np.int64)
        if address is not None and n_addresses > 0:
            grouped = mask & (address >= 0)
            votes = (
                address[grouped],
                voter[grouped],
                model_a[grouped],
                model_b[grouped],
                score[grouped],
            )
            sessions = _distinct_voters(votes[0], votes[1], n_addresses, n_voters)
            address_tests = voter_tests(
                votes[0], votes[2], votes[3], votes[4], ratings, n_addresses, history
            )
            flagged_addresses = decide(
                address_tests, alpha=alpha, min_votes=min_votes, method=method
            ) & (sessions >= MIN_SESSIONS)
            lrt_decides = (
                np.zeros(n_addresses, dtype=bool)
                if method == "fisher"
                else address_tests.p_value < alpha
            )
            via = _leaning_voters(
                flagged_addresses, address_tests, votes, ratings, n_voters, lrt_decides
            )
            via[own] = -1
        flagged = own | (via >= 0)
        result = ScanResult(flagged, tests, via, address_tests, flagged_addresses, sessions)
        if np.array_equal(flagged, excluded):
            break
        excluded = flagged
    return result
