"""A benchmark's report never goes over an earlier record of the same day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from benchmark_scripts import load_benchmark


def test_later_runs_of_a_day_are_numbered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    results = load_benchmark("results_files")
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    day = dt.date(2026, 12, 6)
    first = results.save_report("morning", "scale_out", day)
    second = results.save_report("evening", "scale_out", day)
    third = results.save_report("night", "scale_out", day)
    assert [p.name for p in (first, second, third)] == [
        "scale_out-2026-12-06.md", "scale_out-2026-12-06-2.md", "scale_out-2026-12-06-3.md"
    ]  # fmt: skip
    assert first.read_text(encoding="utf-8") == "morning"
    sample = results.save_report("x", "change_fingerprint", day, "-sample50")
    assert sample.name == "change_fingerprint-2026-12-06-sample50.md"
