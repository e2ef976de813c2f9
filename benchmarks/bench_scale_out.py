"""Scale-out benchmark (issue 17): the whole `linkpflege run` on one process and on a local
Dask cluster, against lychee, on one long URL list.

Starts the simulated web (`sim_web.py`'s server, here spread over more than its 250
addresses: 127.0.0.2 … 127.0.0.254, 127.0.1.1 …, see `wide_host_addresses`), builds one
list of `--urls` URLs on `--hosts` hosts and a catalogue CSV of it, and times, with
politeness lifted (per host = `--concurrency`, `--per-host-interval 0`, robots.txt as the
simulated web serves it):

- `linkpflege run` as a child process, catalogue CSV → dataset and report, in three ways
  (`--rows`): `single` (the default: shards in threads of the run process), `dask1` /
  `dask2` (`--task-runner dask --workers 1` / `2`, a local Dask cluster through Prefect);
  each with a fresh `--data-dir` and `PREFECT_HOME`, without `PREFECT_API_URL` (the run
  starts its own Prefect server, which is a child of it and so part of what is measured),
  `--no-archive --no-relocation --no-progress --allow-private-addresses --now 2026-12-01`;
- lychee on the same URL list at the same total concurrency (as `bench_link_check.py`).

Each `linkpflege run` row runs at the full list and (`--small-rows`) at `--small-urls`, for
the peak memory of the run process itself: the issue's target is ≤ 1.3× from 10,000 to
50,000+ URLs. `--second-night-rows` also measures the next night (`--now 2026-12-02`) on
the same data directory: the steady state, with last night's tables read and the history
grown, which a first night on an empty directory does not show.

Measuring: wall time is the child's whole life. CPU time is `os.wait4`'s: the child and
every descendant it waited for (its Prefect server, the local Dask cluster's worker
processes); a sampler thread reads /proc every 0.25 s for the split by process
(approximate: last sample before each process ended) and for the run process's own peak
RSS (`VmHWM`; `wait4`'s `ru_maxrss` is the largest of all its processes). After each run
the sampler's processes are looked for once more: any still alive was left behind
(reported, then ended by its pid).

    .venv/bin/python benchmarks/bench_scale_out.py                      # 50,000 URLs, 500 hosts
    .venv/bin/python benchmarks/bench_scale_out.py --urls 2000 --hosts 50 --small-urls 500 \\
        --rows single,dask2 --no-save                                    # quick look

Writes Markdown to stdout and to `benchmarks/results/scale_out-YYYY-MM-DD.md` (`-2`, `-3`, …
for later runs of the same day).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import sim_web
from bench_link_check import (
    _machine_busy_s,
    _process_cpu_s,
    child_env,
    lychee_verdicts,
    machine_lines,
    parquet_health,
    score_good_set,
    score_health,
    tool_path,
    wait_for_quiet,
    write_catalog,
)
from results_files import save_report
from sim_web import SimLink, SimWeb, SimWebConfig, add_web_options

BENCH_DIR = Path(__file__).resolve().parent
RUN_DATE = "2026-12-01"
SECOND_NIGHT = "2026-12-02"  # `--second-night-rows`: the next night on the same data
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE_KB = os.sysconf("SC_PAGE_SIZE") / 1024
MAX_HOSTS = 253 * 250  # 127.0.0.2 … within 127.0.0.0/16 (ends .1 … .254 of each /24)


# --------------------------------------------------------------------------- a wider web


def wide_host_addresses(hosts: int) -> list[str]:
    """`sim_web.host_addresses` past its 250: 127.0.0.2 … 127.0.0.254, 127.0.1.1 … (no
    address ending .0 or .255). The first 250 are the same as `sim_web`'s."""
    addresses: list[str] = []
    address = ipaddress.IPv4Address(sim_web.FIRST_HOST_ADDRESS)
    while len(addresses) < hosts:
        if address.packed[3] not in (0, 255):
            addresses.append(str(address))
        address += 1
    return addresses


@dataclass(frozen=True, slots=True)
class WideWebConfig(SimWebConfig):
    """A `SimWebConfig` allowing more than 250 hosts (with `wide_host_addresses`)."""

    def __post_init__(self) -> None:
        if not 1 <= self.hosts <= MAX_HOSTS:
            raise ValueError(f"hosts must be 1..{MAX_HOSTS}")
        if self.latency_ms < 0 or self.page_kb < 0:
            raise ValueError("latency_ms and page_kb must not be negative")


@contextlib.contextmanager
def wide_addresses() -> Iterator[None]:
    """`sim_web` (its server, its link list) on `wide_host_addresses` within the block."""
    with mock.patch.object(sim_web, "host_addresses", wide_host_addresses):
        yield


class WideSimWeb(SimWeb):
    """`SimWeb`, its server started through this script (`sim-web` mode) on more hosts."""

    def _server_command(self) -> list[str]:
        return [sys.executable, str(Path(__file__).resolve()), "sim-web"]

    def links(self, count: int) -> list[SimLink]:
        with wide_addresses():
            return sim_web.build_link_list(count, self.config.hosts, self.port)


def serve_wide_web(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    add_web_options(parser)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--linkchecker-header", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    config = WideWebConfig(
        hosts=args.hosts,
        latency_ms=args.latency_ms,
        page_kb=args.page_kb,
        port=args.port,
        linkchecker_header=args.linkchecker_header,
    )
    with wide_addresses(), contextlib.suppress(KeyboardInterrupt):
        asyncio.run(sim_web.serve(config))
    return 0


# --------------------------------------------------------------------------- measuring


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, own CPU seconds, start time in ticks) of a live process; None if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[19])


def _peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _role(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""
    if "server start" in command or "uvicorn" in command or "prefect.server" in command:
        return "Prefect server"
    if "resource_tracker" in command or "forkserver" in command:
        return "helpers"
    return "workers"


@dataclass(slots=True)
class _Seen:
    role: str
    cpu_s: float
    peak_rss_mb: float
    start: int


class TreeSampler(threading.Thread):
    """Every `interval` s: the run process's own peak RSS and each descendant's CPU, peak
    RSS and role (descendants of the Prefect server count as the server)."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop = threading.Event()
        self.root_peak_rss_mb = 0.0
        self.seen: dict[int, _Seen] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)

    def sample(self) -> None:
        self.root_peak_rss_mb = max(self.root_peak_rss_mb, _peak_rss_mb(self.root))
        children: dict[int, list[int]] = {}
        stats: dict[int, tuple[int, float, int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = _stat(int(entry))
                if stat is not None:
                    stats[int(entry)] = stat
                    children.setdefault(stat[0], []).append(int(entry))
        frontier = [(self.root, "run process")]
        while frontier:
            parent, parent_role = frontier.pop()
            for pid in children.get(parent, []):
                _, cpu, start = stats[pid]
                role = "Prefect server" if parent_role == "Prefect server" else _role(pid)
                known = self.seen.get(pid)
                if known is None or known.start != start:
                    known = self.seen[pid] = _Seen(role or "workers", cpu, 0.0, start)
                if known.role != "Prefect server" and role:  # early samples may predate exec
                    known.role = role
                known.cpu_s = cpu
                known.peak_rss_mb = max(known.peak_rss_mb, _peak_rss_mb(pid))
                frontier.append((pid, known.role))

    def cpu_by_role(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for seen in self.seen.values():
            totals[seen.role] = totals.get(seen.role, 0.0) + seen.cpu_s
        return totals

    def left_behind(self) -> dict[int, str]:
        """Descendants seen during the run that are still alive now."""
        alive: dict[int, str] = {}
        for pid, seen in self.seen.items():
            stat = _stat(pid)
            if stat is not None and stat[2] == seen.start:
                alive[pid] = seen.role
        return alive


@dataclass(slots=True)
class Measured:
    wall_s: float
    cpu_s: float  # wait4: the child and its waited-for descendants
    max_rss_mb: float  # wait4: the largest of those processes
    run_rss_mb: float  # VmHWM of the child itself
    cpu_by_role: dict[str, float]
    workers_rss_mb: float  # largest descendant other than the Prefect server
    left_behind: dict[int, str]
    other_load: float
    exit_code: int
    stdout: str
    stderr: str
    sources: str = ""  # digest of the project's sources when the run started


PROJECT_ROOT = BENCH_DIR.parent


def source_digest() -> str:
    """sha256 (12 hex digits) of every .py under flows/ and extractors/: others may edit
    the working tree while the benchmark runs, and each run imports it afresh."""
    digest = hashlib.sha256()
    for folder in ("flows", "extractors"):
        for source in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            digest.update(str(source.relative_to(PROJECT_ROOT)).encode() + source.read_bytes())
    return digest.hexdigest()[:12]


def measure(
    command: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    server_pid: int,
    quiet: tuple[float, float],
) -> Measured:
    below, patience = quiet
    if below > 0:
        wait_for_quiet(server_pid, below, patience)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        busy, server, own = _machine_busy_s(), _process_cpu_s(server_pid), time.process_time()
        sources = source_digest()
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        busy = _machine_busy_s() - busy
        server = _process_cpu_s(server_pid) - server
        own = time.process_time() - own
        process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        time.sleep(1.0)  # a process that outlives the run by more than this was left behind
        left = sampler.left_behind()
        for pid in left:  # ours (descendants of our child): end them so later rows are clean
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        cpu = usage.ru_utime + usage.ru_stime
        out.seek(0)
        err.seek(0)
        worker_rss = [s.peak_rss_mb for s in sampler.seen.values() if s.role == "workers"]
        return Measured(
            wall_s=wall,
            cpu_s=cpu,
            max_rss_mb=usage.ru_maxrss / 1024,
            run_rss_mb=sampler.root_peak_rss_mb,
            cpu_by_role=sampler.cpu_by_role(),
            workers_rss_mb=max(worker_rss, default=0.0),
            left_behind=left,
            other_load=max(0.0, (busy - server - own - cpu) / wall),
            exit_code=process.returncode,
            stdout=out.read(),
            stderr=err.read(),
            sources=sources,
        )


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class Way:
    """One way of running `linkpflege run`."""

    key: str
    label: str
    flags: tuple[str, ...]
    processes: int  # shards side by side


WAYS = {
    way.key: way
    for way in (
        Way("single", "single process (default)", (), 1),
        Way(
            "dask1",
            "`--task-runner dask --workers 1`",
            ("--task-runner", "dask", "--workers", "1"),
            1,
        ),
        Way(
            "dask2",
            "`--task-runner dask --workers 2`",
            ("--task-runner", "dask", "--workers", "2"),
            2,
        ),
    )
}
ROW_KEYS = ("lychee", *WAYS)
NEXT_NIGHT_KEY = ":second-night"  # a row key's suffix for its second night


@dataclass(slots=True)
class Row:
    key: str
    label: str
    urls: int
    runs: list[Measured] = field(default_factory=list)
    verdicts: str = ""
    failure: str = ""

    @property
    def ok_runs(self) -> list[Measured]:
        return [m for m in self.runs if m.exit_code in (0, 1, 2) and not self.failure]

    def median(self, attribute: str) -> float:
        values = sorted(getattr(m, attribute) for m in self.ok_runs)
        return values[len(values) // 2] if values else float("nan")

    @property
    def urls_per_s(self) -> float:
        return self.urls / self.median("wall_s")

    @property
    def cpu_ms_per_url(self) -> float:
        return self.median("cpu_s") * 1000 / self.urls


@dataclass(frozen=True, slots=True)
class Bench:
    args: argparse.Namespace
    work: Path
    server_pid: int
    web_reset: Callable[[], None]

    def measure(self, command: Sequence[str], env: dict[str, str], cwd: Path) -> Measured:
        quiet = (self.args.quiet_below, self.args.quiet_patience)
        return measure(command, env, cwd, self.server_pid, quiet)


def run_linkpflege(
    bench: Bench, way: Way, links: Sequence[SimLink], row: Row, second: Row | None = None
) -> None:
    """One night on a fresh data directory; with `second`, the next night on the same data
    (last night's tables read, conditional requests, the history grown) measured into it."""
    args = bench.args
    run_dir = bench.work / f"run-{way.key}-{len(links)}-{len(row.runs)}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    catalog = run_dir / "catalog.csv"
    write_catalog(links, catalog)
    command = [
        str(tool_path("linkpflege")),
        "run",
        "--catalog", str(catalog),
        "--data-dir", str(run_dir / "data"),
        "--now", RUN_DATE,
        "--allow-private-addresses",
        "--concurrency", str(args.concurrency),
        "--per-host", str(args.concurrency),
        "--per-host-interval", "0",
        "--timeout", str(args.timeout),
        "--no-archive",
        "--no-relocation",
        "--no-progress",
        *way.flags,
    ]  # fmt: skip
    # Shards side by side split --concurrency; the flow divides it by the number of shards
    # when it runs them in threads, but a Dask worker runs one shard at a time. One shard per
    # process (the default) keeps every row at the same total concurrency.
    shard_size = args.shard_size or -(-len(links) // way.processes)
    env = child_env(PREFECT_HOME=str(run_dir / "prefect"), LINKPFLEGE_SHARD_SIZE=str(shard_size))
    measured = bench.measure(command, env, run_dir)
    row.runs.append(measured)
    links_parquet = run_dir / "data" / "curated" / "links.parquet"
    if measured.exit_code != 0 or not links_parquet.exists():
        tail = (measured.stderr.strip() or measured.stdout.strip()).splitlines()[-3:]
        row.failure = f"exit {measured.exit_code}: " + " / ".join(line[:300] for line in tail)
        return
    score = score_health(parquet_health(links_parquet), links)
    row.verdicts = score.text(len(links))
    if second is not None:
        next_night = [SECOND_NIGHT if part == RUN_DATE else part for part in command]
        bench.web_reset()
        measured = bench.measure(next_night, env, run_dir)
        second.runs.append(measured)
        if measured.exit_code not in (0, 1, 2):
            tail = (measured.stderr.strip() or measured.stdout.strip()).splitlines()[-3:]
            second.failure = f"exit {measured.exit_code}: " + " / ".join(t[:300] for t in tail)
        else:
            second.verdicts = score_health(parquet_health(links_parquet), links).text(len(links))
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)


def run_lychee(bench: Bench, urls_file: Path, links: Sequence[SimLink], row: Row) -> None:
    args = bench.args
    out = bench.work / "lychee.json"
    out.unlink(missing_ok=True)
    command = [
        str(tool_path("lychee")),
        "--no-progress",
        "--format", "json",
        "--output", str(out),
        "--max-concurrency", str(args.concurrency),
        "--host-concurrency", str(args.concurrency),
        "--host-request-interval", "0ms",
        "--timeout", str(int(args.timeout)),
        "--max-retries", "0",
        "--cache=false",
        str(urls_file),
    ]  # fmt: skip
    measured = bench.measure(command, child_env(), bench.work)
    row.runs.append(measured)
    if measured.exit_code not in (0, 2):  # 2: broken links found
        row.failure = f"exit {measured.exit_code}: {measured.stderr.strip()[-300:]}"
        return
    verdicts = lychee_verdicts(out, [link.url for link in links]) if out.exists() else {}
    row.verdicts = score_good_set(verdicts, links).text(len(links))


# --------------------------------------------------------------------------- report

HEADER = [
    "row",
    "URLs",
    "wall s",
    "URLs/s",
    "CPU s (incl. descendants)",
    "CPU ms / URL",
    "of the CPU: Prefect server / worker processes s",
    "run process peak RSS MB",
    "largest worker RSS MB",
    "verdicts right",
    "left behind",
    "other load (cores)",
]


def cells(row: Row) -> list[str]:
    if not row.ok_runs:
        return [row.label, f"{row.urls:,}", f"**failed**: {row.failure}"] + [""] * (len(HEADER) - 3)
    walls = [m.wall_s for m in row.ok_runs]
    spread = f" ({min(walls):.1f}–{max(walls):.1f}, n={len(walls)})" if len(walls) > 1 else ""
    last = row.ok_runs[-1]
    if row.key == "lychee":
        split, run_rss, worker_rss = "–", f"{row.median('max_rss_mb'):.0f}", "–"
    else:
        roles = last.cpu_by_role
        split = f"{roles.get('Prefect server', 0):.1f} / {roles.get('workers', 0):.1f}"
        run_rss = f"{row.median('run_rss_mb'):.0f}"
        worker_rss = f"{last.workers_rss_mb:.0f}" if last.workers_rss_mb else "–"
    left = ", ".join(f"{role} ({pid})" for pid, role in last.left_behind.items()) or "none"
    return [
        row.label,
        f"{row.urls:,}",
        f"{row.median('wall_s'):.1f}{spread}",
        f"{row.urls_per_s:.0f}",
        f"{row.median('cpu_s'):.1f}",
        f"{row.cpu_ms_per_url:.2f}",
        split,
        run_rss,
        worker_rss,
        row.verdicts,
        left,
        f"{row.median('other_load'):.2f}",
    ]


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def find(rows: Sequence[Row], key: str, urls: int) -> Row | None:
    return next((r for r in rows if r.key == key and r.urls == urls and r.ok_runs), None)


def findings(rows: Sequence[Row], args: argparse.Namespace) -> list[str]:
    lines: list[str] = []
    lychee = find(rows, "lychee", args.urls)
    for key in (*WAYS, *(f"{way}{NEXT_NIGHT_KEY}" for way in WAYS)):
        big, small = find(rows, key, args.urls), find(rows, key, args.small_urls)
        if big and lychee and not key.endswith(NEXT_NIGHT_KEY):
            lines.append(
                f"- {big.label}: {lychee.urls_per_s / big.urls_per_s:.1f}× lychee's wall time"
            )
        if big and small and big.urls > small.urls:
            growth = big.median("run_rss_mb") / small.median("run_rss_mb")
            verdict = "met" if growth <= 1.3 else "NOT met"
            marginal = (big.urls - small.urls) / (big.median("wall_s") - small.median("wall_s"))
            marginal_cpu = (big.median("cpu_s") - small.median("cpu_s")) / (big.urls - small.urls)
            lines.append(
                f"- {big.label}: run process peak RSS {small.median('run_rss_mb'):.0f} MB at "
                f"{small.urls:,} URLs, {big.median('run_rss_mb'):.0f} MB at {big.urls:,}: "
                f"× {growth:.2f} (target ≤ 1.3×: {verdict}); between the two sizes "
                f"{marginal:.0f} URLs/s and {marginal_cpu * 1000:.2f} ms CPU per URL "
                f"(start-up and other fixed costs cancelled out)"
            )
    return lines


def default_shard_size() -> int:
    from flows.run_settings import Settings

    return int(next(f.default for f in dataclasses.fields(Settings) if f.name == "shard_size"))


def rate(rows: Sequence[Row], key: str, args: argparse.Namespace) -> tuple[float, str] | None:
    """URLs/s of a row: between the two sizes when both ran (fixed costs cancelled), else
    of the whole run at the full size."""
    big, small = find(rows, key, args.urls), find(rows, key, args.small_urls)
    if big and small and big.urls > small.urls:
        extra = big.median("wall_s") - small.median("wall_s")
        if extra > 0:
            return (big.urls - small.urls) / extra, "between the two sizes"
    if big:
        return big.urls_per_s, "whole run"
    return None


PROJECTED_URLS = 1_000_000
PROJECTED_HOSTS = 10_000
PAGE_KB_ASSUMED = 60  # average page on the web, KB (an assumption, not measured)


def projection(rows: Sequence[Row], args: argparse.Namespace) -> list[str]:
    """Machines and hours for 1,000,000 URLs on 10,000 hosts from the measured rates."""
    worker = rate(rows, "dask1", args)
    machine = rate(rows, "dask2", args)
    if worker is None or machine is None:
        return ["- projection: needs the dask1 and dask2 rows"]
    per_worker, how_worker = worker
    per_machine, how_machine = machine
    per_host = PROJECTED_URLS // PROJECTED_HOSTS
    floor_s = (per_host + 2) * 0.5  # + robots.txt and the soft-404 probe, 0.5 s apart
    shard = default_shard_size()
    hosts_per_shard = shard / per_host
    polite_worker = min(per_worker, hosts_per_shard * 2.0)  # ≤ 2 request starts/s per host
    polite_machine = per_machine * polite_worker / per_worker
    fleet = (1, 2, 5, 10, 25)

    def hours(machine_rate: float, machines: int) -> str:
        return f"{max(PROJECTED_URLS / (machine_rate * machines), floor_s) / 3600:.2f}"

    table = [
        "| machines (2 cores, 2 Dask workers each) | " + " | ".join(map(str, fleet)) + " |",
        "|---|" + "---|" * len(fleet),
        f"| (a) default politeness, shard size {shard:,}: hours | "
        + " | ".join(hours(polite_machine, m) for m in fleet)
        + " |",
        "| (a) default politeness, shards of ≥ "
        f"{int(per_worker / 2 + 1) * per_host:,} URLs (CPU binds): hours | "
        + " | ".join(hours(per_machine, m) for m in fleet)
        + " |",
        "| (b) politeness lifted: hours | "
        + " | ".join(hours(per_machine, m) for m in fleet)
        + " |",
        f"| bandwidth needed at {PAGE_KB_ASSUMED} KB/page, (b), Mbit/s | "
        + " | ".join(f"{per_machine * m * PAGE_KB_ASSUMED * 8 / 1000:.0f}" for m in fleet)
        + " |",
    ]
    gbit_rate = 1e9 / 8 / (PAGE_KB_ASSUMED * 1000)
    floor_rate = PROJECTED_URLS / floor_s
    return [
        "",
        f"#### Projection: {PROJECTED_URLS:,} URLs on {PROJECTED_HOSTS:,} hosts "
        f"({per_host} per host)",
        "",
        f"From this run: one Dask worker checks {per_worker:.0f} URLs/s ({how_worker}, "
        f"`--workers 1`), one 2-core machine {per_machine:.0f} URLs/s ({how_machine}, "
        f"`--workers 2`, the run process and its Prefect server on the same cores). These "
        f"rates are CPU-bound (the simulated web answers in {args.latency_ms:g} ms); on the "
        "real web, with answers taking ~0.2–1 s, `--concurrency` must be at least URLs/s × "
        "latency (e.g. 64 in flight at 0.5 s carry only 128 URLs/s for the whole cluster) or "
        "concurrency binds first.",
        "",
        f"(a) Default politeness (2 per host, 0.5 s between request starts to a host): the "
        f"politeness floor is the busiest host's requests × 0.5 s ≈ ({per_host} + robots.txt "
        f"+ probe) × 0.5 s ≈ {floor_s:.0f} s — it binds only once the cluster checks "
        f"{floor_rate:,.0f} URLs/s, i.e. never at these sizes. But a Dask worker checks one "
        f"shard at a time, and a shard of {shard:,} URLs (the default `shard_size`) holds "
        f"{hosts_per_shard:.0f} hosts, which allow at most {hosts_per_shard * 2:.0f} request "
        f"starts per second together: per worker min({per_worker:.0f}, "
        f"{hosts_per_shard * 2:.0f}) = {polite_worker:.0f} URLs/s. With shards of ≥ "
        f"{int(per_worker / 2 + 1) * per_host:,} URLs (≥ {int(per_worker / 2 + 1)} hosts) "
        "per-worker CPU binds again. (b) Politeness lifted: CPU binds at every size shown; "
        f"the hours are those of (a) with big enough shards (the {floor_s:.0f} s floor is far "
        "below them).",
        "",
        *table,
        "",
        f"Bandwidth (assumed {PAGE_KB_ASSUMED} KB per page on average, not measured; the "
        f"simulated pages are {args.page_kb:g} KiB): the whole night moves "
        f"{PROJECTED_URLS * PAGE_KB_ASSUMED / 1e6:.0f} GB; a 1 Gbit/s uplink carries "
        f"{gbit_rate:,.0f} URLs/s, a 100 Mbit/s one {gbit_rate / 10:,.0f} URLs/s, so one "
        f"shared 100 Mbit/s line binds from about {gbit_rate / 10 / per_machine:.1f} machines "
        f"and 1 Gbit/s from about {gbit_rate / per_machine:.0f}. The archive budget "
        "(`archive_time_budget`, 300 s per run, `flows/archived_copies.py`; off in these "
        "runs) does not grow with the list: lookups run one after another in the run process "
        "after fetching, ≤ 24 requests a minute, so a night spends at most 300 s on them "
        "(≈ 120 requests, ≈ 65 lost links at the 1.8 requests per lost link of "
        "`bench_repair_suggestions.py`); at 1,000,000 URLs it binds coverage (with ≈ 5 % "
        "broken or moved, ≈ 50,000 candidates, the cache fills over many nights), not the "
        "hours. Start-up (Prefect server, cluster) is a fixed cost per night, not counted in "
        "the rates above when both sizes ran.",
    ]


def benchmark(args: argparse.Namespace) -> str:
    config = WideWebConfig(hosts=args.hosts, latency_ms=args.latency_ms, page_kb=args.page_kb)
    work = Path(tempfile.mkdtemp(prefix="linkpflege-scale-out-"))
    machine = machine_lines()
    started = dt.datetime.now().astimezone()
    print("\n".join(machine), flush=True)
    rows: list[Row] = []
    try:
        with WideSimWeb(config) as web:
            links = web.links(args.urls)
            small_links = links[: args.small_urls]
            urls_file = work / "urls.txt"
            urls_file.write_text("".join(link.url + "\n" for link in links), encoding="utf-8")
            bench = Bench(args, work, web.pid, web.reset)
            plan: list[tuple[list[Row], Callable[[], None]]] = []
            for key in args.rows:
                if key == "lychee":
                    row = Row("lychee", "lychee", len(links))
                    plan.append(([row], lambda r=row: run_lychee(bench, urls_file, links, r)))
                    continue
                way = WAYS[key]
                sizes = [links]
                if key in args.small_rows and args.small_urls < len(links):
                    sizes.append(small_links)
                for size in sizes:
                    row = Row(key, f"`linkpflege run`, {way.label}", len(size))
                    second = None
                    if key in args.second_night_rows:
                        label = f"{row.label}, second night"
                        second = Row(f"{key}{NEXT_NIGHT_KEY}", label, len(size))
                    plan.append(
                        (
                            [row] if second is None else [row, second],
                            lambda r=row, w=way, s=size, n=second: run_linkpflege(
                                bench, w, s, r, n
                            ),
                        )
                    )
            rows = [row for measured_rows, _ in plan for row in measured_rows]
            for round_number in range(args.repeat):
                print(f"round {round_number + 1} of {args.repeat}", flush=True)
                for measured_rows, run in plan:
                    if measured_rows[0].failure:
                        continue
                    web.reset()
                    run()
                    for row in measured_rows:
                        if not row.runs:
                            continue
                        m = row.runs[-1]
                        print(
                            f"  {row.label[:62]:62} {row.urls:>7,} URLs {m.wall_s:7.1f} s wall "
                            f"{m.cpu_s:7.1f} s CPU run {m.run_rss_mb:5.0f} MB  other load "
                            f"{m.other_load:.2f}  {row.failure or row.verdicts}",
                            flush=True,
                        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    command = "python benchmarks/bench_scale_out.py " + " ".join(args.argv)
    per_host = -(-args.urls // args.hosts)
    notes = [
        f"- simulated web: {args.hosts} hosts (127.0.0.2 …, past 127.0.0.254 on 127.0.1.x), "
        f"{args.latency_ms:g} ms latency per request, pages ≈{args.page_kb:g} KiB, ≈3 % 404 and "
        f"≈2 % 301 → 200; ≈{per_host} URLs per host; robots.txt allows everything",
        f"- every row at total concurrency {args.concurrency}: lychee `--max-concurrency "
        f"{args.concurrency} --host-concurrency {args.concurrency} --host-request-interval 0ms "
        f"--max-retries 0 --cache=false`; `linkpflege run --concurrency {args.concurrency} "
        f"--per-host {args.concurrency} --per-host-interval 0 --timeout {args.timeout:g} "
        f"--no-archive --no-relocation --no-progress --allow-private-addresses --now "
        f"{RUN_DATE}` plus the row's flags, "
        + (
            f"shard size {args.shard_size} (`LINKPFLEGE_SHARD_SIZE`)"
            if args.shard_size
            else "one shard per process (`LINKPFLEGE_SHARD_SIZE` = URLs / processes), so "
            "that each process checks its shard at concurrency / processes"
        ),
        "- each `linkpflege run` row: catalogue CSV → dataset and report, a fresh `--data-dir` "
        "and `PREFECT_HOME`, no `PREFECT_API_URL` in its environment: the run starts its own "
        "Prefect server (a child process; its start-up, a new SQLite database, is in the "
        "wall time) and, for Dask, a local cluster",
        "- CPU s: `os.wait4` of the run — the run process and every descendant it waited "
        "for: its Prefect server and the local Dask cluster's worker processes. The split "
        "(Prefect server / worker processes) is sampled from /proc every 0.25 s (each "
        "process's last sample), so approximate; the rest is the run process itself. "
        "lychee: its own process",
        "- run process peak RSS: `VmHWM` of the `linkpflege run` process itself (sampled; "
        "workers and server not included); largest worker: the largest Dask worker process. "
        "lychee: `ru_maxrss`",
        "- verdicts right: good (200, 301 → 200) or broken (404) as the simulated web "
        'serves it; for ours "exact" also requires ok / moved / not_found',
        "- left behind: processes of the run still alive 1 s after it ended (then killed)",
        "- other load: cores busy with other processes during the row (machine CPU minus the "
        "child's, the simulated web's and the benchmark's own, per second of wall time); "
        "read rows with other load ≥ 0.3 with care",
        *findings(rows, args),
    ]
    if not args.no_projection:
        notes += projection(rows, args)
    digests = {m.sources for row in rows if row.key != "lychee" for m in row.runs}
    if len(digests) > 1:
        notes.append(
            "- **the sources changed during the benchmark** (flows/ and extractors/ sha256 "
            "when each run started): "
            + "; ".join(
                f"{row.label} at {row.urls:,} URLs {', '.join(m.sources for m in row.runs)}"
                for row in rows
                if row.key != "lychee"
            )
        )
    elif digests:
        notes.append(f"- sources of every run: flows/ and extractors/ sha256 {digests.pop()}")
    failed = [row for row in rows if row.failure]
    for row in failed:
        notes.append(f"- FAILED: {row.label} at {row.urls:,} URLs: {row.failure}")
    finished = dt.datetime.now().astimezone()
    return "\n".join(
        [
            f"### Scale-out, {started.date().isoformat()}",
            "",
            f"- started {started.isoformat(timespec='seconds')}, finished "
            f"{finished.isoformat(timespec='seconds')}",
            *machine,
            f"- command: `{command.strip()}`",
            "",
            markdown_table(rows),
            "",
            *notes,
            "",
        ]
    )


def row_list(text: str) -> list[str]:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    unknown = sorted(set(keys) - set(ROW_KEYS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown rows {unknown}; known: {', '.join(ROW_KEYS)}")
    return keys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=50_000, help="URLs in the list (50000)")
    add_web_options(parser, hosts=500)
    parser.add_argument(
        "--small-urls", type=int, default=10_000, help="the smaller list for peak RSS (10000)"
    )
    parser.add_argument("--concurrency", type=int, default=64, help="total, every row (64)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per URL (10)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every row (1)")
    parser.add_argument(
        "--rows",
        type=row_list,
        default=list(ROW_KEYS),
        help=f"which rows, comma-separated ({','.join(ROW_KEYS)})",
    )
    parser.add_argument(
        "--small-rows",
        type=row_list,
        default=list(WAYS),
        help=f"rows also run at --small-urls ({','.join(WAYS)})",
    )
    parser.add_argument(
        "--second-night-rows",
        type=row_list,
        default=[],
        help=f"rows also measured on the next night, same data ({','.join(WAYS)}; none)",
    )
    parser.add_argument(
        "--shard-size", type=int, default=0, help="LINKPFLEGE_SHARD_SIZE (0: one per process)"
    )
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.3,
        help="before each run wait until other processes use fewer cores (0.3; 0: no wait)",
    )
    parser.add_argument(
        "--quiet-patience", type=float, default=60, help="longest wait for quiet, s (60)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument(
        "--no-projection", action="store_true", help="no 1,000,000-URL projection paragraph"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "sim-web":
        return serve_wide_web(argv[1:])
    args = build_parser().parse_args(argv)
    args.argv = argv
    report = benchmark(args)
    print()
    print(report)
    if not args.no_save:
        save_report(report, "scale_out", dt.date.today())
    return 0


if __name__ == "__main__":
    sys.exit(main())
