"""How fast ``arena landscape adoption`` reads a full-Hub-sized snapshot (target: 2,000,000
models in under 60 s and 4 GB).

Generates a Hub-like metadata snapshot in a temporary folder, in the shape of the public
hub-stats dump (``id, author, createdAt, lastModified, downloads, downloadsAllTime, likes,
tags, cardData`` as a JSON string, ``baseModels`` as ``{relation, models: [{_id, id}]}``,
``pipeline_tag, library_name, gguf``), with what makes the real one hard:

* a long tail of uploaders (Zipf) next to the labs of the ATOM list, which upload the base
  models; heavy-tailed downloads (log-normal, 40% zero in the 30-day counter);
* 55% derivatives (fine-tunes, adapters, quantisations with a ``gguf`` tag, merges of 2 to 5
  parents), each naming parents created before it, so lineage chains run several steps deep;
  the ``base_model:<relation>:<repo>`` tags alongside, as on the Hub;

then runs the real command, ``python -m modelarena landscape adoption``, in a child process
and reports its wall time and peak resident memory (``ru_maxrss`` of the child).

    python benchmarks/bench_adoption.py                 # 2M models, 1 run
    python benchmarks/bench_adoption.py --models 200000 --runs 3
    python benchmarks/bench_adoption.py --keep /tmp/snapshot.parquet
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup  # noqa: F401  (import path, BLAS threads)
import numpy as np

LABS = [
    ("meta-llama", "Llama"),
    ("Qwen", "Qwen"),
    ("deepseek-ai", "DeepSeek"),
    ("google", "gemma"),
    ("mistralai", "Mistral"),
    ("microsoft", "Phi"),
    ("openai", "gpt-oss"),
    ("zai-org", "GLM"),
    ("moonshotai", "Kimi"),
    ("ibm-granite", "granite"),
    ("allenai", "OLMo"),
    ("tiiuae", "Falcon"),
    ("01-ai", "Yi"),
    ("nvidia", "Nemotron"),
    ("HuggingFaceTB", "SmolLM"),
    ("CohereLabs", "aya"),
]
RELATIONS = np.array(["finetune", "adapter", "quantized", "merge"])
PIPELINES = np.array(
    ["text-generation", "image-text-to-text", "feature-extraction", "text-classification"]
)


def generate(path: Path, n: int, seed: int = 0, chunk: int = 250_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_base = min(4000, max(100, n // 500))
    # uploaders: the labs upload the base models; everyone else is a long Zipf tail
    community = np.array([f"user{i}" for i in range(max(1000, n // 7))])
    ids = np.empty(n, dtype=object)
    authors = np.empty(n, dtype=object)
    lab_of_base = rng.integers(0, len(LABS), n_base)
    for i in range(n_base):
        org, fam = LABS[lab_of_base[i]]
        authors[i] = org
        ids[i] = f"{org}/{fam}-{i}-{rng.integers(1, 400)}B"
    ranks = np.minimum(rng.zipf(1.3, n - n_base), len(community)) - 1
    authors[n_base:] = community[ranks]
    suffix = rng.integers(0, 1 << 40, n - n_base)
    ids[n_base:] = [f"{a}/model-{s:x}" for a, s in zip(authors[n_base:], suffix, strict=True)]
    # creation: base models first, then derivatives, growing over 2022-2026
    start, end = np.datetime64("2022-03-01"), np.datetime64("2026-06-01")
    span = (end - start).astype("timedelta64[s]").astype(np.int64)
    created = start + (np.sort(rng.random(n) ** 0.6) * span).astype("timedelta64[s]")
    is_deriv = np.zeros(n, bool)
    is_deriv[n_base:] = rng.random(n - n_base) < 0.62
    relation = np.where(is_deriv, RELATIONS[rng.choice(4, n, p=[0.5, 0.15, 0.27, 0.08])], None)
    downloads = np.where(rng.random(n) < 0.4, 0, rng.lognormal(3.0, 2.6, n).astype(np.int64))
    downloads[:n_base] = rng.lognormal(11, 2.5, n_base).astype(np.int64)
    all_time = downloads * rng.integers(1, 30, n)
    parents: list[list[str] | None] = [None] * n
    for i in np.flatnonzero(is_deriv):
        k = int(rng.integers(2, 6)) if relation[i] == "merge" else 1
        # a base model (60%) or an earlier model (a fine-tune of a fine-tune ...)
        if rng.random() < 0.6:
            pick = rng.integers(0, n_base, k)
        else:
            pick = (i * rng.random(k) ** 0.3).astype(np.int64)
        parents[i] = [ids[p] for p in pick]
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        tags, cards, bases, gguf = [], [], [], []
        for i in range(lo, hi):
            t = ["transformers", "safetensors", str(PIPELINES[i % 4]), "region:us"]
            ps = parents[i]
            card: dict[str, object] = {"license": "apache-2.0"}
            if ps:
                rel = str(relation[i])
                t += [f"base_model:{p}" for p in ps] + [f"base_model:{rel}:{p}" for p in ps]
                card["base_model"] = ps[0] if len(ps) == 1 else ps
                bases.append({"relation": rel, "models": [{"_id": "x", "id": p} for p in ps]})
            else:
                bases.append(None)
            if relation[i] == "quantized":
                t.append("gguf")
                gguf.append('{"total": 8030261248, "architecture": "llama"}')
            else:
                gguf.append(None)
            tags.append(t)
            cards.append(json.dumps(card))
        table = pa.table(
            {
                "id": pa.array(ids[lo:hi], pa.string()),
                "author": pa.array(authors[lo:hi], pa.string()),
                "createdAt": pa.array(created[lo:hi].astype("datetime64[us]")),
                "lastModified": pa.array(created[lo:hi].astype("datetime64[us]")),
                "downloads": pa.array(downloads[lo:hi]),
                "downloadsAllTime": pa.array(all_time[lo:hi]),
                "likes": pa.array(rng.integers(0, 50, hi - lo)),
                "tags": pa.array(tags, pa.list_(pa.string())),
                "cardData": pa.array(cards, pa.string()),
                "baseModels": pa.array(
                    bases,
                    pa.struct(
                        [
                            ("relation", pa.string()),
                            (
                                "models",
                                pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())])),
                            ),
                        ]
                    ),
                ),
                "pipeline_tag": pa.array(PIPELINES[np.arange(lo, hi) % 4].tolist(), pa.string()),
                "library_name": pa.array(["transformers"] * (hi - lo), pa.string()),
                "gguf": pa.array(gguf, pa.string()),
            }
        )
        if lo == 0:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
    writer.close()


def run_once(snapshot: Path, extra: list[str]) -> tuple[float, float, float, dict[str, object]]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one ``arena landscape
    adoption`` child process. On a shared machine the CPU time is the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, PYTHONPATH=str(_setup.SRC))
    cmd = [sys.executable, "-m", "modelarena", "landscape", "adoption", str(snapshot)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "--format", "json", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"adoption failed: {err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the snapshot here and keep it")
    parser.add_argument("--snapshot", type=Path, help="use this snapshot instead of generating")
    parser.add_argument("extra", nargs="*", help="options passed to arena landscape adoption")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = args.snapshot or args.keep or Path(tmp) / "hub_snapshot.parquet"
        if not args.snapshot:
            t0 = time.perf_counter()
            generate(snapshot, args.models)
            size = snapshot.stat().st_size / 2**20
            print(
                f"generated {args.models:,} models in {time.perf_counter() - t0:.1f} s "
                f"({size:.0f} MB parquet)"
            )
        walls = []
        for run in range(args.runs):
            wall, cpu, peak, data = run_once(snapshot, args.extra)
            walls.append(wall)
            lin = data["lineage"]  # type: ignore[index]
            print(
                f"run {run + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.0f} MB "
                f"(load average {os.getloadavg()[0]:.1f}); "
                f"{lin['models']:,} models, {lin['with_parents']:,} with parents, "  # type: ignore[index]
                f"{len(data['figures']):,} figures"  # type: ignore[arg-type]
            )
        if walls:
            print(
                f"median {statistics.median(walls):.1f} s over {len(walls)} run(s) "
                f"(target < 60 s, < 4096 MB); cpus {os.cpu_count()}"
            )


if __name__ == "__main__":
    main()
