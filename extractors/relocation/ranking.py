"""A candidate for a lost page's new address scored against what was known of the lost page.

What we know (`LostPage`): the last title, summary and text fingerprint seen when the link
still worked; for a link never seen working, the catalogue entry's title, description and
link label stand in. A candidate (`Candidate`) has its URL and, once fetched and verified, its
title, summary and fingerprint (`CandidatePage`).

Score (0–1) = 0.5 · title + 0.35 · text + 0.15 · address, each part 0–1:
- title: 1 when the folded titles are equal, else the Dice overlap of their content words;
- text: the fingerprints' closeness when both are known (distance ≤ 24 of 256 bits → 1,
  ≥ 96 → 0, linear between; unrelated texts lie near 128), else the Dice overlap of the
  content words of summaries (or the entry's description); nothing known → 0;
- address: the Dice overlap of the words in the old and new last path segments.
A sitemap `lastmod` on or after the last good day adds 0.05 (the page changed when it moved).

Hard rejections come before any score: a site root or a section index above the lost page,
a search page, a login page, and a page whose title is only the site's name. A wrong proposal
costs an editor more than none, so `pick_proposal` proposes the best candidate only when it
clears `PROPOSAL_THRESHOLD` and beats the runner-up by `AMBIGUITY_MARGIN`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from extractors.health.redirect_targets import (
    is_homepage,
    is_login_page,
    is_search_page,
    is_site_root,
)
from extractors.text.fingerprint import fingerprint_distance
from extractors.text.summary import fold_text

# 0.75: only a title match (0.5) with most of the text evidence (text closeness ≥ ~0.7) or
# with the address can reach it; a title alone (≤ 0.65 with a perfect address) or the same
# text under another title (≤ 0.5 + partial title) cannot — that is a page on a similar topic.
PROPOSAL_THRESHOLD = 0.75
# Two candidates closer than this are the same to us: the editor must choose, not we.
AMBIGUITY_MARGIN = 0.1
TITLE_WEIGHT, TEXT_WEIGHT, ADDRESS_WEIGHT = 0.5, 0.35, 0.15
LASTMOD_BONUS = 0.05
# Fingerprint distances (of 256 bits) read as "same text" and "unrelated text".
SAME_TEXT_DISTANCE, UNRELATED_TEXT_DISTANCE = 24, 96
SUGGESTION_SOURCE_SITEMAP, SUGGESTION_SOURCE_PATTERN = "sitemap", "url_pattern"
SUGGESTION_SOURCE_ARCHIVE_INDEX = "archive_index"

_WORD = re.compile(r"[a-zäöüß0-9]+")
_PATH_WORD = re.compile(r"[a-z0-9äöüß]+")
_MIN_CONTENT_WORD = 4
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass(frozen=True, slots=True)
class LostPage:
    """What is known of a broken page: its last good state, else the catalogue entry's words."""

    url: str
    last_title: str | None = None
    last_summary: str | None = None
    last_fingerprint: str | None = None
    entry_title: str | None = None
    entry_description: str | None = None
    link_label: str | None = None
    last_good: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible new address: where it came from (`sitemap`, `url_pattern`) and its lastmod."""

    url: str
    source: str
    lastmod: dt.date | None = None


@dataclass(frozen=True, slots=True)
class CandidatePage:
    """What a fetched, verified candidate says about itself."""

    title: str | None = None
    summary: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class Relocation:
    """A proposed new address with its score (0–1), source and German evidence."""

    url: str
    score: float
    source: str
    evidence: str


def lastmod_date(value: str | None) -> dt.date | None:
    """The day (or first of the month/year) of a W3C datetime, "2024-03-05T10:00+01:00"."""
    match = _DATE.match((value or "").strip())
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return None


def rejection_reason(lost_url: str, candidate_url: str) -> str | None:
    """Why a candidate address can never be the lost page's new home (German), or None."""
    if is_site_root(candidate_url) or is_homepage(candidate_url):
        return "Startseite"
    if is_search_page(candidate_url):
        return "Suchseite"
    if is_login_page(candidate_url):
        return "Anmeldeseite"
    if _is_index_above(lost_url, candidate_url):
        return "Übersichtsseite"
    return None


def _is_index_above(lost_url: str, candidate_url: str) -> bool:
    """A directory the lost page lay in ("/aktuelles/" for "/aktuelles/2016/b.html")."""
    lost, candidate = urlsplit(lost_url), urlsplit(candidate_url)
    directory = lost.path.rsplit("/", 1)[0] + "/"
    path = candidate.path.rstrip("/") + "/"
    return not candidate.query and directory.startswith(path)


def is_site_name_only(title: str | None, candidate_url: str, site_name: str | None) -> bool:
    """A title that names only the site ("Stadt Musterstadt", "musterstadt.de")."""
    folded = fold_text(title or "")
    if not folded:
        return False
    host = (urlsplit(candidate_url).hostname or "").lower().removeprefix("www.")
    names = {fold_text(host), fold_text(host.split(".", 1)[0])}
    if site_name:
        names.add(fold_text(site_name))
    return folded in names


def address_similarity(lost_url: str, candidate_url: str) -> float:
    """Dice overlap of the words in the two URLs' last path segments (0–1)."""
    return _dice(_slug_words(lost_url), _slug_words(candidate_url))


def words_similarity(words: set[str], candidate_url: str) -> float:
    """Share of the candidate's slug words among `words` (for pre-ranking sitemap entries)."""
    slug = _slug_words(candidate_url)
    return len(slug & words) / len(slug) if slug else 0.0


def known_words(lost: LostPage) -> set[str]:
    """The content words of everything known of the lost page's name: title, label, slug."""
    text = " ".join(filter(None, (lost.last_title, lost.entry_title, lost.link_label)))
    return _content_words(text) | _slug_words(lost.url)


def _slug_words(url: str) -> set[str]:
    path = unquote(urlsplit(url).path).lower().rstrip("/")
    last = re.sub(r"\.[a-z0-9]{2,5}$", "", path.rsplit("/", 1)[-1])
    return {fold_text(word) for word in _PATH_WORD.findall(last) if not word.isdigit()}


def _content_words(text: str | None) -> set[str]:
    words = _WORD.findall((text or "").lower())
    return {fold_text(word) for word in words if len(word) >= _MIN_CONTENT_WORD}


def _dice(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


def title_similarity(known: str | None, found: str | None) -> float:
    """1 for the same title (case, umlaut spelling and punctuation aside), else the Dice
    overlap of the titles' content words ("für", "und" do not make two titles alike)."""
    if not known or not found:
        return 0.0
    if fold_text(known) == fold_text(found):
        return 1.0
    return _dice(_content_words(known), _content_words(found))


def text_similarity(lost: LostPage, page: CandidatePage) -> tuple[float, str]:
    """Closeness of the texts (0–1) and how it was measured ("fingerprint", "summary", "")."""
    if lost.last_fingerprint and page.fingerprint:
        distance = fingerprint_distance(lost.last_fingerprint, page.fingerprint)
        span = UNRELATED_TEXT_DISTANCE - SAME_TEXT_DISTANCE
        closeness = 1 - (distance - SAME_TEXT_DISTANCE) / span
        return min(1.0, max(0.0, closeness)), "fingerprint"
    known = lost.last_summary or lost.entry_description
    if known and page.summary:
        return _dice(_content_words(known), _content_words(page.summary)), "summary"
    return 0.0, ""


def score_candidate(lost: LostPage, candidate: Candidate, page: CandidatePage) -> tuple[float, str]:
    """The candidate's score (0–1) and German evidence, e.g. „Titel stimmt überein; …“."""
    known_title = lost.last_title or lost.entry_title or lost.link_label
    title = title_similarity(known_title, page.title)
    text, measured = text_similarity(lost, page)
    address = address_similarity(lost.url, candidate.url)
    score = TITLE_WEIGHT * title + TEXT_WEIGHT * text + ADDRESS_WEIGHT * address
    evidence = [_title_evidence(title, from_entry=not lost.last_title)]
    if measured:
        evidence.append(_text_evidence(text, measured))
    if address >= 0.5:
        evidence.append("Adresse mit gleichem Namen")
    if candidate.lastmod:
        where = (
            "im Webarchiv"
            if candidate.source == SUGGESTION_SOURCE_ARCHIVE_INDEX
            else "in der Sitemap"
        )
        evidence.append(f"{where} seit {candidate.lastmod:%m.%Y}")
        if lost.last_good and candidate.lastmod >= lost.last_good:
            score += LASTMOD_BONUS
    return round(min(1.0, score), 3), "; ".join(evidence)


def _title_evidence(similarity: float, *, from_entry: bool) -> str:
    what = "Titel des Eintrags" if from_entry else "Titel"
    if similarity == 1.0:
        return f"{what} stimmt überein"
    if similarity == 0.0:
        return f"{what} anders"
    return f"{what} ähnlich ({similarity:.0%})".replace("%", " %")


def _text_evidence(similarity: float, measured: str) -> str:
    what = "Text" if measured == "fingerprint" else "Zusammenfassung"
    if similarity >= 0.9:
        return f"{what} nahezu gleich"
    if similarity < 0.2:
        return f"{what} anders"
    return f"{what} ähnlich ({similarity:.0%})".replace("%", " %")


def pick_proposal(scored: Sequence[Relocation]) -> Relocation | None:
    """The best candidate if it clears the threshold and clearly beats the runner-up."""
    distinct: dict[str, Relocation] = {}
    for relocation in scored:
        key = relocation.url.split("#", 1)[0].rstrip("/")
        if key not in distinct or relocation.score > distinct[key].score:
            distinct[key] = relocation
    ranked = sorted(distinct.values(), key=lambda relocation: relocation.score, reverse=True)
    if not ranked or ranked[0].score < PROPOSAL_THRESHOLD:
        return None
    if len(ranked) > 1 and ranked[0].score - ranked[1].score < AMBIGUITY_MARGIN:
        return None
    return ranked[0]
