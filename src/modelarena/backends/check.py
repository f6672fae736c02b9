"""What is wrong with a contestant, for the operator: the model, the cause and the fix.

Voters never see any of this (a failed side stays anonymous to them); it goes to the
server log, to ``arena battle`` once the battle has failed, and to ``arena models --check``,
which tries every configured model with a one-line prompt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

from modelarena.backends import build_backend, generation_settings
from modelarena.backends.base import BackendError, Message
from modelarena.config import ModelConfig

PROBE = [Message("user", "Reply with the single word: OK")]
PROBE_MAX_TOKENS = 8
PROBE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Problem:
    model: str
    reason: str  # the stable code stored with a failed battle
    cause: str
    fix: str

    def describe(self) -> str:
        return f"model {self.model!r}: {self.cause} ({self.reason}). Fix: {self.fix}"


def diagnose(cfg: ModelConfig, reason: str, message: str) -> Problem:
    """The operator's view of a failure: ``reason`` and ``message`` from a BackendError."""
    cause = message.removeprefix(f"model {cfg.id!r}: ")
    return Problem(cfg.id, reason, cause, _fix(cfg, reason, cause))


def _fix(cfg: ModelConfig, reason: str, cause: str) -> str:
    where = f"the [[models]] entry with id = {cfg.id!r}"
    if "environment variable" in cause and cfg.api_key_env:
        return f"export {cfg.api_key_env}=<your API key> in the environment that runs arena"
    if "GGUF file not found" in cause or "needs path" in cause:
        return f"point `path` in {where} at an existing .gguf file"
    if "llama-cpp-python" in cause:
        return cause.split(": ", 1)[-1]
    if "could not load the local model file" in cause:
        return f"check that `path` in {where} is a complete GGUF file (download it again)"
    if "ended before the answer was finished" in cause:
        return (
            "a server that answers one request at a time may have cut this answer for the "
            "other side's (llama_cpp.server: start it with --interrupt_requests False, or give "
            "each model its own server); otherwise see the model server's log"
        )
    if "needs base_url" in cause:
        return f"set `base_url` in {where}"
    if "unknown backend" in cause:
        return f"set `backend` in {where} to a registered backend"
    hints = {
        "unreachable": f"start the model's server at {cfg.base_url}, or correct `base_url`",
        "auth": (
            f"check the key in ${cfg.api_key_env}"
            if cfg.api_key_env
            else f"set `api_key_env` in {where} to the variable holding the key"
        ),
        "unavailable": f"check `model` (the provider's model name) in {where}",
        "timeout": f"raise `timeout_s` in {where}, or check the server is not overloaded",
        "rate_limited": f"lower `max_concurrency` in {where}, or check the provider's quota",
        "server_error": "see the model server's own log",
        "malformed_stream": (
            "check that `base_url` is an OpenAI-compatible endpoint (it usually ends in /v1)"
        ),
        "bad_request": f"check `model` and the sampling settings in {where}",
    }
    return hints.get(reason, "see the traceback in the arena's log")


@dataclass(frozen=True)
class CheckResult:
    model: str
    backend: str
    ok: bool
    seconds: float
    answer: str = ""
    problem: Problem | None = None


async def check_model(cfg: ModelConfig, *, send: bool = True) -> CheckResult:
    """Build the model's backend and (``send``) ask it one short question."""
    started = time.perf_counter()

    def result(problem: Problem | None = None, answer: str = "") -> CheckResult:
        seconds = time.perf_counter() - started
        return CheckResult(cfg.id, cfg.backend, problem is None, seconds, answer, problem)

    try:
        backend = build_backend(cfg)
    except BackendError as exc:
        return result(diagnose(cfg, exc.reason, str(exc)))
    try:
        if not send:
            return result()
        settings = generation_settings(cfg)
        settings = dataclasses.replace(
            settings,
            max_tokens=PROBE_MAX_TOKENS,
            timeout_s=min(settings.timeout_s, PROBE_TIMEOUT_S),
        )
        text: list[str] = []
        try:
            async with asyncio.timeout(settings.timeout_s * 2):
                async for chunk in backend.stream(PROBE, settings):
                    text.append(chunk.text)
        except BackendError as exc:
            return result(diagnose(cfg, exc.reason, str(exc)))
        except TimeoutError:
            return result(diagnose(cfg, "timeout", "no answer in time"))
        except Exception as exc:  # noqa: BLE001 - a broken backend is a finding, not a crash
            return result(diagnose(cfg, "backend_error", f"the backend failed: {exc!r}"))
        return result(answer="".join(text).strip())
    finally:
        await backend.aclose()


async def check_models(
    configs: Sequence[ModelConfig], *, send: bool = True, concurrency: int = 4
) -> list[CheckResult]:
    """:func:`check_model` for each, a few at a time, in the order given."""
    gate = asyncio.Semaphore(concurrency)

    async def one(cfg: ModelConfig) -> CheckResult:
        async with gate:
            return await check_model(cfg, send=send)

    return list(await asyncio.gather(*(one(c) for c in configs)))
