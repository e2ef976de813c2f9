"""Site names found across a night's pages: a segment that ends the titles of several pages of
one host is that site's name, and is stripped from those titles.

One page's title cannot tell a site name it does not recognise ("Bürgerportal", "City of
Cologne") from content ("Übersicht"), so `html_facts.page_title` keeps such a title whole. The
night's titles together can: after all pages are analysed, a segment (cut at the title
separators) that stands first or last in the titles of two or more pages of a host – pages with
different titles, so a page and its print version do not count – is stripped from the ends of
those titles. The last segment always stays, so no title becomes empty.

One pass, over titles read tonight: each still carries its site name, so the outermost
repeated segment is the site's name and nothing inside it is touched ("Sprachkurse – Übersicht
| Kreis X" and "Integrationskurse – Übersicht | Kreis X" keep their "Übersicht"). Rows carried
from last night by a 304 hold a title cleaned then; they neither count nor change, so a second
night gives the same titles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from extractors.facts.html_facts import strip_end_segments, title_segments
from extractors.text.summary import fold_text

_MIN_PAGES = 2


NightPage = tuple[str | None, str | None, int | None, str | None]  # final URL, URL, status, title


def page_site(page: NightPage) -> str:
    """The site a night's row counts for: its page's host without "www.". Titles of
    different sites never touch each other, so `night_titles` may be given the night a
    group of whole sites at a time."""
    final, url, _, _ = page
    return _site_of(final or url or "")


def night_titles(pages: Sequence[NightPage]) -> list[str | None]:
    """Each of the night's rows → its title with repeated site-name segments stripped.

    A row's page is its final URL (the title was read there), else its catalogue URL. Rows
    carried by a 304 (their title was cleaned the night it was read) keep theirs.
    """
    stripped = strip_repeated_segments(
        [
            (final or url or "", None if status == 304 else title)
            for final, url, status, title in pages
        ]
    )
    return [
        title if new is None else new for new, (_, _, _, title) in zip(stripped, pages, strict=True)
    ]


def strip_repeated_segments(pages: Sequence[tuple[str, str | None]]) -> list[str | None]:
    """(page URL, title) pairs → their titles, each without the segments that stand at the ends
    of the titles of ≥ 2 pages of its host (with different titles). None stays None."""
    by_host: dict[str, set[str]] = defaultdict(set)
    for url, title in pages:
        if title:
            by_host[_site_of(url)].add(title)
    cleaned: dict[tuple[str, str], str] = {}
    for host, titles in by_host.items():
        for original, title in _strip_host_titles(titles).items():
            cleaned[host, original] = title
    return [cleaned[_site_of(url), title] if title else title for url, title in pages]


def _strip_host_titles(titles: set[str]) -> dict[str, str]:
    """One host's distinct titles → the titles without their repeated end segments."""
    site_names = _repeated_end_segments(titles)
    return {title: _strip(title, site_names) if site_names else title for title in titles}


def _strip(title: str, site_names: set[str]) -> str:
    parts, separators = title_segments(title)
    return strip_end_segments(parts, separators, lambda part: fold_text(part) in site_names)


def _repeated_end_segments(titles: Iterable[str]) -> set[str]:
    """Folded segments that stand first or last in ≥ _MIN_PAGES different titles."""
    seen: dict[str, set[str]] = defaultdict(set)
    for title in set(titles):
        parts, _ = title_segments(title)
        if len(parts) < 2:
            continue
        for segment in {fold_text(parts[0]), fold_text(parts[-1])}:
            if segment:
                seen[segment].add(fold_text(title))
    return {segment for segment, found in seen.items() if len(found) >= _MIN_PAGES}


def _site_of(url: str) -> str:
    """The host without "www.": www.kreis-soest.de and kreis-soest.de are one site."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    return host.removeprefix("www.")
