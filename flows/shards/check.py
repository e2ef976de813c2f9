"""Checking one shard of hosts: fetch, capture, classify and extract each answer.

A shard is the unit of work of a run: every host lives in exactly one shard, so per-host
politeness (concurrency, interval, robots.txt, the soft-404 probe) stays in one event
loop. This module has no Prefect in it: a shard is checked by a Prefect task in the run's
own process or on a Dask worker (`flows.shards.night_parts.check_shard_part`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import hashlib
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from extractors.page_observation import observe, observe_unanalysed
from extractors.records import FetchResult
from extractors.urls.host import host_of
from extractors.urls.redaction import redact_userinfo
from extractors.verdicts.link_rows import Observation
from flows.dataset.raw_capture import CaptureWriter, previous_index
from flows.fetch.engine import fetch_all
from flows.fetch.settings import FetchSettings, Validators
from flows.shards.analysis_pool import AnalysisPool

Shard = tuple[str, ...]

OBSERVE_BACKLOG = 32  # fetched bodies waiting for extraction, per shard


@dataclass(frozen=True, slots=True)
class ShardJob:
    """What every shard of one run shares: plain values, so Prefect can record them."""

    fetch_settings: FetchSettings
    run_date: dt.date
    raw_dir: Path
    retention_nights: int
    # Analysis worker processes of each shard's process (0: a thread of that process).
    analysis_processes: int = 0


def shard_by_host(urls: Sequence[str], shard_size: int, minimum: int = 1) -> list[Shard]:
    """Group URLs so that every host lives in exactly one shard (politeness stays local).

    There are at least `minimum` shards (one per worker) and enough that a shard
    holds about `shard_size` URLs. Hosts go, largest first, to the shard with the fewest
    URLs so far, so that shards checked side by side finish together; ties are broken by
    a stable hash, so a host's shard does not depend on the order of the catalogue. A
    host with more URLs than `shard_size` makes its shard bigger.
    """
    urls_by_host: dict[str, list[str]] = {}
    for url in urls:
        urls_by_host.setdefault(host_of(url), []).append(url)
    shard_count = max(minimum, -(-len(urls) // shard_size), 1)
    shards: list[list[str]] = [[] for _ in range(shard_count)]

    def order(host: str) -> tuple[int, bytes]:
        return -len(urls_by_host[host]), hashlib.blake2b(host.encode(), digest_size=8).digest()

    for host in sorted(urls_by_host, key=order):
        smallest = min(range(shard_count), key=lambda index: len(shards[index]))
        shards[smallest].extend(sorted(urls_by_host[host]))
    return [tuple(shard) for shard in shards if shard]


def shards_at_once(shards: int, workers: int, *, per_worker: bool) -> int:
    """How many shards are checked side by side: every shard at once in the run's own
    threads, else one per worker process (Dask workers: `per_worker`)."""
    return min(shards, workers) if per_worker else shards


def shard_concurrency(concurrency: int, shards_at_once: int) -> int:
    """Each of the shards checked side by side gets its part of the global limit."""
    return max(1, concurrency // max(1, shards_at_once))


def observe_shard(
    urls: Shard,
    job: ShardJob,
    validators: Mapping[str, Validators],
    *,
    analysis: AnalysisPool,
    on_observed: Callable[[str, Observation], None],
    warn: Callable[[str], None],
) -> int:
    """Fetch one shard of hosts; capture, classify and extract each answer as it arrives,
    and hand each URL's observation to `on_observed` (in this thread, never two at once).
    Returns the number of URLs observed.

    Classifying and extracting cost milliseconds of CPU per page. Done inside the event
    loop they stalled it for seconds at a time in the benchmark, and URLs in flight ran into
    their deadlines: false timeouts. So pages go to `analysis` (a thread, or worker
    processes on the other cores), and an admission gate lets a URL start only while at
    most concurrency + OBSERVE_BACKLOG are in flight or wait. Finished observations leave
    as the next answers arrive, so the shard holds only those in flight: memory stays
    bounded however long the shard, and the loop never blocks (waiting happens before a
    deadline runs).
    """
    # Kept without their bodies, for the fallback should the analysis fail.
    pending: collections.deque[tuple[FetchResult, int, Future[Observation]]] = collections.deque()
    delivered = 0

    def deliver(answer: FetchResult, bytes_read: int, done: Future[Observation]) -> None:
        nonlocal delivered
        try:
            observation = done.result()
        except Exception as exc:  # a bug in one page's analysis must not lose the shard
            trace = "".join(traceback.format_exception(exc))
            warn(f"{redact_userinfo(answer.url)}: analysis failed:\n{trace}")
            observation = observe_unanalysed(answer, bytes_read)
        on_observed(answer.url, observation)
        delivered += 1

    def deliver_finished() -> None:
        # In arrival order (the analysis is first in, first out), from the loop's thread:
        # a future counts as done before its callbacks have run, so callbacks are no place
        # to hand observations on.
        while pending and pending[0][2].done():
            deliver(*pending.popleft())

    capture_writer = CaptureWriter(
        job.raw_dir,
        job.run_date,
        urls,
        user_agent=job.fetch_settings.user_agent,
        retention_nights=job.retention_nights,
        previous=previous_index(job.raw_dir, job.run_date, set(urls)),
    )

    async def fetch_shard(capture: CaptureWriter) -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(job.fetch_settings.concurrency + OBSERVE_BACKLOG)

        def release(_: object) -> None:
            # The last pages may finish after the fetching, when the loop is already gone.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(gate.release)

        def on_result(result: FetchResult) -> None:
            capture.add(result)
            done = analysis.submit(observe, result, job.run_date)
            done.add_done_callback(release)
            pending.append((dataclasses.replace(result, body=b""), len(result.body), done))
            deliver_finished()

        await fetch_all(
            list(urls),
            job.fetch_settings,
            on_result=on_result,
            keep_bodies=False,
            validators=validators,  # looked up per URL, never copied
            admission=gate,
            collect=False,
        )

    try:
        with capture_writer as capture:
            asyncio.run(fetch_shard(capture))
    except ExceptionGroup as group:
        # `on_observed` failed (the night's part could not be written): that ends the shard,
        # with its own error rather than the fetch engine's task group around it.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    while pending:  # the last pages, waiting for each
        deliver(*pending.popleft())
    return delivered
