"""Raw captures as WARC: request + response records, revisits for unchanged payloads, retention
that never breaks a revisit's reference, and reading a night back for the editors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from extractors.records import FetchResult
from flows.cli import main
from flows.dataset.raw_capture import (
    CaptureError,
    CaptureWriter,
    capture_dir,
    previous_index,
    prune_captures,
    read_capture,
    read_index,
)

URL = "https://www.monheim.de/gesundheitskarte"


def answer(body: bytes, night: dt.date, *, url: str = URL, truncated: bool = False) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=url,
        status=200,
        headers=(("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")),
        body=body,
        truncated=truncated,
        checked_at=dt.datetime.combine(night, dt.time(1, 30), dt.UTC),
    )


def capture_night(raw: Path, night: dt.date, *results: FetchResult, retention: int = 30) -> None:
    urls = [r.url for r in results]
    writer = CaptureWriter(
        raw,
        night,
        urls,
        user_agent="Linkpflege/test (+https://example.org)",
        retention_nights=retention,
        previous=previous_index(raw, night),
    )
    with writer as capture:
        for result in results:
            capture.add(result)


def records(raw: Path, night: dt.date) -> list[tuple[str, str]]:
    found = []
    for path in capture_dir(raw, night).glob("*.warc.gz"):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                found.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI")))
    return found


NIGHT1 = dt.date(2026, 11, 24)
NIGHT2 = dt.date(2026, 11, 25)
NIGHT3 = dt.date(2026, 11, 26)


def test_request_and_response_records_readable_by_warcio(tmp_path: Path):
    capture_night(tmp_path, NIGHT1, answer(b"<p>Stand: 03.11.2015</p>", NIGHT1))
    assert records(tmp_path, NIGHT1) == [("warcinfo", None), ("request", URL), ("response", URL)]
    capture = read_capture(tmp_path, URL)
    assert capture.body == b"<p>Stand: 03.11.2015</p>"
    assert capture.status == "200"
    assert capture.night == NIGHT1
    assert ("Content-Encoding", "gzip") not in capture.headers  # the body is stored decoded
    assert capture.revisit_of is None
    assert not list(capture_dir(tmp_path, NIGHT1).glob(".*"))  # no temporary files left


def test_unchanged_payload_is_a_revisit_and_reads_back_in_full(tmp_path: Path):
    capture_night(tmp_path, NIGHT1, answer(b"same", NIGHT1))
    capture_night(tmp_path, NIGHT2, answer(b"same", NIGHT2))
    capture_night(tmp_path, NIGHT3, answer(b"changed", NIGHT3))
    assert ("revisit", URL) in records(tmp_path, NIGHT2)
    assert ("response", URL) in records(tmp_path, NIGHT3)
    second = read_capture(tmp_path, URL, NIGHT2)
    assert second.body == b"same"
    assert second.revisit_of == NIGHT1.isoformat()
    assert read_capture(tmp_path, URL).body == b"changed"
    # A night without its own capture shows the newest one before it.
    assert read_capture(tmp_path, URL, dt.date(2026, 12, 1)).night == NIGHT3


def test_pruning_never_breaks_a_revisit_reference(tmp_path: Path):
    retention = 2
    for night in (NIGHT1, NIGHT2, NIGHT3):
        capture_night(tmp_path, night, answer(b"same", night), retention=retention)
        prune_captures(tmp_path, night, retention)
    # Night 1 is outside the window but night 2's revisit still refers to it: kept.
    # Night 3 could not refer to night 1 (outside its window), so it stored the payload again.
    assert read_index(capture_dir(tmp_path, NIGHT3))[URL].kind == "response"
    assert capture_dir(tmp_path, NIGHT1).exists()
    assert read_capture(tmp_path, URL, NIGHT3).body == b"same"
    assert read_capture(tmp_path, URL, NIGHT2).body == b"same"
    # Night 4 refers to night 3; nights 1 and 2 are no longer needed and go.
    night4 = NIGHT3 + dt.timedelta(days=1)
    capture_night(tmp_path, night4, answer(b"same", night4), retention=retention)
    assert prune_captures(tmp_path, night4, retention) == [NIGHT1, NIGHT2]
    assert read_capture(tmp_path, URL, night4).body == b"same"
    assert read_capture(tmp_path, URL, night4).revisit_of == NIGHT3.isoformat()


def test_truncated_bodies_are_marked_and_failures_leave_no_record(tmp_path: Path):
    failed = FetchResult(url="https://weg.example/", error=None, status=None)
    capture_night(tmp_path, NIGHT1, answer(b"x" * 10, NIGHT1, truncated=True), failed)
    assert read_capture(tmp_path, URL).truncated is True
    with pytest.raises(CaptureError, match=r"no capture of https://weg\.example/"):
        read_capture(tmp_path, "https://weg.example/")


def test_capture_command_saves_the_body_and_sanitises_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    raw = tmp_path / "raw"
    capture_night(raw, NIGHT1, answer(b"<title>\x1b]0;pwned\x07Karte</title>", NIGHT1))
    out = tmp_path / "seite.html"
    status = main(
        ["capture", URL, "--data-dir", str(tmp_path), "--date", "2026-11-24", "-o", str(out)]
    )
    assert status == 0
    assert out.read_bytes() == b"<title>\x1b]0;pwned\x07Karte</title>"
    assert "night:    2026-11-24" in capsys.readouterr().err
    assert main(["capture", "https://nie.example/", "--data-dir", str(tmp_path)]) == 2
    assert "no capture of https://nie.example/" in capsys.readouterr().err


def test_terminal_text_cannot_carry_escape_sequences():
    from flows.terminal_text import one_line, terminal_safe

    assert terminal_safe("a\x1b[2Jb\x9b31m\u202ec\n") == "a\ufffd[2Jb\ufffd31m\ufffdc\n"
    assert one_line("Titel\nmit\tUmbruch") == "Titel mit Umbruch"


def test_credentials_never_reach_the_capture_files(tmp_path: Path):
    secret_url = "https://editor:geheim@intranet.example/seite"
    capture_night(tmp_path, NIGHT1, answer(b"<p>intern</p>", NIGHT1, url=secret_url))
    import gzip

    folder = capture_dir(tmp_path, NIGHT1)
    (index,) = folder.glob("*.index.json")
    assert b"geheim" not in index.read_bytes()
    (warc,) = folder.glob("*.warc.gz")
    assert b"geheim" not in gzip.decompress(warc.read_bytes())
    assert read_capture(tmp_path, secret_url).body == b"<p>intern</p>"


def test_urls_that_differ_only_in_credentials_have_one_index_entry(tmp_path: Path):
    first, second = "https://a:eins@intranet.example/x", "https://b:zwei@intranet.example/x"
    capture_night(
        tmp_path,
        NIGHT1,
        answer(b"<p>eins</p>", NIGHT1, url=first),
        answer(b"<p>zwei</p>", NIGHT1, url=second),
    )
    index = read_index(capture_dir(tmp_path, NIGHT1))
    assert list(index) == ["https://***@intranet.example/x"]  # the first one counts
    assert read_capture(tmp_path, first).body == b"<p>eins</p>"


def test_the_index_is_written_an_entry_a_line_and_reads_as_one_json_object(tmp_path: Path):
    import io
    import json

    from flows.dataset.raw_capture import IndexEntry, IndexFile, _entry_fields, _index_records

    def entry(uri: str) -> IndexEntry:
        return IndexEntry("sha1:ABC", "response", "shard-1.warc.gz", uri, "2026-11-24",
                          "shard-1.warc.gz", uri, "2026-11-24T02:00:00Z")  # fmt: skip

    urls = ['https://a.example/"quoted"', "https://b.example/Straße\n", "https://c.example/"]
    for index in ({}, {urls[0]: entry(urls[0])}, {url: entry(url) for url in urls}):
        stream = io.StringIO()
        written = IndexFile(stream)
        for url, one in index.items():
            written.add(url, one)
        written.close()
        text = stream.getvalue()
        assert json.loads(text) == {url: _entry_fields(e) for url, e in index.items()}
        # An entry a line between the braces (a newline in a URL is escaped).
        assert len(text.splitlines()) == (len(index) + 2 if index else 1)
        # Read back a line at a time, and an index written whole (older nights) in one go.
        whole = json.loads(text)
        for name, body in (
            ("lines", text),
            ("whole", json.dumps(whole)),
            ("indented", json.dumps(whole, indent=1)),
        ):
            path = tmp_path / f"shard-{name}.index.json"
            path.write_text(body, encoding="utf-8")
            assert dict(_index_records(path)) == json.loads(text)
