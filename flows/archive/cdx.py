"""The Wayback CDX server's language, pure: query and playback URLs out, JSON answers in.

No network, disk or clock here. `read_cdx_answer` never raises: an answer that is no JSON,
cut short, of the wrong shape or too large comes back as no captures plus a German reason,
so "nothing archived" (an empty list, no reason) stays distinguishable from "unreadable".

The JSON output (wayback-cdx-server README): a list of rows, all values strings, the first
row a header naming the columns (`urlkey timestamp original mimetype statuscode digest
length` unless `fl=` chose others), ascending by timestamp; `-` marks a missing value
(revisits have no status). Timestamps may be shorter than 14 digits (padded: `2019` is
2019-01-01 00:00:00).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

DEFAULT_COLUMNS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
# An answer larger than this is no list of a few captures: refused unread.
MAX_CDX_BYTES = 4_000_000
# Rows kept of an answer; the newest are kept (the archive sorts ascending).
MAX_CDX_ROWS = 10_000
ARCHIVED_MIMETYPES = ("text/html", "application/pdf")

_TIMESTAMP = re.compile(r"\d{4}(?:\d{2}){0,5}")
# Completes a short timestamp to 14 digits: month and day 01, the time 00:00:00.
_TIMESTAMP_PADDING = "0101000000"
# /web/<timestamp><modifier>/<original>; the modifier is e.g. id_ (raw) or im_.
_PLAYBACK_PATH = re.compile(r"^/web/(?P<ts>\d{1,14})(?P<modifier>[a-z]{2}_)?/(?P<original>.+)$")


@dataclass(frozen=True, slots=True)
class Capture:
    """One row of the CDX index: a capture of `original` at `timestamp` (as the archive
    spells it; `captured_at` is its UTC moment). Empty strings and None where the row said `-`
    or had no such column."""

    timestamp: str
    captured_at: dt.datetime
    original: str
    mimetype: str
    status: int | None
    digest: str
    length: int | None


@dataclass(frozen=True, slots=True)
class CdxAnswer:
    """A parsed CDX answer: the captures, or none and `problem` saying why it was unreadable.

    `rows_dropped` counts rows left out: unusable rows (no valid timestamp or URL) and, for
    an answer over MAX_CDX_ROWS rows, the oldest ones.
    """

    captures: list[Capture]
    problem: str | None = None
    rows_dropped: int = 0


def captured_at(timestamp: str) -> dt.datetime | None:
    """The UTC moment of a CDX timestamp of 4 to 14 digits (even lengths), or None."""
    if not _TIMESTAMP.fullmatch(timestamp):
        return None
    full = timestamp + _TIMESTAMP_PADDING[len(timestamp) - 4 :]
    try:
        moment = dt.datetime.strptime(full, "%Y%m%d%H%M%S")
    except ValueError:  # month 13, day 32 …
        return None
    return moment.replace(tzinfo=dt.UTC)


def read_cdx_answer(data: bytes, *, max_rows: int = MAX_CDX_ROWS) -> CdxAnswer:
    """Captures from a CDX JSON answer; never raises. A header-only answer or `[]` is none."""
    if len(data) > MAX_CDX_BYTES:
        return CdxAnswer([], f"CDX-Antwort zu groß ({len(data)} Bytes)")
    if not data.strip():
        return CdxAnswer([], "leere CDX-Antwort")
    try:
        rows = json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return CdxAnswer([], f"CDX-Antwort ist kein gültiges JSON ({type(exc).__name__})")
    if not isinstance(rows, list):
        return CdxAnswer([], "CDX-Antwort ist keine Liste")
    columns: Sequence[str] = DEFAULT_COLUMNS
    if rows and _is_header(rows[0]):
        columns, rows = [str(name) for name in rows[0]], rows[1:]
    dropped = max(0, len(rows) - max_rows)
    captures: list[Capture] = []
    for row in rows[dropped:]:
        capture = _capture(row, columns) if isinstance(row, list) else None
        if capture is None:
            dropped += 1
        else:
            captures.append(capture)
    return CdxAnswer(captures, rows_dropped=dropped)


def parse_cdx_json(data: bytes) -> list[Capture]:
    """The captures of a CDX JSON answer ([] when there are none or it is unreadable)."""
    return read_cdx_answer(data).captures


def _is_header(row: object) -> bool:
    return (
        isinstance(row, list)
        and all(isinstance(value, str) for value in row)
        and ("timestamp" in row or "original" in row)
    )


def _capture(row: list[object], columns: Sequence[str]) -> Capture | None:
    values = {name: _text(value) for name, value in zip(columns, row, strict=False)}
    timestamp = values.get("timestamp", "")
    moment = captured_at(timestamp)
    original = values.get("original", "")
    if moment is None or not original:
        return None
    return Capture(
        timestamp=timestamp,
        captured_at=moment,
        original=original,
        mimetype=values.get("mimetype", "").lower(),
        status=_number(values.get("statuscode", "")),
        digest=values.get("digest", ""),
        length=_number(values.get("length", "")),
    )


def _text(value: object) -> str:
    if value is None or isinstance(value, list | dict):
        return ""
    text = str(value).strip()
    return "" if text == "-" else text


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 15 else None


def cdx_timestamp(moment: dt.date | str) -> str:
    """A `from`/`to` bound: a date as YYYYMMDD (the server pads it to the whole day), a
    datetime as YYYYMMDDhhmmss (in UTC when aware), digits as given."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC)
        return moment.strftime("%Y%m%d%H%M%S")
    if isinstance(moment, dt.date):
        return moment.strftime("%Y%m%d")
    if not _TIMESTAMP.fullmatch(moment):
        raise ValueError(f"no CDX timestamp: {moment!r}")
    return moment


def cdx_query_url(
    archive_url: str,
    url: str,
    *,
    to: dt.date | str | None = None,
    from_: dt.date | str | None = None,
    limit: int | None = -5,
    mimetypes: Sequence[str] = ARCHIVED_MIMETYPES,
    status: int | None = 200,
    match_type: str | None = None,
    collapse: str | None = None,
) -> str:
    """The CDX query for captures of `url`: JSON, status `status`, one of `mimetypes`.

    `limit=-n` asks for the newest n (within `from_`..`to`, both inclusive), `n` for the
    oldest n, None for all. Mimetype filters are regexes matched in full, so the types are
    escaped (`application/xhtml+xml`). `match_type` ("prefix", "host", "domain") widens the
    query from one URL; `collapse="urlkey"` keeps one row per URL.
    """
    params: list[tuple[str, str]] = [("url", url.split("#", 1)[0]), ("output", "json")]
    if from_ is not None:
        params.append(("from", cdx_timestamp(from_)))
    if to is not None:
        params.append(("to", cdx_timestamp(to)))
    if status is not None:
        params.append(("filter", f"statuscode:{status}"))
    if mimetypes:
        alternatives = "|".join(re.escape(mimetype) for mimetype in mimetypes)
        params.append(("filter", f"mimetype:({alternatives})"))
    if match_type is not None:
        params.append(("matchType", match_type))
    if collapse is not None:
        params.append(("collapse", collapse))
    if limit is not None:
        params.append(("limit", str(limit)))
    return f"{archive_url.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def playback_url(archive_url: str, timestamp: str, original: str, *, raw: bool = True) -> str:
    """`/web/<ts>id_/<original>`: the capture as archived, without toolbar or rewriting;
    with `raw=False` the page an editor opens (`/web/<ts>/<original>`)."""
    modifier = "id_" if raw else ""
    return f"{archive_url.rstrip('/')}/web/{timestamp}{modifier}/{original.split('#', 1)[0]}"


def parse_playback_path(path: str) -> tuple[str, str] | None:
    """(timestamp, original) of a playback path with its query (`/web/2019…id_/https://…`)."""
    match = _PLAYBACK_PATH.match(path)
    if match is None:
        return None
    return match.group("ts"), match.group("original")
