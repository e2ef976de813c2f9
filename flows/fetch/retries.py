"""Retry policy: which statuses are worth asking again and how long to wait.

Exponential backoff with jitter, and the wait a Retry-After header asks for.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random

# Statuses worth asking again: overloaded or briefly broken servers.
RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(
    retry_number: int,
    base: float,
    rng: random.Random | None = None,
    cap: float = float("inf"),
) -> float:
    """Exponential backoff with "equal jitter": between half and all of min(base·2^(n-1), cap)."""
    ceiling = min(base * 2 ** min(max(retry_number - 1, 0), 30), cap)
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
