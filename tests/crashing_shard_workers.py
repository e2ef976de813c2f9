"""Shard workers for tests of `flows.shards.fetch_processes`: they die as the OOM killer or a
crash in a C parser would end a worker. A module of their own (not a test module), so
that spawned worker processes can import them: `from crashing_shard_workers import …`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from pathlib import Path

from flows.fetch.settings import FetchSettings, Validators
from flows.shards.check import Shard, ShardJob


def scratch_job(folder: Path) -> ShardJob:
    """A job whose raw_dir is a scratch folder the workers below may write markers to."""
    folder.mkdir(parents=True, exist_ok=True)
    return ShardJob(FetchSettings(), dt.date(2026, 11, 26), folder, retention_nights=30)


def crash_first_time(
    urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, str]]:
    marker = job.raw_dir / "crashed-once"
    if not marker.exists():
        marker.touch()
        os._exit(3)
    return [(url, "checked") for url in urls]


def crash_always(
    urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, str]]:
    os._exit(3)


def worker_pid(
    urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, int]]:
    return [(url, os.getpid()) for url in urls]


def report_then_crash_first_time(
    urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, str]]:
    """Reports every URL finished, then dies the first time (its shard is checked again)."""
    from flows.shards.fetch_processes import report_finished

    for url in urls:
        report_finished(url)
    return crash_first_time(urls, job, validators)


def crash_once_or_count(
    urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, str]]:
    """A shard whose first URL ends in /crash dies once; any other shard notes each time
    it is checked in `runs.txt` and takes a second, so it is still running meanwhile."""
    if urls[0].endswith("/crash"):
        return crash_first_time(urls, job, validators)
    with (job.raw_dir / "runs.txt").open("a") as runs:
        runs.write(f"{urls[0]}\n")
    time.sleep(1.0)
    return [(url, "checked") for url in urls]
