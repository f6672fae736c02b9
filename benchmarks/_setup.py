"""Shared set-up for the benchmark scripts: import path and BLAS threads.

* Makes ``modelarena`` importable from a plain checkout (adds ``src`` to ``sys.path``).
* Pins BLAS to one thread unless the caller chose otherwise. The matrices here are small
  (n <= 300); OpenBLAS's own thread pool only adds spin-waiting, and on a busy 2-core
  machine it made a 300 x 300 Cholesky take a second instead of a millisecond. The
  bootstrap parallelises over rounds with its own threads instead. Recommended for the
  server process too (``OPENBLAS_NUM_THREADS=1``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

SRC = Path(__file__).resolve().parent.parent / "src"
try:
    import modelarena.ratings  # noqa: F401
except ImportError:
    sys.path.insert(0, str(SRC))
