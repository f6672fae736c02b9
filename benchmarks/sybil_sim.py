"""A Sybil attack on a simulated board, with the anomaly scan on and off. Pure numpy.

Honest voters follow Bradley-Terry with true ratings plus a personal taste (each voter's
own offset per model, ``taste_sd`` points), so the scan is tested against voters who
really disagree with the crowd. Most honest voters have an address of their own; a share
``shared_addresses`` sit behind shared ones (offices, campuses, carrier NAT), about
``shared_size`` voters each, so the per-address test is tested against crowds too.

The attacker uses ``accounts`` addresses, each within the rate limits: at
``battles_per_minute`` a day gives ``1440 * battles_per_minute`` battles, of which a share
``2 / n_models`` contain the target; the attacker recognises the target with a classifier
of given ``recall`` and ``precision`` (published text classifiers reach over 95%), votes
for it whenever it believes it is there, and casts at most ``votes_per_day`` votes a day.
With ``camouflage`` > 0 that share of its votes are honest ones, to blend in.

- ``attack="accounts"``: one voter id per address, all its votes under it.
- ``attack="sessions"``: the attacker drops its cookie every ``votes_per_session`` votes,
  so each address spreads its votes over fresh voter ids (at most ``sessions_per_address``,
  and at most the server's ``sessions_per_day`` cap per day), each under the scan's
  ``min_votes``.

With defences on, the scan (:func:`modelarena.integrity.scan.scan_votes`, per voter and,
with ``address_scan``, per address) runs every ``scan_every`` attacker votes per address,
over the whole log; a flagged voter's votes stop counting (all of them, retroactively, as
``apply_flags`` does). Reported: the target's rank on the honest board, with the attack
undefended, and defended (at the end, and the best rank it reached on the live board
between scans), and every detection rate with its n and a 95% Wilson interval.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy.special import expit

from modelarena.integrity.scan import scan_votes
from modelarena.integrity.voter_stats import ALPHA, MIN_VOTES, fit_ratings
from modelarena.ratings.proportions import wilson
from modelarena.ratings.simulate import true_ratings

_LN10_400 = math.log(10.0) / 400.0


@dataclass(frozen=True)
class SybilConfig:
    n_models: int = 100
    honest_votes: int = 1_000_000
    honest_voters: int = 20_000
    taste_sd: float = 50.0
    tie_rate: float = 0.2
    shared_addresses: float = 0.2  # share of honest voters behind a shared address
    shared_size: float = 8.0  # mean honest voters per shared address
    target_rank: int = 10  # true rank of the attacker's model (1 = best)
    attack: Literal["accounts", "sessions"] = "accounts"
    accounts: int = 10  # attacker addresses
    sessions_per_address: int = 7  # attack="sessions": fresh voter ids per address
    votes_per_session: int = 9  # attack="sessions": votes before the cookie is dropped
    sessions_per_day: int = 20  # the server's cap on new sessions per address
    days: float = 1.0
    battles_per_minute: int = 20
    votes_per_day: int = 1000
    recall: float = 0.95
    precision: float = 0.95
    camouflage: float = 0.0
    scan_every: int = 25
    address_scan: bool = True
    alpha: float = ALPHA
    min_votes: int = MIN_VOTES
    seed: int = 0


@dataclass(frozen=True)
class Rate:
    """``k`` of ``n``, with a 95% Wilson interval."""

    k: int
    n: int

    @property
    def share(self) -> float:
        return self.k / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        if not self.n:
            return (0.0, 1.0)
        ci = wilson(self.k, self.n)
        return (float(ci.lower or 0.0), float(ci.upper or 1.0))

    def __str__(self) -> str:
        low, high = self.interval
        return f"{_pct(self.share)} ({self.k:,} of {self.n:,}; 95% CI {_pct(low)}-{_pct(high)})"

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n": self.n, "share": self.share, "ci95": list(self.interval)}


def _pct(x: float) -> str:
    return f"{x:.1%}" if x >= 0.01 or x == 0 else f"{x:.3%}"


@dataclass
class SybilResult:
    config: SybilConfig
    attacker_votes_per_address: int
    sessions_per_address: int
    rank_honest: int
    rank_undefended: int
    rank_defended: int
    worst_rank_defended_live: int
    addresses_flagged: Rate  # attacker addresses with a voter id flagged by the end
    addresses_flagged_within_100: Rate  # ... flagged with at most 100 of their votes cast
    votes_to_flag_median: float | None
    sessions_flagged: Rate  # attacker voter ids flagged by the end
    rigging_votes_uncounted: Rate
    honest_flagged: Rate  # honest voters with >= min_votes ever flagged
    honest_flagged_all: Rate  # all honest voters ever flagged (by their votes or address)
    honest_shared_flagged: Rate  # honest voters behind a shared address ever flagged
    fisher_attackers_flagged: float  # what Fisher's method alone would flag, at the end
    fisher_honest_flagged: float
    seconds: float

    @property
    def moved_undefended(self) -> int:
        return self.rank_honest - self.rank_undefended

    @property
    def moved_defended(self) -> int:
        return self.rank_honest - self.rank_defended

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in vars(self).items():
            if isinstance(value, Rate):
                out[key] = value.to_dict()
        out["moved_undefended"] = self.moved_undefended
        out["moved_defended"] = self.moved_defended
        return out


def _outcomes(rng: np.random.Generator, d: np.ndarray, tie_rate: float) -> np.ndarray:
    p = expit(d)
    t = np.minimum(tie_rate, 2.0 * np.minimum(p, 1.0 - p))
    pa, pb = p - 0.5 * t, 1.0 - p - 0.5 * t
    u = rng.random(d.size)
    tie_kind = np.where(rng.random(d.size) < 0.5, 2, 3)
    return np.where(u < pa, 0, np.where(u < pa + pb, 1, tie_kind)).astype(np.int64)


def _pairs(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    a = rng.integers(0, n, size)
    b = (a + rng.integers(1, n, size)) % n
    return a.astype(np.int64), b.astype(np.int64)


def _rank(ratings: np.ndarray, model: int) -> int:
    return 1 + int(np.sum(ratings > ratings[model]))


def attacker_budget(cfg: SybilConfig) -> int:
    """Votes one address can cast in ``days`` within the rate limits (per session and per
    address alike, so fresh sessions do not raise it)."""
    battles = cfg.battles_per_minute * 1440 * cfg.days
    share = 2.0 / cfg.n_models
    believed = battles * share * cfg.recall / cfg.precision
    believed /= max(1e-9, 1.0 - cfg.camouflage)
    return int(min(cfg.votes_per_day * cfg.days, believed))


def attack_shape(cfg: SybilConfig) -> tuple[int, int]:
    """(votes per attacker address, voter ids per address) within the limits."""
    budget = attacker_budget(cfg)
    if cfg.attack == "accounts":
        return budget, 1
    sessions = min(cfg.sessions_per_address, int(cfg.sessions_per_day * cfg.days))
    return min(budget, sessions * cfg.votes_per_session), sessions


def _honest_addresses(rng: np.random.Generator, cfg: SybilConfig) -> tuple[np.ndarray, int]:
    """Each honest voter's address, and the number of honest addresses."""
    shared = rng.random(cfg.honest_voters) < cfg.shared_addresses
    n_shared = max(1, round(int(shared.sum()) / cfg.shared_size))
    address = np.empty(cfg.honest_voters, dtype=np.int64)
    address[shared] = rng.integers(0, n_shared, int(shared.sum()))
    address[~shared] = n_shared + np.arange(int((~shared).sum()))
    return address, n_shared + int((~shared).sum())


def run_sybil(cfg: SybilConfig) -> SybilResult:
    start = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_models
    truth = true_ratings(n, seed=cfg.seed)
    target = int(np.argsort(-truth)[cfg.target_rank - 1])

    # honest log: heavy-tailed activity, personal taste, some addresses shared
    activity = rng.lognormal(0.0, 1.2, cfg.honest_voters)
    h_voter = rng.choice(cfg.honest_voters, size=cfg.honest_votes, p=activity / activity.sum())
    h_voter = h_voter.astype(np.int64)
    h_a, h_b = _pairs(rng, n, cfg.honest_votes)
    taste = rng.normal(0.0, cfg.taste_sd, (cfg.honest_voters, n)).astype(np.float32)
    d = (truth[h_a] - truth[h_b] + taste[h_voter, h_a] - taste[h_voter, h_b]) * _LN10_400
    h_out = _outcomes(rng, d, cfg.tie_rate)
    del taste, d
    voter_address, n_honest_addresses = _honest_addresses(rng, cfg)
    is_shared = np.bincount(voter_address, minlength=n_honest_addresses)[voter_address] > 1

    # attacker log: per address, votes in order, a fresh voter id every votes_per_session
    budget, sessions = attack_shape(cfg)
    per_session = budget if cfg.attack == "accounts" else cfg.votes_per_session
    k = cfg.accounts
    m_votes = k * budget
    a_address = np.repeat(np.arange(k), budget)
    seq = np.tile(np.arange(budget), k)  # position of the vote in its address's history
    a_voter = (
        cfg.honest_voters + a_address * sessions + np.minimum(seq // per_session, sessions - 1)
    )
    camo = rng.random(m_votes) < cfg.camouflage
    true_hit = rng.random(m_votes) < cfg.precision
    a_a, a_b = _pairs(rng, n, m_votes)
    # a believed-target battle: the target is really in it with probability `precision`
    other = (target + rng.integers(1, n, m_votes)) % n
    side = rng.random(m_votes) < 0.5
    rig = ~camo & true_hit
    a_a = np.where(rig, np.where(side, target, other), a_a)
    a_b = np.where(rig, np.where(side, other, target), a_b)
    a_out = np.where(rig, np.where(side, 0, 1), rng.integers(0, 2, m_votes))
    honest_d = (truth[a_a] - truth[a_b]) * _LN10_400
    a_out = np.where(camo, _outcomes(rng, honest_d, cfg.tie_rate), a_out).astype(np.int64)

    voter = np.concatenate([h_voter, a_voter])
    address = np.concatenate([voter_address[h_voter], n_honest_addresses + a_address])
    ma = np.concatenate([h_a, a_a])
    mb = np.concatenate([h_b, a_b])
    out = np.concatenate([h_out, a_out])
    is_attack = np.concatenate([np.zeros(cfg.honest_votes, bool), np.ones(m_votes, bool)])
    position = np.concatenate([np.zeros(cfg.honest_votes, np.int64), seq])
    n_voters = cfg.honest_voters + k * sessions
    n_addresses = n_honest_addresses + k

    honest_board = fit_ratings(h_a, h_b, h_out, n)
    rank_honest = _rank(honest_board, target)
    rank_undefended = _rank(fit_ratings(ma, mb, out, n), target)

    flagged_ever = np.zeros(n_voters, dtype=bool)
    flagged_at = np.full(k, -1, dtype=np.int64)  # per attacker address
    worst = rank_honest
    flagged = np.zeros(n_voters, dtype=bool)
    fisher_flags = np.zeros(n_voters, dtype=bool)
    cast = 0
    while cast < budget:
        cast = min(budget, cast + cfg.scan_every)
        present = ~is_attack | (position < cast)
        counted = present & ~flagged[voter]
        live = fit_ratings(ma[counted], mb[counted], out[counted], n)
        worst = min(worst, _rank(live, target))  # the best place the target reached
        size = int(present.sum())
        found = scan_votes(
            voter[present],
            ma[present],
            mb[present],
            out[present],
            fit_mask=np.ones(size, dtype=bool),
            scan_mask=np.ones(size, dtype=bool),
            n_voters=n_voters,
            n_models=n,
            address=address[present] if cfg.address_scan else None,
            n_addresses=n_addresses if cfg.address_scan else 0,
            alpha=cfg.alpha,
            min_votes=cfg.min_votes,
        )
        flagged = found.flagged
        hit = np.zeros(k, dtype=bool)
        hit[(np.flatnonzero(flagged[cfg.honest_voters :]) // sessions)] = True
        flagged_at[hit & (flagged_at < 0)] = cast
        flagged_ever |= flagged
        if found.tests is not None:
            tests = found.tests
            fisher_flags = (tests.fisher_p < cfg.alpha) & (tests.votes >= cfg.min_votes)
    counted = ~flagged[voter]
    rank_defended = _rank(fit_ratings(ma[counted], mb[counted], out[counted], n), target)

    honest_counts = np.bincount(h_voter, minlength=cfg.honest_voters)
    tested = honest_counts >= cfg.min_votes
    honest_flags = flagged_ever[: cfg.honest_voters]
    attack_flags = flagged_ever[cfg.honest_voters :]
    used = np.unique(a_voter) - cfg.honest_voters  # voter ids that cast a vote
    caught = flagged_at >= 0
    return SybilResult(
        config=cfg,
        attacker_votes_per_address=budget,
        sessions_per_address=sessions,
        rank_honest=rank_honest,
        rank_undefended=rank_undefended,
        rank_defended=rank_defended,
        worst_rank_defended_live=worst,
        addresses_flagged=Rate(int(caught.sum()), k),
        addresses_flagged_within_100=Rate(int((caught & (flagged_at <= 100)).sum()), k),
        votes_to_flag_median=float(np.median(flagged_at[caught])) if caught.any() else None,
        sessions_flagged=Rate(int(attack_flags[used].sum()), int(used.size)),
        rigging_votes_uncounted=Rate(int(flagged[a_voter].sum()), m_votes),
        honest_flagged=Rate(int(honest_flags[tested].sum()), int(tested.sum())),
        honest_flagged_all=Rate(int(honest_flags.sum()), cfg.honest_voters),
        honest_shared_flagged=Rate(int(honest_flags[is_shared].sum()), int(is_shared.sum())),
        fisher_attackers_flagged=float(fisher_flags[cfg.honest_voters :][used].mean()),
        fisher_honest_flagged=float(fisher_flags[: cfg.honest_voters][tested].mean())
        if tested.any()
        else 0.0,
        seconds=round(time.perf_counter() - start, 2),
    )
