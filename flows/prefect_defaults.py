"""Prefect settings a municipal tool needs before Prefect is first imported."""

from __future__ import annotations

import os


def apply_prefect_defaults() -> None:
    """No telemetry (a municipal tool phones nowhere) and a patient ephemeral start-up.

    Only defaults: a value the operator set in the environment wins.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A fresh ephemeral server took ~14 s here; Prefect's default limit is 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
