"""A judge that looks at the pages: design answers rendered in real Chromium and sent to an
OpenAI-compatible judge as image parts instead of their code (one browser for the module).

The contestants and the judge are scripted OpenAI-compatible endpoints (the requests are
real HTTP requests of the real backend, answered by a mock transport); the rendering is
real."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from design_pages import fenced, page

from modelarena.arena import Arena
from modelarena.backends.base import Message
from modelarena.backends.openai_compat import _message
from modelarena.battles.categories import CATEGORIES
from modelarena.config import ModelConfig, Settings
from modelarena.judge.judge import judge_messages
from modelarena.judge.prompts import PromptItem
from modelarena.judge.report import RunOptions
from modelarena.judge.runner import JudgeRun
from modelarena.runs.cache import Cache
from modelarena.store import Store

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PROMPT = PromptItem("A landing page for a bakery.", "website", "w1")


def test_screenshots_replace_the_code_in_the_judges_messages() -> None:
    website = CATEGORIES["website"]
    code_a, code_b = fenced(page("<p>Alpha</p>")), fenced(page("<p>Beta</p>"))
    system, user = judge_messages(website, "Build it", code_a, code_b, screenshots=(b"A", b"B"))
    assert user.images == (b"A", b"B") and "Alpha" not in user.content
    assert "screenshot" in system.content and "390 px" in system.content
    _, user = judge_messages(website, "Build it", code_a, code_b, screenshots=(None, b"B"))
    assert user.images == (b"B",) and "Answer A did not render" in user.content
    assert "shows Answer B" in user.content
    _, plain = judge_messages(website, "Build it", code_a, code_b)
    assert plain.images == () and "Alpha" in plain.content  # without: the code, as before
    chat = CATEGORIES["chat"]
    _, chat_user = judge_messages(chat, "Hi", "one", "two", screenshots=(b"A", b"B"))
    assert chat_user.images == () and "one" in chat_user.content  # chat has no pages


def test_images_go_to_openai_as_content_parts() -> None:
    sent = _message(Message("user", "Which is better?", images=(PNG_MAGIC + b"x",)))
    text, image = sent["content"]
    assert text == {"type": "text", "text": "Which is better?"}
    url = image["image_url"]["url"]
    assert image["type"] == "image_url" and url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == PNG_MAGIC + b"x"
    assert _message(Message("user", "plain"))["content"] == "plain"


def _arena(url: str) -> Arena:
    models = [
        ModelConfig(
            id=m, catalog="smollm2-135m-instruct", backend="openai",
            base_url="http://scripted.invalid/v1", model=m, max_tokens=64,
        )
        for m in ("m1", "m2", "jd")
    ]  # fmt: skip
    return Arena(Settings(database_url=url, models=models), Store.open(url))


@pytest.mark.browser
async def test_the_judge_sees_screenshots_rendered_in_chromium(
    sqlite_url: str, tmp_path: Path, scripted_openai: Any
) -> None:
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed at /usr/bin/chromium")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from modelarena.designs import AnswerScreenshots, Limits, Renderer

    arena = _arena(sqlite_url)
    s = scripted_openai
    m1, _ = s.backend(s.answer(fenced(page("<p>Fresh bread daily.</p>"))))
    m2, _ = s.backend(s.answer(fenced(page("<p>Stuck.</p>", "while(true){}"))))
    jd, judged = s.backend(s.answer("[[A>B]] The other page is blank."))
    backends = {"m1": m1, "m2": m2, "jd": jd}
    run = JudgeRun(
        arena,
        [PROMPT],
        RunOptions(models=["m1", "m2"], judge="jd"),
        Cache(tmp_path / "c.jsonl"),
        backend_for=backends.__getitem__,
    )
    async with Renderer(Limits(timeout_s=4.0, workers=2)) as renderer:
        run.screenshot = AnswerScreenshots(renderer)
        report = await run.run()
    assert report.battles == 1 and len(judged.requests) == 2  # both orders
    for i in range(2):
        user = judged.sent_json(i)["messages"][-1]["content"]
        assert isinstance(user, list), "the judge got text, not image parts"
        texts = [p["text"] for p in user if p["type"] == "text"]
        images = [p["image_url"]["url"] for p in user if p["type"] == "image_url"]
        assert len(images) == 1  # the looping page never rendered: one screenshot
        assert base64.b64decode(images[0].split(",", 1)[1]).startswith(PNG_MAGIC)
        assert "did not render" in texts[0]
        assert "Fresh bread" not in json.dumps(user) and "<html" not in json.dumps(user)
    for b in backends.values():
        await b.aclose()
    arena.store.close()


def test_a_judge_that_cannot_see_images_is_refused_in_one_line(sqlite_url: str) -> None:
    from typer.testing import CliRunner

    from modelarena.cli.main import app

    args = ["judge", "run", "--screenshots", "--limit", "1", "--no-progress", "--db", sqlite_url]
    out = CliRunner().invoke(app, args)  # the default arena: two local GGUF models
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "which takes no images" in " ".join(out.output.split())
