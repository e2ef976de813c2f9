"""Candidates from the archive's index of a host: the addresses the Wayback Machine captured
on the provider's site after a page broke (CDX `matchType=host`, `from=` the last good day,
status 200, HTML, one row per URL). A page that moved without a redirect and without a sitemap
often shows up there under its new address.

One CDX request per host and night, through the run's archive budget (≤ 24 a minute, one in
flight, a pause after a 429); archive trouble gives no candidates and a German reason, never an
exception. The answer is bounded (rows and bytes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import ActiveTime, ArchiveTrouble, ask_cdx
from flows.archive.cdx import cdx_query_url

# Newest first would need the whole host's index; the oldest rows after the break are the
# pages that appeared then, which is what a moved page is.
MAX_INDEX_ROWS = 5_000
MAX_INDEX_BYTES = 4_000_000


@dataclass(frozen=True, slots=True)
class IndexedUrls:
    """(url, first capture day as ISO date) pairs on the host after `since`, and why none."""

    urls: tuple[tuple[str, str], ...]
    problem: str | None = None


async def archived_urls_after(
    client: httpx.AsyncClient,
    host_base: str,
    *,
    since: dt.date,
    archive_url: str,
    budget: ArchiveBudget,
    time_left: ActiveTime,
) -> IndexedUrls:
    """The host's URLs the archive captured (status 200, HTML) on or after `since`."""
    host = urlsplit(host_base).hostname or ""
    if not host:
        return IndexedUrls((), f"keine Adresse eines Hosts: {host_base}")
    query = cdx_query_url(
        archive_url,
        host,
        from_=since,
        limit=MAX_INDEX_ROWS,
        mimetypes=("text/html", "application/xhtml+xml"),
        match_type="host",
        collapse="urlkey",
    )
    try:
        captures = await ask_cdx(
            client,
            query,
            budget=budget,
            time_left=time_left,
            max_bytes=MAX_INDEX_BYTES,
            max_rows=MAX_INDEX_ROWS,
        )
    except ArchiveTrouble as trouble:
        return IndexedUrls((), trouble.reason)
    seen: set[str] = set()
    urls: list[tuple[str, str]] = []
    for capture in captures:
        if capture.original not in seen:
            seen.add(capture.original)
            urls.append((capture.original, capture.captured_at.date().isoformat()))
    return IndexedUrls(tuple(urls))
