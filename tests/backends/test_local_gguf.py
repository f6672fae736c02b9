"""LocalGGUFBackend with the real bundled SmolLM2-135M model."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from modelarena.backends import (
    BackendTimeout,
    BackendUnavailable,
    GenerationSettings,
    Message,
    local_gguf,
)
from modelarena.backends.local_gguf import THREAD_NAME, LocalGGUFBackend

pytestmark = pytest.mark.llama

COUNT = [Message("user", "Count from 1 to 100, separated by commas.")]


def gguf_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


async def wait_for_workers(timeout_s: float) -> float:
    """Seconds until no generation thread is left (fails after timeout_s)."""
    start = time.perf_counter()
    while gguf_threads():
        assert time.perf_counter() - start < timeout_s, "generation thread still running"
        await asyncio.sleep(0.01)
    return time.perf_counter() - start


async def test_streams_text_then_stats(bundled_gguf: Path) -> None:
    backend = LocalGGUFBackend(bundled_gguf, n_ctx=1024)
    settings = GenerationSettings(max_tokens=24, temperature=0.0, seed=1)
    chunks = [c async for c in backend.stream([Message("user", "Say hello.")], settings)]
    text, final = chunks[:-1], chunks[-1].final
    assert final is not None and all(c.final is None for c in text)
    assert len(text) > 1 and "".join(c.text for c in text).strip()
    assert final.completion_tokens is not None and 0 < final.completion_tokens <= 24
    assert final.prompt_tokens is not None and final.prompt_tokens > 5
    assert final.time_to_first_token_s is not None
    assert 0 < final.time_to_first_token_s <= final.total_time_s
    assert final.finish_reason in {"stop", "length"}
    await backend.aclose()


async def test_system_prompt_reaches_the_chat_template(bundled_gguf: Path) -> None:
    backend = LocalGGUFBackend(bundled_gguf, n_ctx=1024)
    settings = GenerationSettings(max_tokens=2, temperature=0.0)
    hello = [Message("user", "Hi")]
    with_system = [Message("system", "You are a pirate. " * 30), *hello]
    short = [c async for c in backend.stream(hello, settings)][-1].final
    long = [c async for c in backend.stream(with_system, settings)][-1].final
    assert short is not None and long is not None
    assert long.prompt_tokens and short.prompt_tokens
    # SmolLM2's template adds its own default system prompt when none is given.
    assert long.prompt_tokens > short.prompt_tokens + 60


async def test_two_contestants_generate_at_the_same_time(bundled_gguf: Path) -> None:
    # Both sides of the bundled battle use the same file: neither may wait for the other.
    sides = [LocalGGUFBackend(bundled_gguf, n_ctx=1024) for _ in range(2)]
    settings = GenerationSettings(max_tokens=48, temperature=0.0)
    arrivals: dict[int, list[float]] = {0: [], 1: []}

    async def run(i: int) -> None:
        async for chunk in sides[i].stream(COUNT, settings):
            if chunk.text:
                arrivals[i].append(time.perf_counter())

    await asyncio.gather(run(0), run(1))
    first = {i: times[0] for i, times in arrivals.items()}
    last = {i: times[-1] for i, times in arrivals.items()}
    assert len(arrivals[0]) > 10 and len(arrivals[1]) > 10
    # Interleaved: each side produced its first token before the other side finished.
    assert first[0] < last[1] and first[1] < last[0]


async def test_stopping_early_stops_generation_promptly(bundled_gguf: Path) -> None:
    backend = LocalGGUFBackend(bundled_gguf, n_ctx=1024)
    settings = GenerationSettings(max_tokens=900, temperature=0.0)
    stream = backend.stream(COUNT, settings)
    received = 0
    async for chunk in stream:
        received += bool(chunk.text)
        if received == 3:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    # 900 tokens would take many seconds; the worker must notice within a token or two.
    assert await wait_for_workers(timeout_s=1.0) < 1.0


async def test_deadline_gives_timeout_and_stops_the_worker(bundled_gguf: Path) -> None:
    backend = LocalGGUFBackend(bundled_gguf, n_ctx=1024)
    settings = GenerationSettings(max_tokens=900, temperature=0.0, timeout_s=0.5)
    with pytest.raises(BackendTimeout):
        async for _ in backend.stream(COUNT, settings):
            pass
    await wait_for_workers(timeout_s=1.0)


async def test_a_loaded_model_is_reused(bundled_gguf: Path) -> None:
    settings = GenerationSettings(max_tokens=2, temperature=0.0)
    backend = LocalGGUFBackend(bundled_gguf, n_ctx=512)  # a key no other test uses
    [c async for c in backend.stream([Message("user", "Hi")], settings)]
    loads = local_gguf._POOL.loads
    other = LocalGGUFBackend(bundled_gguf, n_ctx=512)
    [c async for c in other.stream([Message("user", "Hi")], settings)]
    assert local_gguf._POOL.loads == loads


def test_missing_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="not found"):
        LocalGGUFBackend(tmp_path / "missing.gguf")


async def test_unloadable_file_is_unavailable(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf file at all")
    backend = LocalGGUFBackend(junk)
    with pytest.raises(BackendUnavailable, match="could not load"):
        async for _ in backend.stream([Message("user", "Hi")], GenerationSettings()):
            pass


@pytest.mark.llama
def test_concurrent_loads_keep_stdout(bundled_gguf: Path, tmp_path: Path) -> None:
    """Two sides loading at once must not leave the process's stdout on /dev/null."""
    import subprocess
    import sys

    script = (
        "import asyncio\n"
        "from modelarena.backends.base import GenerationSettings, Message\n"
        "from modelarena.backends.local_gguf import LocalGGUFBackend\n"
        f"path = {str(bundled_gguf)!r}\n"
        "async def one(n):\n"
        "    b = LocalGGUFBackend(path, n_ctx=256 + n)\n"
        "    return [c async for c in b.stream([Message('user', 'Hi')],"
        " GenerationSettings(max_tokens=2))]\n"
        "async def main():\n"
        "    await asyncio.gather(*(one(i) for i in range(4)))\n"
        "asyncio.run(main())\n"
        "print('still here', flush=True)\n"
    )
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert out.returncode == 0, out.stderr
        assert "still here" in out.stdout
