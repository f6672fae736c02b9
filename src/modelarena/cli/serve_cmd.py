"""``arena serve``: the web arena, on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from modelarena.cli.common import ConfigOption, DatabaseOption, console, fail, user_errors


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
            bool,
            typer.Option(
                "--trust-proxy",
                help="Take the client address from X-Forwarded-For (behind a reverse proxy only)",
            ),
        ] = False,
        secure_cookies: Annotated[
            bool,
            typer.Option(
                "--secure-cookies", help="Mark the session cookie Secure (serving over HTTPS)"
            ),
        ] = False,
    ) -> None:
        """Start the web arena: battles, votes and the live leaderboard in your browser."""
        import uvicorn

        from modelarena.cli.common import load_arena
        from modelarena.web import create_app

        with user_errors():
            arena = load_arena(config, db)
        if len(arena.contestants) < 2:
            fail(
                "the arena needs at least two models: configure [[models]] in arena.toml, or "
                "install the bundled one with: pip install 'modelarena[local]'"
            )
        bind_host = host or arena.settings.host
        bind_port = port if port is not None else arena.settings.port
        app = create_app(
            arena, trust_proxy=trust_proxy, secure_cookies=secure_cookies, single_process=True
        )
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
        console.print(
            f"Open [bold cyan]http://{shown}:{bind_port}/[/] in your browser (Ctrl+C to stop)",
            highlight=False,
        )
        uvicorn.run(
            app,
            host=bind_host,
            port=bind_port,
            log_level=log_level,
            proxy_headers=trust_proxy,
            timeout_graceful_shutdown=5,
        )
