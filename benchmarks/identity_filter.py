"""Precision and recall of the identity filter on the labelled set.

    python benchmarks/identity_filter.py [--cases FILE] [--errors]

The set (``tests/battles/identity_cases.jsonl``, written by hand) holds (prompt, answer,
leak) cases in English and Chinese: self-identifications, disguised ones (full-width,
zero-width, look-alike letters, spelled out, no separators), mentions the prompt asked for,
unprompted third-person mentions and ordinary answers. A leak is an answer that says which
model or lab wrote it without the prompt having asked it to speak as that name.

Prints precision (of the answers flagged, how many leak) and recall (of the leaking answers,
how many are flagged), each with its n and a 95% Wilson interval, then the same per kind and
language, the throughput, and how many paragraphs of this project's docs (which talk about
models but never as one) it flags.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import _setup  # noqa: F401

from modelarena.battles.identity import find_identity_leak
from modelarena.ratings.proportions import wilson

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "battles" / "identity_cases.jsonl"


def load(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _rate(hits: int, n: int) -> str:
    if n == 0:
        return "n=0"
    fig = wilson(hits, n)
    return f"{hits / n:.3f} ({hits}/{n}, 95% CI {fig.lower:.3f}-{fig.upper:.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--errors", action="store_true", help="list every misclassified case")
    args = parser.parse_args(argv)
    cases = load(args.cases)
    find_identity_leak("warm-up")  # build the name pattern once, outside the timing
    start = time.perf_counter()
    flagged = [find_identity_leak(str(c["answer"]), prompt=str(c["prompt"])) for c in cases]
    elapsed = time.perf_counter() - start
    tp = fp = fn = 0
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    splits: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    errors = []
    for case, word in zip(cases, flagged, strict=True):
        leak, hit = bool(case["leak"]), word is not None
        tp += leak and hit
        fp += hit and not leak
        fn += leak and not hit
        split = splits[str(case.get("split", "all"))]
        split[0] += leak and hit
        split[1] += hit and not leak
        split[2] += leak and not hit
        group = groups[(str(case["kind"]), str(case["lang"]))]
        group[0] += hit == leak
        group[1] += 1
        if hit != leak:
            errors.append((case, word))
    print(f"identity filter on {len(cases)} labelled answers ({args.cases.name})")
    print(f"precision {_rate(tp, tp + fp)}")
    print(f"recall    {_rate(tp, tp + fn)}")
    for name, (s_tp, s_fp, s_fn) in sorted(splits.items()):
        print(
            f"  {name:<8} precision {_rate(s_tp, s_tp + s_fp)}, recall {_rate(s_tp, s_tp + s_fn)}"
        )
    print("correct per kind and language:")
    for (kind, lang), (right, n) in sorted(groups.items()):
        print(f"  {kind:<13} {lang}  {_rate(right, n)}")
    print(f"{len(cases) / elapsed:,.0f} answers/s")
    # text about models that never speaks as one: every flag here is a false one
    paragraphs = [
        p
        for doc in sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
        for p in doc.read_text("utf-8").split("\n\n")
        if p.strip()
    ]
    false_flags = sum(find_identity_leak(p) is not None for p in paragraphs)
    print(f"flagged {false_flags} of {len(paragraphs)} paragraphs of README.md and docs/")
    if args.errors:
        for case, word in errors:
            what = f"flagged {word!r}" if word else "missed"
            print(
                f"#{case['id']} [{case['kind']}] {what}: {case['prompt']!r} -> {case['answer']!r}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
