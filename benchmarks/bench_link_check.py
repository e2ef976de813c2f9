"""Link-check benchmark (issue 3): our engine against lychee and LinkChecker, in one run.

Starts the simulated web (`sim_web.py`, many hosts on 127.0.0.x, fixed latency per
request), builds one URL list and times, on that list:

- lychee and LinkChecker at `--concurrency` with their politeness lifted;
- our engine alone (`flows.fetch.engine.fetch_all`) at the same concurrency, politeness
  lifted (per_host = concurrency, interval 0): once with verdicts (each result classified
  in `on_result`, soft-404 analysis included, as `linkpflege run` does it), once with
  statuses only (the transport), and at `--small-urls` URLs (is peak memory flat?);
- our engine with its DEFAULT politeness (2 per host, 0.5 s apart, 64 overall) against
  the politeness floor: the busiest host's request count (robots.txt and the soft-404
  probe included, as the simulated web counted them) × 0.5 s;
- the whole `linkpflege run` process (start-up of its own Prefect server, extraction,
  Parquet, report) on a catalogue CSV of the same URLs: shards in threads of the run
  process, with and without analysis processes, and on a local Dask cluster
  (`--task-runner dask --workers N`, N = the machine's cores).

Every measured program runs as a child process: wall time is the child's life, CPU time
and peak RSS are the child's own (`os.wait4`). The repeats of the fast rows are
interleaved (lychee, ours, ours, …, lychee, ours, …) so that a busy neighbour on the
machine hurts all of them alike; "other load" says how many cores something else used
meanwhile (all CPU time of the machine minus the child's and the simulated web's).
Writes a Markdown report to stdout and to `benchmarks/results/link_check-YYYY-MM-DD.md`.

    .venv/bin/python benchmarks/bench_link_check.py                 # 10,000 URLs, all rows
    .venv/bin/python benchmarks/bench_link_check.py --urls 2000 --skip-peers --skip-run

Peers are not project dependencies: `pip install -r benchmarks/requirements.txt`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from results_files import save_report
from sim_web import SimLink, SimStats, SimWeb, add_web_options, config_from_options
from sim_web_in_process import InProcessWeb

from extractors.records import FetchResult

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
BIN_DIR = Path(sys.executable).parent
GOOD_HEALTH = {"ok", "redirected", "moved"}
RUN_DATE = "2026-11-26"  # the `linkpflege run` row's --now; pages carry fixed dates
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True, slots=True)
class Measured:
    """One child process: how long it lived, its own CPU time and peak RSS, how it ended."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    other_load: float  # cores busy with something else than the child and the server
    exit_code: int
    stdout: str
    stderr: str


def _machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def _process_cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def wait_for_quiet(server_pid: int, below: float, patience: float) -> float:
    """Wait (up to `patience` s) until other processes use fewer than `below` cores.

    The machine may be shared; a neighbour's test run would be timed as ours. Returns the
    load seen last (cores, over one second, the simulated web's own CPU not counted).
    """
    deadline = time.monotonic() + patience
    while True:
        busy, server = _machine_busy_s(), _process_cpu_s(server_pid)
        time.sleep(1.0)
        load = (_machine_busy_s() - busy) - (_process_cpu_s(server_pid) - server)
        if load < below or time.monotonic() >= deadline:
            return load


def measure(command: Sequence[str], env: dict[str, str], cwd: Path, server_pid: int) -> Measured:
    """Run a child to its end; wall time, its CPU time and ru_maxrss via wait4."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        busy, server = _machine_busy_s(), _process_cpu_s(server_pid)
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        busy, server = _machine_busy_s() - busy, _process_cpu_s(server_pid) - server
        process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        cpu = usage.ru_utime + usage.ru_stime
        out.seek(0)
        err.seek(0)
        return Measured(
            wall_s=wall,
            cpu_s=cpu,
            peak_rss_mb=usage.ru_maxrss / 1024,
            other_load=max(0.0, (busy - server - cpu) / wall),
            exit_code=process.returncode,
            stdout=out.read(),
            stderr=err.read(),
        )


def child_env(**extra: str) -> dict[str, str]:
    """The environment for measured children: no proxies (all traffic is loopback)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy")
        and not key.startswith("LINKPFLEGE_")
        and key != "PREFECT_API_URL"
    }
    env.update(extra)
    return env


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class Score:
    """How a tool's answers compare with the simulated web's truth."""

    checked: int  # URLs the tool reported on
    right: int  # good/broken class matches (200 and 301→200 good, 404 broken)
    exact: int | None  # our health vocabulary only: ok / moved / not_found exactly

    def text(self, total: int) -> str:
        if self.checked == 0:
            return "–"
        exact = f"; exact {self.exact}" if self.exact is not None else ""
        return f"{self.right}/{total}{exact}"


def score_health(health_by_url: dict[str, str], links: Sequence[SimLink]) -> Score:
    right = exact = 0
    for link in links:
        health = health_by_url.get(link.url)
        if health is None:
            continue
        right += (health in GOOD_HEALTH) == link.good
        exact += health == link.expected_health
    return Score(len(health_by_url), right, exact)


def score_good_set(reported: dict[str, bool], links: Sequence[SimLink]) -> Score:
    """Peers: url → valid?"""
    right = sum(reported[link.url] == link.good for link in links if link.url in reported)
    return Score(len(reported), right, None)


def lychee_verdicts(report: Path, urls: Sequence[str]) -> dict[str, bool]:
    """lychee's JSON lists failures (error_map, timeout_map); every other URL passed."""
    data = json.loads(report.read_text(encoding="utf-8"))
    failed: set[str] = set()
    for key in ("error_map", "timeout_map"):
        for entries in (data.get(key) or {}).values():
            failed.update(entry["url"] for entry in entries)
    if data.get("total", 0) == 0:
        return {}
    return {url: url not in failed for url in urls}


def linkchecker_verdicts(report: Path) -> dict[str, bool]:
    lines = [
        line
        for line in report.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    return {row["urlname"]: row["valid"] == "True" for row in csv.DictReader(lines, delimiter=";")}


def parquet_health(links_parquet: Path) -> dict[str, str]:
    import pyarrow.parquet as pq

    table = pq.read_table(links_parquet, columns=["url", "health"]).to_pylist()
    return {row["url"]: row["health"] for row in table if row["url"]}


# --------------------------------------------------------------------------- jobs and rows

Outcome = tuple[Measured, Score, str]


@dataclass(slots=True)
class Job:
    """One table row: how to run it once, and the runs so far."""

    name: str
    settings: str
    urls: int
    run: Callable[[], Outcome]
    runs: list[tuple[Measured, Score, SimStats, str]] = field(default_factory=list)
    ratio: str = ""

    def attempt(self, web: SimWeb) -> None:
        web.reset()
        measured, score, note = self.run()
        if measured.exit_code not in (0, 1, 2):  # lychee/LinkChecker exit 1/2 on broken links
            sys.stderr.write(measured.stderr[-2000:])
            raise RuntimeError(f"{self.name}: child failed with exit code {measured.exit_code}")
        self.runs.append((measured, score, web.stats(), note))
        print(
            f"  {self.name[:40]:40} {measured.wall_s:7.2f} s wall {measured.cpu_s:7.2f} s CPU "
            f"{measured.peak_rss_mb:5.0f} MB  other load {measured.other_load:.2f}  {note}",
            flush=True,
        )

    @property
    def wall_s(self) -> float:
        return statistics.median(m.wall_s for m, *_ in self.runs)

    @property
    def stats(self) -> SimStats:
        return self.runs[-1][2]

    @property
    def peak_rss_mb(self) -> float:
        return max(m.peak_rss_mb for m, *_ in self.runs)

    def notes(self) -> str:
        return "; ".join(dict.fromkeys(note for *_, note in self.runs if note))

    def cells(self) -> list[str]:
        walls = [m.wall_s for m, *_ in self.runs]
        spread = f" ({min(walls):.2f}–{max(walls):.2f})" if len(walls) > 1 else ""
        score = min((s for _, s, *_ in self.runs), key=lambda s: (s.right, s.exact or 0))
        stats = self.stats
        return [
            self.name,
            self.settings,
            f"{self.urls:,}",
            f"{self.wall_s:.2f}{spread}, n={len(walls)}",
            self.ratio,
            f"{statistics.median(m.cpu_s for m, *_ in self.runs):.1f}",
            f"{self.peak_rss_mb:.0f}",
            score.text(self.urls),
            # The in-process web's requests never reach the simulated web's sockets.
            f"{stats.busiest_host_requests} / {stats.max_in_flight_per_host}"
            if stats.total_requests
            else "– (in-process)",
            f"{stats.total_connections:,} / {stats.total_requests:,}"
            if stats.total_requests
            else "– (no sockets)",
            f"{statistics.median(m.other_load for m, *_ in self.runs):.2f}",
        ]


HEADER = [
    "row",
    "settings",
    "URLs",
    "wall s: median (min–max), runs",
    "ratio",
    "CPU s",
    "peak RSS MB",
    "verdicts right",
    "busiest host: requests / max in flight",
    "TCP connections / requests",
    "other load (cores)",
]


def markdown_table(jobs: Sequence[Job]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(job.cells()) + " |" for job in jobs]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the tools


@dataclass(frozen=True, slots=True)
class Bench:
    """What every run shares: options, the work folder, the simulated web's process."""

    args: argparse.Namespace
    work: Path
    server_pid: int

    def measure(self, command: Sequence[str], env: dict[str, str], cwd: Path) -> Measured:
        if self.args.quiet_below > 0:
            wait_for_quiet(self.server_pid, self.args.quiet_below, self.args.quiet_patience)
        return measure(command, env, cwd, self.server_pid)


def transport_health(result: FetchResult) -> str:
    """A verdict from statuses alone (no soft-404 analysis): the `transport` mode's scoring."""
    if result.error is not None:
        return str(result.error)
    if result.status is not None and 200 <= result.status < 300:
        if not result.hops:
            return "ok"
        return "moved" if all(hop.status in (301, 308) for hop in result.hops) else "redirected"
    return "not_found" if result.status in (404, 410) else f"http_{result.status}"


def replacement_transport(mode: str, web_json: str) -> object | None:
    """The transport of modes `in-process` and `aiohttp`; None: the engine's own."""
    if mode.startswith("in-process"):
        from sim_web import SimWebConfig

        return InProcessWeb(SimWebConfig(**json.loads(web_json)))
    if mode == "aiohttp":
        import aiohttp
        from httpx_aiohttp import AiohttpTransport

        # No limits of aiohttp's own: the engine's HostLimiter bounds concurrency.
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return AiohttpTransport(client=session)
    return None


def engine_worker(
    urls_file: str, out_file: str, settings_json: str, mode: str, web_json: str = "{}"
) -> int:
    """Child process: fetch the list with `fetch_all` as a shard does; write JSON.

    mode `verdicts`: each result is classified in `on_result`
    (`extractors.health.link_health.classify`,
    soft-404 analysis included), inside the event loop, as `linkpflege run` does it.
    mode `transport`: only statuses are looked at (what lychee's verdict amounts to).
    mode `verdicts-pool`: each result is classified in ONE analysis worker process
    (`flows.shards.analysis_pool`, as `linkpflege run --analysis-processes 1` does it), with the
    run's admission gate as backpressure; the event loop only fetches.
    mode `in-process`: as `verdicts`, over `sim_web_in_process.InProcessWeb` (the simulated
    web's answers after its latency, no sockets; shape from `web_json`): the engine's time
    with an HTTP client that costs nothing. `in-process-statuses`: the same, statuses only.
    mode `aiohttp`: as `verdicts`, over httpx-aiohttp's transport (aiohttp's connection
    pool and C parser under httpx's API) instead of our httpx/httpcore one.
    A side task measures how long the event loop is ever blocked (it asks for 50 ms).
    """
    import asyncio
    from concurrent.futures import Future

    from extractors.health.link_health import classify
    from flows.fetch.engine import fetch_all
    from flows.fetch.settings import FetchSettings
    from flows.shards.analysis_pool import AnalysisPool

    settings = FetchSettings(**json.loads(settings_json))
    urls = Path(urls_file).read_text(encoding="utf-8").split()
    health: dict[str, str] = {}
    classify_s = 0.0
    stalls: list[float] = []

    def on_result(result: FetchResult) -> None:
        nonlocal classify_s
        if mode in ("transport", "in-process-statuses"):
            health[result.url] = transport_health(result)
            return
        started = time.perf_counter()
        health[result.url] = classify(result).health.value
        classify_s += time.perf_counter() - started

    async def watch_loop() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.05)
            stalls.append(time.perf_counter() - started - 0.05)

    async def check() -> None:
        watcher = asyncio.create_task(watch_loop())
        try:
            transport = replacement_transport(mode, web_json)
            await fetch_all(
                urls, settings, on_result=on_result, keep_bodies=False, transport=transport
            )
            if isinstance(transport, InProcessWeb):
                stats = SimStats.from_json(json.loads(transport.server.stats_body()))
                web_stats["requests"] = stats.total_requests
                web_stats["busiest"] = stats.busiest_host_requests
                web_stats["max_in_flight"] = stats.max_in_flight_per_host
        finally:
            watcher.cancel()

    async def check_with_pool(pool: AnalysisPool) -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(settings.concurrency + 32)  # as the run's OBSERVE_BACKLOG

        def release(_: object) -> None:
            loop.call_soon_threadsafe(gate.release)

        def on_pooled(result: FetchResult) -> None:
            done: Future[object] = pool.submit(classify, result)
            done.add_done_callback(release)
            verdicts[result.url] = done

        watcher = asyncio.create_task(watch_loop())
        try:
            await fetch_all(urls, settings, on_result=on_pooled, keep_bodies=False, admission=gate)
        finally:
            watcher.cancel()

    verdicts: dict[str, Future[object]] = {}
    web_stats: dict[str, int] = {}
    started = time.perf_counter()
    if mode == "verdicts-pool":
        with AnalysisPool(1) as pool:
            asyncio.run(check_with_pool(pool))
            for url, done in verdicts.items():
                health[url] = done.result().health.value  # type: ignore[attr-defined]
    else:
        asyncio.run(check())
    summary = {
        "fetch_s": time.perf_counter() - started,
        "classify_s": classify_s,
        "longest_stall_s": max(stalls) if stalls else None,
        "in_process_web": web_stats or None,
        "health": health,
    }
    Path(out_file).write_text(json.dumps(summary), encoding="utf-8")
    return 0


def run_engine(
    bench: Bench,
    urls_file: Path,
    links: Sequence[SimLink],
    settings: dict[str, object],
    mode: str = "verdicts",
) -> Outcome:
    out = bench.work / "engine.json"
    args = bench.args
    web = {"hosts": args.hosts, "latency_ms": args.latency_ms, "page_kb": args.page_kb}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "engine-worker",
        str(urls_file),
        str(out),
        json.dumps(settings),
        mode,
        json.dumps(web),
    ]
    measured = bench.measure(command, child_env(), bench.work)
    if measured.exit_code != 0:
        sys.stderr.write(measured.stderr[-3000:])
        raise RuntimeError("engine worker failed")
    data = json.loads(out.read_text(encoding="utf-8"))
    note = f"fetch_all {data['fetch_s']:.2f} s"
    if mode in ("verdicts", "in-process", "aiohttp"):
        note += f" (classify in on_result {data['classify_s']:.2f} s)"
    if data.get("in_process_web"):
        web_stats = data["in_process_web"]
        note += (
            f", {web_stats['requests']:,} requests answered in-process (busiest host "
            f"{web_stats['busiest']}, at most {web_stats['max_in_flight']} in flight)"
        )
    if data["longest_stall_s"] is not None:
        note += f", longest event-loop stall {data['longest_stall_s']:.2f} s"
    score = score_health(data["health"], links)
    if score.exact != len(links):
        counts = Counter(data["health"].values())
        note += ", health " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return measured, score, note


def run_lychee(bench: Bench, urls_file: Path, links: Sequence[SimLink]) -> Outcome:
    args = bench.args
    out = bench.work / "lychee.json"
    out.unlink(missing_ok=True)
    command = [
        str(tool_path("lychee")),
        "--no-progress",
        "--format",
        "json",
        "--output",
        str(out),
        "--max-concurrency",
        str(args.concurrency),
        "--host-concurrency",
        str(args.concurrency),
        "--host-request-interval",
        "0ms",
        "--timeout",
        str(int(args.timeout)),
        "--max-retries",
        "0",
        "--cache=false",
        str(urls_file),
    ]
    measured = bench.measure(command, child_env(), bench.work)
    verdicts = lychee_verdicts(out, [link.url for link in links]) if out.exists() else {}
    return measured, score_good_set(verdicts, links), ""


def run_linkchecker(bench: Bench, urls_file: Path, links: Sequence[SimLink]) -> Outcome:
    # Run as root, LinkChecker drops to `nobody`: its config must be readable and its
    # output folder writable by everyone.
    folder = bench.work / "linkchecker"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o777)
    config = folder / "lcrc"
    config.write_text(
        f"[checking]\nthreads={bench.args.concurrency}\ntimeout={int(bench.args.timeout)}\n"
        "maxrequestspersecond=1000\n[filtering]\ncheckextern=1\n"
    )
    report = folder / "lc.csv"
    report.unlink(missing_ok=True)
    command = [
        str(tool_path("linkchecker")),
        "-f",
        str(config),
        "-r0",
        "--no-status",
        "-v",
        "-o",
        "none",
        "-F",
        f"csv/utf-8/{report}",
        *urls_file.read_text().split(),
    ]
    measured = bench.measure(command, child_env(), bench.work)
    verdicts = linkchecker_verdicts(report) if report.exists() else {}
    return measured, score_good_set(verdicts, links), ""


def write_catalog(links: Sequence[SimLink], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["entry_id", "provider", "title", "link_label", "url"])
        for number, link in enumerate(links):
            writer.writerow(
                [f"sim-{number}", f"Kommune {link.host}", f"Projekt {number}", "", link.url]
            )


def run_linkpflege(
    bench: Bench, links: Sequence[SimLink], analysis_processes: int, dask_workers: int = 0
) -> Outcome:
    """The whole CLI: shards in threads of the run process, or (`dask_workers` > 0) on a
    local Dask cluster of that many worker processes (`--task-runner dask --workers N`)."""
    args = bench.args
    run_dir = bench.work / "linkpflege-run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    catalog = run_dir / "catalog.csv"
    write_catalog(links, catalog)
    command = [
        str(tool_path("linkpflege")),
        "run",
        "--catalog",
        str(catalog),
        "--data-dir",
        str(run_dir / "data"),
        "--now",
        RUN_DATE,
        "--allow-private-addresses",
        "--concurrency",
        str(args.concurrency),
        "--per-host",
        str(args.concurrency),
        "--per-host-interval",
        "0",
        "--timeout",
        str(args.timeout),
        "--analysis-processes",
        str(analysis_processes),
        "--no-progress",
    ]
    if dask_workers:
        command += ["--task-runner", "dask", "--workers", str(dask_workers)]
    # One shard (one per Dask worker): the flow splits --concurrency among the shards it
    # checks at once; this keeps the run at the same concurrency as the other rows.
    env = child_env(PREFECT_HOME=str(run_dir / "prefect"), LINKPFLEGE_SHARD_SIZE=str(len(links)))
    measured = bench.measure(command, env, run_dir)
    links_parquet = run_dir / "data" / "curated" / "links.parquet"
    if measured.exit_code != 0 or not links_parquet.exists():
        sys.stderr.write(measured.stdout[-2000:] + measured.stderr[-3000:])
        raise RuntimeError(f"linkpflege run failed with exit code {measured.exit_code}")
    health = parquet_health(links_parquet)
    score = score_health(health, links)
    note = ""
    if score.exact != len(links):
        counts = Counter(health.values())
        note = "health " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return measured, score, note


def tool_path(name: str) -> Path:
    local = BIN_DIR / name
    if local.exists():
        return local
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: pip install -r benchmarks/requirements.txt")
    return Path(found)


# --------------------------------------------------------------------------- machine


def machine_lines() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])

    def first_line(command: list[str], cwd: Path | None = None) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd)
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        lines = (done.stdout or done.stderr).strip().splitlines()
        return lines[0] if lines else "unknown"

    def package(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    with open("/proc/loadavg", encoding="ascii") as handle:
        load = " ".join(handle.read().split()[:3])
    # The working tree may hold uncommitted engine changes: name the exact sources measured.
    digest = hashlib.sha256()
    for source in sorted([*PROJECT_ROOT.glob("flows/*.py"), *PROJECT_ROOT.glob("extractors/*.py")]):
        digest.update(source.name.encode() + source.read_bytes())
    return [
        f"- machine: {os.cpu_count()} cores ({cpu}), {ram_kb / 1024 / 1024:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}; load average at start {load}",
        f"- Python {platform.python_version()}; linkpflege {package('linkpflege')} "
        f"(git {first_line(['git', 'describe', '--always', '--dirty'], PROJECT_ROOT)}, "
        f"sources of flows/ and extractors/ sha256 {digest.hexdigest()[:12]}), "
        f"httpx {package('httpx')}, httpcore {package('httpcore')}, prefect {package('prefect')}",
        f"- {first_line([str(BIN_DIR / 'lychee'), '--version'])}; "
        f"{first_line([str(BIN_DIR / 'linkchecker'), '--version'])}",
    ]


# --------------------------------------------------------------------------- main


def lifted_settings(args: argparse.Namespace) -> dict[str, object]:
    return {
        "concurrency": args.concurrency,
        "per_host": args.concurrency,
        "per_host_interval": 0.0,
        "timeout": args.timeout,
        "allow_private_addresses": True,
        "trust_env": False,
    }


def default_politeness_settings(args: argparse.Namespace) -> dict[str, object]:
    return {"timeout": args.timeout, "allow_private_addresses": True, "trust_env": False}


def write_urls(links: Sequence[SimLink], path: Path) -> Path:
    path.write_text("".join(link.url + "\n" for link in links), encoding="utf-8")
    return path


ENGINE = "Linkpflege engine (`fetch_all`)"


def plan(bench: Bench, links: list[SimLink]) -> tuple[list[Job], list[Job]]:
    """The fast jobs (repeated, interleaved) and the slow ones (run `--slow-repeat` times)."""
    args, work = bench.args, bench.work
    urls_file = write_urls(links, work / "urls.txt")
    small_links = links[: args.small_urls]
    small_file = write_urls(small_links, work / "urls-small.txt")
    polite_links = links[: args.polite_urls]
    polite_file = write_urls(polite_links, work / "urls-polite.txt")
    lifted = lifted_settings(args)
    conc = args.concurrency
    fast: list[Job] = []
    slow: list[Job] = []
    if not args.skip_peers:
        fast.append(
            Job(
                "lychee",
                f"max-concurrency {conc}, host-concurrency {conc}, interval 0 ms, "
                "no retries, no cache",
                len(links),
                lambda: run_lychee(bench, urls_file, links),
            )
        )
    fast.append(
        Job(
            ENGINE,
            f"concurrency {conc}, per host {conc}, interval 0; verdicts (soft-404 analysis) "
            "in `on_result`",
            len(links),
            lambda: run_engine(bench, urls_file, links, lifted),
        )
    )
    fast.append(
        Job(
            "Linkpflege engine, verdicts in 1 process",
            f"concurrency {conc}, per host {conc}, interval 0; verdicts in one analysis "
            "process (`--analysis-processes 1`)",
            len(links),
            lambda: run_engine(bench, urls_file, links, lifted, "verdicts-pool"),
        )
    )
    fast.append(
        Job(
            "Linkpflege engine, transport only",
            "as above, statuses only (no soft-404 analysis in `on_result`)",
            len(links),
            lambda: run_engine(bench, urls_file, links, lifted, "transport"),
        )
    )
    if importlib.util.find_spec("httpx_aiohttp") is not None:
        fast.append(
            Job(
                "Linkpflege engine over httpx-aiohttp",
                f"concurrency {conc}, per host {conc}, interval 0; verdicts in `on_result`; "
                "aiohttp's pool and parser under httpx (`httpx_aiohttp.AiohttpTransport`) "
                "instead of ours: what a faster HTTP client would give",
                len(links),
                lambda: run_engine(bench, urls_file, links, lifted, "aiohttp"),
            )
        )
    fast.append(
        Job(
            "Linkpflege engine, in-process web",
            f"concurrency {conc}, per host {conc}, interval 0; verdicts in `on_result`; the "
            "same answers after the same latency from an in-process transport, no sockets "
            "(`sim_web_in_process.py`): the engine with an HTTP client that costs nothing",
            len(links),
            lambda: run_engine(bench, urls_file, links, lifted, "in-process"),
        )
    )
    fast.append(
        Job(
            "Linkpflege engine, in-process web, statuses only",
            "as the row above, statuses only (no soft-404 analysis): the engine's own per-URL "
            "work alone",
            len(links),
            lambda: run_engine(bench, urls_file, links, lifted, "in-process-statuses"),
        )
    )
    fast.append(
        Job(
            ENGINE,
            f"as above with verdicts, {len(small_links):,} URLs (is memory flat?)",
            len(small_links),
            lambda: run_engine(bench, small_file, small_links, lifted),
        )
    )
    if not args.skip_peers:
        slow.append(
            Job(
                "LinkChecker",
                f"threads {conc}, maxrequestspersecond 1000, server sends `LinkChecker` header",
                len(links),
                lambda: run_linkchecker(bench, urls_file, links),
            )
        )
    slow.append(
        Job(
            "Linkpflege engine, default politeness",
            "concurrency 64, per host 2, interval 0.5 s; verdicts in `on_result`",
            len(polite_links),
            lambda: run_engine(bench, polite_file, polite_links, default_politeness_settings(args)),
        )
    )
    if not args.skip_run:
        cores = len(os.sched_getaffinity(0))
        for workers, analysing in ((0, 0), (0, cores), (cores, 0)):
            if workers:
                where = (
                    f"`--task-runner dask --workers {workers}`, one shard per worker, "
                    "analysis in each worker"
                )
            elif analysing:
                where = f"one shard, {analysing} analysis processes"
            else:
                where = "one shard, analysis in-process"
            slow.append(
                Job(
                    "`linkpflege run` (whole process)",
                    f"concurrency {conc}, per host {conc}, interval 0, {where}; "
                    "its own Prefect server's start-up, extraction, Parquet, report",
                    len(links),
                    lambda w=workers, a=analysing: run_linkpflege(bench, links, a, w),
                )
            )
    return fast, slow


def benchmark(args: argparse.Namespace) -> str:
    config = config_from_options(args)
    work = Path(tempfile.mkdtemp(prefix="linkpflege-bench-"))
    work.chmod(0o755)  # LinkChecker (as nobody) reads its config below it
    machine = machine_lines()
    print("\n".join(machine), flush=True)
    try:
        with SimWeb(config) as web:
            links = web.links(args.urls)
            fast, slow = plan(Bench(args, work, web.pid), links)
            for round_number in range(args.repeat):
                print(f"round {round_number + 1} of {args.repeat} (fast rows)", flush=True)
                for job in fast:
                    job.attempt(web)
            for job in slow:
                for _ in range(args.slow_repeat):
                    job.attempt(web)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    jobs = fast + slow
    lychee = next((job for job in jobs if job.name == "lychee"), None)
    for job in jobs:
        if job.name.endswith("default politeness"):
            floor = job.stats.politeness_floor_s(0.5)
            job.ratio = f"{job.wall_s / floor:.2f} × floor ({floor:.1f} s)"
        elif lychee is not None and job.urls == lychee.urls:
            job.ratio = f"{job.wall_s / lychee.wall_s:.2f} × lychee"
    engine_big, engine_small = (job for job in jobs if job.name == ENGINE)
    latency_floor = args.urls / args.concurrency * args.latency_ms / 1000
    notes = [
        f"- simulated web: {args.hosts} hosts (127.0.0.2 …), {args.latency_ms:g} ms latency per "
        f"request, pages ≈{args.page_kb:g} KiB, ≈3 % 404 and ≈2 % 301 → 200; latency floor "
        f"at concurrency {args.concurrency}: {latency_floor:.2f} s",
        f"- peak memory of the engine (with verdicts): {engine_small.peak_rss_mb:.0f} MB at "
        f"{engine_small.urls:,} URLs, {engine_big.peak_rss_mb:.0f} MB at {engine_big.urls:,} "
        f"URLs (× {engine_big.peak_rss_mb / engine_small.peak_rss_mb:.2f})",
        "- wall time is the whole child process (interpreter start-up and imports included); "
        "CPU s and peak RSS are the child's own (`wait4`), for `linkpflege run` its largest "
        "process; fast rows ran interleaved, round by round",
        '- "verdicts right": good (200, 301 → 200) or broken (404) as the simulated web '
        'serves it; "exact": our vocabulary (ok / moved / not_found) exactly',
        "- politeness floor: the busiest host's requests as the simulated web counted them "
        "(robots.txt and soft-404 probe included) × 0.5 s",
        "- other load: cores busy with other processes during the row (machine CPU time minus "
        "the child's and the simulated web's, per second of wall time); 2 cores in all",
    ]
    for job in jobs:
        if job.notes():
            notes.append(f"- {job.name} ({job.urls:,} URLs): {job.notes()}")
        if job.name.endswith("default politeness") and job.stats.min_gap_s is not None:
            notes.append(
                f"- {job.name}: max {job.stats.max_in_flight_per_host} in flight per host; "
                f"shortest gap between two request arrivals at one host "
                f"{job.stats.min_gap_s:.3f} s"
            )
    command = "python benchmarks/bench_link_check.py " + " ".join(sys.argv[1:])
    return "\n".join(
        [
            f"### Link checking, {dt.date.today().isoformat()}",  # a benchmark may read the clock
            "",
            *machine,
            f"- command: `{command.strip()}`",
            "",
            markdown_table(jobs),
            "",
            *notes,
            "",
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=10_000, help="URLs in the list (10000)")
    add_web_options(parser)
    parser.add_argument("--concurrency", type=int, default=32, help="for every tool (32)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per URL (10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast rows (3)")
    parser.add_argument("--slow-repeat", type=int, default=1, help="runs of the slow rows (1)")
    parser.add_argument(
        "--small-urls", type=int, default=1000, help="the small list for the memory row (1000)"
    )
    parser.add_argument(
        "--polite-urls",
        type=int,
        default=None,
        help="URLs for the default-politeness row (default: min(N, 100 per host))",
    )
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.3,
        help="before each run, wait until other processes use fewer cores than this (0.3; 0: "
        "do not wait)",
    )
    parser.add_argument(
        "--quiet-patience", type=float, default=120, help="longest wait for quiet, s (120)"
    )
    parser.add_argument("--skip-peers", action="store_true", help="no lychee, no LinkChecker")
    parser.add_argument("--skip-run", action="store_true", help="no `linkpflege run` row")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "engine-worker":
        return engine_worker(*argv[1:6])
    args = build_parser().parse_args(argv)
    if args.polite_urls is None:
        args.polite_urls = min(args.urls, 100 * args.hosts)
    report = benchmark(args)
    print()
    print(report)
    if not args.no_save:
        save_report(report, "link_check", dt.date.today())
    return 0


if __name__ == "__main__":
    sys.exit(main())
