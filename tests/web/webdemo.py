"""A populated board for the screenshots: catalog models, votes simulated from known
ratings over two weeks, and a few real-looking battles with answers."""

# ruff: noqa: E501  (generated pages and scripts below are kept on one line each)

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from modelarena.battles.records import Verdict
from modelarena.battles.style import StyleCounts
from modelarena.store import ImportedBattle, Store

DEMO_RATINGS = {
    "gpt-5": 1130,
    "claude-sonnet-4.5": 1115,
    "gemini-2.5-pro": 1100,
    "qwen3-235b-a22b-instruct-2507": 1075,
    "deepseek-v3.2": 1065,
    "kimi-k2": 1050,
    "glm-4.6": 1040,
    "gpt-oss-120b": 1005,
    "mistral-medium": 985,
    "llama-4-maverick": 960,
    "gemma-3-27b-it": 940,
}

PROMPTS = [
    (
        "chat",
        "Explain the difference between a process and a thread.",
        "A **process** has its own memory space; a **thread** shares the memory of its process.\n\n"
        "- Processes: isolation, heavier to create\n- Threads: cheap to switch, need locks",
        "Think of a process as a house and threads as the people living in it: they share the "
        "kitchen (memory) but each has their own to-do list (stack).",
    ),
    (
        "chat",
        "Write a haiku about Lisbon trams.",
        "Yellow tram climbs slow\nthrough laundry and azulejos —\nthe river below",
        "Clattering uphill,\nold wood and brass in the sun,\nfado at the stop.",
    ),
    (
        "website",
        "A landing page for a neighbourhood bakery.",
        "```html\n<h1>Bakery</h1>\n```",
        "```html\n<h1>Fresh bread</h1>\n```",
    ),
    (
        "svg",
        "A pelican riding a bicycle.",
        "```svg\n<svg viewBox='0 0 10 10'></svg>\n```",
        "```svg\n<svg viewBox='0 0 20 20'></svg>\n```",
    ),
    (
        "chat",
        "What is the time complexity of binary search, and why?",
        "**O(log n)**: every comparison halves the remaining range, so after k steps n/2^k "
        "items are left.",
        "Binary search is logarithmic. Each step discards half of the candidates.",
    ),
    (
        "game",
        "Snake on a 20x20 grid with a score counter.",
        "```html\n<canvas></canvas>\n```",
        "```html\n<div id=grid></div>\n```",
    ),
]


def seed_demo_votes(store: Store, n_votes: int = 2400, days: int = 14, seed: int = 3) -> int:
    rng = np.random.default_rng(seed)
    models = list(DEMO_RATINGS)
    strength = np.array([DEMO_RATINGS[m] for m in models], dtype=float)
    start = datetime.now(UTC) - timedelta(days=days - 1)
    rows = []
    for k in range(n_votes):
        i, j = rng.choice(len(models), size=2, replace=False)
        p = 1 / (1 + 10 ** ((strength[j] - strength[i]) / 400))
        u = rng.random()
        verdict = (
            Verdict.TIE
            if u < 0.12
            else Verdict.BOTH_BAD
            if u < 0.16
            else Verdict.A
            if rng.random() < p
            else Verdict.B
        )
        category, prompt, answer_a, answer_b = PROMPTS[k % len(PROMPTS)]
        day = min(days - 1, int(days * (k / n_votes) ** 0.8))
        tokens_a, tokens_b = int(rng.integers(80, 900)), int(rng.integers(80, 900))
        rows.append(
            ImportedBattle(
                model_a=models[i],
                model_b=models[j],
                verdict=verdict,
                category=category,
                prompt=prompt,
                answer_a=answer_a,
                answer_b=answer_b,
                created_at=start + timedelta(days=day, minutes=int(rng.integers(0, 1400))),
                voter=f"demo-{int(rng.integers(0, 300))}",
                style_a=StyleCounts(tokens_a, int(rng.integers(0, 4)), int(rng.integers(0, 8)), 1),
                style_b=StyleCounts(tokens_b, int(rng.integers(0, 4)), int(rng.integers(0, 8)), 1),
            )
        )
    return store.import_battles(rows, source_label="demo")


PRICING_A = """Here is the component:
```html
<!DOCTYPE html>
<html><head><style>
  *{box-sizing:border-box} body{margin:0;min-height:100vh;display:grid;place-items:center;
  font-family:system-ui,sans-serif;background:linear-gradient(135deg,#eef2ff,#fdf4ff)}
  .wrap{display:flex;gap:12px;padding:20px;flex-wrap:wrap;justify-content:center}
  .card{background:#fff;border-radius:18px;padding:20px 18px;width:150px;box-shadow:0 10px 30px rgba(79,70,229,.12)}
  .card.pro{background:linear-gradient(160deg,#4f46e5,#9333ea);color:#fff;transform:translateY(-8px)}
  h3{margin:0 0 6px;font-size:15px;letter-spacing:.02em} .price{font-size:30px;font-weight:800;margin:8px 0}
  .price small{font-size:13px;font-weight:500;opacity:.7} ul{padding:0;margin:12px 0 16px;list-style:none;font-size:13px;line-height:1.9}
  button{width:100%;border:0;border-radius:10px;padding:9px;font-weight:700;cursor:pointer;background:#eef2ff;color:#4f46e5}
  .pro button{background:#fff} .toggle{display:flex;justify-content:center;gap:6px;margin-bottom:6px;width:100%}
  .toggle span{padding:5px 12px;border-radius:99px;font-size:12px;background:#fff;color:#6b7280}
  .toggle .on{background:#4f46e5;color:#fff}
</style></head><body><div class="wrap">
<div class="toggle"><span class="on">Monthly</span><span>Yearly −20%</span></div>
<div class="card"><h3>Starter</h3><div class="price">$9<small>/mo</small></div><ul><li>✓ 1 project</li><li>✓ Basic stats</li><li>✓ Email support</li></ul><button>Choose</button></div>
<div class="card pro"><h3>Pro</h3><div class="price">$29<small>/mo</small></div><ul><li>✓ 10 projects</li><li>✓ Advanced stats</li><li>✓ Priority support</li></ul><button>Choose</button></div>
<div class="card"><h3>Team</h3><div class="price">$79<small>/mo</small></div><ul><li>✓ Unlimited</li><li>✓ SSO</li><li>✓ Audit log</li></ul><button>Choose</button></div>
</div></body></html>
```"""

PRICING_B = """```html
<!DOCTYPE html>
<html><head><style>
  body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#0f172a;font-family:Georgia,serif;color:#e2e8f0}
  .grid{display:grid;grid-template-columns:repeat(3,150px);gap:1px;background:#334155;border:1px solid #334155;border-radius:12px;overflow:hidden}
  .tier{background:#0f172a;padding:20px 16px;text-align:center}
  .tier.best{background:#1e293b} .name{font-size:12px;text-transform:uppercase;letter-spacing:.2em;color:#94a3b8}
  .amt{font-size:34px;margin:10px 0;color:#fbbf24} .feat{font-size:13px;color:#cbd5e1;line-height:1.8}
  a{display:inline-block;margin-top:14px;padding:7px 14px;border:1px solid #fbbf24;color:#fbbf24;border-radius:6px;text-decoration:none;font-size:13px}
  .best a{background:#fbbf24;color:#0f172a}
</style></head><body>
<div class="grid">
 <div class="tier"><div class="name">Basic</div><div class="amt">$8</div><div class="feat">One site<br>Weekly reports</div><a href="#">Start</a></div>
 <div class="tier best"><div class="name">Growth</div><div class="amt">$24</div><div class="feat">Five sites<br>Daily reports<br>API access</div><a href="#">Start</a></div>
 <div class="tier"><div class="name">Scale</div><div class="amt">$64</div><div class="feat">Unlimited<br>Live reports</div><a href="#">Start</a></div>
</div></body></html>
```"""

CHAT_A = """Here is a **quick comparison**:

## Processes
- Own memory space, isolated by the OS
- Heavier to create and to switch

## Threads
- Share the memory of their process
- Cheap to create; need locks for shared data

```python
import threading

def work(n):
    return n * 2  # runs in its own thread

threading.Thread(target=work, args=(21,)).start()
```
"""

CHAT_B = """A *process* is a program in execution with its own address space; a *thread* is a
unit of execution **inside** a process.

| | Process | Thread |
|---|---|---|
| Memory | separate | shared |
| Start-up cost | high | low |
| Crash impact | contained | takes the process down |

Use processes for isolation and threads for cheap concurrency."""
