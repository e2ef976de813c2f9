"""AnalysisPool: worker processes give the same observations as in-process analysis,
and a worker that dies costs only the pages it held."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from local_run import local_run_settings
from local_web import LocalWeb, Reply
from process_state import orphans_after

import flows.shards.check as shard_check
from extractors.page_observation import UNANALYSED_DETAIL, observe
from extractors.records import FetchResult, Health
from extractors.verdicts.link_rows import Observation
from flows.harvest_flow import harvest
from flows.run_settings import SettingsError, load_settings
from flows.shards.analysis_pool import AnalysisPool

RUN_DATE = dt.date(2026, 11, 26)
PAGE = """<!doctype html><html lang="de"><head><title>Integrationslotsen – Stadt Musterstadt</title>
<meta name="description" content="Ehrenamtliche Lotsen begleiten Geflüchtete zu Ämtern."></head>
<body><main><h1>Integrationslotsen</h1><p>Ehrenamtliche Lotsen begleiten Geflüchtete zu Ämtern,
Schulen und Ärzten. Das Programm läuft seit 2015 in allen Stadtteilen.</p>
<p>Stand: 03.11.2025</p></main></body></html>""".encode()


def page_result() -> FetchResult:
    return FetchResult(
        url="https://www.musterstadt.de/lotsen",
        final_url="https://www.musterstadt.de/lotsen",
        status=200,
        headers=(("Content-Type", "text/html; charset=utf-8"),),
        body=PAGE,
        checked_at=dt.datetime(2026, 11, 26, 2, 30, tzinfo=dt.UTC),
    )


def test_processes_observe_exactly_what_the_run_process_would() -> None:
    with AnalysisPool(0) as in_process:
        expected = in_process.submit(observe, page_result(), RUN_DATE).result(timeout=60)
    with AnalysisPool(2) as workers:
        futures = [workers.submit(observe, page_result(), RUN_DATE) for _ in range(4)]
        observed = [future.result(timeout=120) for future in futures]
    assert expected.health.health is Health.OK
    assert expected.facts.title == "Integrationslotsen"
    assert expected.facts.modified is not None
    assert expected.fetch.body == b"" and expected.bytes_read == len(PAGE)
    assert all(observation == expected for observation in observed)


def test_a_dying_worker_fails_its_page_and_the_pool_goes_on() -> None:
    with AnalysisPool(1) as workers:
        dying = workers.submit(os._exit, 3)  # as a crash in a C parser would end a worker
        with pytest.raises(BrokenProcessPool):
            dying.result(timeout=120)
        after = workers.submit(observe, page_result(), RUN_DATE).result(timeout=120)
    assert after.health.health is Health.OK


def test_analysis_processes_setting() -> None:
    assert load_settings({}, environ={}).analysis_processes == 0  # in the run process
    env = {"LINKPFLEGE_ANALYSIS_PROCESSES": "2"}
    assert load_settings({}, environ=env).analysis_processes == 2
    with pytest.raises(SettingsError, match="analysis_processes"):
        load_settings({"analysis_processes": -1}, environ={})


KILLED_RUN = """
import os, signal, sys
from flows.shards.analysis_pool import AnalysisPool
from flows.harvest_flow import harvest
with AnalysisPool(2) as pool:
    pids = {pool.submit(os.getpid).result(timeout=120) for _ in range(8)}
    print(" ".join(map(str, pids)), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the run dies hard, the pool never shuts down
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_killed_run() -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_RUN], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    pids = [int(pid) for pid in done.stdout.split()]
    assert pids
    assert orphans_after(pids) == [], f"orphaned workers of {pids}"


def test_a_page_whose_analysis_fails_keeps_the_health_its_answer_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not `connection_error` "not checked": the answer came; only the page went unjudged."""
    with LocalWeb() as web:
        web.route("/gut", Reply(headers=(("Content-Type", "text/html"),), body=PAGE))
        web.route("/kaputt", Reply(headers=(("Content-Type", "text/html"),), body=PAGE))
        good, broken = web.url("/gut"), web.url("/kaputt")
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(
            "entry_id,provider,title,link_label,url\n"
            f"gut,Stadt A,Lotsen,Weitere Informationen,{good}\n"
            f"kaputt,Stadt B,Lotsen,Weitere Informationen,{broken}\n",
            encoding="utf-8",
        )
        real_observe = shard_check.observe

        def fragile(result: FetchResult, run_date: dt.date) -> Observation:
            if result.url == broken:
                raise RuntimeError("Parser abgestürzt")
            return real_observe(result, run_date)

        monkeypatch.setattr(shard_check, "observe", fragile)
        harvest(local_run_settings(catalog, tmp_path / "data", "2026-11-26"))
    rows = {
        row["url"]: row
        for row in pq.read_table(tmp_path / "data" / "curated" / "links.parquet").to_pylist()
    }
    assert rows[broken]["health"] == "ok", rows[broken]
    assert rows[broken]["http_status"] == 200
    assert rows[broken]["error_detail"] == UNANALYSED_DETAIL
    assert rows[broken]["title"] is None
    assert rows[broken]["bytes_read"] == len(PAGE)  # what was read, though never analysed
    assert rows[good]["title"] == "Integrationslotsen"
    assert rows[good]["error_detail"] is None
