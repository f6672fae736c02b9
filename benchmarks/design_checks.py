"""Throughput of the design checks: pages rendered and measured per second in headless
Chromium, by number of workers, and the cost of one page that loops forever.

    python benchmarks/design_checks.py [--pages 12] [--workers 1 2 4] [--timeout 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import _setup  # noqa: F401  (import path, BLAS threads)

from modelarena.battles.design_sandbox import design_document
from modelarena.designs.browser import Limits, render_all

PAGE = (
    '<html lang="en"><head><title>Bakery</title><style>body{font:16px system-ui;margin:0}'
    "header{background:#f4e1c1;padding:24px}main{padding:16px}li{margin:4px 0}</style></head>"
    "<body><header><h1>Crumb &amp; Co</h1></header><main><h2>Menu</h2><ul>"
    + "".join(f"<li>Loaf {i}: {i + 2} EUR</li>" for i in range(12))
    + "</ul><canvas id=c width=300 height=120 aria-label=chart></canvas></main><script>"
    "const g=document.getElementById('c').getContext('2d');"
    "for(let i=0;i<12;i++){g.fillRect(i*24,120-i*9,18,i*9)}</script></body></html>"
)
LOOP = (
    '<html lang="en"><head><title>x</title></head>'
    "<body><script>while(true){}</script></body></html>"
)


async def run(
    pages: list[str], workers: int, timeout: float
) -> tuple[float, list[float], list[str]]:
    started = time.monotonic()
    out = await render_all([design_document(p) for p in pages], Limits(timeout, 256, workers))
    return time.monotonic() - started, [m.render_s for m in out], [m.status for m in out]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    print("| workers | pages | wall s (incl. browser start) | pages/s | median s per page |")
    print("|---|---|---|---|---|")
    for w in args.workers:
        wall, each, status = asyncio.run(run([PAGE] * args.pages, w, args.timeout))
        assert set(status) == {"ok"}, status
        print(
            f"| {w} | {args.pages} | {wall:.1f} | {args.pages / wall:.2f} | "
            f"{statistics.median(each):.2f} |"
        )
    wall, each, status = asyncio.run(run([LOOP] + [PAGE] * 3, 2, args.timeout))
    print(
        f"\n`while(true){{}}` with 3 normal pages, 2 workers, timeout {args.timeout:g} s: "
        f"statuses {status}, loop page {each[0]:.1f} s, wall {wall:.1f} s"
    )


if __name__ == "__main__":
    main()
