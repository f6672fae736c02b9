"""Sybil simulation: 10 rate-limited accounts rig one model on a 100-model, 1M-vote board.

    .venv/bin/python benchmarks/sybil.py                 # the issue's scenario (~1 min)
    .venv/bin/python benchmarks/sybil.py --camouflage 0.5 --json

Pure numpy, in memory (no server): the honest log, the attack and the anomaly scan of
``modelarena.integrity.anomaly`` (see ``modelarena.integrity.sybil`` for the model).
Goal: with defences on the target moves at most 1 rank, at least 80% of attacker accounts
are flagged within 100 votes each, at most 1% of honest voters are flagged.
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import sys

from modelarena.integrity.sybil import SybilConfig, SybilResult, run_sybil


def _print(r: SybilResult) -> None:
    c = r.config
    print(
        f"board: {c.n_models} models, {c.honest_votes:,} honest votes from "
        f"{c.honest_voters:,} voters (taste sd {c.taste_sd:g} points)"
    )
    print(
        f"attack: {c.accounts} accounts x {r.attacker_votes_per_account} votes "
        f"({c.days:g} day(s) at {c.battles_per_minute} battles/min, <= {c.votes_per_day} "
        f"votes/day), target true rank {c.target_rank}, camouflage {c.camouflage:.0%}"
    )
    print(
        f"scan every {c.scan_every} attacker votes per account, alpha {c.alpha:g}, "
        f"min votes {c.min_votes}"
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
    print(
        f"  attacker accounts flagged           : {r.attackers_flagged:.0%} "
        f"({r.attackers_flagged_within_100:.0%} within 100 votes; median "
        f"{r.votes_to_flag_median} votes)"
    )
    print(
        f"  honest voters flagged               : {r.honest_flagged:.3%} of "
        f"{r.honest_tested:,} tested ({r.honest_flagged_all:.3%} of all)"
    )
    print(
        f"  Fisher's method alone would flag    : {r.fisher_attackers_flagged:.0%} attackers, "
        f"{r.fisher_honest_flagged:.3%} honest"
    )
    print(f"  time                                : {r.seconds:.1f} s")


def goals_met(r: SybilResult) -> bool:
    return (
        r.moved_defended <= 1 and r.attackers_flagged_within_100 >= 0.8 and r.honest_flagged <= 0.01
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    d = SybilConfig()
    p.add_argument("--models", type=int, default=d.n_models)
    p.add_argument("--honest-votes", type=int, default=d.honest_votes)
    p.add_argument("--honest-voters", type=int, default=d.honest_voters)
    p.add_argument("--taste-sd", type=float, default=d.taste_sd)
    p.add_argument("--target-rank", type=int, default=d.target_rank)
    p.add_argument("--accounts", type=int, default=d.accounts)
    p.add_argument("--days", type=float, default=d.days)
    p.add_argument(
        "--camouflage",
        type=float,
        default=d.camouflage,
        help="share of the attacker's votes cast honestly, to blend in",
    )
    p.add_argument("--scan-every", type=int, default=d.scan_every)
    p.add_argument("--alpha", type=float, default=d.alpha)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    cfg = SybilConfig(
        n_models=a.models,
        honest_votes=a.honest_votes,
        honest_voters=a.honest_voters,
        taste_sd=a.taste_sd,
        target_rank=a.target_rank,
        accounts=a.accounts,
        days=a.days,
        camouflage=a.camouflage,
        scan_every=a.scan_every,
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
