"""One run per data directory at a time.

An advisory `flock` on `DATA_DIR/.linkpflege.lock`: the kernel drops it when the process
ends in any way (kill -9 included), so a crashed run never leaves the directory stuck. The
file names the holder, so the refusal can say which run is going on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".linkpflege.lock"


class RunLocked(RuntimeError):
    """Another run holds the data directory; the message names it."""


@contextlib.contextmanager
def run_lock(data_dir: Path, started: dt.datetime) -> Iterator[None]:
    path = data_dir / LOCK_NAME
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"{data_dir}: {_holder(path)} is using this data directory") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": started.isoformat()}
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another linkpflege run"
    return (
        f"linkpflege run (pid {info.get('pid')} on {info.get('host')}, since {info.get('started')})"
    )
