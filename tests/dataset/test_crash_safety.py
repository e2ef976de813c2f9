"""kill -9 at points spread over a whole run (fetching, writing, publishing): readers then find
the previous complete dataset or the new one, never a half-written file, and the next run
succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from local_web import LocalWeb, Reply

from flows.dataset.store import JOURNAL_FILE, read_entries, read_links

RUN = """
import sys
from flows.harvest_flow import harvest
from flows.run_settings import load_settings
harvest(load_settings({"catalog": sys.argv[1], "data_dir": sys.argv[2], "now": sys.argv[3],
    "allow_private_addresses": True, "per_host": 8, "per_host_interval": 0, "timeout": 5,
    "progress": False}))
"""

PAGE = "<html lang='de'><title>Seite {n}</title><main><p>Stand: 0{d}.11.2015</p></main></html>"


def run(catalog: Path, data_dir: Path, night: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, str(catalog), str(data_dir), night],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def assert_consistent(curated: Path) -> str | None:
    """Every visible file is complete; latest links and entries belong to one night."""
    visible = [p for p in curated.rglob("*.parquet") if not p.name.startswith(".")]
    for path in visible:
        pq.read_table(path)  # raises on a partial file
    if (curated / JOURNAL_FILE).exists():
        return "journal"  # killed between two renames: the next run rolls forward
    links, entries = read_links(curated), read_entries(curated)
    nights = {r.run_date for r in links} | {e.run_date for e in entries}
    assert len(nights) <= 1, nights
    return nights.pop().isoformat() if nights else None


def test_kill_9_anywhere_leaves_a_readable_dataset_and_the_next_run_succeeds(tmp_path: Path):
    with LocalWeb() as web:
        lines = ["entry_id,provider,title,link_label,url"]
        for n in range(40):
            web.route(f"/p{n}", Reply.html(PAGE.format(n=n, d=n % 9 + 1), delay=0.02))
            lines.append(f"e{n},Stadt {n},Titel {n},Weitere Informationen,{web.url(f'/p{n}')}")
        catalog = tmp_path / "katalog.csv"
        catalog.write_text("\n".join(lines) + "\n", encoding="utf-8")
        data_dir = tmp_path / "data"
        curated = data_dir / "curated"

        started = time.monotonic()
        assert run(catalog, data_dir, "2026-11-25").wait(timeout=120) == 0
        full = time.monotonic() - started
        assert assert_consistent(curated) == "2026-11-25"

        seen = set()
        for step in range(8):
            process = run(catalog, data_dir, "2026-11-26")
            time.sleep(full * (0.3 + 0.1 * step))  # from start-up through publishing
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            seen.add(assert_consistent(curated))
        assert seen <= {"2026-11-25", "2026-11-26", "journal"}
        assert "2026-11-25" in seen  # an early kill left the previous night in place

        assert run(catalog, data_dir, "2026-11-27").wait(timeout=120) == 0
        assert assert_consistent(curated) == "2026-11-27"
        assert not [p for p in data_dir.rglob(".*.tmp")]
        assert len(read_links(curated)) == 40
