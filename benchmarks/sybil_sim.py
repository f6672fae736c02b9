"""A Sybil attack on a simulated board, with the anomaly scan on and off. Pure numpy.

Honest voters follow Bradley-Terry with true ratings plus a personal taste (each voter's
own offset per model, ``taste_sd`` points), so the scan is tested against voters who
really disagree with the crowd. The attacker runs ``accounts`` accounts, each within the
rate limits: at ``battles_per_minute`` a day gives ``1440 * battles_per_minute`` battles,
of which a share ``2 / n_models`` contain the target; the attacker recognises the target
with a classifier of given ``recall`` and ``precision`` (published text classifiers reach
over 95%), votes for it whenever it believes it is there, and casts at most
``votes_per_day`` votes a day. With ``camouflage`` > 0 that share of its votes are honest
ones, to blend in.

With defences on, the scan (:func:`modelarena.integrity.voter_stats.scan_votes`) runs every
``scan_every`` attacker votes per account, over the whole log; a flagged account's votes
stop counting (all of them, retroactively, as :func:`apply_flags` does). Reported: the
target's rank on the honest board, with the attack undefended, and defended (at the end,
and the worst rank seen on the live board between scans).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from modelarena.integrity.voter_stats import ALPHA, MIN_VOTES, fit_ratings, scan_votes
from modelarena.ratings.simulate import true_ratings

_LN10_400 = math.log(10.0) / 400.0


@dataclass(frozen=True)
class SybilConfig:
    n_models: int = 100
    honest_votes: int = 1_000_000
    honest_voters: int = 20_000
    taste_sd: float = 50.0
    tie_rate: float = 0.2
    target_rank: int = 10  # true rank of the attacker's model (1 = best)
    accounts: int = 10
    days: float = 1.0
    battles_per_minute: int = 20
    votes_per_day: int = 1000
    recall: float = 0.95
    precision: float = 0.95
    camouflage: float = 0.0
    scan_every: int = 25
    alpha: float = ALPHA
    min_votes: int = MIN_VOTES
    seed: int = 0


@dataclass
class SybilResult:
    config: SybilConfig
    attacker_votes_per_account: int
    rank_honest: int
    rank_undefended: int
    rank_defended: int
    worst_rank_defended_live: int
    attackers_flagged: float  # share of accounts flagged by the end
    attackers_flagged_within_100: float  # share flagged with at most 100 of their votes cast
    votes_to_flag_median: float | None
    honest_flagged: float  # share of honest voters with >= min_votes that were ever flagged
    honest_flagged_all: float  # share of all honest voters
    honest_tested: int
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
    """Votes one account can cast in ``days`` within the rate limits."""
    battles = cfg.battles_per_minute * 1440 * cfg.days
    share = 2.0 / cfg.n_models
    believed = battles * share * cfg.recall / cfg.precision
    believed /= max(1e-9, 1.0 - cfg.camouflage)
    return int(min(cfg.votes_per_day * cfg.days, believed))


def run_sybil(cfg: SybilConfig) -> SybilResult:
    import time

    start = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_models
    truth = true_ratings(n, seed=cfg.seed)
    target = int(np.argsort(-truth)[cfg.target_rank - 1])

    # honest log: heavy-tailed activity, personal taste
    activity = rng.lognormal(0.0, 1.2, cfg.honest_voters)
    h_voter = rng.choice(cfg.honest_voters, size=cfg.honest_votes, p=activity / activity.sum())
    h_voter = h_voter.astype(np.int64)
    h_a, h_b = _pairs(rng, n, cfg.honest_votes)
    taste = rng.normal(0.0, cfg.taste_sd, (cfg.honest_voters, n)).astype(np.float32)
    d = (truth[h_a] - truth[h_b] + taste[h_voter, h_a] - taste[h_voter, h_b]) * _LN10_400
    h_out = _outcomes(rng, d, cfg.tie_rate)
    del taste, d

    # attacker log: per account, votes in order
    budget = attacker_budget(cfg)
    k = cfg.accounts
    m_votes = k * budget
    a_voter = np.repeat(np.arange(k), budget) + cfg.honest_voters
    seq = np.tile(np.arange(budget), k)  # position of the vote in its account's history
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
    ma = np.concatenate([h_a, a_a])
    mb = np.concatenate([h_b, a_b])
    out = np.concatenate([h_out, a_out])
    is_attack = np.concatenate([np.zeros(cfg.honest_votes, bool), np.ones(m_votes, bool)])
    position = np.concatenate([np.zeros(cfg.honest_votes, np.int64), seq])
    n_voters = cfg.honest_voters + k

    honest_board = fit_ratings(h_a, h_b, h_out, n)
    rank_honest = _rank(honest_board, target)
    rank_undefended = _rank(fit_ratings(ma, mb, out, n), target)

    flagged_ever = np.zeros(n_voters, dtype=bool)
    flagged_at = np.full(k, -1, dtype=np.int64)
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
        flagged, tests = scan_votes(
            voter[present],
            ma[present],
            mb[present],
            out[present],
            fit_mask=np.ones(int(present.sum()), dtype=bool),
            scan_mask=np.ones(int(present.sum()), dtype=bool),
            n_voters=n_voters,
            n_models=n,
            alpha=cfg.alpha,
            min_votes=cfg.min_votes,
        )
        newly = flagged[cfg.honest_voters :] & (flagged_at < 0)
        flagged_at[newly] = cast
        flagged_ever |= flagged
        if tests is not None:
            fisher_flags = (tests.fisher_p < cfg.alpha) & (tests.votes >= cfg.min_votes)
    counted = ~flagged[voter]
    rank_defended = _rank(fit_ratings(ma[counted], mb[counted], out[counted], n), target)

    honest_counts = np.bincount(h_voter, minlength=cfg.honest_voters)
    tested = honest_counts >= cfg.min_votes
    honest_flags = flagged_ever[: cfg.honest_voters]
    attack_flags = flagged_ever[cfg.honest_voters :]
    within = (flagged_at >= 0) & (flagged_at <= 100)
    return SybilResult(
        config=cfg,
        attacker_votes_per_account=budget,
        rank_honest=rank_honest,
        rank_undefended=rank_undefended,
        rank_defended=rank_defended,
        worst_rank_defended_live=worst,
        attackers_flagged=float(attack_flags.mean()),
        attackers_flagged_within_100=float(within.mean()),
        votes_to_flag_median=float(np.median(flagged_at[flagged_at >= 0]))
        if (flagged_at >= 0).any()
        else None,
        honest_flagged=float(honest_flags[tested].mean()) if tested.any() else 0.0,
        honest_flagged_all=float(honest_flags.mean()),
        honest_tested=int(tested.sum()),
        fisher_attackers_flagged=float(fisher_flags[cfg.honest_voters :].mean()),
        fisher_honest_flagged=float(fisher_flags[: cfg.honest_voters][tested].mean())
        if tested.any()
        else 0.0,
        seconds=round(time.perf_counter() - start, 2),
    )
