"""Date claims as the heuristics make them: where a date was read (`SOURCE_*`), how far
that source is trusted (`CONFIDENCE`), one claim from a parsed date (`make_claim`), and the
text a reader sees (`SeenText`) that several heuristics consult.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from extractors.dates.grammar import (
    ParsedDate,
    first_written_position,
)
from extractors.records import DateClaim

SOURCE_JSON_LD = "json_ld"
SOURCE_META = "meta"
SOURCE_TIME_ELEMENT = "time_element"
SOURCE_VISIBLE_TEXT = "visible_text"
SOURCE_URL = "url"
SOURCE_HTTP_HEADER = "http_header"


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
}
_PRECISION_PENALTY = {"day": 0.0, "month": 0.1, "year": 0.25}

PUBLISHED = "published"
MODIFIED = "modified"


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
    return DateClaim(value=parsed.value, source=source, confidence=confidence)
