"""The archive double speaks the CDX and playback protocols as the Wayback Machine does
(otherwise the lookup tests would prove nothing about the real archive)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from archive_double import ArchiveDouble, ArchivedPage

URL = "https://www.stadt-beispiel.de/a.html"


@pytest.fixture
def archive() -> Iterator[ArchiveDouble]:
    with ArchiveDouble() as double:
        double.add(
            ArchivedPage.page("20170101000000", URL, "A"),
            ArchivedPage.page("20180101000000", "http://stadt-beispiel.de/a.html", "B"),
            ArchivedPage("20190101000000", URL, b"%PDF-1.4", mimetype="application/pdf"),
            ArchivedPage.page("20200101000000", URL, "C", status=404),
        )
        yield double


def cdx(archive: ArchiveDouble, **params: str | list[str]) -> list[list[str]]:
    answer = httpx.get(f"{archive.base_url}/cdx/search/cdx", params={"url": URL, **params})
    assert answer.status_code == 200
    return json.loads(answer.content)


def test_cdx_json_has_a_header_row_and_matches_across_scheme_and_www(
    archive: ArchiveDouble,
) -> None:
    rows = cdx(archive, output="json")
    header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    assert rows[0] == header
    assert [row[1] for row in rows[1:]] == [
        "20170101000000",
        "20180101000000",
        "20190101000000",
        "20200101000000",
    ]
    assert {row[0] for row in rows[1:]} == {"de,stadt-beispiel)/a.html"}


def test_cdx_bounds_filters_and_limits(archive: ArchiveDouble) -> None:
    assert [r[1] for r in cdx(archive, output="json", to="2018")[1:]] == [
        "20170101000000",
        "20180101000000",
    ]
    assert [r[1] for r in cdx(archive, output="json", **{"from": "2019"})[1:]] == [
        "20190101000000",
        "20200101000000",
    ]
    only_ok_html = cdx(
        archive, output="json", filter=["statuscode:200", "mimetype:(text/html|application/x)"]
    )
    assert [r[1] for r in only_ok_html[1:]] == ["20170101000000", "20180101000000"]
    assert [r[1] for r in cdx(archive, output="json", limit="-2")[1:]] == [
        "20190101000000",
        "20200101000000",
    ]
    assert [r[1] for r in cdx(archive, output="json", limit="1")[1:]] == ["20170101000000"]
    assert [r[1] for r in cdx(archive, output="json", filter="!mimetype:text/.*")[1:]] == [
        "20190101000000"
    ]
    assert cdx(archive, output="json", to="2016") == []


def test_playback_serves_the_exact_capture_or_redirects_to_the_nearest(
    archive: ArchiveDouble,
) -> None:
    exact = httpx.get(f"{archive.base_url}/web/20170101000000id_/{URL}")
    assert exact.status_code == 200 and b"<title>A</title>" in exact.content
    assert exact.headers["memento-datetime"] == "Sun, 01 Jan 2017 00:00:00 GMT"
    near = httpx.get(f"{archive.base_url}/web/20170301id_/{URL}")
    assert near.status_code == 302
    assert near.headers["location"] == f"{archive.base_url}/web/20170101000000id_/{URL}"
    missing = httpx.get(f"{archive.base_url}/web/2017id_/https://anderswo.de/")
    assert missing.status_code == 404


def test_throttled_answers_429_without_retry_after_and_counts_requests_while_blocked(
    archive: ArchiveDouble,
) -> None:
    archive.throttled = True
    first = httpx.get(f"{archive.base_url}/cdx/search/cdx", params={"url": URL})
    assert first.status_code == 429 and "retry-after" not in first.headers
    assert archive.requests_while_blocked == 0
    httpx.get(f"{archive.base_url}/web/2017id_/{URL}")
    assert archive.requests_while_blocked == 1
