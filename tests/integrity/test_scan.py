"""The scan on arrays: voter ids too small to test alone are tested through their address."""

from __future__ import annotations

import numpy as np

from modelarena.integrity.scan import MIN_SESSIONS, scan_votes

N = 12
STRENGTH = np.linspace(300, -300, N)


def _honest(rng: np.random.Generator, voters: int, votes: int, first: int = 0):
    a = rng.integers(0, N, votes)
    b = (a + rng.integers(1, N, votes)) % N
    p = 1 / (1 + 10 ** ((STRENGTH[b] - STRENGTH[a]) / 400))
    u = rng.random(votes)
    t = np.minimum(0.2, 2 * np.minimum(p, 1 - p))
    out = np.where(u < p - t / 2, 0, np.where(u < 1 - t, 1, 2))
    return first + rng.integers(0, voters, votes), a, b, out


def _rigging(rng: np.random.Generator, voter: int, votes: int, target: int):
    other = (target + rng.integers(1, N, votes)) % N
    side = rng.random(votes) < 0.5
    a = np.where(side, target, other)
    b = np.where(side, other, target)
    return np.full(votes, voter), a, b, np.where(side, 0, 1)


def _log(parts):
    return [np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(4)]


def _scan(voter, a, b, out, address, n_voters, n_addresses):
    every = np.ones(voter.size, dtype=bool)
    return scan_votes(
        voter,
        a,
        b,
        out,
        fit_mask=every,
        scan_mask=every,
        n_voters=n_voters,
        n_models=N,
        address=address,
        n_addresses=n_addresses,
    )


def test_seven_fresh_sessions_of_nine_votes_from_one_address_are_flagged() -> None:
    """The issue's attacker: no voter id reaches min_votes, so only the address shows it."""
    rng = np.random.default_rng(0)
    target = 8
    honest = _honest(rng, 150, 6000)
    riggers = [_rigging(rng, 150 + s, 9, target) for s in range(7)]
    voter, a, b, out = _log([honest, *riggers])
    address = np.where(voter < 150, voter, 150)  # honest voters alone; riggers share one
    without = _scan(voter, a, b, out, None, 157, 0)
    assert not without.flagged.any()  # each id is under min_votes: the voter test is blind
    found = _scan(voter, a, b, out, address, 157, 151)
    assert np.flatnonzero(found.flagged).tolist() == list(range(150, 157))
    assert found.via_address[150:].tolist() == [150] * 7
    assert np.flatnonzero(found.flagged_addresses).tolist() == [150]
    assert found.sessions[150] == 7 and found.address_tests is not None
    assert found.address_tests.favoured[150] == target
    assert found.address_tests.votes[150] == 63


def test_at_a_shared_address_only_the_voters_leaning_with_it_are_flagged() -> None:
    rng = np.random.default_rng(1)
    target = 8
    honest = _honest(rng, 150, 6000)
    # an office: two voters who never met the target, two who always voted against it,
    # and a rigger's seven fresh sessions
    never = _honest(rng, 2, 200, first=150)
    keep = (never[1] != target) & (never[2] != target)
    never = tuple(part[keep] for part in never)
    against = _rigging(rng, 152, 8, target)  # four votes each: under min_votes, like the
    against = (np.repeat([152, 153], 4), against[1], against[2], 1 - against[3])  # riggers'
    riggers = [_rigging(rng, 154 + s, 9, target) for s in range(7)]
    voter, a, b, out = _log([honest, never, against, *riggers])
    address = np.where(voter < 150, voter, 150)
    found = _scan(voter, a, b, out, address, 161, 151)
    assert found.flagged_addresses[150] and found.sessions[150] == 11
    assert found.flagged[154:].all()
    assert not found.flagged[150:154].any()  # the office's other voters are left alone
    assert not found.flagged[:150].any()


def test_an_honest_shared_address_is_not_flagged() -> None:
    rng = np.random.default_rng(2)
    voter, a, b, out = _log([_honest(rng, 400, 20_000)])
    address = voter // 8  # fifty offices of eight honest voters
    found = _scan(voter, a, b, out, address, 400, 50)
    assert (found.sessions >= MIN_SESSIONS).all()
    assert not found.flagged.any() and not found.flagged_addresses.any()
