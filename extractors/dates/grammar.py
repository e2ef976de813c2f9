"""Reading dates: the grammar of calendar days as pages write them.

`parse_date_text` and `parse_machine_date` turn one string into a plausible day (German,
English and ISO forms, two-digit years, PDF-ish compact stamps). `written_date_pattern`
answers the reverse question the date vote needs — "is this day written anywhere a reader
can see it?" — in the numeric and month-name forms of the languages common on the web.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

# The web of pages with meaningful dates starts here; earlier years are noise ("seit 1871").
MIN_PLAUSIBLE_YEAR = 1995


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A calendar day read from text; month/year precision means day (and month) were guessed."""

    value: dt.date
    precision: str  # "day" | "month" | "year"


def parse_date_text(text: str, *, run_date: dt.date) -> ParsedDate | None:
    """A plausible date at the start of `text` (German, English or ISO forms), else None."""
    text = _WEEKDAY_PREFIX.sub("", text.strip(), count=1)
    for pattern, builder in _TEXT_DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            parsed = builder(match, run_date)
            if parsed is not None and is_plausible(parsed.value, run_date):
                return parsed
            return None
    return None


def parse_machine_date(value: str, *, run_date: dt.date) -> ParsedDate | None:
    """A plausible date from a machine-readable value (ISO 8601, RFC 2822, 20151103 …)."""
    value = value.strip()
    if not value or len(value) > 100:
        return None
    match = _ISO_LEADING.match(value)
    if match:
        return _checked(_ymd(match.group(1), match.group(2), match.group(3)), "day", run_date)
    match = _COMPACT_DATE.match(value)
    if match:
        return _checked(_ymd(match.group(1), match.group(2), match.group(3)), "day", run_date)
    match = _ISO_MONTH.match(value)
    if match:
        return _checked(_ymd(match.group(1), match.group(2), "1"), "month", run_date)
    try:
        stamp = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        stamp = None
    if stamp is not None:
        return _checked(stamp.date(), "day", run_date)
    parsed = parse_date_text(value, run_date=run_date)
    # A bare year says too little in a machine field ("2015" as a version, an ID …).
    return parsed if parsed and parsed.precision != "year" else None


def is_plausible(value: dt.date, run_date: dt.date) -> bool:
    return value.year >= MIN_PLAUSIBLE_YEAR and value <= run_date


def plausible_date(
    year: str, month: str, day: str, *, precision: str, run_date: dt.date
) -> ParsedDate | None:
    """A ParsedDate from digit strings, or None when no such day or not plausible."""
    return _checked(_ymd(year, month, day), precision, run_date)


# ---------------------------------------------------------------------------------------------
# Grammar of the forms we parse (German and English)

_MONTHS = {
    "januar": 1,
    "jänner": 1,
    "jaenner": 1,
    "january": 1,
    "jan": 1,
    "februar": 2,
    "feber": 2,
    "february": 2,
    "feb": 2,
    "märz": 3,
    "maerz": 3,
    "marz": 3,
    "march": 3,
    "mär": 3,
    "mrz": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juni": 6,
    "june": 6,
    "jun": 6,
    "juli": 7,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "oktober": 10,
    "october": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "dezember": 12,
    "december": 12,
    "dez": 12,
    "dec": 12,
}
MONTH_PATTERN = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_WEEKDAY_PREFIX = re.compile(
    r"^(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|monday"
    r"|tuesday|wednesday|thursday|friday|saturday|sunday|mo|di|mi|do|fr|sa|so|mon|tue|wed"
    r"|thu|fri|sat|sun)\b\.?,?\s+",
    re.IGNORECASE,
)
_ISO_LEADING = re.compile(r"^((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
_ISO_MONTH = re.compile(r"^((?:19|20)\d{2})-(\d{1,2})$")
_COMPACT_DATE = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})(?:$|T|\d{4,6}\b)")


def _ymd(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _full_year(year: str, run_date: dt.date) -> int:
    """Two-digit years: "15" → 2015, "98" → 1998, never a year after the run."""
    value = int(year)
    if len(year) == 2:
        value += 2000 if 2000 + value <= run_date.year else 1900
    return value


def _checked(value: dt.date | None, precision: str, run_date: dt.date) -> ParsedDate | None:
    if value is None or not is_plausible(value, run_date):
        return None
    return ParsedDate(value, precision)


def _build_iso(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    return _checked(_ymd(match.group(1), match.group(2), match.group(3)), "day", run_date)


def _build_dmy(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    year = str(_full_year(match.group(3), run_date))
    return _checked(_ymd(year, match.group(2), match.group(1)), "day", run_date)


def _build_slashed(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    """17/02/2022 is day first (German, British, Romance); 02/17/2022 can only be US."""
    first, second = int(match.group(1)), int(match.group(2))
    day, month = (second, first) if second > 12 >= first else (first, second)
    return _checked(_ymd(match.group(3), str(month), str(day)), "day", run_date)


def _build_day_month_name(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    month = _MONTHS[match.group(2).lower()]
    return _checked(_ymd(match.group(3), str(month), match.group(1)), "day", run_date)


def _build_month_name_day(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    month = _MONTHS[match.group(1).lower()]
    return _checked(_ymd(match.group(3), str(month), match.group(2)), "day", run_date)


def _build_month_name_year(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    month = _MONTHS[match.group(1).lower()]
    return _checked(_ymd(match.group(2), str(month), "1"), "month", run_date)


def _build_month_year(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    return _checked(_ymd(match.group(2), match.group(1), "1"), "month", run_date)


def _build_year(match: re.Match[str], run_date: dt.date) -> ParsedDate | None:
    return _checked(_ymd(match.group(1), "1", "1"), "year", run_date)


_TEXT_DATE_PATTERNS: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str], dt.date], ParsedDate | None]], ...
] = (
    (re.compile(r"((?:19|20)\d{2})[-/](\d{1,2})[-/](\d{1,2})(?!\d)"), _build_iso),
    (re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d|\.\d)"), _build_dmy),
    (
        re.compile(
            r"(\d{1,2})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?" + MONTH_PATTERN + r",?\s*(\d{4})\b", re.I
        ),
        _build_day_month_name,
    ),
    (
        re.compile(MONTH_PATTERN + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I),
        _build_month_name_day,
    ),
    (re.compile(MONTH_PATTERN + r"\s*,?\s*(\d{4})\b", re.I), _build_month_name_year),
    (re.compile(r"(\d{1,2})[./](\d{4})(?![\d.])"), _build_month_year),
    (re.compile(r"((?:19|20)\d{2})(?![\d.:/-]|\s*[-–]\s*\d)"), _build_year),
)


# ---------------------------------------------------------------------------------------------
# Is a given day written on the page?
#
# The reverse of parsing: instead of finding every date in a page's text, build one pattern for
# a candidate day in all the forms it may be written in, and search for it. Month names cover
# the languages of the pages we meet (German and English first, then the Romance, Slavic,
# Nordic … languages common in news), so that a date shown only as "19 février 2020" still
# counts as visible.

_WRITTEN_MONTH_NAMES = {
    1: "januar jänner jaenner january jan janvier janv enero ene gennaio gen janeiro januari"
    " stycznia января січня ocak ledna január tammikuuta janar",
    2: "februar feber february feb février fevrier févr fevr febrero febbraio fevereiro fev"
    " februari lutego февраля лютого şubat subat února unora február helmikuuta shkurt",
    3: "märz maerz marz mär mrz march mar mars marzo março marco maart marca marts марта"
    " березня mart března brezna március maaliskuuta",
    4: "april apr avril avr abril abr aprile kwietnia апреля квітня nisan dubna április"
    " huhtikuuta prill",
    5: "mai may mayo maggio maio mei maja maj мая травня mayıs mayis května kvetna május"
    " toukokuuta",
    6: "juni june jun juin junio giugno junho czerwca июня червня haziran června cervna június"
    " kesäkuuta qershor",
    7: "juli july jul juillet juil julio luglio julho lipca июля липня temmuz července"
    " cervence július heinäkuuta korrik",
    8: "august aug août aout agosto augustus sierpnia августа серпня ağustos agustos srpna"
    " augusztus elokuuta gusht",
    9: "september sept sep septembre septiembre setiembre settembre set setembro września"
    " wrzesnia сентября вересня eylül eylul září zari szeptember syyskuuta shtator",
    10: "oktober okt october oct octobre octubre ottobre ott outubro out października"
    " pazdziernika октября жовтня ekim října rijna október lokakuuta tetor",
    11: "november nov novembre noviembre novembro listopada ноября листопада kasım kasim"
    " listopadu lis marraskuuta nëntor nentor",
    12: "dezember dez december dec décembre decembre déc diciembre dic dicembre dezembro"
    " grudnia декабря грудня aralık aralik prosince prosinec joulukuuta dhjetor",
}


@functools.lru_cache(maxsize=4096)
def written_date_pattern(day: dt.date) -> re.Pattern[str]:
    """A pattern matching `day` as people write it: 3.11.2015, 03/11/15, 11/03/2015 (US),
    2015-11-03, 2015年11月3日, 3. November 2015, 3 nov. 2015, Nov 3rd, 2015, 3 de noviembre
    de 2015 … Cached: the same few candidate days come up on page after page."""
    d, m, y = day.day, day.month, day.year
    dd, mm = rf"0?{d}", rf"0?{m}"
    year = rf"(?:{y}|['’]?{y % 100:02d})"
    names = "|".join(sorted(_WRITTEN_MONTH_NAMES[m].split(), key=len, reverse=True))
    forms = (
        rf"(?<![\d.]){dd}\s?([./-])\s?{mm}\s?\1\s?{year}(?!\d)",  # day first
        rf"(?<![\d./]){mm}\s?([./-])\s?{dd}\s?\2\s?{year}(?!\d)",  # month first (US)
        rf"(?<!\d){y}\s?([-/.])\s?{mm}\s?\3\s?{dd}(?!\d)",  # ISO order
        rf"{y}\s?年\s?{mm}\s?月\s?{dd}\s?日",
        rf"(?<!\d){dd}(?:\.|er|st|nd|rd|th|º|°)?\s*(?:de\s+|di\s+|/\s*)?(?:{names})\b"
        rf"(?:\.?\s*(?:,|/|de|del)?\s*{y}|\.?\s*['’]{y % 100:02d}|\.{y % 100:02d})(?!\d)",
        rf"\b(?:{names})\b\.?\s+{dd}(?:st|nd|rd|th)?,?\s+{y}(?!\d)",
    )
    return re.compile("|".join(forms), re.IGNORECASE)


# The full-date forms of _TEXT_DATE_PATTERNS (ISO, 3.11.2015, 3. November 2015, Nov 3, 2015),
# and 17/02/2022 — only here, where a byline is read: in metadata and running text the US
# order (11/01/2023 for 1 November) is as common as the day-first one.
_SLASHED_DATE = (
    re.compile(r"(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?![\d/])"),
    _build_slashed,
)
_FULL_DATE_PATTERNS = (*_TEXT_DATE_PATTERNS[:4], _SLASHED_DATE)


def find_full_date(text: str, *, run_date: dt.date) -> tuple[int, int, ParsedDate] | None:
    """(start, end, date) of the first plausible day-precision date anywhere in `text`, not
    inside a longer number."""
    found: list[tuple[int, int, ParsedDate]] = []
    for pattern, builder in _FULL_DATE_PATTERNS:
        for match in pattern.finditer(text):
            if match.start() > 0 and text[match.start() - 1].isdigit():
                continue
            parsed = builder(match, run_date)
            if parsed is not None and parsed.precision == "day":
                found.append((match.start(), match.end(), parsed))
                break  # the first plausible match of each form is enough
    return min(found, key=lambda item: item[0]) if found else None


def first_written_position(text: str, day: dt.date) -> int | None:
    """Offset of the first place `day` is written in `text`, or None."""
    match = written_date_pattern(day).search(text) if text else None
    return match.start() if match else None


def written_spans(text: str, day: dt.date) -> list[tuple[int, int]]:
    """(start, end) of every place `day` is written in `text`."""
    if not text:
        return []
    return [match.span() for match in written_date_pattern(day).finditer(text)]
