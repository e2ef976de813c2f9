"""Reading the catalogue: the bundled KGSt catalogue, and what bad input does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from extractors.catalog.reader import (
    MAX_FIELD_CHARS,
    CatalogError,
    parse_catalog,
    valid_http_url,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures"
BUNDLED = ROOT / "data" / "catalog" / "kgst-fluechtlinge.csv"
HEADER = "entry_id,provider,title,link_label,url\n"

EXPECTED_URLS = {
    (
        "kgst-catalogue",
        "http://www.kgst.de/aktuelles/nachricht/fluechtlinge-gute-beispiele-aus-kommunen.dot",
    ),
    (
        "mannheim-buergerbrief",
        "https://www.mannheim.de/de/service-bieten/soziales/fluechtlinge-und-asylbewerber",
    ),
    (
        "dbv-bibliotheksangebote",
        "https://bibliotheksportal.de/ressourcen/management/zielgruppen/interkulturelle-bibliothek"
        "/praxisbeispiele/bibliotheksangebote-fuer-fluechtlinge-und-asylbewerber/",
    ),
    ("kreis-dueren-wir-helfen", "http://www.kreis-dueren.de/wirhelfen"),
    ("duesseldorf-internetportal", "http://www.fluechtlinge-willkommen-in-duesseldorf.de/"),
    ("euskirchen-umf", "http://kreis-euskirchen.de/service/jugend_und_familie/fluechtl.php"),
    (
        "konstanz-wohnen-fuer-fluechtlinge",
        "https://www.konstanz-fuer-fluechtlinge.de/Wohnen/-Wohnen-fuer-Fluechtlinge-/",
    ),
    (
        "monheim-gesundheitskarte",
        "https://www.monheim.de/stadtleben-aktuelles/news/nachrichten/"
        "monheim-fuehrt-als-erste-nrw-kommune-gesundheitskarte-fuer-fluechtlinge-ein-2540",
    ),
    (
        "muenchen-coming-home",
        "https://www.muenchen.de/rathaus/Stadtverwaltung/Sozialreferat/Wohnungsamt/rueckkehrhilfen"
        "/EU_projekt_Coming_Home.html",
    ),
}


def load_build_tool() -> ModuleType:
    path = ROOT / "tools" / "build_kgst_catalog.py"
    spec = importlib.util.spec_from_file_location("build_kgst_catalog", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def messages(data: bytes) -> list[tuple[int, str]]:
    return [(problem.line, problem.message) for problem in parse_catalog(data, "t.csv").problems]


# --- the bundled catalogue ---------------------------------------------------------------


def test_bundled_catalogue_parses_cleanly() -> None:
    parsed = parse_catalog(BUNDLED.read_bytes(), str(BUNDLED))
    assert parsed.problems == ()
    entries = parsed.entries
    assert len(entries) == 33  # 32 links of the list + the list page itself
    ids = {entry.entry_id for entry in entries}
    assert len(ids) == 26
    assert entries[0].entry_id == "kgst-catalogue"
    assert entries[0].provider == "KGSt" and entries[0].provider_type == "Verband"
    assert entries[0].description.startswith("Wie gehen Kommunen mit guten Ideen")
    assert [entry.line for entry in entries] == list(range(2, 35))
    assert all(entry.provider and entry.title and entry.description for entry in entries)
    assert all(entry.link_label for entry in entries)


def test_bundled_catalogue_urls_only_where_research_is_exact_or_likely() -> None:
    entries = parse_catalog(BUNDLED.read_bytes()).entries
    filled = {(entry.entry_id, entry.url) for entry in entries if entry.url}
    assert filled == EXPECTED_URLS
    for entry in entries:
        assert entry.notes.startswith("Recherche: ")
        confidence = entry.notes.removeprefix("Recherche: ").split(";", 1)[0]
        if entry.url:
            assert confidence in {"exact", "likely"}
            assert valid_http_url(entry.url)
        else:
            assert confidence == "domain only"
    koeln = [entry for entry in entries if entry.entry_id == "koeln-webapp-twitter"]
    assert [entry.link_label for entry in koeln] == [
        "Köln hilft",
        "Angebote für Flüchtlinge - Refugees",
        'Twitter "Köln hilft"',
    ]
    assert "Domain: https://www.stadt-koeln.de/" in koeln[0].notes


def test_bundled_catalogue_takes_providers_from_research() -> None:
    entries = {entry.entry_id: entry for entry in parse_catalog(BUNDLED.read_bytes()).entries}
    assert entries["hamburg-wir"].provider == "Freie und Hansestadt Hamburg (BASFI)"
    assert entries["hamburg-wir"].provider_type == "Stadtstaat"
    assert entries["hamburg-wir"].title == "Projekt W.I.R."
    assert entries["bmwi-vergaberecht-fluechtlinge"].provider == "BMWi"
    assert entries["sendenhorst-wohnraum"].title == (
        "Wohnraumbereitstellung durch Haus- und Grundstückseigentümer"
    )


def test_build_tool_reproduces_the_bundled_catalogue(tmp_path: Path) -> None:
    tool = load_build_tool()
    out = tmp_path / "catalog.csv"
    status = tool.main(
        [
            "--listing",
            str(FIXTURES / "kgst-fluechtlinge-gute-beispiele.txt"),
            "--targets",
            str(FIXTURES / "kgst-link-targets.csv"),
            "-o",
            str(out),
        ]
    )
    assert status == 0
    assert out.read_bytes() == BUNDLED.read_bytes()


def test_build_tool_refuses_targets_that_do_not_match(tmp_path: Path) -> None:
    tool = load_build_tool()
    targets = (FIXTURES / "kgst-link-targets.csv").read_text(encoding="utf-8")
    broken = tmp_path / "targets.csv"
    broken.write_text(targets.replace('Twitter ""Köln hilft""', "Twitter"), encoding="utf-8")
    with pytest.raises(tool.BuildError, match="Twitter"):
        tool.build_catalog(
            (FIXTURES / "kgst-fluechtlinge-gute-beispiele.txt").read_text(encoding="utf-8"),
            broken.read_text(encoding="utf-8"),
        )


# --- bad input ---------------------------------------------------------------------------


def test_missing_entry_id_is_reported_with_line_and_skipped() -> None:
    data = (HEADER + "a,P,T,L,https://a.example/\n,P,T,L,https://b.example/\nc,P,T,L,\n").encode()
    parsed = parse_catalog(data, "t.csv")
    assert [entry.entry_id for entry in parsed.entries] == ["a", "c"]
    assert [entry.line for entry in parsed.entries] == [2, 4]
    assert messages(data) == [(3, "line 3: entry_id missing — row skipped")]


def test_missing_provider_or_title_skips_but_repeated_rows_inherit() -> None:
    data = (
        b"entry_id,provider,title,description,provider_type,max_age_days,link_label,url\n"
        b"a,Stadt A,Titel A,Text A,Stadt,365,Eins,https://a.example/1\n"
        b"a,,,,,,Zwei,https://a.example/2\n"
        b"b,,Titel B,,,,Eins,https://b.example/\n"
        b"c,Stadt C,,,,,Eins,https://c.example/\n"
    )
    parsed = parse_catalog(data)
    first, second = parsed.entries
    assert first.link_label == "Eins"
    assert (second.provider, second.title, second.description) == ("Stadt A", "Titel A", "Text A")
    assert (second.provider_type, second.max_age_days, second.link_label) == ("Stadt", 365, "Zwei")
    assert messages(data) == [
        (4, "line 4: provider missing — row skipped"),
        (5, "line 5: title missing — row skipped"),
    ]


def test_malformed_url_is_kept_with_a_problem() -> None:
    data = (
        HEADER
        + "a,P,T,L,javascript:alert(1)\n"
        + "b,P,T,L,  https://b.example/x  \n"
        + "c,P,T,L,http://exa mple.org/\n"
        + "d,P,T,L,\n"
    ).encode()
    parsed = parse_catalog(data, "t.csv")
    assert [(entry.entry_id, entry.url) for entry in parsed.entries] == [
        ("a", "javascript:alert(1)"),
        ("b", "https://b.example/x"),
        ("c", "http://exa mple.org/"),
        ("d", ""),
    ]
    problems = messages(data)
    assert [line for line, _ in problems] == [2, 4]
    assert "javascript:alert(1)" in problems[0][1] and "kept" in problems[0][1]


def test_duplicate_entry_and_url_skips_the_later_row() -> None:
    data = (
        HEADER
        + "a,P,T,Eins,https://a.example/\n"
        + "a,P,T,Zwei,https://a.example/\n"
        + "a,P,T,Drei,\n"
        + "a,P,T,Vier,\n"
        + "b,P,T,Eins,https://a.example/\n"
    ).encode()
    parsed = parse_catalog(data)
    assert [(entry.entry_id, entry.link_label) for entry in parsed.entries] == [
        ("a", "Eins"),
        ("a", "Drei"),
        ("a", "Vier"),
        ("b", "Eins"),
    ]
    assert messages(data) == [
        (3, "line 3: duplicate of line 2 (same entry_id and url) — row skipped")
    ]


def test_entry_id_with_whitespace_is_rejected() -> None:
    data = (HEADER + "a b,P,T,L,\n  c  ,P,T,L,\n").encode()
    parsed = parse_catalog(data)
    assert [entry.entry_id for entry in parsed.entries] == ["c"]
    assert messages(data) == [(2, "line 2: entry_id 'a b' contains whitespace — row skipped")]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("provider,title,url\n", "required column 'entry_id' missing"),
        ("entry_id,title\n", "required column 'provider' missing"),
        ("Entry_ID,url\n", "required columns 'provider', 'title' missing"),
    ],
)
def test_missing_required_column_raises(header: str, missing: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog((header + "x,y\n").encode(), "data/x.csv")
    assert str(caught.value) == f"data/x.csv, line 1: {missing}"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "HTML"),
        (b"%PDF-1.7\n", "PDF"),
        (b"entry_id,provider,title\x00\x01\x02", "binary"),
        (b"entry_id,provider,title,url,url\n", "column 'url' appears twice"),
        (b"entry_id,provider,title\n\x81\x8d\x8f\n", "line 2: neither UTF-8 nor Windows-1252"),
    ],
)
def test_unusable_catalogues_raise(data: bytes, fragment: str) -> None:
    with pytest.raises(CatalogError, match=r"^data/x\.csv, line") as caught:
        parse_catalog(data, "data/x.csv")
    assert fragment in str(caught.value)


def test_header_names_are_case_insensitive_and_trimmed_and_bom_is_removed() -> None:
    data = "\ufeff Entry_ID ; PROVIDER ;Title; URL \na;Stadt Ä;T;https://a.example/\n"
    parsed = parse_catalog(data.encode("utf-8"))
    assert parsed.problems == ()
    (entry,) = parsed.entries
    assert (entry.entry_id, entry.provider, entry.url, entry.line) == (
        "a",
        "Stadt Ä",
        "https://a.example/",
        2,
    )


def test_cp1252_file_is_read_with_one_problem() -> None:
    data = "entry_id;provider;title\na;Stadt Düsseldorf;Bürgerbrief\nb;Köln;Grüße\n"
    parsed = parse_catalog(data.encode("cp1252"), "t.csv")
    assert [entry.provider for entry in parsed.entries] == ["Stadt Düsseldorf", "Köln"]
    assert len(parsed.problems) == 1
    assert parsed.problems[0].line == 0
    assert "Windows-1252" in parsed.problems[0].message
    assert "line 2" in parsed.problems[0].message


def test_utf8_bom_followed_by_cp1252_bytes() -> None:
    data = b"\xef\xbb\xbf" + "entry_id,provider,title\na,Stadt Köln,T\n".encode("cp1252")
    parsed = parse_catalog(data)
    assert parsed.entries[0].provider == "Stadt Köln"
    assert [problem.line for problem in parsed.problems] == [0]


def test_utf16_with_bom_is_read() -> None:
    data = "entry_id\tprovider\ttitle\na\tStadt Köln\tT\n".encode("utf-16")
    parsed = parse_catalog(data)
    assert parsed.problems == ()
    assert parsed.entries[0].provider == "Stadt Köln"


def test_semicolon_separator_with_commas_in_values() -> None:
    data = b'entry_id;provider;title;description\na;Stadt A, Nord;T;"x; y, z"\n'
    (entry,) = parse_catalog(data).entries
    assert (entry.provider, entry.description) == ("Stadt A, Nord", "x; y, z")


def test_multi_line_quoted_fields_and_empty_lines_keep_physical_line_numbers() -> None:
    data = (
        b"entry_id,provider,title,description,url\n"  # 1
        b"\n"  # 2
        b'a,P,T,"Zeile 1\n'  # 3
        b"Zeile 2\r\n"  # 4
        b'Zeile 3",https://a.example/\n'  # 5
        b"   \n"  # 6
        b",,,,\n"  # 7
        b",P,T,,\n"  # 8
        b"b,P,T,,https://b.example/\n"  # 9
    )
    parsed = parse_catalog(data)
    assert [(entry.entry_id, entry.line) for entry in parsed.entries] == [("a", 3), ("b", 9)]
    assert parsed.entries[0].description == "Zeile 1\nZeile 2\r\nZeile 3"
    assert messages(data) == [(8, "line 8: entry_id missing — row skipped")]


def test_unknown_extra_columns_are_passed_through_in_header_order() -> None:
    data = (
        "region,entry_id,provider,title,Ansprechpartner,,url\n"
        "Nord,a,P,T, Frau X ,,https://a.example/\n"
        "Süd,b,P,T\n"
    ).encode()
    first, second = parse_catalog(data).entries
    assert first.extra == (("region", "Nord"), ("Ansprechpartner", " Frau X "))
    assert second.extra == (("region", "Süd"), ("Ansprechpartner", ""))


def test_invalid_max_age_days_is_ignored_with_a_problem() -> None:
    data = (
        b"entry_id,provider,title,max_age_days,url\n"
        b"a,P,T,365,\n"
        b"b,P,T,0,\n"
        b"c,P,T,zwei Jahre,\n"
        b"d,P,T,-5,\n"
        b"e,P,T,,\n"
    )
    parsed = parse_catalog(data)
    assert [entry.max_age_days for entry in parsed.entries] == [365, None, None, None, None]
    assert [line for line, _ in messages(data)] == [3, 4, 5]
    assert "max_age_days 'zwei Jahre'" in messages(data)[1][1]


def test_bad_csv_rows_are_reported_and_the_rest_is_read() -> None:
    data = (
        HEADER
        + 'a,P,"T" x,L,\n'  # stray text after a closing quote
        + "b,P,T,L,https://b.example/,unexpected\n"  # one field too many
        + "c,P,T,L,https://c.example/,,\n"  # trailing empty fields are fine
        + "d,P,"
        + "x" * (MAX_FIELD_CHARS + 1)
        + ",L,\n"
        + "e,P,"
        + "y" * 140_000
        + ",L,\n"  # beyond the csv module's own limit
        + "f,P,T,L,\n"
    ).encode()
    parsed = parse_catalog(data)
    assert [entry.entry_id for entry in parsed.entries] == ["c", "f"]
    problems = messages(data)
    assert [line for line, _ in problems] == [2, 3, 5, 6]
    assert all(message.endswith("row skipped") for _, message in problems)
    assert "longer than" in problems[2][1] and "longer than" in problems[3][1]


def test_unclosed_quote_is_reported() -> None:
    data = (HEADER + "a,P,T,L,\n" + 'b,P,"T,L,\nc,P,T,L,\n').encode()
    parsed = parse_catalog(data)
    assert [entry.entry_id for entry in parsed.entries] == ["a"]
    assert messages(data) == [
        (3, "line 3: quoted field not closed before the end of the file — row skipped")
    ]


# --- URL validity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.org/",
        "http://example.org",
        "HTTPS://EXAMPLE.ORG/Pfad?x=1#frag",
        "https://www.münchen.de/rathaus",
        "http://127.0.0.1:8080/x",
        "http://[::1]:8080/",
        "https://user:pw@example.org/",
        "http://kreis-euskirchen.de/service/jugend_und_familie/fluechtl.php",
        "http://my_host.example.org/",
        "https://example.org/datei mit leerzeichen.pdf",
    ],
)
def test_valid_http_urls(url: str) -> None:
    assert valid_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        " https://example.org/",
        "javascript:alert(1)",
        "mailto:a@example.org",
        "ftp://example.org/",
        "www.example.org",
        "http://",
        "http:/example.org",
        "https:///pfad",
        "http://exa mple.org/",
        "http://example.org:99999/",
        "http://example.org:port/",
        "http://-bad-.example/",
        "http://a..b/",
        "http://[::zz]/",
        "http://example.org/\nx",
        "http://<script>/",
    ],
)
def test_invalid_http_urls(url: str) -> None:
    assert not valid_http_url(url)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["unix", "windows", "old-mac"])
def test_every_line_ending_reads_like_a_text_stream(ending: str) -> None:
    # Form feeds and Unicode line separators are text in a field, never line ends.
    rows = [
        "entry_id,provider,title,description,url",
        'a,P,T,"eins\x0czwei\u2028drei",https://a.example/',
        'b,P,T,"über' + ending + 'zwei Zeilen",https://b.example/',
        "c,P,T,,https://c.example/",
    ]
    parsed = parse_catalog(ending.join(rows).encode())  # no ending after the last line
    assert [(entry.entry_id, entry.line) for entry in parsed.entries] == [
        ("a", 2),
        ("b", 3),
        ("c", 5),
    ]
    assert parsed.entries[0].description == "eins\x0czwei\u2028drei"
    assert parsed.entries[1].description == "über" + ending + "zwei Zeilen"
    assert parsed.problems == ()
