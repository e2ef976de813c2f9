"""Candidates from the archive's index of a host after a break: CDX matchType=host, from the
last good day, one row per URL — against the local Wayback double (real sockets)."""

from __future__ import annotations

import asyncio
import datetime as dt

from archive_double import ArchiveDouble, ArchivedPage, FakeClock

from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import ActiveTime, archive_client
from flows.fetch.settings import FetchSettings
from flows.relocation.archive_index import IndexedUrls, archived_urls_after

LOCAL = FetchSettings(allow_private_addresses=True, timeout=5.0)
SITE = "https://www.kreis-muster.de"
BREAK = dt.date(2026, 3, 1)


def index(archive: ArchiveDouble, clock: FakeClock) -> IndexedUrls:
    async def run() -> IndexedUrls:
        async with archive_client(LOCAL) as client:
            return await archived_urls_after(
                client,
                SITE + "/aktuelles/alt.html",
                since=BREAK,
                archive_url=archive.base_url,
                budget=ArchiveBudget(clock=clock, sleep=clock.sleep),
                time_left=ActiveTime(5.0),
            )

    return asyncio.run(run())


def test_the_hosts_urls_captured_after_the_break_once_each_with_their_first_day() -> None:
    clock = FakeClock()
    with ArchiveDouble(clock=clock) as archive:
        archive.add(
            ArchivedPage.page("20250104120000", f"{SITE}/aktuelles/alt.html", "Sprachkurse"),
            ArchivedPage.page("20260402120000", f"{SITE}/themen/sprachkurse", "Sprachkurse"),
            ArchivedPage.page("20260510120000", f"{SITE}/themen/sprachkurse", "Sprachkurse"),
            ArchivedPage.page("20260405120000", "https://www.anderer-kreis.de/x", "Fremd"),
            ArchivedPage.error_page("20260406120000", f"{SITE}/themen/weg"),
        )
        archive.add(ArchivedPage("20260407120000", f"{SITE}/flyer.pdf", b"%PDF", "application/pdf"))
        found = index(archive, clock)
        (query,) = [r.path for r in archive.requests if r.path.startswith("/cdx/")]
    assert found.problem is None
    assert dict(found.urls) == {
        f"{SITE}/themen/sprachkurse": "2026-04-02",  # the first capture after the break
        f"{SITE}/themen/weg": "2026-04-06",  # the index cannot tell; verification will
    }
    assert "matchType=host" in query and "collapse=urlkey" in query and "from=20260301" in query


def test_archive_trouble_gives_no_candidates_and_a_reason() -> None:
    clock = FakeClock()
    with ArchiveDouble(clock=clock) as archive:
        archive.throttled = True
        found = index(archive, clock)
        assert len(archive.requests) == 1
    assert found.urls == () and found.problem is not None and "429" in found.problem
