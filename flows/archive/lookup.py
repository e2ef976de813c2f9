"""A checked archived copy for a link: the Wayback capture closest before its last good night.

`lookup_archived_copy` asks the CDX index (or the cache) for the newest captures of the URL
with status 200, HTML or PDF, up to the last good night (`before`; never good: the newest),
then plays the best candidates back (`flows.archive.playback`), newest first, and takes the
first that is a real page whose title matches the last good title (`MIN_TITLE_MATCH`); a
real page with another title is kept as a fallback when no matching one follows. Identical
captures (same digest) are played back once.

Archive trouble — timeouts, 5xx, 429, malformed answers, a spent budget — gives no copy and
a German reason, never an exception, and is not cached: it changes no link's health and
fails no run.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import httpx

from extractors.text.summary import fold_text
from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import ActiveTime, ArchiveTrouble, ask_cdx
from flows.archive.cache import CdxCache
from flows.archive.cdx import (
    ARCHIVED_MIMETYPES,
    Capture,
    cdx_query_url,
    playback_url,
)
from flows.archive.playback import CaptureCheck, check_capture

log = logging.getLogger(__name__)

WAYBACK_URL = "https://web.archive.org"
CDX_LIMIT = 5  # the newest captures asked for (limit=-5)
MAX_CANDIDATES = 3  # captures played back at most per lookup
MIN_TITLE_MATCH = 0.5
_SAME_TITLE = 0.8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ArchivedCopy:
    """A checked archived copy: the page an editor opens (`/web/<ts>/<original>`), when it
    was captured, its title, how well that matches the last good title (0–1, None without
    one) and a German note for the report."""

    url: str
    captured_at: dt.datetime
    title: str | None
    title_match: float | None
    note: str


@dataclass(frozen=True, slots=True)
class ArchiveLookup:
    """The outcome of one lookup: a copy, or `why_not` (German). `from_cache`: the CDX
    answer came from the cache; `rejected`: "<timestamp>: <reason>" per capture refused;
    `trouble`: no answer because of the archive (or a spent budget), not "none archived"."""

    copy: ArchivedCopy | None
    why_not: str | None = None
    from_cache: bool = False
    rejected: tuple[str, ...] = ()
    trouble: bool = False


async def lookup_archived_copy(
    client: httpx.AsyncClient,
    url: str,
    *,
    before: dt.date | None,
    last_title: str | None,
    budget: ArchiveBudget,
    cache: CdxCache,
    archive_url: str = WAYBACK_URL,
    timeout: float = 30.0,
) -> ArchiveLookup:
    """Find and check an archived copy of `url` captured on or before `before` (UTC day).

    `timeout` bounds the time spent in requests (not the wait for the shared budget).
    Never raises, except for cancellation.
    """
    archive_url = archive_url.rstrip("/")
    try:
        return await _lookup(
            client, url, before, last_title, budget, cache, archive_url, ActiveTime(timeout)
        )
    except ArchiveTrouble as trouble:
        if trouble.budget_spent:
            budget.record_skipped()
        return ArchiveLookup(None, trouble.reason, trouble=True)
    except Exception:  # a bug here must not sink the run: the link's health stands anyway
        log.exception("Archivabfrage für %s gescheitert", url)
        return ArchiveLookup(None, "interner Fehler bei der Archivabfrage", trouble=True)


async def _lookup(
    client: httpx.AsyncClient,
    url: str,
    before: dt.date | None,
    last_title: str | None,
    budget: ArchiveBudget,
    cache: CdxCache,
    archive_url: str,
    time_left: ActiveTime,
) -> ArchiveLookup:
    captures = cache.captures(archive_url, url, before)
    from_cache = captures is not None
    if captures is None:
        captures = await _ask_cdx(client, url, before, budget, archive_url, time_left)
        cache.store_captures(archive_url, url, before, captures)
    else:
        budget.record_cache_hit()
    candidates = usable_captures(captures, before)
    if not candidates:
        when = f" vor dem {before:%d.%m.%Y}" if before else ""
        return ArchiveLookup(None, f"keine Archivkopie{when} im Webarchiv", from_cache)
    rejected: list[str] = []
    fallback: ArchivedCopy | None = None
    for capture in candidates[:MAX_CANDIDATES]:
        check = cache.check(archive_url, url, before, capture.timestamp)
        if check is None:
            try:
                check = await check_capture(
                    client, capture, archive_url=archive_url, budget=budget, time_left=time_left
                )
            except ArchiveTrouble:
                if fallback is not None:
                    break
                raise
            cache.store_check(archive_url, url, before, capture.timestamp, check)
        if check.rejected:
            rejected.append(f"{capture.timestamp}: {check.rejected}")
            continue
        copy = archived_copy(archive_url, check, capture, last_title)
        if copy.title_match is None or copy.title_match >= MIN_TITLE_MATCH:
            return ArchiveLookup(copy, None, from_cache, tuple(rejected))
        fallback = fallback or copy
    if fallback is not None:
        return ArchiveLookup(fallback, None, from_cache, tuple(rejected))
    why = "keine brauchbare Archivkopie: " + rejected[0].split(": ", 1)[1]
    return ArchiveLookup(None, why, from_cache, tuple(rejected))


async def _ask_cdx(
    client: httpx.AsyncClient,
    url: str,
    before: dt.date | None,
    budget: ArchiveBudget,
    archive_url: str,
    time_left: ActiveTime,
) -> list[Capture]:
    query = cdx_query_url(archive_url, url, to=before, limit=-CDX_LIMIT)
    return await ask_cdx(client, query, budget=budget, time_left=time_left)


def usable_captures(captures: list[Capture], before: dt.date | None) -> list[Capture]:
    """Status 200, HTML or PDF, on or before `before`; newest first, one per digest."""
    usable = [
        capture
        for capture in captures
        if capture.status == 200
        and capture.mimetype.split(";", 1)[0].strip() in ARCHIVED_MIMETYPES
        and (before is None or capture.captured_at.date() <= before)
    ]
    usable.sort(key=lambda capture: capture.captured_at, reverse=True)
    seen: set[str] = set()
    unique: list[Capture] = []
    for capture in usable:
        if capture.digest and capture.digest in seen:
            continue
        seen.add(capture.digest)
        unique.append(capture)
    return unique


def archived_copy(
    archive_url: str, check: CaptureCheck, capture: Capture, last_title: str | None
) -> ArchivedCopy:
    """The copy an editor is offered for an accepted capture, with its German note."""
    when = check.captured_at or capture.captured_at
    match = title_match(last_title, check.title)
    note = f"Archivkopie vom {when:%d.%m.%Y}, {title_note(match, check.title)}"
    return ArchivedCopy(
        url=playback_url(archive_url, check.timestamp, check.original, raw=False),
        captured_at=when,
        title=check.title,
        title_match=match,
        note=note,
    )


def title_match(expected: str | None, found: str | None) -> float | None:
    """How well two titles agree, 0–1 (Dice coefficient of their folded words); None when
    there is no title to compare with."""
    wanted = _title_words(expected or "")
    if not wanted:
        return None
    got = _title_words(found or "")
    if not got:
        return 0.0
    return round(2 * len(wanted & got) / (len(wanted) + len(got)), 2)


def _title_words(title: str) -> set[str]:
    return {folded for word in _WORD.findall(title) if (folded := fold_text(word))}


def title_note(match: float | None, title: str | None) -> str:
    """„Titel stimmt überein“, „Titel ähnlich (60 %)“, „Titel weicht ab („…“)“ …"""
    if match is None:
        return f"Titel „{title}“" if title else "ohne Titel"
    if match >= _SAME_TITLE:
        return "Titel stimmt überein"
    if match >= MIN_TITLE_MATCH:
        return f"Titel ähnlich ({match:.0%})".replace("%", " %")
    if title:
        return f"Titel weicht ab („{title}“)"
    return "ohne Titel"
