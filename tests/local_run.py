"""Settings for a harvest against the local test web, shared by the test files.

Import as `from local_run import local_run_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.run_settings import Settings, load_settings


def local_run_settings(catalog: Path, data_dir: Path, now: str, **overrides: Any) -> Settings:
    """A run on 127.0.0.1: private addresses allowed, no politeness pause, no progress bar."""
    flags: dict[str, Any] = {
        "catalog": str(catalog),
        "data_dir": str(data_dir),
        "now": now,
        "allow_private_addresses": True,
        "per_host_interval": 0,
        "progress": False,
    }
    flags.update(overrides)
    return load_settings(flags)
