"""Shards on Dask through Prefect, with real processes: `linkpflege run --task-runner dask`
on a local cluster and on a cluster the test starts with the `distributed` command line
(`dask scheduler`, two `dask worker`s) reporting to a real `prefect server`; a worker killed
mid-run; an unreachable scheduler; and a run killed with SIGKILL leaving no process behind.
The web is four local hosts (127.0.0.1–4) with slow pages, so shards overlap."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from local_web import LocalWeb, Reply, closed_port

from flows.api_server import local_prefect_server

psutil = pytest.importorskip(
    "psutil", reason="the [dask] extra is missing: pip install -e '.[dev]'"
)
pytest.importorskip("prefect_dask", reason="the [dask] extra is missing: pip install -e '.[dev]'")

pytestmark = pytest.mark.timeout(300)
BIN = Path(sys.executable).parent
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
PAGE = "<html lang='de'><title>Seite {n}</title><main><p>Stand: 03.11.2025</p></main></html>"
RUN_DATE = "2026-12-01"
TIMING_COLUMNS = {"checked_at", "elapsed_ms"}


@contextlib.contextmanager
def four_hosts(delay: float = 0.0, pages: int = 6) -> Iterator[list[str]]:
    """Four local web servers, one per loopback address (four hosts), `pages` pages each."""
    with contextlib.ExitStack() as stack:
        urls: list[str] = []
        for host in HOSTS:
            web = stack.enter_context(LocalWeb(host))
            for n in range(pages):
                web.route(f"/seite-{n}", Reply.html(PAGE.format(n=n), delay=delay))
                urls.append(web.url(f"/seite-{n}"))
            web.route("/missing", Reply.html("weg", status=404))
            urls.append(web.url("/missing"))
        yield urls


def write_catalog(path: Path, urls: list[str]) -> Path:
    lines = ["entry_id,provider,title,link_label,url"]
    lines += [
        f"e{n},Stadt {n},Eintrag {n},Weitere Informationen,{url}" for n, url in enumerate(urls)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_args(catalog: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        str(BIN / "linkpflege"),
        "run",
        "--catalog",
        str(catalog),
        "--data-dir",
        str(data_dir),
        "--now",
        RUN_DATE,
        "--allow-private-addresses",
        "--per-host-interval",
        "0",
        "--no-progress",
        *extra,
    ]


def environment(tmp_path: Path, api_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)


def links_without_timings(data_dir: Path) -> list[dict[str, object]]:
    rows = pq.read_table(data_dir / "curated" / "links.parquet").to_pylist()
    for row in rows:
        for column in TIMING_COLUMNS:
            row.pop(column, None)
    return sorted(rows, key=lambda row: (row["entry_id"], str(row["url"])))


def test_local_cluster_run_equals_the_single_process_run(tmp_path: Path) -> None:
    with four_hosts() as urls:
        catalog = write_catalog(tmp_path / "katalog.csv", urls)
        env = environment(tmp_path)
        single = run(run_args(catalog, tmp_path / "single"), env)
        assert single.returncode == 0, single.stderr
        dask = run(
            run_args(catalog, tmp_path / "dask", "--task-runner", "dask", "--workers", "2"), env
        )
        assert dask.returncode == 0, dask.stderr
    assert "check-shard" in dask.stderr and "LocalCluster" in dask.stderr
    rows = links_without_timings(tmp_path / "dask")
    assert len(rows) == len(urls) and {row["health"] for row in rows} == {"ok", "not_found"}
    assert rows == links_without_timings(tmp_path / "single")
    # WARC captures were written by the workers, one per shard, into the shared data dir;
    # the night's parts are gone once they are in the tables.
    assert list((tmp_path / "dask" / "raw").rglob("*.warc.gz"))
    assert not (tmp_path / "dask" / "staging").exists()


def test_unreachable_scheduler_is_one_line_and_status_2(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "katalog.csv", ["https://example.org/"])
    env = environment(tmp_path, api_url="http://127.0.0.1:9/api")
    address = f"tcp://127.0.0.1:{closed_port()}"
    args = run_args(catalog, tmp_path / "data", "--task-runner", "dask", "--dask-address", address)
    answer = run(args, env, timeout=60)
    assert answer.returncode == 2
    assert (
        answer.stderr.strip()
        .splitlines()[-1]
        .startswith(f"linkpflege: cannot reach the Dask scheduler at {address}")
    )
    without_api = run(args, environment(tmp_path), timeout=60)
    assert without_api.returncode == 2 and "needs PREFECT_API_URL" in without_api.stderr


@contextlib.contextmanager
def dask_cluster(
    env: dict[str, str], workers: int = 2
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """`dask scheduler` and `dask worker`s (no nanny: a killed worker stays dead)."""
    port = closed_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            str(BIN / "dask"),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        env=env,
        **quiet,
    )
    started = [scheduler]
    try:
        for _ in range(workers):
            started.append(
                subprocess.Popen(
                    [
                        str(BIN / "dask"),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    env=env,
                    **quiet,
                )
            )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, started[1:]
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def test_real_cluster_with_a_worker_killed_mid_run_gives_a_complete_night(tmp_path: Path) -> None:
    with local_prefect_server(ui=False, quiet=True) as api_url:
        env = environment(tmp_path, api_url)
        with four_hosts(delay=0.4) as urls, dask_cluster(env) as (address, workers):
            catalog = write_catalog(tmp_path / "katalog.csv", urls)
            args = run_args(
                catalog,
                tmp_path / "data",
                "--task-runner",
                "dask",
                "--dask-address",
                address,
                "--workers",
                "2",
                "--per-host",
                "1",
            )
            process = subprocess.Popen(
                args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            # Kill one worker while it holds a shard: its first pages are being fetched.
            time.sleep(8)
            os.kill(workers[0].pid, signal.SIGKILL)
            _, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    rows = pq.read_table(tmp_path / "data" / "curated" / "links.parquet").to_pylist()
    assert sorted(row["url"] for row in rows) == sorted(urls)  # none lost, none doubled
    assert {row["health"] for row in rows} == {"ok", "not_found"}


def descendants(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def alive(pids: list[int]) -> list[str]:
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            process = psutil.Process(pid)
            if process.status() != psutil.STATUS_ZOMBIE:
                found.append(" ".join(process.cmdline())[:120])
    return found


@pytest.mark.parametrize(
    "extra", [(), ("--task-runner", "dask", "--workers", "2")], ids=["local", "dask"]
)
def test_a_run_killed_with_sigkill_leaves_no_process_behind(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    with four_hosts(delay=2.0) as urls:
        catalog = write_catalog(tmp_path / "katalog.csv", urls)
        process = subprocess.Popen(
            run_args(catalog, tmp_path / "data", *extra),
            env=environment(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Wait until the night is under way: our server is up and pages are being fetched.
        deadline = time.monotonic() + 120
        children: list[int] = []
        while time.monotonic() < deadline:
            children = descendants(process.pid)
            # Our Prefect server, plus (on Dask) the two worker processes.
            if any("prefect" in " ".join(alive([pid])) for pid in children) and len(children) >= (
                3 if extra else 1
            ):
                break
            time.sleep(0.5)
        time.sleep(3)
        children = descendants(process.pid)
        assert children, "the run started no process"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 20
        while alive(children) and time.monotonic() < deadline:
            time.sleep(0.5)
    assert alive(children) == []
