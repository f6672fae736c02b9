"""``arena serve`` puts a failed model (which, why, the fix) in its log on stderr."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from modelarena.cli import serve_cmd


@pytest.fixture
def clean_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("modelarena")
    before = list(logger.handlers)
    yield logger
    logger.handlers[:] = before


def test_model_failures_reach_the_server_log_once(
    clean_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_cmd._log_model_failures()
    serve_cmd._log_model_failures()  # a second call adds no second handler
    logging.getLogger("modelarena.arena").error(
        "model 'gpt-4o': could not connect to the model's server (unreachable). Fix: start it"
    )
    err = capsys.readouterr().err
    assert err.count("model 'gpt-4o'") == 1 and err.startswith("ERROR")
    assert "modelarena.arena" in err
