"""A small, seeded Sybil simulation (the full one is benchmarks/sybil.py; the model is in
benchmarks/sybil_sim.py, outside the product package)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def sim() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        import sybil_sim

        yield sybil_sim
    finally:
        sys.path.remove(str(BENCH))


SMALL = {"n_models": 30, "honest_votes": 60_000, "honest_voters": 1500, "target_rank": 8}


def test_rate_limits_bound_the_attack(sim: ModuleType) -> None:
    cfg = sim.SybilConfig()
    # 20 battles/min for a day, target in 2% of battles, 95% precision: 576 votes each
    assert sim.attacker_budget(cfg) == 576
    assert sim.attacker_budget(sim.SybilConfig(n_models=10)) == 1000  # the daily vote cap binds
    # fresh sessions do not raise an address's budget; the session cap bounds their number
    assert sim.attack_shape(sim.SybilConfig(attack="sessions")) == (63, 7)
    capped = sim.SybilConfig(attack="sessions", sessions_per_address=100, sessions_per_day=20)
    assert sim.attack_shape(capped) == (180, 20)


def test_small_sybil_attack_is_caught_and_the_target_stays(sim: ModuleType) -> None:
    r = sim.run_sybil(sim.SybilConfig(**SMALL, days=0.25, seed=11))
    assert r.moved_undefended >= 3, r  # the attack works when nothing defends the board
    assert r.moved_defended <= 1, r
    assert r.addresses_flagged_within_100.share >= 0.8, r
    assert r.honest_flagged.share <= 0.01, r
    assert r.honest_flagged.n > 1000


def test_fresh_sessions_from_one_address_are_caught_by_the_address_test(
    sim: ModuleType,
) -> None:
    """The issue's attacker: 7 sessions of 9 rigging votes from each address."""
    cfg = sim.SybilConfig(**SMALL, attack="sessions", accounts=20, seed=3)
    blind = sim.run_sybil(dataclasses.replace(cfg, address_scan=False))
    assert blind.sessions_flagged.k == 0, blind  # every voter id is under min_votes
    assert blind.moved_defended >= 2, blind  # and the target moves
    r = sim.run_sybil(cfg)
    assert r.addresses_flagged.share >= 0.9, r
    assert r.rigging_votes_uncounted.share >= 0.9, r
    assert r.moved_defended <= 1, r
    assert r.honest_flagged_all.share <= 0.01, r
    assert r.honest_shared_flagged.n > 100  # honest crowds behind shared addresses
