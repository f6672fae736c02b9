"""What every command shares: the console, loading the arena, and turning errors into text."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config", "-c", help="Config file (TOML). Default: $ARENA_CONFIG or ./arena.toml"
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL. Default: $ARENA_DATABASE_URL or sqlite:///arena.db"),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and exit. ``message`` is plain text, never markup: an install
    hint such as ``pip install 'modelarena[parquet]'`` keeps its brackets."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """A notice on stderr (plain text, like :func:`fail`)."""
    err_console.print(f"[yellow]note:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_notices(arena) -> None:  # type: ignore[no-untyped-def]
    """What the operator should know about the contestants before they play."""
    from modelarena.backends.contestants import bundled_pair_notice

    notice = bundled_pair_notice(arena.settings)
    if notice:
        note(notice)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one clear line instead of a traceback."""
    from modelarena.arena import ArenaError, ModelUnavailable
    from modelarena.backends.base import BackendError
    from modelarena.battles.categories import UnknownCategory
    from modelarena.battles.pairing import NotEnoughModels
    from modelarena.catalog import CatalogError
    from modelarena.config import ConfigError
    from modelarena.store import BattleNotFound, StoreError, VoteRejected

    try:
        yield
    except ModelUnavailable as exc:
        # the battle has failed and can never be voted on: the operator may know who
        fail(f"{exc.problem.describe()}")
    except (
        ConfigError,
        CatalogError,
        StoreError,
        ArenaError,
        UnknownCategory,
        NotEnoughModels,
        BattleNotFound,
        VoteRejected,
        BackendError,
    ) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None
    except ValueError as exc:
        # a bad leaderboard filter; the leaderboard (and scipy) is not imported for it: a
        # command that never loaded it cannot have raised its error (saves 0.26 s a start)
        filters = sys.modules.get("modelarena.leaderboard.filters")
        if filters is not None and isinstance(exc, filters.FilterError):
            fail(str(exc))
        raise


def load_settings_with_db(config: str | None, db: str | None):  # type: ignore[no-untyped-def]
    """The settings of ``config``, with ``--db`` in place of their database: a bad config
    is refused even when ``--db`` is given."""
    from modelarena.config import load_settings

    settings = load_settings(config)
    return settings.model_copy(update={"database_url": db}) if db else settings


def load_arena(config: str | None, db: str | None = None):  # type: ignore[no-untyped-def]
    from modelarena.arena import Arena
    from modelarena.store import Store

    settings = load_settings_with_db(config, db)
    return Arena(settings, Store.open(settings.database_url))


def is_tty() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
