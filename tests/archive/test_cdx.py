"""The CDX language, pure: answers parsed tolerantly (never raising), query and playback URLs."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from flows.archive.cdx import (
    MAX_CDX_BYTES,
    Capture,
    captured_at,
    cdx_query_url,
    parse_cdx_json,
    parse_playback_path,
    playback_url,
    read_cdx_answer,
)

URL = "https://www.stadt-beispiel.de/integration/lotsen.html"
HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
KEY = "de,stadt-beispiel)/integration/lotsen.html"
ROW = [KEY, "20190304120000", URL, "text/html", "200", "ABCDEF", "5120"]


def encoded(rows: object) -> bytes:
    return json.dumps(rows).encode()


def test_rows_after_the_header_become_captures_in_utc() -> None:
    answer = read_cdx_answer(encoded([HEADER, ROW]))
    assert answer.problem is None
    assert answer.captures == [
        Capture(
            timestamp="20190304120000",
            captured_at=dt.datetime(2019, 3, 4, 12, 0, tzinfo=dt.UTC),
            original=URL,
            mimetype="text/html",
            status=200,
            digest="ABCDEF",
            length=5120,
        )
    ]


def test_without_a_header_row_the_default_columns_apply() -> None:
    captures = parse_cdx_json(encoded([ROW]))
    assert [(c.timestamp, c.original, c.status, c.length) for c in captures] == [
        ("20190304120000", URL, 200, 5120)
    ]


def test_the_header_names_the_columns_and_extra_or_missing_columns_are_tolerated() -> None:
    data = encoded(
        [
            ["original", "timestamp", "statuscode"],  # as with fl=original,timestamp,statuscode
            [URL, "20180101000000", "200", "surplus"],
            [URL, "20180202000000"],  # no status column in this row
        ]
    )
    captures = parse_cdx_json(data)
    assert [(c.timestamp, c.status, c.mimetype, c.length) for c in captures] == [
        ("20180101000000", 200, "", None),
        ("20180202000000", None, "", None),
    ]


def test_dashes_mean_no_value() -> None:
    revisit = [ROW[0], "20200101000000", URL, "warc/revisit", "-", "-", "-"]
    (capture,) = parse_cdx_json(encoded([HEADER, revisit]))
    assert (capture.mimetype, capture.status, capture.digest, capture.length) == (
        "warc/revisit",
        None,
        "",
        None,
    )


@pytest.mark.parametrize(
    ("timestamp", "moment"),
    [
        ("2019", dt.datetime(2019, 1, 1, tzinfo=dt.UTC)),
        ("201903", dt.datetime(2019, 3, 1, tzinfo=dt.UTC)),
        ("20190304", dt.datetime(2019, 3, 4, tzinfo=dt.UTC)),
        ("201903041230", dt.datetime(2019, 3, 4, 12, 30, tzinfo=dt.UTC)),
    ],
)
def test_short_timestamps_are_padded(timestamp: str, moment: dt.datetime) -> None:
    (capture,) = parse_cdx_json(encoded([HEADER, [ROW[0], timestamp, URL, "text/html", "200"]]))
    assert capture.timestamp == timestamp
    assert capture.captured_at == moment


def test_rows_without_a_valid_timestamp_or_url_are_dropped_and_counted() -> None:
    rows = [
        HEADER,
        [ROW[0], "20193", URL, "text/html", "200"],  # odd length
        [ROW[0], "20191304000000", URL, "text/html", "200"],  # month 13
        [ROW[0], "20190304120000", "-", "text/html", "200"],  # no URL
        "not a row",
        ROW,
    ]
    answer = read_cdx_answer(encoded(rows))
    assert [c.timestamp for c in answer.captures] == ["20190304120000"]
    assert answer.rows_dropped == 4
    assert captured_at("2019031") is None


@pytest.mark.parametrize("data", [b"[]", encoded([HEADER])])
def test_nothing_archived_is_no_captures_and_no_problem(data: bytes) -> None:
    assert read_cdx_answer(data) == read_cdx_answer(b"[]")
    assert read_cdx_answer(data).captures == []
    assert read_cdx_answer(data).problem is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<html>Service Unavailable</html>", "kein gültiges JSON"),
        (encoded([HEADER, ROW])[:-7], "kein gültiges JSON"),  # cut short
        (b'{"error": "blocked"}', "keine Liste"),
        (b"", "leere CDX-Antwort"),
        (b"\xff\xfe[\x00]", "kein gültiges JSON"),
        (b"[" * 100_000, "kein gültiges JSON"),  # nesting deep enough to hit the recursion limit
    ],
)
def test_unreadable_answers_give_no_captures_and_a_reason(data: bytes, problem: str) -> None:
    answer = read_cdx_answer(data)
    assert answer.captures == []
    assert answer.problem is not None and problem in answer.problem
    assert parse_cdx_json(data) == []


def test_a_huge_answer_is_refused_unread() -> None:
    answer = read_cdx_answer(b"[" + b" " * MAX_CDX_BYTES + b"]")
    assert answer.captures == []
    assert answer.problem is not None and "zu groß" in answer.problem


def test_beyond_the_row_cap_the_newest_rows_are_kept() -> None:
    rows = [[ROW[0], f"{2000 + year}0101000000", URL, "text/html", "200"] for year in range(20)]
    answer = read_cdx_answer(encoded([HEADER, *rows]), max_rows=5)
    assert [c.captured_at.year for c in answer.captures] == [2015, 2016, 2017, 2018, 2019]
    assert answer.rows_dropped == 15


def test_the_query_url_is_encoded_and_says_what_we_ask_for() -> None:
    tricky = "https://www.stadt-beispiel.de/suche?q=Flüchtlinge&seite=2#oben"
    query_url = cdx_query_url("https://web.archive.org/", tricky, to=dt.date(2019, 6, 1), limit=-5)
    parts = urlsplit(query_url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "web.archive.org",
        "/cdx/search/cdx",
    )
    assert "#" not in query_url and " " not in query_url
    assert parse_qs(parts.query) == {
        "url": ["https://www.stadt-beispiel.de/suche?q=Flüchtlinge&seite=2"],
        "output": ["json"],
        "to": ["20190601"],
        "filter": ["statuscode:200", r"mimetype:(text/html|application/pdf)"],
        "limit": ["-5"],
    }


def test_query_bounds_from_datetimes_are_utc_and_mimetypes_are_escaped() -> None:
    moment = dt.datetime(2019, 3, 4, 13, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    query = parse_qs(
        urlsplit(
            cdx_query_url("https://a.org", URL, from_=moment, mimetypes=("application/xhtml+xml",))
        ).query
    )
    assert query["from"] == ["20190304123000"]
    assert query["filter"] == ["statuscode:200", r"mimetype:(application/xhtml\+xml)"]
    with pytest.raises(ValueError):
        cdx_query_url("https://a.org", URL, to="2019-03-04")


def test_playback_urls_raw_and_for_editors() -> None:
    assert playback_url("https://web.archive.org/", "20190304120000", URL) == (
        f"https://web.archive.org/web/20190304120000id_/{URL}"
    )
    assert playback_url("https://web.archive.org", "20190304120000", URL, raw=False) == (
        f"https://web.archive.org/web/20190304120000/{URL}"
    )
    assert parse_playback_path(f"/web/20190304120000id_/{URL}?a=1") == (
        "20190304120000",
        f"{URL}?a=1",
    )
    assert parse_playback_path("/cdx/search/cdx?url=x") is None
