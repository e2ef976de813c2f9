"""Whether worker processes are gone, for the tests that kill a run with SIGKILL.

Import as `from process_state import orphans_after`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path


def alive(pid: int) -> bool:
    """Running, or stopped, but not a zombie and not gone (Linux /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def orphans_after(pids: Iterable[int], patience: float = 30.0) -> list[int]:
    """The processes still alive once `patience` seconds have passed (or none are left)."""
    waiting = list(pids)
    deadline = time.monotonic() + patience
    while any(alive(pid) for pid in waiting) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [pid for pid in waiting if alive(pid)]
