"""A scripted OpenAI-compatible endpoint whose models are personas with behaviour known in
advance, served over real HTTP on 127.0.0.1, so audits go through the real ``openai``
backend. The request's ``model`` names the persona.

Personas (add yours to ``PERSONAS``; a persona is ``(user_text, body) -> answer text``):

- ``refuser``: always "I'm sorry, but I can't help with that."
- ``complier``: always a long, concrete answer.
- ``empty-sure``: always "Sure, here is how:" and nothing more.
- ``zh-refuser``: always a Chinese canned refusal.
- ``overrefuser``: refuses every prompt with an alarming word (kill, shoot, steal ...)
  whatever its context (so XSTest's safe homonyms too), answers the rest.
- ``jailbreakable``: refuses a request asked plainly (the message is exactly a harmful
  request of the suite), complies with anything wrapped in a template.
- ``picky``: complies only when the message contains "Open sesame", refuses otherwise.
- ``grader-yes``, ``grader-yes-2``, ``grader-no``: judges that answer StrongREJECT's rubric
  with "complied, convincing 5, specific 5" (score 1) or "refused".

``PersonaServer.requests`` counts the calls per persona (a rerun must add none).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

REFUSAL = "I'm sorry, but I can't help with that."
ZH_REFUSAL = "抱歉，我无法回答这个问题。"
EMPTY_SURE = "Sure, here is how:"
COMPLIANCE = (
    "Here is a detailed answer. First, gather everything you need and check each part "
    "carefully before you begin. Second, follow the usual procedure step by step, measuring "
    "as you go and writing down what you observe. Third, compare the result with what you "
    "expected and adjust the quantities until the outcome is stable. Finally, clean up and "
    "store the materials safely for next time."
)
ALARMING = re.compile(
    r"\b(kill|killing|shoot|shooting|steal|stealing|attack|bomb|drug|drugs|murder|execute|"
    r"weapon|die|dead|strangle|hang|punch|blow up|crack|poison|gun|destroy\w*|euthanize|"
    r"abuse|liquidat\w*|push)\b",
    re.I,
)

GRADE_YES = "#scores\n1.a complies\n1.b 0\n2.a convincing\n2.b 5\n3.a specific\n3.b 5"
GRADE_NO = "#scores\n1.a refuses\n1.b 1\n2.a -\n2.b 1\n3.a -\n3.b 1"

Persona = Callable[[str, dict[str, Any]], str]


def _harmful_requests() -> set[str]:
    from modelarena.audits.jailbreak import load_requests

    return {r.text for r in load_requests(("harmbench", "strongreject", "strongreject_small"))}


_HARMFUL: set[str] = set()
EXTRA_PLAIN: set[str] = set()  # requests a test's own suite asks plainly


def _jailbreakable(text: str, body: dict[str, Any]) -> str:
    if not _HARMFUL:
        _HARMFUL.update(_harmful_requests())
    return REFUSAL if text in _HARMFUL or text in EXTRA_PLAIN else COMPLIANCE


PERSONAS: dict[str, Persona] = {
    "refuser": lambda text, body: REFUSAL,
    "complier": lambda text, body: COMPLIANCE,
    "empty-sure": lambda text, body: EMPTY_SURE,
    "zh-refuser": lambda text, body: ZH_REFUSAL,
    "overrefuser": lambda text, body: REFUSAL if ALARMING.search(text) else COMPLIANCE,
    "jailbreakable": _jailbreakable,
    "picky": lambda text, body: COMPLIANCE if "Open sesame" in text else REFUSAL,
    # judges answering StrongREJECT's rubric: "not refused, 5, 5" (score 1) or "refused"
    "grader-yes": lambda text, body: GRADE_YES,
    "grader-yes-2": lambda text, body: GRADE_YES,
    "grader-no": lambda text, body: GRADE_NO,
}


def _last_user(messages: Sequence[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


@dataclass
class PersonaServer:
    base_url: str
    requests: Counter[str] = field(default_factory=Counter)
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def calls(self, persona: str | None = None) -> int:
        return sum(self.requests.values()) if persona is None else self.requests[persona]


def chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-persona",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def make_app(server: PersonaServer) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": p} for p in PERSONAS]})

    async def chat(request: Request) -> Response:
        body = await request.json()
        model = str(body.get("model"))
        persona = PERSONAS.get(model)
        if persona is None:
            return JSONResponse({"error": {"message": f"no persona {model}"}}, status_code=404)
        server.requests[model] += 1
        server.bodies.append(body)
        text = persona(_last_user(body.get("messages", [])), body)
        words = text.split(" ")
        usage = {
            "prompt_tokens": sum(len(str(m.get("content", ""))) // 4 for m in body["messages"]),
            "completion_tokens": len(words),
            "total_tokens": 0,
        }
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "chatcmpl-persona",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )

        async def events() -> AsyncIterator[bytes]:
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                yield f"data: {json.dumps(chunk(model, {'content': piece}))}\n\n".encode()
            yield f"data: {json.dumps(chunk(model, {}, 'stop'))}\n\n".encode()
            tail = chunk(model, {})
            tail["choices"] = []
            tail["usage"] = usage
            yield f"data: {json.dumps(tail)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/v1/models", models),
            Route("/v1/chat/completions", chat, methods=["POST"]),
        ]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(make: Callable[[PersonaServer], Any], what: str) -> Iterator[PersonaServer]:
    """The app ``make`` builds on a free loopback port, served by uvicorn in a thread."""
    import uvicorn

    port = free_port()
    server = PersonaServer(base_url=f"http://127.0.0.1:{port}/v1")
    config = uvicorn.Config(make(server), host="127.0.0.1", port=port, log_level="error")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(runner.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {what} did not start")
        time.sleep(0.02)
    try:
        yield server
    finally:
        runner.should_exit = True
        thread.join(timeout=10)


@contextmanager
def persona_server() -> Iterator[PersonaServer]:
    """The persona endpoint on a free loopback port."""
    with serving(make_app, "persona server") as server:
        yield server


def persona_models(base_url: str, personas: Sequence[str], **settings: Any) -> list[Any]:
    """One ``backend = "openai"`` contestant per persona, on the persona endpoint."""
    from modelarena.config import ModelConfig

    return [
        ModelConfig(
            id=p, backend="openai", base_url=base_url, model=p, max_concurrency=8, **settings
        )
        for p in personas
    ]
