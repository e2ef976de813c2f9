"""Dates outside the document: a day in the URL path and the HTTP Last-Modified header."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from extractors.dates.claims import CONFIDENCE, SOURCE_HTTP_HEADER, SOURCE_URL, make_claim
from extractors.dates.grammar import (
    parse_machine_date,
    plausible_date,
)
from extractors.records import DateClaim

# ---------------------------------------------------------------------------------------------
# URL path and HTTP Last-Modified

_URL_DAY = re.compile(r"(?<!\d)((?:19|20)\d{2})([/_-])(\d{1,2})\2(\d{1,2})(?!\d)")
# /20200428/, /news/20220124-foerderung: year, month and day run together (a path segment or
# slug part of its own, not inside a longer ID).
_URL_COMPACT_DAY = re.compile(r"(?<![\dA-Za-z])((?:19|20)\d{2})(\d{2})(\d{2})(?![\dA-Za-z])")
# German order, as municipal and association CMSs write it: /meldungen/29-10-2021,
# /detail/~02-01-2022-land-zahlte, /aktuelles/08112021-online-fachtag.
_URL_GERMAN_DAY = re.compile(
    r"(?<![\dA-Za-z])(\d{1,2})([-_.]?)(\d{1,2})\2((?:19|20)\d{2})(?![\dA-Za-z])"
)
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/")


def claim_from_url(url: str, run_date: dt.date) -> DateClaim | None:
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    day_forms = (
        (_URL_DAY, lambda m: (m.group(1), m.group(3), m.group(4))),
        (_URL_COMPACT_DAY, lambda m: (m.group(1), m.group(2), m.group(3))),
        (_URL_GERMAN_DAY, lambda m: (m.group(4), m.group(3), m.group(1))),
    )
    for pattern, year_month_day in day_forms:
        for match in pattern.finditer(path):
            if pattern is _URL_GERMAN_DAY and not match.group(2) and len(match.group(0)) != 8:
                continue  # run together, only as DDMMYYYY: 1122021 is no day
            year, month, day = year_month_day(match)
            parsed = plausible_date(year, month, day, precision="day", run_date=run_date)
            if parsed:
                return make_claim(parsed, SOURCE_URL, CONFIDENCE["url"])
    for match in _URL_MONTH.finditer(path):
        parsed = plausible_date(
            match.group(1), match.group(2), "1", precision="month", run_date=run_date
        )
        if parsed:
            return make_claim(parsed, SOURCE_URL, CONFIDENCE["url"])
    return None


def claim_from_http_header(last_modified: str | None, run_date: dt.date) -> DateClaim | None:
    """Weak: dynamic servers send "now", so a Last-Modified of the run day is ignored."""
    if not last_modified:
        return None
    parsed = parse_machine_date(last_modified, run_date=run_date)
    if parsed is None or parsed.value >= run_date:
        return None
    return make_claim(parsed, SOURCE_HTTP_HEADER, CONFIDENCE["http_header"])
