"""Replacing a small file whole, under an exclusive lock: the desk's accounts and the
catalogue it edits.

Written to a temporary file beside the target, synced, renamed over it, and the folder
synced, so a reader sees the old file or the new one, never half of one, also after a crash.
Writers hold `exclusive_lock` on a lock file beside it, so two never lose each other's change.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def replace_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """`path` now holds `data` (with permission bits `mode`, else mkstemp's 0600); OSError
    when it cannot be written, with nothing left behind."""
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if mode is not None:
                os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        temporary = None
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


@contextlib.contextmanager
def exclusive_lock(lock_file: Path, mode: int) -> Iterator[None]:
    """Hold `flock(LOCK_EX)` on `lock_file` (created with `mode`); OSError when it cannot be
    created."""
    lock = os.open(lock_file, os.O_RDWR | os.O_CREAT, mode)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)  # closing releases the lock
