"""Helpers for the integrity tests: vote logs with honest voters and riggers, battles."""

from __future__ import annotations

import os

import numpy as np

from modelarena.battles.records import Answer, Verdict
from modelarena.store import ImportedBattle, Store

MODELS = [f"model-{i:02d}" for i in range(12)]
VERDICTS = [Verdict.A, Verdict.B, Verdict.TIE, Verdict.BOTH_BAD]


def rigged_log(
    *,
    seed: int = 0,
    honest_voters: int = 150,
    honest_votes: int = 6000,
    riggers: int = 3,
    rigger_votes: int = 60,
    target: str = "model-08",
) -> list[ImportedBattle]:
    """Honest voters following Bradley-Terry, and riggers always voting for ``target``."""
    rng = np.random.default_rng(seed)
    strength = np.linspace(300, -300, len(MODELS))
    rows = []
    for _ in range(honest_votes):
        i, j = rng.choice(len(MODELS), 2, replace=False)
        p = 1 / (1 + 10 ** ((strength[j] - strength[i]) / 400))
        t = min(0.2, 2 * min(p, 1 - p))
        u = rng.random()
        verdict = Verdict.A if u < p - t / 2 else Verdict.B if u < 1 - t else Verdict.TIE
        rows.append(
            ImportedBattle(
                MODELS[i], MODELS[j], verdict, voter=f"honest-{rng.integers(honest_voters)}"
            )
        )
    t_idx = MODELS.index(target)
    for k in range(riggers):
        for _ in range(rigger_votes):
            other = int(rng.choice([m for m in range(len(MODELS)) if m != t_idx]))
            if rng.random() < 0.5:
                rows.append(ImportedBattle(target, MODELS[other], Verdict.A, voter=f"rigger-{k}"))
            else:
                rows.append(ImportedBattle(MODELS[other], target, Verdict.B, voter=f"rigger-{k}"))
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def complete_battle(
    store: Store,
    *,
    session_id: str | None = None,
    prompt: str | None = None,
    models: tuple[str, str] = ("model-00", "model-01"),
) -> str:
    """A battle with both answers stored (scripted text, no model runs)."""
    text = prompt or f"question {os.urandom(6).hex()}"
    battle = store.create_battle(
        category="chat", model_a=models[0], model_b=models[1], session_id=session_id, prompt=text
    )
    store.save_answers(
        battle.id, [Answer("a", 0, text, "Answer one."), Answer("b", 0, text, "Answer two.")]
    )
    return battle.id


def reset_pg(url: str) -> None:
    """Empty a PostgreSQL database the session shares (tables and migration marker)."""
    from sqlalchemy import text

    from modelarena.store.engine import make_engine
    from modelarena.store.schema import metadata

    engine = make_engine(url)
    metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
