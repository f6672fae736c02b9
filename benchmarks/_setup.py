"""Make ``modelarena`` importable when the benchmarks run from a plain checkout."""

from __future__ import annotations

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
try:
    import modelarena.ratings  # noqa: F401
except ImportError:
    sys.path.insert(0, str(SRC))
