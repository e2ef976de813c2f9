"""Lost links of a listing recovered: catalogue rows without a target get the URL that an
archived copy of the published listing had under the same entry and link label.

Pure: catalogue rows and the rows read from one or more captures of the listing in, the
catalogue with its empty `url` cells filled (never a known URL overwritten) and a report of
what was filled, what found no match and what was ambiguous out. Each filled row records
where its URL came from in the extra column `url_source` (capture address and date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from extractors.catalog.listing_entries import normalize_space
from extractors.records import CatalogEntry

URL_SOURCE_COLUMN = "url_source"


@dataclass(frozen=True, slots=True)
class ListingCapture:
    """One archived copy of the listing, read into rows (`parse_listing_html`)."""

    url: str  # the capture's address an editor can open
    captured_at: dt.datetime
    rows: tuple[CatalogEntry, ...]


@dataclass(frozen=True, slots=True)
class RecoveredLink:
    line: int
    entry_id: str
    link_label: str
    url: str
    source: str


@dataclass(frozen=True, slots=True)
class LostLink:
    """A row whose target could not be recovered, and why (German, for the editors)."""

    line: int
    entry_id: str
    link_label: str
    reason: str


@dataclass(frozen=True, slots=True)
class Recovery:
    rows: tuple[CatalogEntry, ...]
    filled: tuple[RecoveredLink, ...]
    unmatched: tuple[LostLink, ...]
    ambiguous: tuple[LostLink, ...]


def recover_lost_links(
    catalog: Sequence[CatalogEntry], captures: Sequence[ListingCapture]
) -> Recovery:
    """Fill each empty `url` from the newest capture that lists the same entry (title, else
    provider and title) with exactly one target under the same link label."""
    newest_first = sorted(captures, key=lambda capture: capture.captured_at, reverse=True)
    rows: list[CatalogEntry] = []
    filled: list[RecoveredLink] = []
    unmatched: list[LostLink] = []
    ambiguous: list[LostLink] = []
    for row in catalog:
        if row.url.strip():
            rows.append(row)  # a known target is never replaced
            continue
        found = _first_match(row, newest_first)
        if isinstance(found, LostLink):
            (ambiguous if found.reason.startswith("mehrdeutig") else unmatched).append(found)
            rows.append(row)
            continue
        url, capture = found
        source = f"Archivkopie der Liste vom {_german_day(capture.captured_at)}: {capture.url}"
        extra = tuple(item for item in row.extra if item[0] != URL_SOURCE_COLUMN)
        rows.append(dataclasses.replace(row, url=url, extra=(*extra, (URL_SOURCE_COLUMN, source))))
        filled.append(RecoveredLink(row.line, row.entry_id, row.link_label, url, source))
    return Recovery(tuple(rows), tuple(filled), tuple(unmatched), tuple(ambiguous))


def _first_match(
    row: CatalogEntry, captures: Sequence[ListingCapture]
) -> tuple[str, ListingCapture] | LostLink:
    lost = LostLink(row.line, row.entry_id, row.link_label, "in keiner Archivkopie der Liste")
    for capture in captures:
        listed = _same_entry(row, capture.rows)
        if not listed:
            continue
        label = _fold(row.link_label)
        targets = {
            normalize_space(item.url)
            for item in listed
            if item.url and _fold(item.link_label) == label
        }
        if len(targets) == 1:
            return targets.pop(), capture
        if len(targets) > 1:
            return LostLink(
                row.line,
                row.entry_id,
                row.link_label,
                f"mehrdeutig: {len(targets)} Ziele für „{row.link_label}“ in der Archivkopie "
                f"vom {_german_day(capture.captured_at)}",
            )
        lost = LostLink(
            row.line,
            row.entry_id,
            row.link_label,
            f"Eintrag gefunden, aber kein Link „{row.link_label}“ darunter",
        )
    return lost


def _same_entry(row: CatalogEntry, listed: Sequence[CatalogEntry]) -> list[CatalogEntry]:
    """The listed rows of the entry the catalogue row belongs to: same title; where several
    entries share a title, also the same provider."""
    title = _fold(row.title)
    same_title = [item for item in listed if _fold(item.title) == title]
    providers = {_fold(item.provider) for item in same_title}
    if len(providers) > 1:
        return [item for item in same_title if _fold(item.provider) == _fold(row.provider)]
    return same_title


def _fold(text: str) -> str:
    """Case, dashes and spacing do not matter ("Web-App und Twitter" = "Web-App  und twitter")."""
    text = normalize_space(text).lower()
    for dash in ("–", "—", "‐"):
        text = text.replace(dash, "-")
    return re.sub(r"\s*-\s*", "-", text).strip(" .:")


def _german_day(moment: dt.datetime) -> str:
    return f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d}"
