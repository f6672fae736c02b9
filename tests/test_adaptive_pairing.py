from __future__ import annotations

from collections import Counter

from scripted import scripted_arena

from modelarena.adaptive_pairing import adaptive_pair_matrix
from modelarena.battles.records import Verdict
from modelarena.store import ImportedBattle


def test_adaptive_pairing_places_a_new_model(sqlite_url: str) -> None:
    names = ["deepseek-v3", "gpt-4o", "qwen3-235b-a22b", "gemma-3-27b-it", "kimi-k2"]
    arena = scripted_arena(sqlite_url, {n: ["ok"] for n in names}, pairing="adaptive")
    strong_to_weak = names[:4]
    rows = []
    for i, a in enumerate(strong_to_weak):
        for b in strong_to_weak[i + 1 :]:
            rows += [ImportedBattle(a, b, Verdict.A)] * 300 + [
                ImportedBattle(a, b, Verdict.B)
            ] * 200
    arena.store.import_battles(rows)
    matrix = adaptive_pair_matrix(arena.store, names)
    assert abs(sum(matrix.values()) - 1) < 1e-9
    assert all(p > 0 for p in matrix.values()) and len(matrix) == 10
    with_new = sum(p for (a, b), p in matrix.items() if "kimi-k2" in (a, b))
    assert with_new > 0.5  # the unknown model gets most of the votes
    drawn = Counter()
    for _ in range(200):
        battle = arena.start_battle("chat", "hi")
        pair = tuple(sorted((battle.model_a, battle.model_b), key=names.index))
        assert battle.pair_probability is not None
        assert abs(battle.pair_probability - matrix[pair]) < 1e-9
        drawn["new" if "kimi-k2" in pair else "old"] += 1
    assert drawn["new"] > drawn["old"]
    excluded = adaptive_pair_matrix(arena.store, names, frozenset({"kimi-k2"}))
    assert all("kimi-k2" not in pair for pair in excluded)
