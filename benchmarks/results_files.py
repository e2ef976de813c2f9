"""Where a benchmark's Markdown report is saved: `benchmarks/results/<name>-<day>.md`, and
`-2`, `-3`, … for later runs of the same day, so a run never writes over an earlier record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def save_report(report: str, name: str, day: dt.date, suffix: str = "") -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stem = f"{name}-{day.isoformat()}{suffix}"
    target, count = RESULTS_DIR / f"{stem}.md", 1
    while target.exists():
        count += 1
        target = RESULTS_DIR / f"{stem}-{count}.md"
    target.write_text(report, encoding="utf-8")
    print(f"written to {target}")
    return target
