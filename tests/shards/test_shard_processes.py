"""Fetch worker processes (`--fetch-processes`): the same dataset as one process, progress
from every URL, a dying worker retried once, and no worker outliving its run."""

from __future__ import annotations

import datetime as dt
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from crashing_shard_workers import (
    crash_always,
    crash_first_time,
    crash_once_or_count,
    report_then_crash_first_time,
    scratch_job,
    worker_pid,
)
from local_run import local_run_settings
from local_web import LocalWeb, Reply
from process_state import orphans_after

import flows.harvest_flow as harvest_flow
from flows.fetch.settings import FetchSettings
from flows.harvest_flow import RunFailed, harvest
from flows.run_settings import SettingsError, load_settings
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.check import ShardJob, shard_by_host
from flows.shards.fetch_processes import ShardProcesses, ShardWorkerDied

NIGHT1, NIGHT2 = "2026-11-25", "2026-11-26"


def page(title: str, stand: str) -> Reply:
    return Reply.html(
        f"<html lang='de'><head><title>{title} – Stadt Musterstadt</title></head><body><main>"
        f"<h1>{title}</h1><p>Ehrenamtliche Lotsen begleiten Geflüchtete zu Ämtern, Schulen "
        f"und Ärzten in allen Stadtteilen der Stadt.</p><p>Stand: {stand}</p></main></body></html>"
    )


@pytest.fixture(scope="module")
def two_hosts() -> Iterator[tuple[LocalWeb, LocalWeb]]:
    with LocalWeb("127.0.0.1") as first, LocalWeb("127.0.0.2") as second:
        for web, town in ((first, "a"), (second, "b")):
            for number in range(4):
                web.route(f"/lotsen-{number}", page(f"Lotsen {town}{number}", "03.11.2025"))
            web.route("/weg", Reply.html("<h1>Not Found</h1>", status=404))
        yield first, second


def catalogue(path: Path, webs: tuple[LocalWeb, LocalWeb]) -> list[str]:
    urls = [web.url(f"/lotsen-{n}") for web in webs for n in range(4)]
    urls += [web.url("/weg") for web in webs]
    path.write_text(
        "entry_id,provider,title,link_label,url\n"
        + "".join(
            f"e{i},Stadt {i},Lotsen,Weitere Informationen,{url}\n" for i, url in enumerate(urls)
        ),
        encoding="utf-8",
    )
    return urls


SAME_IN_BOTH = ("url", "health", "http_status", "final_url", "title", "content_date", "summary")


def link_rows(data_dir: Path) -> dict[str, dict[str, object]]:
    table = pq.read_table(data_dir / "curated" / "links.parquet", columns=list(SAME_IN_BOTH))
    return {row["url"]: row for row in table.to_pylist()}


def test_two_fetch_processes_publish_what_one_process_publishes(
    two_hosts: tuple[LocalWeb, LocalWeb], tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog.csv"
    urls = catalogue(catalog, two_hosts)
    one = harvest(local_run_settings(catalog, tmp_path / "one", NIGHT1))
    two = harvest(local_run_settings(catalog, tmp_path / "two", NIGHT1, fetch_processes=2))
    assert one.health_counts == two.health_counts == {"ok": 8, "not_found": 2}
    rows = link_rows(tmp_path / "two")
    assert rows == link_rows(tmp_path / "one")
    assert set(rows) == set(urls)
    assert rows[two_hosts[1].url("/lotsen-3")]["title"] == "Lotsen b3"
    # One shard per process, each captured in its own WARC file.
    night = tmp_path / "two" / "raw" / f"run_date={NIGHT1}"
    assert len(list(night.glob("shard-*.warc.gz"))) == 2


def test_every_url_reaches_the_progress_display_from_the_workers(
    two_hosts: tuple[LocalWeb, LocalWeb], tmp_path: Path
) -> None:
    urls = catalogue(tmp_path / "catalog.csv", two_hosts)
    shards = shard_by_host(urls, shard_size=1000, minimum=2)
    assert len(shards) == 2
    job = ShardJob(
        FetchSettings(concurrency=4, per_host_interval=0, allow_private_addresses=True),
        dt.date(2026, 11, 26),
        tmp_path / "raw",
        retention_nights=30,
    )
    finished: list[str] = []
    with ShardProcesses(2, finished.append) as processes:
        futures = [processes.submit(shard, job, {}) for shard in shards]
        observed = dict(pair for future in futures for pair in future.result(timeout=120))
    assert sorted(finished) == sorted(urls)  # the drain thread has delivered every one
    assert sorted(observed) == sorted(urls)
    assert observed[two_hosts[0].url("/weg")].health.health.value == "not_found"


def test_fetch_processes_setting() -> None:
    assert load_settings({}, environ={}).fetch_processes == 1
    assert load_settings({}, environ={"LINKPFLEGE_FETCH_PROCESSES": "2"}).fetch_processes == 2
    with pytest.raises(SettingsError, match="fetch_processes"):
        load_settings({"fetch_processes": 0}, environ={})


def test_shards_for_processes_are_balanced_and_keep_hosts_whole() -> None:
    sizes = [40, 25, 20, 10, 5, 3, 1, 1]
    urls = [f"https://host{h}.example/{p}" for h, n in enumerate(sizes) for p in range(n)]
    shards = shard_by_host(urls, shard_size=2000, minimum=2)
    assert sorted(len(shard) for shard in shards) == [52, 53]
    owners = {url.split("/")[2]: index for index, shard in enumerate(shards) for url in shard}
    assert len(owners) == len(sizes)
    assert all(owners[url.split("/")[2]] == i for i, shard in enumerate(shards) for url in shard)
    # More processes than hosts: one shard per host, none empty.
    assert len(shard_by_host(urls[:3], shard_size=2000, minimum=4)) == 1


def test_a_worker_that_dies_once_costs_a_second_attempt_not_the_shard(tmp_path: Path) -> None:
    with ShardProcesses(1, lambda _: None, worker=crash_first_time) as processes:
        result = processes.check(("https://a.example/1",), scratch_job(tmp_path), {})
    assert result == [("https://a.example/1", "checked")]


def test_a_dying_worker_costs_only_its_own_shard_a_second_check(tmp_path: Path) -> None:
    """The other worker's shard is not checked again: its hosts are not asked twice."""
    job = scratch_job(tmp_path)
    with ShardProcesses(2, lambda _: None, worker=crash_once_or_count) as processes:
        calm = processes.submit(("https://b.example/1",), job, {})
        time.sleep(0.3)  # the calm shard is running when the other worker dies
        crashing = processes.submit(("https://a.example/crash",), job, {})
        assert crashing.result(timeout=120) == [("https://a.example/crash", "checked")]
        assert calm.result(timeout=120) == [("https://b.example/1", "checked")]
    assert (tmp_path / "runs.txt").read_text().splitlines() == ["https://b.example/1"]


def test_a_shard_checked_again_is_counted_once_in_the_progress(tmp_path: Path) -> None:
    urls = ("https://a.example/1", "https://a.example/2")
    finished: list[str] = []
    with ShardProcesses(1, finished.append, worker=report_then_crash_first_time) as processes:
        assert len(processes.check(urls, scratch_job(tmp_path), {})) == 2
    assert sorted(finished) == list(urls)


def test_a_shard_that_kills_its_worker_twice_fails_the_run_and_keeps_the_dataset(
    two_hosts: tuple[LocalWeb, LocalWeb], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        ShardProcesses(1, lambda _: None, worker=crash_always) as processes,
        pytest.raises(ShardWorkerDied, match="died twice"),
    ):
        processes.check(("https://a.example/1",), scratch_job(tmp_path / "raw"), {})

    catalog = tmp_path / "catalog.csv"
    catalogue(catalog, two_hosts)
    data_dir = tmp_path / "data"
    harvest(local_run_settings(catalog, data_dir, NIGHT1))
    before = {p: p.read_bytes() for p in (data_dir / "curated").rglob("*") if p.is_file()}
    monkeypatch.setattr(
        harvest_flow, "ShardProcesses", functools.partial(ShardProcesses, worker=crash_always)
    )
    with pytest.raises(RunFailed, match=r"died twice.*left as it was"):
        harvest(local_run_settings(catalog, data_dir, NIGHT2, fetch_processes=2))
    after = {p: p.read_bytes() for p in (data_dir / "curated").rglob("*") if p.is_file()}
    assert after == before


KILLED_RUN = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from flows.shards.fetch_processes import ShardProcesses
from crashing_shard_workers import scratch_job, worker_pid
from pathlib import Path
with ShardProcesses(2, lambda _: None, worker=worker_pid) as processes:
    job = scratch_job(Path({scratch!r}))
    futures = [processes.submit((f"https://h{{i}}.example/",), job, {{}}) for i in range(8)]
    pids = {{pid for future in futures for _, pid in future.result(timeout=120)}}
    print(" ".join(map(str, pids)), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the run dies hard, the workers are never shut down
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_fetch_workers_die_with_a_killed_run(tmp_path: Path) -> None:
    script = KILLED_RUN.format(tests=str(Path(__file__).parents[1]), scratch=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    pids = [int(pid) for pid in done.stdout.split()]
    assert pids and os.getpid() not in pids
    assert orphans_after(pids) == [], f"orphaned workers of {pids}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_outlive_the_thread_that_first_used_them(tmp_path: Path) -> None:
    """Linux kills a worker when the *thread* that started it ends (PR_SET_PDEATHSIG): a
    shard task's thread that ends must not take the worker other shards still use."""
    job = scratch_job(tmp_path)
    with ShardProcesses(1, lambda _: None, worker=worker_pid) as processes:
        first: list[tuple[str, int]] = []
        short_lived = threading.Thread(
            target=lambda: first.extend(processes.check(("https://a.example/",), job, {}))
        )
        short_lived.start()
        short_lived.join()
        time.sleep(0.5)  # the signal, were it sent, has arrived by now
        second = processes.check(("https://b.example/",), job, {})
    assert first[0][1] == second[0][1]  # the same worker, not a replacement
    with AnalysisPool(1) as analysis:
        pids: list[int] = []
        short_lived = threading.Thread(
            target=lambda: pids.append(analysis.submit(os.getpid).result())
        )
        short_lived.start()
        short_lived.join()
        time.sleep(0.5)
        pids.append(analysis.submit(os.getpid).result(timeout=60))
    assert pids[0] == pids[1]
