"""How long the language detector takes: loading its model once, then a prompt.

    python benchmarks/language_detection.py [--rounds 20]

Loads the detector in a fresh process (``py3langid`` when the ``language`` extra is
installed, else the word-count fallback), then detects the language of every prompt of the
shipped set (``prompts/arena-100.jsonl``) ``--rounds`` times and prints the load time and
the median time a prompt, with the range over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from importlib import resources

import _setup  # noqa: F401  (import path, BLAS threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from modelarena.battles import language

    began = time.perf_counter()
    language.load_detector()
    load_s = time.perf_counter() - began
    text = resources.files("modelarena.prompts").joinpath("arena-100.jsonl").read_text("utf-8")
    prompts = [json.loads(line)["prompt"] for line in text.splitlines() if line.strip()]
    per_prompt = []
    for _ in range(args.rounds):
        began = time.perf_counter()
        for prompt in prompts:
            language.detect_language(prompt)
        per_prompt.append((time.perf_counter() - began) / len(prompts) * 1000)
    engine = "py3langid" if language._langid() is not None else "word counts (no py3langid)"  # noqa: SLF001
    print(f"detector: {engine}; load {load_s:.2f} s")
    print(
        f"{len(prompts)} prompts x {args.rounds} rounds: median {statistics.median(per_prompt):.3f}"
        f" ms a prompt (range {min(per_prompt):.3f}-{max(per_prompt):.3f})"
    )


if __name__ == "__main__":
    main()
