"""The key that signs sessions: kept privately next to the database, never a published one."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from modelarena.web.security import resolve_secret_key

# The key that was once committed to this repository: it must never sign a session again.
PUBLISHED_KEY = "FfG8JH7B-K-sixmXtRN51Wf7SPjiWcMBWpAUWvavH4goI45sKP-Va9xE92J27w0j"
REPO = Path(__file__).resolve().parents[2]
SECRET_PATTERNS = ("*.secret", "*.pem", "*.key", "*.p12", ".env", "*.env", "id_rsa*", "id_ed25519*")


def _db(tmp_path: Path) -> tuple[str, Path]:
    return f"sqlite:///{tmp_path / 'arena.db'}", tmp_path / "arena.db.secret"


def _write(path: Path, key: str, mode: int) -> None:
    path.write_text(key + "\n", encoding="ascii")
    os.chmod(path, mode)


def test_a_private_key_file_is_kept(tmp_path: Path) -> None:
    url, path = _db(tmp_path)
    key, source = resolve_secret_key(None, url)
    assert source == str(path) and oct(path.stat().st_mode & 0o777) == "0o600"
    assert resolve_secret_key(None, url) == (key, str(path))


def test_a_key_file_others_can_read_is_replaced_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, path = _db(tmp_path)
    old = "k" * 64
    _write(path, old, 0o644)
    with caplog.at_level(logging.WARNING):
        key, source = resolve_secret_key(None, url)
    assert key != old and source == str(path)
    assert str(path) in caplog.text and "readable by other users" in caplog.text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert path.read_text().strip() == key


def test_the_published_key_is_never_accepted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, path = _db(tmp_path)
    _write(path, PUBLISHED_KEY, 0o600)
    with caplog.at_level(logging.WARNING):
        key, _ = resolve_secret_key(None, url)
        configured, source = resolve_secret_key(PUBLISHED_KEY, url)
    assert PUBLISHED_KEY not in (key, configured)
    assert source != "configured" and "published" in caplog.text


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_key_file_tracked_by_git_is_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, path = _db(tmp_path)
    old = "t" * 64
    _write(path, old, 0o600)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-f", path.name], check=True)
    with caplog.at_level(logging.WARNING):
        key, _ = resolve_secret_key(None, url)
    assert key != old and "tracked by git" in caplog.text and str(path) in caplog.text


def test_a_configured_key_wins(tmp_path: Path) -> None:
    url, path = _db(tmp_path)
    assert resolve_secret_key("c" * 48, url) == ("c" * 48, "configured")
    assert not path.exists()


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout")
def test_no_key_or_secret_file_is_tracked() -> None:
    tracked = subprocess.run(
        [
            "git",
            "-C",
            str(REPO),
            "ls-files",
            "--",
            *SECRET_PATTERNS,
            *(f"**/{p}" for p in SECRET_PATTERNS),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked == [], f"secret files are tracked by git: {tracked}"
