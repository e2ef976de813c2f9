"""Archive answers kept across nights: `DATA_DIR/archive/cdx-cache.json`.

One entry per (archive, link URL, `to` day — the link's last good night, or none for "the
newest"): the CDX captures found (an empty list: none archived), the day they were fetched,
and the verdicts on captures played back (`CaptureCheck`, by requested timestamp).

Freshness: captures before a past day do not change, so an entry whose `to` day lies at
least `settle_days` before the day it was fetched never expires (the grace covers the
archive's indexing lag: yesterday's captures may not be listed yet). Every other entry
(newest captures, a `to` day too recent) is asked again after `refresh_days` (a month).
Verdicts on captures never expire: a capture's bytes do not change.

Why JSON and not SQLite: the cache holds only links that failed (a few per night; tens of
thousands at the very most, bounded by `max_entries`, oldest fetched evicted first), it is
read once per run and written once (`save`, by the one run that holds the data directory's
lock), and an editor can read it. Written atomically (a temporary file in the same
directory, then `os.replace`); from an unreadable file the cache starts empty with a
warning, and the next save replaces it — a lost cache only costs archive requests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.archive.cdx import Capture, captured_at
from flows.archive.playback import CaptureCheck

log = logging.getLogger(__name__)

CACHE_FORMAT = "linkpflege-archive-cache"
CACHE_VERSION = 1
MAX_CACHE_ENTRIES = 50_000

# (archive URL, link URL, `to` day or None for the newest captures)
CacheKey = tuple[str, str, dt.date | None]


def cache_path(data_dir: Path) -> Path:
    """Where a data directory keeps its archive cache."""
    return data_dir / "archive" / "cdx-cache.json"


@dataclass(slots=True)
class _Entry:
    fetched: dt.date
    captures: list[Capture]
    checks: dict[str, CaptureCheck] = field(default_factory=dict)


class CdxCache:
    """The archive cache of one data directory, as of the run's day `today` (never the clock)."""

    def __init__(
        self,
        path: Path,
        *,
        today: dt.date,
        refresh_days: int = 30,
        settle_days: int = 7,
        max_entries: int = MAX_CACHE_ENTRIES,
    ) -> None:
        self.path = path
        self.today = today
        self.refresh_days = refresh_days
        self.settle_days = settle_days
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._dirty = False
        self._entries: dict[CacheKey, _Entry] = self._load()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def captures(self, archive_url: str, url: str, to: dt.date | None) -> list[Capture] | None:
        """The cached captures ([] = none archived), or None when unknown or due again."""
        with self._lock:
            entry = self._entries.get((archive_url, url, to))
            if entry is None or not self._fresh(to, entry.fetched):
                return None
            return list(entry.captures)

    def _fresh(self, to: dt.date | None, fetched: dt.date) -> bool:
        if to is not None and to + dt.timedelta(days=self.settle_days) <= fetched:
            return True
        return (self.today - fetched).days < self.refresh_days

    def store_captures(
        self, archive_url: str, url: str, to: dt.date | None, captures: list[Capture]
    ) -> None:
        """Remember a CDX answer fetched today (verdicts already known are kept)."""
        key = (archive_url, url, to)
        with self._lock:
            old = self._entries.pop(key, None)  # re-inserted last: the newest in order
            self._entries[key] = _Entry(self.today, list(captures), old.checks if old else {})
            self._dirty = True

    def check(
        self, archive_url: str, url: str, to: dt.date | None, timestamp: str
    ) -> CaptureCheck | None:
        with self._lock:
            entry = self._entries.get((archive_url, url, to))
            return entry.checks.get(timestamp) if entry else None

    def store_check(
        self, archive_url: str, url: str, to: dt.date | None, timestamp: str, check: CaptureCheck
    ) -> None:
        """Remember the verdict on the capture asked for as `timestamp` (after store_captures)."""
        with self._lock:
            entry = self._entries.get((archive_url, url, to))
            if entry is not None:
                entry.checks[timestamp] = check
                self._dirty = True

    def save(self) -> bool:
        """Write the cache atomically, if anything changed (the oldest entries beyond
        `max_entries` dropped first). A failed write is logged, not raised: it costs only
        archive requests, never the run. True when the file is up to date."""
        with self._lock:
            if not self._dirty:
                return True
            self._evict()
            document = {
                "format": CACHE_FORMAT,
                "version": CACHE_VERSION,
                "entries": [_entry_json(key, entry) for key, entry in self._entries.items()],
            }
            temporary: str | None = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(
                    "w", encoding="utf-8", dir=self.path.parent, suffix=".tmp", delete=False
                ) as handle:
                    temporary = handle.name
                    json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.path)
            except OSError as exc:
                log.warning("Archiv-Cache %s nicht geschrieben: %s", self.path, exc)
                if temporary is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary)
                return False
            self._dirty = False
            return True

    def _evict(self) -> None:
        excess = len(self._entries) - self.max_entries
        if excess > 0:
            # Stable sort: among entries of one day, the earlier stored go first.
            oldest = sorted(self._entries, key=lambda key: self._entries[key].fetched)[:excess]
            for key in oldest:
                del self._entries[key]

    def _load(self) -> dict[CacheKey, _Entry]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("Archiv-Cache %s unlesbar (%s): beginne leer", self.path, exc)
            return {}
        try:
            document = json.loads(text)
            if document.get("format") != CACHE_FORMAT or document.get("version") != CACHE_VERSION:
                raise ValueError("unbekanntes Format")
            entries = dict(_entry_from_json(item) for item in document["entries"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("Archiv-Cache %s beschädigt (%s): beginne leer", self.path, exc)
            return {}
        if len(entries) > self.max_entries:
            self._dirty = True
        return entries


def _entry_json(key: CacheKey, entry: _Entry) -> dict[str, Any]:
    archive_url, url, to = key
    return {
        "archive": archive_url,
        "url": url,
        "to": to.isoformat() if to else None,
        "fetched": entry.fetched.isoformat(),
        "captures": [
            {
                "timestamp": c.timestamp,
                "original": c.original,
                "mimetype": c.mimetype,
                "status": c.status,
                "digest": c.digest,
                "length": c.length,
            }
            for c in entry.captures
        ],
        "checks": {
            asked: {
                "timestamp": check.timestamp,
                "original": check.original,
                "title": check.title,
                "rejected": check.rejected,
            }
            for asked, check in entry.checks.items()
        },
    }


def _entry_from_json(item: dict[str, Any]) -> tuple[CacheKey, _Entry]:
    to = dt.date.fromisoformat(item["to"]) if item["to"] else None
    key = (str(item["archive"]), str(item["url"]), to)
    captures = [_capture_from_json(raw) for raw in item["captures"]]
    checks = {
        str(asked): CaptureCheck(
            timestamp=str(raw["timestamp"]),
            original=str(raw["original"]),
            title=_optional_text(raw["title"]),
            rejected=_optional_text(raw["rejected"]),
        )
        for asked, raw in item["checks"].items()
    }
    return key, _Entry(dt.date.fromisoformat(item["fetched"]), captures, checks)


def _capture_from_json(raw: dict[str, Any]) -> Capture:
    moment = captured_at(str(raw["timestamp"]))
    if moment is None:
        raise ValueError(f"Zeitstempel {raw['timestamp']!r}")
    return Capture(
        timestamp=str(raw["timestamp"]),
        captured_at=moment,
        original=str(raw["original"]),
        mimetype=str(raw["mimetype"]),
        status=raw["status"] if isinstance(raw["status"], int) else None,
        digest=str(raw["digest"]),
        length=raw["length"] if isinstance(raw["length"], int) else None,
    )


def _optional_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"Text erwartet, nicht {type(value).__name__}")
