"""How a long run shows its progress: bars on a terminal, a line now and then in a log (no
terminal: a run under nohup or CI is not silent), nothing with --no-progress or --json."""

from __future__ import annotations

import subprocess
import sys

import pytest

from modelarena.cli import run_options
from modelarena.cli.run_options import progress_mode, run_progress


def test_the_mode_follows_the_flags_and_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(run_options.console), "is_terminal", property(lambda self: False))
    assert progress_mode(None) == "log"
    assert progress_mode(True) == "bar"
    assert progress_mode(False) == "off"
    assert progress_mode(None, as_json=True) == "off"
    monkeypatch.setattr(type(run_options.console), "is_terminal", property(lambda self: True))
    assert progress_mode(None) == "bar"


def test_log_mode_says_where_each_task_is_and_when_it_ends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(run_options, "LOG_EVERY_S", 3600.0)
    bar = run_progress("log")
    task = bar.add_task("transcripts", total=3, extra="")
    with bar:
        bar.advance(task)
        assert capsys.readouterr().err == ""  # not before LOG_EVERY_S
        bar.update(task, extra="1,200 tokens  $0.0100")
        bar.advance(task, 2)
        bar.advance(task, 0)  # the end is said once
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("transcripts: 3/3 (100%) after ")
    assert lines[0].endswith("1,200 tokens  $0.0100")
    monkeypatch.setattr(run_options, "LOG_EVERY_S", 0.0)
    bar = run_progress("log")
    task = bar.add_task("battles", total=None, extra="")
    bar.advance(task)
    assert capsys.readouterr().err.startswith("battles: 1 after ")


def test_off_mode_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    bar = run_progress("off")
    task = bar.add_task("transcripts", total=2, extra="")
    with bar:
        bar.advance(task, 2)
    assert capsys.readouterr() == ("", "")


def test_a_run_in_a_log_file_reports_its_progress() -> None:
    """The real command with its output in a pipe, as under nohup: the rule judge on the
    shipped labelled answers says when it has judged them all."""
    done = subprocess.run(
        [sys.executable, "-m", "modelarena", "audit", "validate-judge", "--judge", "rules"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "answers judged: " in done.stderr and "(100%) after " in done.stderr
