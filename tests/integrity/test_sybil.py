"""A small, seeded Sybil simulation (the full one is benchmarks/sybil.py)."""

from __future__ import annotations

from modelarena.integrity.sybil import SybilConfig, attacker_budget, run_sybil


def test_rate_limits_bound_the_attack() -> None:
    cfg = SybilConfig()
    # 20 battles/min for a day, target in 2% of battles, 95% precision: 576 votes each
    assert attacker_budget(cfg) == 576
    assert attacker_budget(SybilConfig(n_models=10)) == 1000  # the daily vote cap binds


def test_small_sybil_attack_is_caught_and_the_target_stays() -> None:
    cfg = SybilConfig(
        n_models=30, honest_votes=60_000, honest_voters=1500, days=0.25, target_rank=8, seed=11
    )
    r = run_sybil(cfg)
    assert r.moved_undefended >= 3, r  # the attack works when nothing defends the board
    assert r.moved_defended <= 1, r
    assert r.attackers_flagged_within_100 >= 0.8, r
    assert r.honest_flagged <= 0.01, r
    assert r.honest_tested > 1000
