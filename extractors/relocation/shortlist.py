"""Which candidates for a lost page are worth a request: pre-ranked by their address alone.

A sitemap may list thousands of pages; only a few may be fetched (each is a request to the
provider). URL-pattern candidates come first (a rule the provider's own moves taught); then
sitemap pages by how many of their slug words name the lost page (its title, link label and
old slug), with a page changed on or after the last good day ahead of an older one. A page
whose slug shares no word with what we know is never fetched; a rejected address (home,
search, login, an index above the lost page), the lost URL itself and other hosts neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit

from extractors.relocation.ranking import (
    SUGGESTION_SOURCE_ARCHIVE_INDEX,
    SUGGESTION_SOURCE_PATTERN,
    SUGGESTION_SOURCE_SITEMAP,
    Candidate,
    LostPage,
    known_words,
    lastmod_date,
    rejection_reason,
    words_similarity,
)

# Added to a sitemap page's word share when it changed after the link last worked.
_FRESH_BONUS = 0.1


def shortlist(
    lost: LostPage,
    sitemap_entries: Sequence[tuple[str, str | None]],
    pattern_urls: Sequence[str],
    top: int,
    archive_entries: Sequence[tuple[str, str | None]] = (),
) -> list[Candidate]:
    """The `top` candidates to fetch, best first, each URL once. `archive_entries` are the
    host's addresses the archive captured after the break, ranked like sitemap pages (a page
    both list counts as the sitemap's)."""
    listed = [(loc, lastmod, SUGGESTION_SOURCE_SITEMAP) for loc, lastmod in sitemap_entries]
    in_sitemap = {loc for loc, _ in sitemap_entries}
    listed += [
        (loc, first_seen, SUGGESTION_SOURCE_ARCHIVE_INDEX)
        for loc, first_seen in archive_entries
        if loc not in in_sitemap
    ]
    lastmods = {loc: lastmod_date(lastmod) for loc, lastmod, _ in listed}
    chosen: dict[str, Candidate] = {}
    for url in pattern_urls:
        if _eligible(lost.url, url):
            chosen.setdefault(url, Candidate(url, SUGGESTION_SOURCE_PATTERN, lastmods.get(url)))
    words = known_words(lost)
    ranked: list[tuple[float, int, str, str]] = []
    for order, (loc, _, source) in enumerate(listed):
        if loc in chosen or not _eligible(lost.url, loc):
            continue
        share = words_similarity(words, loc)
        if share > 0:
            fresh = _freshness(lastmods.get(loc), lost.last_good)
            ranked.append((-(share + fresh), order, loc, source))
    for _, _, loc, source in sorted(ranked):
        chosen.setdefault(loc, Candidate(loc, source, lastmods.get(loc)))
    return list(chosen.values())[:top]


def _freshness(lastmod: dt.date | None, last_good: dt.date | None) -> float:
    return _FRESH_BONUS if lastmod and last_good and lastmod >= last_good else 0.0


def _eligible(lost_url: str, url: str) -> bool:
    if url.split("#", 1)[0].rstrip("/") == lost_url.split("#", 1)[0].rstrip("/"):
        return False
    if _site(url) != _site(lost_url):
        return False
    return rejection_reason(lost_url, url) is None


def _site(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")
