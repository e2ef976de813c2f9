"""Listing import: the KGSt plain-text list and an HTML form of it become catalogue rows."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from extractors.catalog.listing_entries import (
    entry_slug,
    guess_provider_type,
    slugify,
    split_heading,
)
from extractors.catalog.listing_html import parse_listing_html
from extractors.catalog.listing_import import import_listing
from extractors.catalog.listing_text import listing_intro, parse_listing_text
from extractors.catalog.reader import parse_catalog
from extractors.catalog.writer import CATALOG_COLUMNS, catalog_csv
from extractors.records import CatalogEntry

FIXTURES = Path(__file__).parents[1] / "fixtures"
SEED_TEXT = (FIXTURES / "kgst-fluechtlinge-gute-beispiele.txt").read_text(encoding="utf-8")
LISTING_HTML = (FIXTURES / "kgst-listing.html").read_text(encoding="utf-8")
LIST_URL = "https://www.kgst.de/aktuelles/nachricht/liste.dot"

# Every entry of the seed list, in order: provider, title, link labels in order.
EXPECTED_ENTRIES: list[tuple[str, str, list[str]]] = [
    ("Stadt Mannheim", "Bürgerbrief", ["Weitere Informationen"]),
    (
        "Stadt Köln",
        "Web-App und Twitter",
        ["Köln hilft", "Angebote für Flüchtlinge - Refugees", 'Twitter "Köln hilft"'],
    ),
    (
        "Bundesarbeitsgemeinschaft Arbeit e. V.",
        "Integration in Arbeit",
        ["Weitere Informationen"],
    ),
    (
        "Stadt Arnsberg",
        "Wörterbuch für Feuerwehr-Einsatzleiter",
        ["Einsatz-Wörterbuch der Feuerwehr Arnsberg"],
    ),
    ("BMWI", "Flüchtlingshilfe in Kommunen", ["Rundschreiben", "Weitere Informationen"]),
    (
        "Hansestadt Bremen",
        "Ausbildungsplätze für Flüchtlinge",
        ['Flyer "Zukunftschance Ausbildung"'],
    ),
    (
        "Stadt Dresden/Stadt Witten",
        "Per App durch den Asyl-Dschungel",
        ["Weitere Informationen"],
    ),
    ("Deutscher Bibliotheksverband", "Bibliotheksangebote", ["Weitere Informationen"]),
    (
        "Deutscher Städtetag",
        "Sonderförderung für Flüchtlingsunterbringung",
        ["Rundschreiben"],
    ),
    (
        "Kreis Düren",
        "Sach- und Zeitspenden werden zentral koordiniert",
        ["Weitere Informationen", 'Informationen zu "Wir helfen"'],
    ),
    (
        "Landeshauptstadt Düsseldorf",
        "Internetportal zur Organisation von Hilfen",
        ["Informationen der Stadt", "Netzwerk für ehrenamtliche Helfer"],
    ),
    (
        "Landeshauptstadt Düsseldorf",
        "Runder Tisch Asyl",
        ["Konzept zur Aufnahme, Unterbringung und Betreuung von Flüchtlingen"],
    ),
    (
        "Stadt Essen",
        'Smartphone-App "Essen kompakt"',
        [
            "Weitere Informationen, inklusive Downloadlink für Android-Geräte",
            "Ergänzung: Downloadlink auch für Apple-Geräte",
        ],
    ),
    (
        "Kreis Euskirchen",
        "Unterstützung unbegleiteter minderjähriger Flüchtlinge",
        ["Weitere Informationen"],
    ),
    ("Kreis Euskirchen", "Ehrenamt - wer macht mit?", ["Zum Online Fragebogen"]),
    ("Stadt Hamburg", "Projekt W.I.R.", ["Weitere Informationen", "Funktionalitäten W.I.R."]),
    (
        "Stadt Konstanz",
        "Kommunikation mit den Bürgern",
        ["Bürgerinformation zum Thema Flüchtlinge"],
    ),
    ("Stadt Konstanz", 'Projekt "Wohnen für Flüchtlinge"', ["Weitere Informationen"]),
    ("Stadt Leipzig", '"Willkommens-Stadtplan" in fünf Sprachen', ["Weitere Informationen"]),
    ("Stadt Monheim am Rhein", "Gesundheitskarte für Flüchtlinge", ["Weitere Informationen"]),
    ("Landeshauptstadt München", 'Rückkehrhilfe "Coming Home"', ["Weitere Informationen"]),
    (
        "Stadt Münster",
        "Freies WLAN für Flüchtlingseinrichtungen",
        ["Weitere Informationen"],
    ),
    ("Stadt Remscheid", "Task Force", ["Organigramm des Projekts"]),
    (
        "Schleswig-Holstein",
        "Förderung kommunaler Koordinierungsstellen",
        ["Richtlinie Koordinierungsstellen"],
    ),
    (
        "Stadt Sendenhorst",
        "Wohnraumbereitstellung durch Haus- und Grundstückseigentümer",
        ["Anschreiben an Haus- und Grundstückseigentümer"],
    ),
]


def grouped(rows: list[CatalogEntry]) -> list[list[CatalogEntry]]:
    return [list(group) for _, group in itertools.groupby(rows, key=lambda row: row.entry_id)]


def without_line(rows: list[CatalogEntry]) -> list[tuple[object, ...]]:
    return [
        (
            row.entry_id,
            row.provider,
            row.title,
            row.description,
            row.link_label,
            row.url,
            row.provider_type,
            row.max_age_days,
            row.notes,
            row.extra,
        )
        for row in rows
    ]


# --- plain text -------------------------------------------------------------------------


def test_seed_text_has_every_entry_and_every_link_in_order() -> None:
    rows = parse_listing_text(SEED_TEXT)
    entries = grouped(rows)
    found = [
        (group[0].provider, group[0].title, [row.link_label for row in group]) for group in entries
    ]
    assert found == EXPECTED_ENTRIES
    assert len(entries) == 25
    assert len(rows) == 32
    assert all(row.url == "" for row in rows)
    # Rows of one entry share the entry-level fields.
    for group in entries:
        assert len({(row.provider, row.title, row.description) for row in group}) == 1


def test_seed_text_descriptions() -> None:
    by_title = {group[0].title: group[0] for group in grouped(parse_listing_text(SEED_TEXT))}
    assert by_title["Bürgerbrief"].description == (
        "Oberbürgermeister Dr. Peter Kurz wendet sich in einem persönlichen Brief zur "
        "Flüchtlingssituation in Mannheim an alle Bürgerinnen und Bürger. Der Brief wurde im "
        "Rahmen des Amtsblattes der Stadt an alle Haushalte versendet."
    )
    assert by_title["Sonderförderung für Flüchtlingsunterbringung"].description == (
        "Ein Rundschreiben des Deutschen Städtetages gibt Auskunft über das Förderprogramm der KfW."
    )
    # No closing period in the source: still the description, not a link label.
    assert by_title["Kommunikation mit den Bürgern"].description.endswith(
        "um möglichst alle Konstanzer zu erreichen"
    )
    # NBSP + space in the source collapse to one space.
    sendenhorst = by_title["Wohnraumbereitstellung durch Haus- und Grundstückseigentümer"]
    assert sendenhorst.description.startswith("Den bereits Mitte der 90iger Jahre")
    assert all(group[0].description for group in grouped(parse_listing_text(SEED_TEXT)))


def test_seed_text_intro_is_not_an_entry() -> None:
    rows = parse_listing_text(SEED_TEXT)
    texts = " ".join(
        f"{row.provider} {row.title} {row.description} {row.link_label}" for row in rows
    )
    assert "regelmäßig aktualisieren" not in texts
    assert "Vielzahl von guten Projekten" not in texts
    assert rows[0].provider == "Stadt Mannheim"
    intro = listing_intro(SEED_TEXT)
    assert intro[0] == "Flüchtlinge - gute Beispiele aus der kommunalen Praxis"
    assert intro[1].startswith("Wie gehen Kommunen mit guten Ideen")
    assert intro[-1].endswith("Melden Sie uns gute Ideen!")
    assert len(intro) == 5


def test_seed_text_ids_types_and_lines() -> None:
    rows = parse_listing_text(SEED_TEXT)
    ids = [group[0].entry_id for group in grouped(rows)]
    assert len(set(ids)) == 25
    assert ids[0] == "mannheim-buergerbrief"
    assert all(len(entry_id) <= 60 and entry_id.isascii() for entry_id in ids)
    assert all(entry_id == entry_id.lower() and " " not in entry_id for entry_id in ids)
    types = {row.provider: row.provider_type for row in rows}
    assert types["Stadt Mannheim"] == "Stadt"
    assert types["Landeshauptstadt Düsseldorf"] == "Stadt"
    assert types["Hansestadt Bremen"] == "Stadt"
    assert types["Kreis Düren"] == "Kreis"
    assert types["Schleswig-Holstein"] == "Land"
    assert types["BMWI"] == "Bund"
    assert types["Bundesarbeitsgemeinschaft Arbeit e. V."] == "Verband"
    assert types["Deutscher Städtetag"] == "Verband"
    # Lines point at the link labels in the source.
    lines = SEED_TEXT.splitlines()
    assert all(lines[row.line - 1].strip() == row.link_label for row in rows)


def test_text_entries_separated_by_single_blank_lines_and_wrapped_paragraphs() -> None:
    text = (
        "Liste\n\nEinleitung: Diese Liste ist ein Beispiel mit einem Doppelpunkt im Satz.\n\n"
        "Stadt A: Projekt Eins\n"
        "Die Stadt A macht etwas Gutes,\nund zwar über zwei Zeilen umbrochen.\n"
        "\n"
        "Weitere Informationen\n"
        "Ergänzung: Flyer\n"
        "\n"
        "Stadt A: Projekt Zwei\n"
        "\u00a0\n"
        "Noch ein Projekt der Stadt A mit ausreichend Worten.\n"
        "\n"
        "Download\n"
        "\n"
        "\n"
        "Kreis B: Ohne Links\n"
        "\n"
        "Der Kreis B hat keine Links angegeben, nur diesen Text.\n"
    )
    rows = parse_listing_text(text)
    assert [(row.provider, row.title, row.link_label) for row in rows] == [
        ("Stadt A", "Projekt Eins", "Weitere Informationen"),
        ("Stadt A", "Projekt Eins", "Ergänzung: Flyer"),
        ("Stadt A", "Projekt Zwei", "Download"),
        ("Kreis B", "Ohne Links", ""),
    ]
    assert rows[0].description == (
        "Die Stadt A macht etwas Gutes, und zwar über zwei Zeilen umbrochen."
    )
    assert rows[-1].line == 19  # no links: the headline's line
    assert [row.line for row in rows[:3]] == [9, 10, 16]


def test_text_without_entries() -> None:
    assert parse_listing_text("") == []
    assert parse_listing_text("Nur ein Satz ohne Einträge.\n\nUnd noch einer.") == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Stadt Mannheim: Bürgerbrief", ("Stadt Mannheim", "Bürgerbrief")),
        ("Stadt Sendenhorst:\u00a0 Wohnraum", ("Stadt Sendenhorst", "Wohnraum")),
        ("Stadt Dresden/Stadt Witten: Per App", ("Stadt Dresden/Stadt Witten", "Per App")),
        ("Stadt Hamburg: Projekt W.I.R.", ("Stadt Hamburg", "Projekt W.I.R.")),
        (
            "Kreis Euskirchen: Ehrenamt - wer macht mit?",
            ("Kreis Euskirchen", "Ehrenamt - wer macht mit?"),
        ),
        ("Stadt X: Titel: mit Doppelpunkt", ("Stadt X", "Titel: mit Doppelpunkt")),
        ("Dabei sind wir auf Ihre Hilfe angewiesen: melden Sie sich.", None),
        ("Siehe https://example.org: Seite", None),
        ("Kein Doppelpunkt", None),
        ("Zeit:10 Uhr", None),
        ("x" * 90 + ": Titel", None),
    ],
)
def test_split_heading(line: str, expected: tuple[str, str] | None) -> None:
    assert split_heading(line) == expected


# --- slugs and provider types ------------------------------------------------------------


def test_slugs() -> None:
    assert slugify("Größe & Übermaß: Café") == "groesse-uebermass-cafe"
    assert entry_slug("Stadt Mannheim", "Bürgerbrief") == "mannheim-buergerbrief"
    assert entry_slug("Freie und Hansestadt Hamburg", "W.I.R.") == "hamburg-w-i-r"
    assert entry_slug("Deutscher Städtetag", "Sonderförderung für Flüchtlingsunterbringung") == (
        "deutscher-staedtetag-sonderfoerderung"
    )
    long_slug = slugify("Wort " * 40)
    assert len(long_slug) <= 60 and not long_slug.endswith("-")
    assert slugify("!!!") == "entry"


def test_colliding_slugs_get_suffixes() -> None:
    text = "".join(
        f"Stadt A: Projekt\n\nBeschreibung Nummer {number} mit genug Worten darin.\n\nLink\n\n"
        for number in range(3)
    )
    ids = [row.entry_id for row in parse_listing_text(text)]
    assert ids == ["a-projekt", "a-projekt-2", "a-projekt-3"]


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("Stadt Köln", "Stadt"),
        ("Landeshauptstadt München", "Stadt"),
        ("Freie und Hansestadt Hamburg", "Stadt"),
        ("Kreis Euskirchen", "Kreis"),
        ("Rhein-Kreis Neuss", "Kreis"),
        ("Landkreis Leipzig", "Kreis"),
        ("Land Schleswig-Holstein", "Land"),
        ("Freistaat Bayern", "Land"),
        ("Niedersachsen", "Land"),
        ("Bundesministerium des Innern", "Bund"),
        ("BMFSFJ", "Bund"),
        ("Deutscher Landkreistag", "Verband"),
        ("Bundesarbeitsgemeinschaft Arbeit e. V.", "Verband"),
        ("Förderverein Beispiel e.V.", "Verband"),
        ("KGSt", ""),
    ],
)
def test_guess_provider_type(provider: str, expected: str) -> None:
    assert guess_provider_type(provider) == expected


# --- HTML ---------------------------------------------------------------------------------


def test_html_fixture_entries_links_and_descriptions() -> None:
    rows = parse_listing_html(LISTING_HTML, base_url=LIST_URL)
    assert [(row.provider, row.title, row.link_label, row.url) for row in rows] == [
        (
            "Stadt Mannheim",
            "Bürgerbrief",
            "Weitere Informationen",
            "https://www.kgst.de/downloads/buergerbrief.pdf",
        ),
        (
            "Stadt Köln",
            "Web-App und Twitter",
            "Köln hilft",
            "https://www.stadt-koeln.de/koeln-hilft/",
        ),
        (
            "Stadt Köln",
            "Web-App und Twitter",
            "Angebote für Flüchtlinge - Refugees",
            "http://app.example.net/refugees?lang=de&v=2",
        ),
        (
            "Stadt Köln",
            "Web-App und Twitter",
            'Twitter "Köln hilft"',
            "https://twitter.com/koelnhilft",
        ),
        (
            "Kreis Düren",
            "Sach- und Zeitspenden werden zentral koordiniert",
            "Weitere Informationen",
            "https://www.kgst.de/fluechtlinge/info.html",
        ),
        (
            "Kreis Düren",
            "Sach- und Zeitspenden werden zentral koordiniert",
            'Informationen zu "Wir helfen"',
            "http://www.kreis-dueren.de/wirhelfen",
        ),
        (
            "Stadt Monheim am Rhein",
            "Gesundheitskarte für Flüchtlinge",
            "Stadt Monheim am Rhein: Gesundheitskarte für Flüchtlinge",
            "https://www.monheim.de/news/gesundheitskarte-2540",
        ),
        (
            "Stadt Monheim am Rhein",
            "Gesundheitskarte für Flüchtlinge",
            "Flyer zur Gesundheitskarte",
            "https://www.monheim.de/flyer.pdf",
        ),
        (
            "Stadt Sendenhorst",
            "Wohnraumbereitstellung durch Haus- und Grundstückseigentümer",
            "Anschreiben an Haus- und Grundstückseigentümer",
            "https://www.kgst.de/aktuelles/nachricht/anschreiben.pdf",
        ),
        (
            "Stadt Sendenhorst",
            "Wohnraumbereitstellung durch Haus- und Grundstückseigentümer",
            "Ergänzung: Antwortbogen",
            "https://www.sendenhorst.de/ergaenzung",
        ),
    ]
    descriptions = {row.provider: row.description for row in rows}
    assert descriptions["Stadt Köln"] == (
        "Über eine Web-App werden Angebote für Flüchtlinge bereitgestellt, und die "
        "Online-Redaktion der Stadt twittert zur Flüchtlingssituation in Köln."
    )
    # An unclosed <p> does not swallow the description into the link list.
    assert descriptions["Kreis Düren"].startswith("Um die Hilfsbereitschaft besser")
    assert descriptions["Stadt Monheim am Rhein"].startswith("Als erste Kommune")
    assert descriptions["Stadt Sendenhorst"].startswith("Den bereits Mitte")
    every_url = {row.url for row in rows}
    # Navigation, sidebar, intro, "Kontakt" section, footer, mailto/javascript/#top: left out.
    for unwanted in ("mailto:", "javascript:", "#top", "/impressum", "/themen", "/ueber-uns"):
        assert not any(unwanted in url for url in every_url)
    assert not any("Irgendwo" in row.provider for row in rows)


def test_html_relative_links_use_base_tag_or_canonical() -> None:
    body = (
        "<h3>Stadt A: Projekt</h3><p>Eine Beschreibung des Projekts der Stadt A.</p>"
        '<p><a href="doc/flyer.pdf">Flyer</a> <a href="https://other.example/x">Extern</a></p>'
    )
    with_base = f'<html><head><base href="https://a.example/dir/"></head><body>{body}</body></html>'
    assert [row.url for row in parse_listing_html(with_base)] == [
        "https://a.example/dir/doc/flyer.pdf",
        "https://other.example/x",
    ]
    canonical = (
        '<html><head><link rel="canonical" href="https://c.example/list/page.html"></head>'
        f"<body>{body}</body></html>"
    )
    assert parse_listing_html(canonical)[0].url == "https://c.example/list/doc/flyer.pdf"
    assert parse_listing_html(f"<html><body>{body}</body></html>")[0].url == "doc/flyer.pdf"


def test_html_entry_without_links_and_main_element() -> None:
    html = (
        "<nav><h3>Stadt N: Navigation</h3><p>Nicht zählen, das ist nur Navigation.</p></nav>"
        "<main><h2>Kreis B: Ohne Link</h2><p>Der Kreis B beschreibt hier sein Projekt.</p>"
        "<h2>Weiterführende Links</h2><p><a href='https://x.example/'>X</a></p></main>"
    )
    rows = parse_listing_html(html)
    assert [(row.provider, row.link_label, row.url) for row in rows] == [("Kreis B", "", "")]
    assert rows[0].description == "Der Kreis B beschreibt hier sein Projekt."


def test_html_bold_headline_with_description_in_the_same_paragraph() -> None:
    html = (
        "<article><header><h2>Stadt A: Projekt</h2></header>"
        "<p>Die Stadt A beschreibt ihr Projekt hier ausführlich.</p>"
        "<p><a href='https://a.example/'>Mehr</a></p></article>"
        "<div><p><strong>Kreis B: Sprachkurse</strong><br>Der Kreis B bietet Kurse an, "
        "<a href='https://b.example/kurse'>Übersicht</a>.</p>"
        "<p><b>Wichtig:</b> nicht fett genug für eine Überschrift.</p></div>"
    )
    rows = parse_listing_html(html)
    assert [(row.provider, row.title, row.link_label, row.url) for row in rows] == [
        ("Stadt A", "Projekt", "Mehr", "https://a.example/"),
        ("Kreis B", "Sprachkurse", "Übersicht", "https://b.example/kurse"),
    ]
    assert rows[0].description == "Die Stadt A beschreibt ihr Projekt hier ausführlich."
    assert rows[1].description.startswith("Der Kreis B bietet Kurse an, Übersicht.")
    assert "nicht fett genug" in rows[1].description


# --- CSV writing and the import entry point -----------------------------------------------


def test_catalog_csv_round_trips_through_parse_catalog() -> None:
    rows = parse_listing_text(SEED_TEXT) + parse_listing_html(LISTING_HTML, base_url=LIST_URL)
    text = catalog_csv(rows)
    assert text.splitlines()[0] == ",".join(CATALOG_COLUMNS)
    assert "\r" not in text
    parsed = parse_catalog(text.encode("utf-8"), "roundtrip.csv")
    # Both sources yield a "koeln-web-app-und-twitter" entry; its rows differ in url (empty in
    # the text form), so none of them is a duplicate (entry_id, url).
    assert parsed.problems == ()
    assert without_line(list(parsed.entries)) == without_line(rows)


def test_catalog_csv_quotes_and_extra_columns() -> None:
    rows = [
        CatalogEntry(
            line=0,
            entry_id="a",
            provider='Stadt "A", Nord',
            title="Zeile eins\nZeile zwei",
            url="https://a.example/",
            max_age_days=365,
            notes="Semikolon; Komma, Ende",
            extra=(("region", "Nord"),),
        ),
        CatalogEntry(line=0, entry_id="b", provider="B", title="T", extra=(("owner", "x"),)),
    ]
    text = catalog_csv(rows)
    assert text.splitlines()[0].endswith(",notes,region,owner")
    assert '"Stadt ""A"", Nord"' in text
    parsed = parse_catalog(text.encode("utf-8"))
    assert parsed.problems == ()
    first, second = parsed.entries
    assert first.title == "Zeile eins\nZeile zwei"
    assert first.max_age_days == 365
    assert first.extra == (("region", "Nord"), ("owner", ""))
    assert second.line == 4  # the quoted newline makes row 1 span lines 2–3
    assert second.extra == (("region", ""), ("owner", "x"))


def test_import_listing_text_and_html() -> None:
    rows, warnings = import_listing(SEED_TEXT.encode("utf-8"), "liste.txt")
    assert len(rows) == 32
    assert any("empty url" in warning for warning in warnings)

    rows, warnings = import_listing(LISTING_HTML.encode("utf-8"), "seite", base_url=LIST_URL)
    assert len(rows) == 10  # sniffed as HTML without an extension
    assert rows[0].url == "https://www.kgst.de/downloads/buergerbrief.pdf"
    assert not any("relative" in warning for warning in warnings)

    rows, warnings = import_listing(LISTING_HTML.encode("utf-8"), "seite.html")
    assert any("relative link" in warning for warning in warnings)


def test_import_listing_decodes_bom_and_cp1252() -> None:
    rows, warnings = import_listing(b"\xef\xbb\xbf" + SEED_TEXT.encode("utf-8"), "liste.txt")
    assert rows[0].provider == "Stadt Mannheim"
    assert not any("not UTF-8" in warning for warning in warnings)

    rows, warnings = import_listing(SEED_TEXT.encode("cp1252"), "liste.txt")
    assert [row.title for row in rows] == [row.title for row in parse_listing_text(SEED_TEXT)]
    assert any("cp1252" in warning for warning in warnings)


def test_import_listing_warns_when_nothing_found() -> None:
    rows, warnings = import_listing(b"Nur Einleitung.\n", "leer.txt")
    assert rows == []
    assert any("no entries found" in warning for warning in warnings)


def test_import_listing_warns_about_formula_cells() -> None:
    text = "Stadt A: =HYPERLINK(1)\n\nEine Beschreibung, die lang genug ist für Prosa.\n\nLink\n"
    _, warnings = import_listing(text.encode("utf-8"), "a.txt")
    assert any("formulas" in warning for warning in warnings)
