"""Archived copies of a published listing, read into catalogue rows: the input of
`linkpflege catalog recover` (`extractors.catalog.lost_links` does the matching).

The listing page's captures are asked from the CDX server (status 200, HTML), the newest few
with distinct content are played back raw within the archive budget, and each becomes a
`ListingCapture` of the rows `parse_listing_html` reads from it. Archive trouble ends the
search with a German reason, never with an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from extractors.catalog.listing_html import parse_listing_html
from extractors.catalog.lost_links import ListingCapture
from extractors.text.decoding import decode_html
from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import ActiveTime, ArchiveTrouble, ask_cdx
from flows.archive.cdx import captured_at, cdx_query_url, playback_url
from flows.archive.playback import MAX_PLAYBACK_BYTES, play_capture

# The newest captures with distinct content: a listing changes rarely, and each older copy
# may still hold a link the newer ones lost.
MAX_LISTING_CAPTURES = 5
CDX_LISTING_LIMIT = 50


@dataclass(frozen=True, slots=True)
class ListingSearch:
    captures: tuple[ListingCapture, ...]
    problems: tuple[str, ...]  # German, one per capture or step that failed


async def listing_captures(
    client: httpx.AsyncClient,
    listing_url: str,
    *,
    archive_url: str,
    budget: ArchiveBudget,
    timeout: float,
    max_captures: int = MAX_LISTING_CAPTURES,
) -> ListingSearch:
    """The newest distinct captures of `listing_url`, read into rows."""
    time_left = ActiveTime(timeout * (max_captures + 1))
    problems: list[str] = []
    query = cdx_query_url(
        archive_url, listing_url, limit=-CDX_LISTING_LIMIT, mimetypes=("text/html",)
    )
    try:
        listed = await ask_cdx(client, query, budget=budget, time_left=time_left)
    except ArchiveTrouble as trouble:
        return ListingSearch((), (trouble.reason,))
    distinct, seen = [], set()
    for capture in sorted(listed, key=lambda c: c.timestamp, reverse=True):
        key = capture.digest or capture.timestamp
        if key not in seen:
            seen.add(key)
            distinct.append(capture)
    if not distinct:
        return ListingSearch((), (f"keine Archivkopie von {listing_url} im Webarchiv",))
    captures: list[ListingCapture] = []
    for capture in distinct[:max_captures]:
        try:
            played = await play_capture(
                client,
                capture,
                archive_url=archive_url,
                budget=budget,
                time_left=time_left,
                max_bytes=MAX_PLAYBACK_BYTES,
            )
        except ArchiveTrouble as trouble:
            problems.append(f"{capture.timestamp}: {trouble.reason}")
            break  # the archive fails us: older copies would fail the same way
        if played.answer is None or played.answer.status != 200:
            problems.append(f"{capture.timestamp}: {played.failure or 'keine Seite'}")
            continue
        content_type = dict((k.lower(), v) for k, v in played.answer.headers).get("content-type")
        html = decode_html(played.answer.body, content_type)
        rows = parse_listing_html(html, base_url=played.original)
        when = captured_at(played.timestamp) or capture.captured_at
        opened = playback_url(archive_url, played.timestamp, played.original, raw=False)
        captures.append(ListingCapture(opened, when, tuple(rows)))
    return ListingSearch(tuple(captures), tuple(problems))
