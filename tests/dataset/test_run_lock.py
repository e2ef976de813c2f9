"""Two runs on one data directory: the second refuses, naming the first; a killed run
leaves no stuck lock."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flows.dataset.run_lock import RunLocked, run_lock
from flows.harvest_flow import RunFailed, harvest
from flows.run_settings import load_settings

HOLD = """
import datetime as dt, sys, time
from pathlib import Path
from flows.dataset.run_lock import run_lock
with run_lock(Path(sys.argv[1]), dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)):
    print("locked", flush=True)
    time.sleep(60)
"""


def hold_lock(data_dir: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_second_run_refuses_naming_the_first_and_a_killed_run_frees_the_lock(tmp_path: Path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    catalog = tmp_path / "katalog.csv"
    catalog.write_text("entry_id,provider,title,url\na,Stadt,T,ftp://alt\n", encoding="utf-8")
    settings = load_settings(
        {"catalog": str(catalog), "data_dir": str(data_dir), "now": "2026-11-26"}
    )
    holder = hold_lock(data_dir)
    try:
        with pytest.raises(RunFailed, match=rf"pid {holder.pid} .*since 2026-11-26T01:30"):
            harvest(settings)
        assert not (data_dir / "curated" / "links.parquet").exists()
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a crash: no clean-up code runs
        holder.wait()
    summary = harvest(settings)  # the kernel dropped the lock with the process
    assert summary.health_counts == {"invalid_url": 1}


def test_lock_is_released_after_a_run_and_reusable(tmp_path: Path):
    started = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    # flock is per open file description: a second open, even in-process, conflicts.
    with run_lock(tmp_path, started), pytest.raises(RunLocked), run_lock(tmp_path, started):
        pass
    with run_lock(tmp_path, started):
        assert (tmp_path / ".linkpflege.lock").read_text(encoding="utf-8").startswith("{")
    assert (tmp_path / ".linkpflege.lock").read_text(encoding="utf-8") == ""
