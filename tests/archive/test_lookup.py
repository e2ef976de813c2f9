"""Finding a checked archived copy, against the local archive double over real sockets.

The budget runs on a fake clock (its pauses cost no real time); dates are passed in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from archive_double import ArchiveDouble, ArchivedPage, FakeClock
from pdf_documents import make_pdf

from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import archive_client
from flows.archive.cache import CdxCache, cache_path
from flows.archive.lookup import (
    ArchiveLookup,
    lookup_archived_copy,
)
from flows.fetch.settings import FetchSettings

URL = "https://www.stadt-beispiel.de/integration/lotsen.html"
HOME = "https://www.stadt-beispiel.de/"
TITLE = "Integrationslotsen im Quartier"
LAST_GOOD = dt.date(2019, 6, 1)
TODAY = dt.date(2026, 11, 26)
LOCAL = FetchSettings(allow_private_addresses=True, timeout=5.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def archive(clock: FakeClock) -> Iterator[ArchiveDouble]:
    with ArchiveDouble(clock=clock) as double:
        yield double


@pytest.fixture
def cache(tmp_path: Path) -> CdxCache:
    return CdxCache(cache_path(tmp_path), today=TODAY)


def budget_on(clock: FakeClock, **kwargs: Any) -> ArchiveBudget:
    return ArchiveBudget(clock=clock, sleep=clock.sleep, **kwargs)


def lookups(
    archive: ArchiveDouble,
    budget: ArchiveBudget,
    cache: CdxCache,
    *,
    count: int = 1,
    settings: FetchSettings = LOCAL,
    **kwargs: Any,
) -> list[ArchiveLookup]:
    """`count` lookups of one link in a row, sharing one client, budget and cache."""
    options: dict[str, Any] = {"before": LAST_GOOD, "last_title": TITLE, "timeout": 5.0}
    options.update(kwargs)

    async def run() -> list[ArchiveLookup]:
        async with archive_client(settings) as client:
            return [
                await lookup_archived_copy(
                    client,
                    URL,
                    budget=budget,
                    cache=cache,
                    archive_url=archive.base_url,
                    **options,
                )
                for _ in range(count)
            ]

    return asyncio.run(run())


def lookup(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache, **kwargs: Any
) -> ArchiveLookup:
    return lookups(archive, budget_on(clock), cache, **kwargs)[0]


def test_the_capture_closest_before_the_last_good_night_wins_over_a_newer_error_page(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(
        ArchivedPage.page("20170510090000", URL, TITLE),
        ArchivedPage.page("20190304120000", URL, TITLE + " "),  # other bytes, other digest
        ArchivedPage.error_page("20210501080000", URL),  # after the link broke
    )
    outcome = lookup(archive, clock, cache)
    copy = outcome.copy
    assert copy is not None
    assert copy.url == f"{archive.base_url}/web/20190304120000/{URL}"
    assert copy.captured_at == dt.datetime(2019, 3, 4, 12, 0, tzinfo=dt.UTC)
    assert (copy.title, copy.title_match) == (TITLE, 1.0)
    assert copy.note == "Archivkopie vom 04.03.2019, Titel stimmt überein"
    played = [seen.path for seen in archive.requests if seen.path.startswith("/web/")]
    assert played == [f"/web/20190304120000id_/{URL}"]  # the error page is never fetched
    assert archive.requests[0].headers["user-agent"] == LOCAL.user_agent


def test_an_error_page_capture_is_rejected_and_the_next_older_taken(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(
        ArchivedPage.page("20180101000000", URL, TITLE),
        ArchivedPage.error_page("20190520000000", URL),  # „Seite nicht gefunden“ with 200
    )
    outcome = lookup(archive, clock, cache)
    assert outcome.copy is not None
    assert outcome.copy.captured_at.date() == dt.date(2018, 1, 1)
    assert len(outcome.rejected) == 1
    assert outcome.rejected[0].startswith("20190520000000: Fehlerseite trotz Status 2xx")
    assert archive.count_prefix("/web/") == 2


def test_never_good_takes_the_newest_capture(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(
        ArchivedPage.page("20180101000000", URL, TITLE),
        ArchivedPage.page("20240101000000", URL, TITLE + " "),
    )
    copy = lookup(archive, clock, cache, before=None, last_title=None).copy
    assert copy is not None
    assert copy.captured_at.year == 2024
    assert copy.title_match is None
    assert copy.note == f"Archivkopie vom 01.01.2024, Titel „{TITLE}“"


def test_a_capture_redirected_to_the_home_page_is_rejected(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(
        ArchivedPage.page("20170101000000", URL, TITLE),
        ArchivedPage.redirect("20190101000000", URL, HOME),
        ArchivedPage.page("20190101000000", HOME, "Willkommen in Stadt Beispiel"),
    )
    outcome = lookup(archive, clock, cache)
    assert outcome.copy is not None
    assert outcome.copy.captured_at.year == 2017
    assert len(outcome.rejected) == 1
    assert "Startseite umgeleitet" in outcome.rejected[0]
    assert f"/web/20190101000000id_/{HOME}" in [seen.path for seen in archive.requests]


def test_a_playback_sent_to_the_nearest_capture_reports_that_capture(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(
        ArchivedPage.page("20190301000000", URL, TITLE, playable=False),  # listed, not served
        ArchivedPage.page("20190215000000", URL, TITLE + " "),
    )
    copy = lookup(archive, clock, cache).copy
    assert copy is not None
    assert copy.captured_at == dt.datetime(2019, 2, 15, tzinfo=dt.UTC)
    assert copy.url == f"{archive.base_url}/web/20190215000000/{URL}"


def test_a_pdf_capture_is_offered_with_its_document_title(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    pdf = make_pdf(["Flyer zum Projekt"], info={"Title": TITLE})
    archive.add(ArchivedPage("20190304120000", URL, pdf, mimetype="application/pdf"))
    copy = lookup(archive, clock, cache).copy
    assert copy is not None
    assert (copy.title, copy.title_match) == (TITLE, 1.0)


@pytest.mark.parametrize(
    ("last_title", "match", "note"),
    [
        (TITLE, 1.0, "Titel stimmt überein"),
        ("Integrationslotsen im Quartier Nord und Süd", 0.67, "Titel ähnlich (67 %)"),
        ("Sprachkurse für Geflüchtete", 0.0, f"Titel weicht ab („{TITLE}“)"),
    ],
)
def test_the_title_match_is_scored_and_said(
    archive: ArchiveDouble,
    clock: FakeClock,
    cache: CdxCache,
    last_title: str,
    match: float,
    note: str,
) -> None:
    archive.add(ArchivedPage.page("20190304120000", URL, TITLE))
    copy = lookup(archive, clock, cache, last_title=last_title).copy
    assert copy is not None
    assert copy.title_match == match
    assert copy.note == f"Archivkopie vom 04.03.2019, {note}"


def test_an_older_capture_with_the_last_good_title_beats_a_newer_one_with_another(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(
        ArchivedPage.page("20180101000000", URL, TITLE),
        ArchivedPage.page("20190101000000", URL, "Wartungsarbeiten am Portal"),
    )
    copy = lookup(archive, clock, cache).copy
    assert copy is not None
    assert (copy.captured_at.year, copy.title_match) == (2018, 1.0)


def test_nothing_archived_gives_none_with_a_reason_and_is_remembered(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(ArchivedPage.page("20200101000000", URL, TITLE))  # only after the last good night
    budget = budget_on(clock)
    first, second = lookups(archive, budget, cache, count=2)
    assert first.copy is None
    assert first.why_not == "keine Archivkopie vor dem 01.06.2019 im Webarchiv"
    assert second.from_cache and second.why_not == first.why_not
    assert len(archive.requests) == 1


def test_a_429_ends_the_lookup_without_exception_and_pauses_the_rest(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(ArchivedPage.page("20190304120000", URL, TITLE))
    archive.throttled = True
    budget = budget_on(clock)
    outcomes = lookups(archive, budget, cache, count=2)
    assert [o.copy for o in outcomes] == [None, None]
    assert all("429" in (o.why_not or "") for o in outcomes)
    times = [seen.at for seen in archive.requests]
    assert len(times) == 2  # one request per lookup: no playback, no retry after a 429
    assert times[1] - times[0] >= 60.0
    assert archive.requests_while_blocked == 0
    assert budget.summary().rate_limited == 2
    assert cache.captures(archive.base_url, URL, LAST_GOOD) is None  # trouble is not cached


def test_after_a_429_a_run_without_time_for_the_pause_asks_nothing_more(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.throttled = True
    budget = budget_on(clock, time_budget=45.0)
    outcomes = lookups(archive, budget, cache, count=3)
    assert len(archive.requests) == 1
    assert [o.why_not for o in outcomes[1:]] == ["Zeitbudget für das Archiv aufgebraucht"] * 2
    assert budget.summary().lookups_skipped == 2


def test_a_hanging_archive_is_bounded_by_the_timeout(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.hang = True
    started = time.monotonic()
    outcome = lookup(archive, clock, cache, timeout=0.5)
    assert time.monotonic() - started < 3.0
    assert outcome.copy is None
    assert outcome.why_not == "Zeitüberschreitung beim Archiv"


@pytest.mark.parametrize(
    ("switch", "reason"),
    [
        ("malformed", "CDX-Antwort ist kein gültiges JSON (JSONDecodeError)"),
        ("server_error", "Archiv antwortet mit Fehler 503"),
    ],
)
def test_a_broken_cdx_answer_gives_none_and_is_not_cached(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache, switch: str, reason: str
) -> None:
    archive.add(ArchivedPage.page("20190304120000", URL, TITLE))
    if switch == "malformed":
        archive.malformed = True
    else:
        archive.cdx_status = 503
    outcome = lookup(archive, clock, cache)
    assert (outcome.copy, outcome.why_not) == (None, reason)
    assert archive.count_prefix("/web/") == 0
    assert cache.captures(archive.base_url, URL, LAST_GOOD) is None


def test_a_cache_hit_on_the_second_lookup_sends_nothing(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(
        ArchivedPage.page("20180101000000", URL, TITLE),
        ArchivedPage.error_page("20190101000000", URL),
    )
    budget = budget_on(clock)
    first, second = lookups(archive, budget, cache, count=2)
    assert len(archive.requests) == 3  # CDX and two playbacks, all in the first lookup
    assert second.from_cache and not first.from_cache
    assert second.copy == first.copy and second.rejected == first.rejected
    assert (budget.summary().cache_hits, budget.summary().requests_sent) == (1, 3)


def test_the_cache_survives_a_new_instance_from_the_same_file(
    archive: ArchiveDouble, clock: FakeClock, tmp_path: Path
) -> None:
    archive.add(ArchivedPage.page("20190304120000", URL, TITLE))
    first_night = CdxCache(cache_path(tmp_path), today=TODAY)
    first = lookup(archive, clock, first_night)
    first_night.save()
    sent = len(archive.requests)
    next_year = CdxCache(cache_path(tmp_path), today=TODAY + dt.timedelta(days=365))
    again = lookup(archive, clock, next_year)
    assert len(archive.requests) == sent == 2  # a past `to` day never expires
    assert again.copy == first.copy and again.from_cache


def test_newest_captures_are_asked_again_after_a_month(
    archive: ArchiveDouble, clock: FakeClock, tmp_path: Path
) -> None:
    archive.add(ArchivedPage.page("20190304120000", URL, TITLE))
    path = cache_path(tmp_path)
    for days_later, asked in ((0, 1), (29, 1), (30, 2)):
        cache = CdxCache(path, today=TODAY + dt.timedelta(days=days_later))
        lookup(archive, clock, cache, before=None)
        cache.save()
        assert archive.count_prefix("/cdx/") == asked
    assert archive.count_prefix("/web/") == 1  # the capture's verdict never expires


def test_a_corrupt_cache_file_starts_empty_with_a_warning(
    archive: ArchiveDouble, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = cache_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"format": "linkpflege-archive-cache", "entries": [', encoding="utf-8")
    archive.add(ArchivedPage.page("20190304120000", URL, TITLE))
    with caplog.at_level(logging.WARNING, logger="flows.archive.cache"):
        cache = CdxCache(path, today=TODAY)
    assert len(cache) == 0
    assert any("beschädigt" in record.getMessage() for record in caplog.records)
    assert lookup(archive, clock, cache).copy is not None
    cache.save()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [entry["url"] for entry in saved["entries"]] == [URL]


def test_the_archive_client_keeps_the_ssrf_guard(
    archive: ArchiveDouble, clock: FakeClock, cache: CdxCache
) -> None:
    archive.add(ArchivedPage.page("20190304120000", URL, TITLE))
    guarded = FetchSettings(allow_private_addresses=False, timeout=5.0)
    outcome = lookup(archive, clock, cache, settings=guarded)
    assert outcome.copy is None
    assert outcome.why_not is not None and "SSRF-Schutz" in outcome.why_not
    assert archive.requests == []
