"""Speed and memory of the rating pipeline, each figure next to its target.

    python benchmarks/bench_ratings.py

Times are medians of a few runs (time.perf_counter) on in-memory vote arrays. Peak memory
runs the 1M-vote pipeline in a fresh subprocess and reports its peak resident set (VmHWM;
ru_maxrss is polluted by the parent through fork) minus that of a subprocess that only
imports numpy (and, separately, minus one that also imports
scipy and modelarena.ratings and loads the vote arrays).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _setup  # noqa: F401
import numpy as np

from modelarena.ratings import aggregate, bootstrap_intervals, fit_bradley_terry, sandwich_intervals
from modelarena.ratings.simulate import simulate_votes, true_ratings


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pipeline(a: np.ndarray, b: np.ndarray, out: np.ndarray, n: int) -> None:
    counts = aggregate(a, b, out, n)
    fit = fit_bradley_terry(counts)
    sandwich_intervals(counts, fit)


_CHILD = """
import sys
import numpy as np
stage = sys.argv[1]
if stage != "numpy":
    sys.path.insert(0, sys.argv[3])
    from modelarena.ratings import aggregate, fit_bradley_terry, sandwich_intervals
    data = np.load(sys.argv[2])
    a, b, out = data["a"], data["b"], data["out"]
    if stage == "fit":
        counts = aggregate(a, b, out, 100)
        fit = fit_bradley_terry(counts)
        sandwich_intervals(counts, fit)
# VmHWM: peak resident set of this process image. (ru_maxrss would also count the
# parent's memory, inherited through fork/vfork before exec.)
with open("/proc/self/status") as fh:
    print(next(line.split()[1] for line in fh if line.startswith("VmHWM:")))
"""


def peak_memory_mb(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> tuple[float, float, float]:
    """(peak of the fit child, minus numpy-only child, minus imports+data child) in MB."""
    src = str(Path(_setup.SRC))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "votes.npz")
        np.savez(path, a=a, b=b, out=out)

        def rss(stage: str) -> float:
            res = subprocess.run(
                [sys.executable, "-c", _CHILD, stage, path, src],
                check=True,
                capture_output=True,
                text=True,
            )
            return int(res.stdout.strip()) / 1024.0  # VmHWM is in KiB

        fit, base_numpy, base_loaded = rss("fit"), rss("numpy"), rss("loaded")
    return fit, fit - base_numpy, fit - base_loaded


def row(label: str, value: str, target: str, ok: bool) -> None:
    print(f"| {label:<52} | {value:>10} | {target:>8} | {'yes' if ok else 'NO':>4} |")


def _time_large() -> float:
    v3 = simulate_votes(true_ratings(300, seed=3), 3_000_000, seed=4)
    return median_time(lambda: pipeline(v3.model_a, v3.model_b, v3.outcome, 300), 3)


def main() -> None:
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    print(f"| {'figure':<52} | {'measured':>10} | {'target':>8} | {'met':>4} |")
    print(f"|{'-' * 54}|{'-' * 12}|{'-' * 10}|{'-' * 6}|")

    v1 = simulate_votes(true_ratings(100, seed=1), 1_000_000, seed=2)
    t1 = median_time(lambda: pipeline(v1.model_a, v1.model_b, v1.outcome, 100), 5)
    row("aggregate + fit + sandwich, 1M votes x 100 models", f"{t1:.3f} s", "0.25 s", t1 <= 0.25)

    t3 = _time_large()
    row("aggregate + fit + sandwich, 3M votes x 300 models", f"{t3:.3f} s", "1 s", t3 <= 1.0)

    counts = aggregate(v1.model_a, v1.model_b, v1.outcome, 100)
    fit = fit_bradley_terry(counts)
    tf = median_time(lambda: fit_bradley_terry(counts), 5)
    row("fit alone (from counts), 1M votes x 100 models", f"{tf:.3f} s", "-", True)
    tb = median_time(lambda: bootstrap_intervals(counts, rounds=1000, seed=0, fit=fit), 3)
    row("bootstrap 1,000 rounds, 1M votes x 100 models", f"{tb:.3f} s", "3 s", tb <= 3.0)
    cpu = time.process_time()
    bootstrap_intervals(counts, rounds=1000, seed=0, fit=fit)
    cpu = time.process_time() - cpu
    print(f"(bootstrap CPU time, all threads: {cpu:.2f} s; wall time depends on other load)")

    peak, over_numpy, over_loaded = peak_memory_mb(v1.model_a, v1.model_b, v1.outcome)
    row(
        "peak RSS of the 1M-vote fit, minus numpy import",
        f"{over_numpy:.0f} MB",
        "300 MB",
        over_numpy <= 300,
    )
    print(
        f"(peak RSS of that process {peak:.0f} MB; minus imports of scipy+modelarena and "
        f"the loaded 24 MB vote arrays: {over_loaded:.0f} MB)"
    )
    iters = fit.iterations
    print(f"(1M x 100 fit: {iters} Newton iterations, converged={fit.converged})")


if __name__ == "__main__":
    main()
