"""Test-wide isolation: Prefect gets a throw-away home and no API server, before it is imported."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="linkpflege-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_PROFILES_PATH", None)
os.environ["DO_NOT_TRACK"] = "1"
# No internet in tests: the archive lookups of a run are off unless a test turns them on
# (against the local double in tests/archive_double.py).
os.environ["LINKPFLEGE_ARCHIVE"] = "false"
os.environ["LINKPFLEGE_RELOCATION"] = "false"  # likewise the sitemap lookups of new locations
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
# No morning message from a developer's environment.
for _name in ("NOTIFY", "NOTIFY_WHEN", "NOTIFY_WEEKDAY", "REPORT_URL"):
    os.environ.pop("LINKPFLEGE_" + _name, None)
# A settings file in the developer's working directory must not leak into tests.
os.environ["LINKPFLEGE_CONFIG"] = os.path.join(_PREFECT_HOME, "no-linkpflege.toml")

# Importing Prefect configures its console log handler with the sys.stderr of that moment.
# Do it now, under pytest's session-wide capture, not inside a test's `capsys`, whose stream
# is closed after that test (later flow runs would then fail with "I/O operation on closed file").
import prefect.main  # noqa: E402, F401


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (starting one costs seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
