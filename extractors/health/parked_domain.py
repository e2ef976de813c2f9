"""Parked domains: "Diese Domain steht zum Verkauf", hosting placeholders, parking services.

Pure: a `PageText` in, "Geparkte Domain (…)" or None out. A phrase counts in a heading or
in a page with little text; a parking service's marker (sedo, dan.com …) only on a short
page, because a long page that names one is an article about domain parking.
"""

from __future__ import annotations

import re

from extractors.health.page_text import PageText, as_written, clean_text

_PARKED_PHRASES: tuple[str, ...] = (
    "diese domain steht zum verkauf",
    "domain steht zum verkauf",
    "diese domain kaufen",
    "diese domain ist zu verkaufen",
    "domain ist zu verkaufen",
    "diese domain wurde registriert",
    "diese domain ist geparkt",
    "hier entsteht eine neue internetpräsenz",
    "this domain is for sale",
    "this domain may be for sale",
    "the domain is for sale",
    "buy this domain",
    "this domain is parked",
    "this domain has been registered",
    "domain parking",
    "parked domain",
    "geparkte domain",
)
_PARKING_MARKERS: tuple[str, ...] = (
    "sedoparking.com",
    "sedo.com",
    "dan.com",
    "parkingcrew.net",
    "bodis.com",
    "above.com",
    "afternic.com",
    "hugedomains.com",
    "undeveloped.com",
    "parklogic.com",
    "domainmarket.com",
)
# Every marker ends so; ".com" or ".net" in `html.lower()` needs one of these spellings, because
# only ASCII letters lower-case to c, o, m, n, e or t (tests/health/test_soft_404_shortcuts.py
# checks all of Unicode).
_MARKER_ENDINGS = re.compile(r"\.(?:[cC][oO][mM]|[nN][eE][tT])")
# A word of every parked phrase: a main text without any holds none of them.
_PARKED_WORDS: tuple[tuple[str, ...], ...] = (("domain",), ("internetpr",))
_PARKED_MAX_WORDS = 300  # a long page that mentions "domain parking" is an article about it
_MARKER_MAX_WORDS = 150


def parked_domain_reason(parts: PageText) -> str | None:
    """ "Geparkte Domain (…)" when the page is a parking or for-sale page, else None."""
    if not parts.is_html:
        return None
    heading_text = " ".join((parts.title, *parts.headings))
    body_text = ""
    if parts.may_hold(_PARKED_WORDS) and parts.words <= _PARKED_MAX_WORDS:
        body_text = clean_text(parts.main_text)
    sources = ((heading_text, heading_text.lower()), (body_text, body_text.lower()))
    for phrase in _PARKED_PHRASES:
        for source, lowered in sources:
            if phrase in lowered:
                return f"Geparkte Domain („{as_written(phrase, source)}“)"
    if not _MARKER_ENDINGS.search(parts.html):
        return None  # no marker can be in the page: spares lower-casing and a search per marker
    if parts.has_main_text and parts.words > _MARKER_MAX_WORDS:
        return None  # known to be too long: the markers need not be looked for
    html = parts.html_lower
    # `in` first: it spares most pages the word count, and the pattern is slow on a long page.
    markers = [marker for marker in _PARKING_MARKERS if marker in html]
    if markers and parts.words <= _MARKER_MAX_WORDS:
        for marker in markers:
            if re.search(rf"[/.\"'\s]{re.escape(marker)}", html):
                return f"Geparkte Domain (Parking-Dienst {marker})"
    return None
