"""Catalogues as people edit them by hand, through a whole run (no Prefect): each quirk either
works or gets one clear message with its line number while the rest of the run goes on."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from local_run import local_run_settings
from local_web import LocalWeb, Reply

from flows.harvest_flow import RunFailed, harvest

PAGE = "<html lang='de'><title>Bürgerinfo</title><main><p>Stand: 03.11.2015</p></main></html>"


@pytest.fixture(scope="module")
def web():
    with LocalWeb() as server:
        server.route("/seite", Reply.html(PAGE))
        server.route("/fl%C3%BCchtlinge/%C3%BCbersicht", Reply.html(PAGE))
        server.route("/mit%20leerzeichen", Reply.html(PAGE))
        yield server


def run(tmp_path: Path, data: bytes):
    catalog = tmp_path / "katalog.csv"
    catalog.write_bytes(data)
    settings = local_run_settings(catalog, tmp_path / "data", "2026-11-26", timeout=5)
    summary = harvest(settings)
    links = pq.read_table(tmp_path / "data" / "curated" / "links.parquet").to_pylist()
    return summary, {(r["entry_id"], r["link_label"]): r for r in links}


def test_cp1252_file_with_semicolons_works(tmp_path: Path, web: LocalWeb):
    text = (
        "entry_id;provider;title;link_label;url\n"
        f"duesseldorf;Landeshauptstadt Düsseldorf;Runder Tisch „Asyl“;Konzept;{web.url('/seite')}\n"
    )
    summary, links = run(tmp_path, text.encode("cp1252"))
    assert links[("duesseldorf", "Konzept")]["health"] == "ok"
    entries = pq.read_table(tmp_path / "data" / "curated" / "entries.parquet").to_pylist()
    assert entries[0]["provider"] == "Landeshauptstadt Düsseldorf"
    assert entries[0]["title"] == "Runder Tisch „Asyl“"
    assert any("Windows-1252" in p for p in summary.catalog_problems)


def test_bom_empty_lines_duplicates_and_huge_rows(tmp_path: Path, web: LocalWeb):
    url = web.url("/seite")
    text = (
        "\ufeffentry_id,provider,title,link_label,url\n"
        f"a,Stadt A,Titel,Eins,{url}\n"
        "\n"
        f"a,Stadt A,Titel,Zwei,{url}\n"  # line 4: same (entry_id, url) again
        f"b,Stadt B,{'x' * 1_100_000},Drei,{url}\n"  # line 5: a 1 MB row
        f",Stadt C,ohne id,Vier,{url}\n"  # line 6
        f"c,Stadt C,Titel,Fünf,{url}\n"
    )
    summary, links = run(tmp_path, text.encode("utf-8"))
    assert set(links) == {("a", "Eins"), ("c", "Fünf")}
    problems = " | ".join(summary.catalog_problems)
    for line in ("line 4", "line 5", "line 6"):
        assert line in problems, problems


def test_unusual_but_valid_urls_are_checked(tmp_path: Path, web: LocalWeb):
    base = web.base_url.rstrip("/")
    long_path = "/seite?" + "q=" + "x" * 8000
    web.route(long_path, Reply.html(PAGE))
    text = (
        "entry_id,provider,title,link_label,url\n"
        f"umlaut,Stadt,T,Pfad,{base}/flüchtlinge/übersicht\n"
        f"space,Stadt,T,Leerzeichen,{base}/mit leerzeichen\n"
        f"long,Stadt,T,Lang,{base}{long_path}\n"
        "idn,Stadt,T,IDN,http://münchen-flüchtlinge.invalid/seite\n"
        "ipv6,Stadt,T,IPv6,http://[::1]:9/\n"
        "bad,Stadt,T,Kaputt,http://[::1/\n"
    )
    summary, links = run(tmp_path, text.encode("utf-8"))
    assert links[("umlaut", "Pfad")]["health"] == "ok"
    assert links[("space", "Leerzeichen")]["health"] == "ok"
    assert links[("long", "Lang")]["health"] == "ok"
    assert links[("idn", "IDN")]["health"] == "dns_error"  # parsed and IDNA-encoded, not invalid
    assert links[("ipv6", "IPv6")]["health"] == "connection_error"
    assert links[("bad", "Kaputt")]["health"] == "invalid_url"
    assert any("line 7" in p for p in summary.catalog_problems)


def test_renamed_required_column_stops_the_run_with_line_1(tmp_path: Path):
    text = "id,provider,title,url\na,Stadt,T,https://x.example/\n"
    with pytest.raises(RunFailed, match=r"line 1: required column 'entry_id' missing"):
        run(tmp_path, text.encode("utf-8"))
    assert not (tmp_path / "data" / "curated" / "links.parquet").exists()


def test_a_100000_row_catalogue_is_read_with_exact_line_numbers():
    from extractors.catalog.reader import parse_catalog

    rows = ["entry_id,provider,title,link_label,url"]
    rows += [
        f"e{n},Stadt {n},Titel {n},Link,https://www.stadt-{n % 500}.de/seite/{n}"
        for n in range(100_000)
    ]
    rows[50_001] = ",Stadt X,ohne id,Link,https://x.de/"  # physical line 50,002
    parsed = parse_catalog("\n".join(rows).encode("utf-8"), source="gross.csv")
    assert len(parsed.entries) == 99_999
    assert [p.line for p in parsed.problems] == [50_002]
    assert parsed.entries[-1].line == 100_001
