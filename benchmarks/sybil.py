"""Sybil simulation: rate-limited attackers rig one model on a 100-model, 1M-vote board.

    .venv/bin/python benchmarks/sybil.py                  # 10 accounts, one per address
    .venv/bin/python benchmarks/sybil.py --attack sessions --accounts 50
        # 50 addresses, each dropping its cookie every 9 votes (7 fresh voter ids of 9 votes)
    .venv/bin/python benchmarks/sybil.py --camouflage 0.5 --json

Pure numpy, in memory (no server): the honest log, the attack and the anomaly scan of
``modelarena.integrity.scan`` (see ``sybil_sim.py`` next to this script for the model).
Goal: with defences on the target moves at most 1 rank, at least 80% of attacker addresses
are flagged within 100 votes each, at most 1% of honest voters are flagged.
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import sys

import _setup  # noqa: F401
from sybil_sim import SybilConfig, SybilResult, run_sybil


def _print(r: SybilResult) -> None:
    c = r.config
    print(
        f"board: {c.n_models} models, {c.honest_votes:,} honest votes from "
        f"{c.honest_voters:,} voters (taste sd {c.taste_sd:g} points; "
        f"{c.shared_addresses:.0%} behind shared addresses of ~{c.shared_size:g})"
    )
    shape = (
        "one voter id each"
        if c.attack == "accounts"
        else f"{r.sessions_per_address} fresh voter ids of <= {c.votes_per_session} votes each"
    )
    print(
        f"attack: {c.accounts} addresses x {r.attacker_votes_per_address} votes, {shape} "
        f"({c.days:g} day(s) at {c.battles_per_minute} battles/min, <= {c.votes_per_day} "
        f"votes/day), target true rank {c.target_rank}, camouflage {c.camouflage:.0%}"
    )
    print(
        f"scan every {c.scan_every} attacker votes per address, alpha {c.alpha:g}, "
        f"min votes {c.min_votes}, address test {'on' if c.address_scan else 'off'}"
    )
    print(f"  target rank, honest board           : {r.rank_honest}")
    print(
        f"  target rank, defences off           : {r.rank_undefended} (moved {r.moved_undefended})"
    )
    print(f"  target rank, defences on (final)    : {r.rank_defended} (moved {r.moved_defended})")
    print(
        f"  best rank on the live board, on     : {r.worst_rank_defended_live} "
        f"(moved {r.rank_honest - r.worst_rank_defended_live})"
    )
    print(f"  attacker addresses flagged          : {r.addresses_flagged}")
    print(
        f"    within 100 of their votes         : {r.addresses_flagged_within_100}; median "
        f"{r.votes_to_flag_median} votes"
    )
    print(f"  attacker voter ids flagged          : {r.sessions_flagged}")
    print(f"  rigging votes uncounted at the end  : {r.rigging_votes_uncounted}")
    print(f"  honest voters flagged (tested)      : {r.honest_flagged}")
    print(f"  honest voters flagged (all)         : {r.honest_flagged_all}")
    print(f"  honest voters at shared addresses   : {r.honest_shared_flagged}")
    print(
        f"  Fisher's method alone would flag    : {r.fisher_attackers_flagged:.0%} attacker "
        f"ids, {r.fisher_honest_flagged:.3%} honest"
    )
    print(f"  time                                : {r.seconds:.1f} s")


def goals_met(r: SybilResult) -> bool:
    return (
        r.moved_defended <= 1
        and r.addresses_flagged_within_100.share >= 0.8
        and r.honest_flagged.share <= 0.01
        and r.honest_flagged_all.share <= 0.01
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    d = SybilConfig()
    p.add_argument("--models", type=int, default=d.n_models)
    p.add_argument("--honest-votes", type=int, default=d.honest_votes)
    p.add_argument("--honest-voters", type=int, default=d.honest_voters)
    p.add_argument("--taste-sd", type=float, default=d.taste_sd)
    p.add_argument(
        "--shared-addresses",
        type=float,
        default=d.shared_addresses,
        help="share of honest voters behind a shared address",
    )
    p.add_argument("--shared-size", type=float, default=d.shared_size)
    p.add_argument("--target-rank", type=int, default=d.target_rank)
    p.add_argument(
        "--attack",
        choices=["accounts", "sessions"],
        default=d.attack,
        help="accounts: one voter id per address; sessions: a fresh voter id every "
        "--votes-per-session votes",
    )
    p.add_argument("--accounts", type=int, default=d.accounts, help="attacker addresses")
    p.add_argument("--sessions-per-address", type=int, default=d.sessions_per_address)
    p.add_argument("--votes-per-session", type=int, default=d.votes_per_session)
    p.add_argument("--sessions-per-day", type=int, default=d.sessions_per_day)
    p.add_argument("--days", type=float, default=d.days)
    p.add_argument(
        "--camouflage",
        type=float,
        default=d.camouflage,
        help="share of the attacker's votes cast honestly, to blend in",
    )
    p.add_argument("--scan-every", type=int, default=d.scan_every)
    p.add_argument("--no-address-scan", action="store_true", help="test voters only, not addresses")
    p.add_argument("--alpha", type=float, default=d.alpha)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    cfg = SybilConfig(
        n_models=a.models,
        honest_votes=a.honest_votes,
        honest_voters=a.honest_voters,
        taste_sd=a.taste_sd,
        shared_addresses=a.shared_addresses,
        shared_size=a.shared_size,
        target_rank=a.target_rank,
        attack=a.attack,
        accounts=a.accounts,
        sessions_per_address=a.sessions_per_address,
        votes_per_session=a.votes_per_session,
        sessions_per_day=a.sessions_per_day,
        days=a.days,
        camouflage=a.camouflage,
        scan_every=a.scan_every,
        address_scan=not a.no_address_scan,
        alpha=a.alpha,
        seed=a.seed,
    )
    result = run_sybil(cfg)
    if a.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print(result)
    ok = goals_met(result)
    print("goals met" if ok else "GOALS MISSED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
