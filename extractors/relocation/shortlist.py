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
) -> list[Candidate]:
    """The `top` candidates to fetch, best first, each URL once."""
    lastmods = {loc: lastmod_date(lastmod) for loc, lastmod in sitemap_entries}
    chosen: dict[str, Candidate] = {}
    for url in pattern_urls:
        if _eligible(lost.url, url):
            chosen.setdefault(url, Candidate(url, SUGGESTION_SOURCE_PATTERN, lastmods.get(url)))
    words = known_words(lost)
    ranked: list[tuple[float, int, str]] = []
    for order, (loc, _) in enumerate(sitemap_entries):
        if loc in chosen or not _eligible(lost.url, loc):
            continue
        share = words_similarity(words, loc)
        if share > 0:
            ranked.append((-(share + _freshness(lastmods.get(loc), lost.last_good)), order, loc))
    for _, _, loc in sorted(ranked):
        chosen.setdefault(loc, Candidate(loc, SUGGESTION_SOURCE_SITEMAP, lastmods.get(loc)))
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
