"""Date claims as the heuristics make them: where a date was read (`SOURCE_*`), how far
that source is trusted (`CONFIDENCE`), the grade of evidence each claim gives (`date_evidence`),
one claim from a parsed date (`make_claim`), and the text a reader sees (`SeenText`) that
several heuristics consult.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from extractors.dates.grammar import (
    ParsedDate,
    first_written_position,
)
from extractors.records import DateClaim, DateEvidence

SOURCE_JSON_LD = "json_ld"
SOURCE_META = "meta"
SOURCE_TIME_ELEMENT = "time_element"
SOURCE_VISIBLE_TEXT = "visible_text"
SOURCE_URL = "url"
SOURCE_HTTP_HEADER = "http_header"
# An as-of line ("Stand: 03.11.2015") outside the content region: the page footer or the
# "last updated" line a CMS template puts under the content.
SOURCE_FOOTER_TEXT = "footer_text"
# A document's own properties: PDF /CreationDate, /ModDate and XMP; Office core properties.
SOURCE_DOCUMENT_INFO = "document_info"

_EVIDENCE_OF_SOURCE = {
    SOURCE_JSON_LD: DateEvidence.METADATA,
    SOURCE_META: DateEvidence.METADATA,
    SOURCE_TIME_ELEMENT: DateEvidence.VISIBLE,
    SOURCE_VISIBLE_TEXT: DateEvidence.VISIBLE,
    SOURCE_FOOTER_TEXT: DateEvidence.VISIBLE,
    SOURCE_URL: DateEvidence.URL,
    SOURCE_HTTP_HEADER: DateEvidence.HTTP_HEADER,
    SOURCE_DOCUMENT_INFO: DateEvidence.DOCUMENT_INFO,
}


def date_evidence(claim: DateClaim | None) -> DateEvidence | None:
    """The grade a claim is evidenced by: its own, else the one its source gives."""
    if claim is None:
        return None
    if claim.evidence:
        return DateEvidence(claim.evidence)
    return _EVIDENCE_OF_SOURCE.get(claim.source)


# How much each source is trusted (0..1). A month-only or year-only date costs extra.
CONFIDENCE = {
    "json_ld": 0.9,
    "json_ld_recovered": 0.7,  # regex over JSON-LD that did not parse
    "meta_specific": 0.85,  # article:published_time, DC.date.issued …
    "meta_generic": 0.6,  # name="date", name="last-modified" …
    "time_itemprop": 0.75,
    "time_element": 0.65,
    "visible_cue": 0.6,
    "visible_date_class": 0.45,
    "visible_byline": 0.55,  # a date on its own line just below the page's <h1>
    "url": 0.5,
    "htmldate_page": 0.4,  # htmldate (extensive search) over the whole page
    "http_header": 0.2,
    "footer_cue": 0.55,  # "Stand: …" outside the content region (page footer)
}
_PRECISION_PENALTY = {"day": 0.0, "month": 0.1, "year": 0.25}

PUBLISHED = "published"
MODIFIED = "modified"


@dataclass(frozen=True, slots=True)
class PageDates:
    """What a page says about its dates.

    `published` and `modified` are claims a reader could check (visible, the URL, the
    document's properties; `modified` also the CMS's record when the page shows no date).
    `metadata_date` is a date that only invisible metadata gives when the page shows none: it
    says how current the page is (graded `metadata`), never that it was published then.
    """

    published: DateClaim | None = None
    modified: DateClaim | None = None
    metadata_date: DateClaim | None = None


@dataclass(frozen=True, slots=True)
class SeenText:
    """What a reader sees: all visible text of the page, and that of its content region.

    Where a day is written is remembered: the vote asks again once htmldate has voted, and
    each search is a long regular expression over the whole text.
    """

    page: str
    region: str
    _positions: dict[dt.date, int | None] = field(default_factory=dict, compare=False, repr=False)

    def first_position(self, day: dt.date) -> int | None:
        """`first_written_position(self.page, day)`."""
        if day not in self._positions:
            self._positions[day] = first_written_position(self.page, day)
        return self._positions[day]


def make_claim(parsed: ParsedDate, source: str, trust: float) -> DateClaim:
    """A DateClaim whose confidence is the source's trust minus a penalty for vagueness."""
    confidence = round(max(0.05, trust - _PRECISION_PENALTY[parsed.precision]), 2)
    return DateClaim(
        value=parsed.value,
        source=source,
        confidence=confidence,
        evidence=_EVIDENCE_OF_SOURCE.get(source),
    )
