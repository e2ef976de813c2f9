"""One capture played back raw (`/web/<ts>id_/<original>`) and judged: is it a real page?

The archive may answer a playback with 302 to the nearest capture, or (when the capture was
itself a redirect) to the capture of another URL; the redirects are followed hop by hop,
only within the archive, and recorded as hops between the ORIGINAL URLs, so the checks of
`extractors.health` see what a visitor of the original site saw. A capture is rejected when
its final status is not 200, when it is a soft 404 by `extractors.health.soft_404.soft_404_reason`
(a parked domain, a redirect from the deep link to a home, login or search page, an error
page such as „Seite nicht gefunden“ with status 200), when it moves on at once by a meta
refresh to such a page, or when it is a bot-protection challenge. The verdict of a capture
never changes, so it is cached (`CaptureCheck`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from extractors.facts.html_facts import page_title
from extractors.facts.page_facts import extract_facts
from extractors.health.bot_challenge import challenge_reason
from extractors.health.meta_refresh import find_refresh
from extractors.health.redirect_targets import redirect_target_reason
from extractors.health.soft_404 import soft_404_reason
from extractors.records import FetchResult, Hop
from extractors.text.decoding import decode_html
from extractors.text.html_tree import parse_html
from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import ActiveTime, ArchiveAnswer, archive_get
from flows.archive.cdx import Capture, captured_at, parse_playback_path, playback_url

MAX_PLAYBACK_BYTES = 2_000_000
MAX_PLAYBACK_HOPS = 5


@dataclass(frozen=True, slots=True)
class CaptureCheck:
    """The verdict on one capture: the capture actually played back (after the archive's
    redirects), its title, and why it is no usable copy (German) or None when it is one."""

    timestamp: str
    original: str
    title: str | None
    rejected: str | None

    @property
    def captured_at(self) -> dt.datetime | None:
        return captured_at(self.timestamp)


@dataclass(frozen=True, slots=True)
class Playback:
    """A capture played back: the capture reached after the archive's redirects, the hops
    between original URLs, and the final answer — or why there is none (German)."""

    timestamp: str
    original: str
    hops: tuple[Hop, ...]
    answer: ArchiveAnswer | None
    failure: str | None = None


async def play_capture(
    client: httpx.AsyncClient,
    capture: Capture,
    *,
    archive_url: str,
    budget: ArchiveBudget,
    time_left: ActiveTime,
    max_bytes: int = MAX_PLAYBACK_BYTES,
) -> Playback:
    """Play `capture` back raw, following the archive's redirects only within the archive;
    raises ArchiveTrouble when the archive fails us."""
    url = playback_url(archive_url, capture.timestamp, capture.original)
    timestamp, original = capture.timestamp, capture.original
    hops: list[Hop] = []
    for _ in range(MAX_PLAYBACK_HOPS + 1):
        answer = await archive_get(
            client, url, budget=budget, time_left=time_left, max_bytes=max_bytes
        )
        if answer.location is None:
            return Playback(timestamp, original, tuple(hops), answer)
        target = urljoin(url, answer.location)
        place = _archive_place(archive_url, target)
        if place is None:
            reason = f"Archiv leitet aus dem Archiv hinaus um ({target})"
            return Playback(timestamp, original, tuple(hops), None, reason)
        hops.append(Hop(original, answer.status, place[1]))
        url, (timestamp, original) = target, place
    return Playback(timestamp, original, tuple(hops), None, "zu viele Umleitungen im Archiv")


async def check_capture(
    client: httpx.AsyncClient,
    capture: Capture,
    *,
    archive_url: str,
    budget: ArchiveBudget,
    time_left: ActiveTime,
    max_bytes: int = MAX_PLAYBACK_BYTES,
) -> CaptureCheck:
    """Play `capture` back and judge it; raises ArchiveTrouble when the archive fails us."""
    played = await play_capture(
        client,
        capture,
        archive_url=archive_url,
        budget=budget,
        time_left=time_left,
        max_bytes=max_bytes,
    )
    timestamp, original, answer = played.timestamp, played.original, played.answer
    if answer is None:
        return CaptureCheck(timestamp, original, None, played.failure)
    rejected = capture_rejection(capture.original, original, played.hops, answer)
    when = captured_at(timestamp) or capture.captured_at
    title = capture_title(answer, original, when.date()) if rejected is None else None
    return CaptureCheck(timestamp, original, title, rejected)


def _archive_place(archive_url: str, url: str) -> tuple[str, str] | None:
    """(timestamp, original) when `url` is a playback URL of this archive, else None."""
    try:
        target, archive = httpx.URL(url), httpx.URL(archive_url)
    except (httpx.InvalidURL, ValueError):
        return None
    if (target.scheme, target.host, target.port) != (archive.scheme, archive.host, archive.port):
        return None
    return parse_playback_path(target.raw_path.decode("ascii", errors="replace"))


def capture_rejection(
    requested: str, final: str, hops: tuple[Hop, ...], answer: ArchiveAnswer
) -> str | None:
    """Why this playback is no usable copy of `requested` (German), or None. Pure."""
    if answer.status != 200:
        return f"Archiv liefert Status {answer.status}"
    challenge = challenge_reason(answer.status, answer.headers, answer.body)
    if challenge:
        return challenge
    result = FetchResult(
        url=requested,
        final_url=final,
        status=answer.status,
        hops=hops,
        headers=answer.headers,
        body=answer.body,
        truncated=answer.truncated,
    )
    soft_404 = soft_404_reason(result)
    if soft_404:
        return soft_404
    refresh = find_refresh(answer.body, result.content_type, result.header("refresh"))
    if refresh is not None and refresh.is_redirect:
        target = urljoin(refresh.base or final, refresh.target)
        moved_away = redirect_target_reason(requested, target)
        if moved_away:
            return f"{moved_away} (Meta-Refresh)"
    return None


def capture_title(answer: ArchiveAnswer, original: str, captured_on: dt.date) -> str | None:
    """The capture's own title: og:title, <title> or first <h1> of HTML, a PDF's title."""
    content_type = dict((k.lower(), v) for k, v in answer.headers).get("content-type")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        if media == "application/pdf" or answer.body.lstrip()[:5] == b"%PDF-":
            facts = extract_facts(
                answer.body,
                url=original,
                content_type=content_type,
                last_modified=None,
                run_date=captured_on,
            )
            return facts.title
        root = parse_html(decode_html(answer.body, content_type))
        return page_title(root, original) if root is not None else None
    except Exception:  # a title is a nicety: no capture may sink the lookup for it
        return None
