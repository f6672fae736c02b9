"""Seeded, small: correlated votes of one voter make the plain sandwich too narrow, and the
clustered sandwich brings coverage back near 95% (benchmarks/tournament_calibration.py
runs the full sweep)."""

from __future__ import annotations

import numpy as np

from modelarena import ratings
from modelarena.ratings.clustered import clustered_intervals
from modelarena.tournaments.simulate import SessionModel, simulate_tournaments


def test_clustered_intervals_cover_where_plain_ones_do_not() -> None:
    truth = np.linspace(850.0, 1150.0, 6)
    centred = truth - truth.mean() + 1000.0
    behaviour = SessionModel(voter_share=0.3, sessions_per_voter=5)
    plain, clustered = [], []
    for rep in range(40):
        v = simulate_tournaments(truth, 300, seed=rep, behaviour=behaviour)
        counts = ratings.aggregate(v.model_a, v.model_b, v.outcome, len(truth))
        fit = ratings.fit_bradley_terry(counts)
        iv = ratings.sandwich_intervals(counts, fit)
        plain.append((iv.lower <= centred) & (centred <= iv.upper))
        cl = clustered_intervals(
            counts, fit, v.model_a, v.model_b, v.outcome, sessions=v.session, voters=v.voter
        )
        clustered.append((cl.lower <= centred) & (centred <= cl.upper))
    p, c = float(np.mean(plain)), float(np.mean(clustered))
    assert p < 0.91  # 240 model-cases: the plain sandwich is clearly too narrow here
    assert 0.91 <= c <= 0.98
