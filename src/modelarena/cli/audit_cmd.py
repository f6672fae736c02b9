"""``arena audit``: safety and information audits of the configured models (docs/audits.md).

The commands live in their own modules and register on this group."""

from __future__ import annotations

import typer

audit_app = typer.Typer(
    help="Audit models for jailbreaks, agent hijacking, over-refusal, censorship, state "
    "narratives and false claims, with intervals (docs/audits.md).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    from modelarena.cli import audit_judge_cmd, audit_run_cmd

    audit_run_cmd.register(audit_app)
    audit_judge_cmd.register(audit_app)
    app.add_typer(audit_app, name="audit")
