"""``arena serve``: the web arena, on uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    print_notices,
    user_errors,
)

if TYPE_CHECKING:
    from modelarena.arena import Arena


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[
            str | None, typer.Option("--host", help="Address to listen on. Default: 127.0.0.1")
        ] = None,
        port: Annotated[int | None, typer.Option("--port", help="Port. Default: 8000")] = None,
        config: ConfigOption = None,
        db: DatabaseOption = None,
        log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level")] = "info",
        trust_proxy: Annotated[
            bool | None,
            typer.Option(
                "--trust-proxy/--no-trust-proxy",
                help="Take the client address from X-Forwarded-For, the right-most hop not "
                "written by a trusted proxy (behind a reverse proxy only). Default: the "
                "trust_proxy setting",
                show_default=False,
            ),
        ] = None,
        secure_cookies: Annotated[
            bool | None,
            typer.Option(
                "--secure-cookies/--no-secure-cookies",
                help="Mark the session cookie Secure (serving over HTTPS). Default: the "
                "secure_cookies setting",
                show_default=False,
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                "--workers",
                min=1,
                help="Worker processes (each with its own listener on Linux, so the kernel "
                "balances connections). Several need PostgreSQL to scale; with Redis "
                "(ARENA_REDIS_URL) they share rate limits",
            ),
        ] = 1,
    ) -> None:
        """Start the web arena: battles, votes and the live leaderboard in your browser."""
        import uvicorn
        from uvicorn.config import LOG_LEVELS

        from modelarena.cli.common import load_arena

        if log_level.lower() not in LOG_LEVELS:
            fail(f"unknown --log-level {log_level!r}; use one of: {', '.join(LOG_LEVELS)}")
        from modelarena.web import create_app

        with user_errors():
            arena = load_arena(config, db)
        print_notices(arena)
        _log_model_failures()
        if len(arena.contestants) < 2:
            fail(
                "the arena needs at least two models: configure [[models]] in arena.toml, or "
                "install the bundled one with: pip install 'modelarena[local]'"
            )
        bind_host = host or arena.settings.host
        bind_port = port if port is not None else arena.settings.port
        supervisor = None
        if workers > 1:
            from modelarena.web.security import resolve_secret_key
            from modelarena.web.workers import PortInUse, Supervisor, WorkerSpec

            # one key for all workers, so that a session started on one is valid on all
            secret, _ = resolve_secret_key(arena.settings.secret_key, arena.settings.database_url)
            spec = WorkerSpec(
                config, db, bind_host, bind_port, log_level, trust_proxy, secure_cookies, secret
            )
            try:
                supervisor = Supervisor(spec, workers)
            except PortInUse as exc:
                fail(f"{exc}: stop the program using it, or choose another with --port")
            bind_port = supervisor.port
        shown = "127.0.0.1" if bind_host in ("0.0.0.0", "::") else bind_host
        shown = f"[{shown}]" if ":" in shown else shown
        what = (
            "the bundled SmolLM2-135M under two settings (no key, no network)"
            if arena.using_bundled_default
            else f"{len(arena.contestants)} models"
        )
        console.print(f"[bold]modelarena[/] with {what}")
        console.print(
            f"database: {arena.store.engine.url.render_as_string(hide_password=True)}",
            highlight=False,
        )
        if supervisor is not None:
            console.print(f"{workers} worker processes{_sharing_note(arena)}", highlight=False)
        console.print(
            f"Open [bold cyan]http://{shown}:{bind_port}/[/] in your browser (Ctrl+C to stop)",
            highlight=False,
        )
        if supervisor is not None:
            arena.store.close()  # each worker opens its own
            raise typer.Exit(supervisor.run())
        app = create_app(
            arena, trust_proxy=trust_proxy, secure_cookies=secure_cookies, single_process=True
        )
        uvicorn.run(
            app,
            host=bind_host,
            port=bind_port,
            log_level=log_level,
            proxy_headers=False,  # the app reads X-Forwarded-For itself (web/proxy.py)
            timeout_graceful_shutdown=5,
        )


def _log_model_failures() -> None:
    """Send the arena's warnings (a model that failed: which, why, the fix) to stderr in
    uvicorn's style, next to its own log lines."""
    import logging

    logger = logging.getLogger("modelarena")
    if not any(getattr(h, "_arena_serve", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-9s %(name)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        handler._arena_serve = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def _sharing_note(arena: Arena) -> str:
    notes = []
    if arena.store.engine.dialect.name == "sqlite":
        notes.append("SQLite lets one process write at a time: use PostgreSQL to scale out")
    if not arena.settings.redis_url:
        notes.append("each counts rate limits alone: set ARENA_REDIS_URL to share them")
    return "".join(f"\n  note: {n}" for n in notes)
