"""The archive cache file: what survives, what expires, its size bound, atomic writes."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from flows.archive.cache import CdxCache, cache_path
from flows.archive.cdx import Capture
from flows.archive.playback import CaptureCheck

ARCHIVE = "https://web.archive.org"
TODAY = dt.date(2026, 11, 26)
CAPTURE = Capture(
    "20190304120000",
    dt.datetime(2019, 3, 4, 12, tzinfo=dt.UTC),
    "https://a.de/x",
    "text/html",
    200,
    "D1",
    100,
)


def test_captures_and_verdicts_round_trip_through_the_file(tmp_path: Path) -> None:
    cache = CdxCache(cache_path(tmp_path), today=TODAY)
    cache.store_captures(ARCHIVE, "https://a.de/x", dt.date(2019, 6, 1), [CAPTURE])
    check = CaptureCheck("20190304120000", "https://a.de/x", "Titel", None)
    cache.store_check(ARCHIVE, "https://a.de/x", dt.date(2019, 6, 1), CAPTURE.timestamp, check)
    cache.store_captures(ARCHIVE, "https://a.de/y", None, [])  # none archived
    cache.save()
    again = CdxCache(cache_path(tmp_path), today=TODAY)
    assert again.captures(ARCHIVE, "https://a.de/x", dt.date(2019, 6, 1)) == [CAPTURE]
    assert again.check(ARCHIVE, "https://a.de/x", dt.date(2019, 6, 1), CAPTURE.timestamp) == check
    assert again.captures(ARCHIVE, "https://a.de/y", None) == []
    assert again.captures(ARCHIVE, "https://a.de/y", dt.date(2019, 6, 1)) is None
    assert [p.name for p in cache_path(tmp_path).parent.iterdir()] == ["cdx-cache.json"]


def test_a_recent_to_day_is_asked_again_after_a_month_a_settled_one_never(tmp_path: Path) -> None:
    path = cache_path(tmp_path)
    cache = CdxCache(path, today=TODAY)
    cache.store_captures(ARCHIVE, "https://a.de/recent", TODAY - dt.timedelta(days=1), [])
    cache.store_captures(ARCHIVE, "https://a.de/settled", TODAY - dt.timedelta(days=7), [])
    cache.save()
    later = CdxCache(path, today=TODAY + dt.timedelta(days=30))
    assert later.captures(ARCHIVE, "https://a.de/recent", TODAY - dt.timedelta(days=1)) is None
    assert later.captures(ARCHIVE, "https://a.de/settled", TODAY - dt.timedelta(days=7)) == []


def test_the_oldest_entries_beyond_the_bound_are_evicted(tmp_path: Path) -> None:
    path = cache_path(tmp_path)
    for day, url in enumerate(("https://a.de/1", "https://a.de/2", "https://a.de/3")):
        cache = CdxCache(path, today=TODAY + dt.timedelta(days=day), max_entries=2)
        cache.store_captures(ARCHIVE, url, dt.date(2019, 1, 1), [])
        cache.save()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [entry["url"] for entry in saved["entries"]] == ["https://a.de/2", "https://a.de/3"]


def test_an_unchanged_cache_is_not_rewritten(tmp_path: Path) -> None:
    cache = CdxCache(cache_path(tmp_path), today=TODAY)
    cache.save()
    assert not cache_path(tmp_path).exists()


def test_a_cache_of_another_format_starts_empty(tmp_path: Path) -> None:
    path = cache_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": "something-else", "version": 1, "entries": []}))
    assert len(CdxCache(path, today=TODAY)) == 0


def test_a_failed_write_is_logged_and_leaves_no_temporary_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = cache_path(tmp_path)
    path.mkdir(parents=True)  # a directory where the file should go: os.replace fails
    cache = CdxCache(path, today=TODAY)
    cache.store_captures(ARCHIVE, "https://a.de/x", None, [])
    with caplog.at_level(logging.WARNING, logger="flows.archive.cache"):
        assert cache.save() is False
    assert any("nicht geschrieben" in record.getMessage() for record in caplog.records)
    assert [p.name for p in path.parent.iterdir()] == ["cdx-cache.json"]
