"""Dates that decide staleness: as-of statements in the page's frame, metadata dates graded
lower, what the page shows deciding, and the calendar day at the page's own offset.

Real-shaped pages (tests/fixtures/pages/README.md) and small pages built here; the run date
is fixed (2026-11-26), never the clock.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extractors.dates.claims import (
    SOURCE_FOOTER_TEXT,
    SOURCE_JSON_LD,
    SOURCE_META,
    SOURCE_VISIBLE_TEXT,
    PageDates,
    date_evidence,
)
from extractors.dates.page_dates import find_dates
from extractors.facts.page_facts import extract_facts
from extractors.records import DateEvidence
from extractors.text.decoding import decode_html

RUN_DATE = dt.date(2026, 11, 26)
PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
URL = "https://www.beispielland.de/soziales/integration/seite.html"
LOREM = (
    "<p>Der Kreis unterstützt Geflüchtete bei der Suche nach Wohnung, Arbeit und Sprachkursen. "
    "Beratung gibt es montags bis freitags im Kreishaus und nach Vereinbarung auch vor Ort in "
    "den Städten und Gemeinden.</p>"
)


def dates_of(body: str, *, head: str = "", url: str = URL, last_modified: str | None = None):
    html = f"<html lang='de'><head><title>Seite</title>{head}</head><body>{body}</body></html>"
    return find_dates(html, url=url, last_modified=last_modified, run_date=RUN_DATE)


def fixture(name: str) -> PageDates:
    html = decode_html((PAGES / name).read_bytes(), "text/html")
    return find_dates(html, url=URL, last_modified=None, run_date=RUN_DATE)


# ---------------------------------------------------------------------------------------------
# As-of statements in the page's frame


def test_footer_stand_of_a_gsb_page_is_the_modified_date_and_every_trap_is_skipped() -> None:
    dates = fixture("bund-gsb-footer-stand.html")
    # Not the cookie banner (01.03.2024), the consent dialog (15.05.2025), the header's
    # "Heute", the sidebar download (12.05.2024), the teaser list (20./18.11.2026) or the
    # law citation in the main text (01.03.2020).
    assert dates.modified is not None
    assert dates.modified.value == dt.date(2015, 11, 3)
    assert dates.modified.source == SOURCE_FOOTER_TEXT
    assert date_evidence(dates.modified) is DateEvidence.VISIBLE
    assert dates.published is None and dates.metadata_date is None


@pytest.mark.parametrize(
    "line",
    [
        "Stand: 03.11.2015",
        "Letzte Änderung: 03.11.2015",
        "Zuletzt aktualisiert am 03.11.2015",
        "Seite zuletzt geändert: 03.11.2015",
        "Aktualisiert: 3. November 2015",
        "Diese Seite wurde zuletzt am 3. November 2015 geändert.",
    ],
)
def test_as_of_phrasings_in_the_page_footer(line: str) -> None:
    body = f"<div id='inhalt'><h1>Wohnraum</h1>{LOREM}</div><div class='footer'>{line}</div>"
    dates = dates_of(body)
    assert dates.modified is not None and dates.modified.value == dt.date(2015, 11, 3)
    assert dates.modified.source == SOURCE_FOOTER_TEXT


def test_the_last_updated_line_a_cms_puts_under_the_content_counts() -> None:
    body = (
        f"<main><h1>Wohnraum</h1>{LOREM}</main>"
        "<div class='pageInfo'>Seite zuletzt geändert: 14.02.2019</div>"
    )
    dates = dates_of(body)
    assert dates.modified is not None and dates.modified.value == dt.date(2019, 2, 14)


def test_an_as_of_date_in_the_content_beats_one_in_the_footer() -> None:
    body = (
        f"<main><h1>Wohnraum</h1>{LOREM}<p>Stand: 10.01.2017</p></main>"
        "<footer>Stand: 03.11.2015</footer>"
    )
    dates = dates_of(body)
    assert dates.modified is not None and dates.modified.value == dt.date(2017, 1, 10)
    assert dates.modified.source == SOURCE_VISIBLE_TEXT


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        ("<div class='cookie-hinweis'>Stand der Datenschutzerklärung: 01.03.2024</div>", "cookie"),
        ("<div role='dialog'>Einwilligung zuletzt aktualisiert am 01.03.2024</div>", "consent"),
        ("<aside><p>Merkblatt, Stand: 01.03.2024</p></aside>", "sidebar"),
        ("<div class='sidebar'><p>Merkblatt, Stand: 01.03.2024</p></div>", "sidebar by name"),
        (
            "<div class='teaser'><h3>Neue Kurse</h3><p>Stand: 01.03.2024</p></div>",
            "teaser of another page",
        ),
        ("<div class='termine'><p>Anmeldung bis 01.03.2024</p></div>", "event"),
        ("<header>Heute ist der 26.11.2026 · Stand: 20.11.2026</header>", "page header"),
        ("<footer>AsylbLG (Stand: 01.03.2020)</footer>", "law citation"),
        ("<footer>© 2026 Kreis Beispielland, Stand 2026</footer>", "copyright"),
    ],
)
def test_dates_outside_the_pages_own_frame_are_never_as_of_dates(frame: str, why: str) -> None:
    dates = dates_of(f"{frame}<div id='inhalt'><h1>Wohnraum</h1>{LOREM}</div>")
    assert dates == PageDates(), why


@pytest.mark.parametrize(
    "sentence",
    [
        "Grundlage ist das Asylbewerberleistungsgesetz (AsylbLG), Stand: 01.03.2020.",
        "Aufenthaltsgesetz, zuletzt geändert durch Artikel 3 des Gesetzes vom 03.11.2015.",
        "Die Satzung in der Fassung vom 03.11.2015, Stand: 01.01.2016.",
    ],
)
def test_law_citations_in_the_main_text_are_not_the_pages_date(sentence: str) -> None:
    dates = dates_of(f"<main><h1>Leistungen</h1>{LOREM}<p>{sentence}</p></main>")
    assert dates.modified is None


# ---------------------------------------------------------------------------------------------
# Metadata as graded evidence


def test_metadata_only_page_gets_its_content_date_from_the_cms_record() -> None:
    dates = fixture("kreis-typo3-metadata-only.html")
    assert dates.published is None  # nothing a reader sees says it was published then
    assert dates.modified is not None and dates.modified.value == dt.date(2016, 2, 15)
    assert dates.modified.source == SOURCE_META
    assert date_evidence(dates.modified) is DateEvidence.METADATA


@pytest.mark.parametrize(
    ("head", "source"),
    [
        ('<meta name="date" content="2016-02-15">', SOURCE_META),  # Government Site Builder
        ('<meta name="DC.date" content="2016-02-15">', SOURCE_META),  # Imperia
        ('<meta property="article:published_time" content="2016-02-15T10:00:00+01:00">', "meta"),
        ('<meta itemprop="datePublished" content="2016-02-15">', SOURCE_META),
        (
            '<script type="application/ld+json">{"@type": "WebPage", '
            '"datePublished": "2016-02-15"}</script>',
            SOURCE_JSON_LD,
        ),
    ],
)
def test_a_publication_stamp_only_in_metadata_is_a_metadata_content_date(
    head: str, source: str
) -> None:
    dates = dates_of(f"<main><h1>Wohnraum</h1>{LOREM}</main>", head=head)
    assert dates.published is None and dates.modified is None
    assert dates.metadata_date is not None
    assert dates.metadata_date.value == dt.date(2016, 2, 15)
    assert dates.metadata_date.source == source
    assert date_evidence(dates.metadata_date) is DateEvidence.METADATA


def test_metadata_younger_than_the_shown_date_is_not_used() -> None:
    head = '<meta name="dcterms.modified" content="2024-05-02">'
    body = f"<main><h1>Wohnraum</h1><p>Stand: 03.11.2015</p>{LOREM}</main>"
    dates = dates_of(body, head=head)
    assert dates.modified is not None and dates.modified.value == dt.date(2015, 11, 3)
    assert date_evidence(dates.modified) is DateEvidence.VISIBLE


def test_metadata_of_the_crawl_day_on_a_page_with_an_older_shown_date_is_not_used() -> None:
    head = '<meta property="og:updated_time" content="2026-11-26T03:00:00+01:00">'
    body = f"<main><h1>Wohnraum</h1>{LOREM}</main><footer>Stand: 03.11.2015</footer>"
    dates = dates_of(body, head=head)
    assert dates.modified is not None and dates.modified.value == dt.date(2015, 11, 3)


@pytest.mark.parametrize(
    "value",
    ["2026-11-26T03:00:00+01:00", "2031-01-01"],  # render time on the crawl day; the future
)
def test_metadata_of_the_crawl_day_or_the_future_is_never_a_content_date(value: str) -> None:
    head = f'<meta name="dcterms.modified" content="{value}">'
    assert dates_of(f"<main><h1>Wohnraum</h1>{LOREM}</main>", head=head) == PageDates()


def test_a_shown_url_date_also_outranks_the_cms_record() -> None:
    head = '<meta name="dcterms.modified" content="2024-05-02">'
    url = "https://www.beispielland.de/aktuelles/2015/11/03/wohnraum.html"
    dates = dates_of(f"<main><h1>Wohnraum</h1>{LOREM}</main>", head=head, url=url)
    assert dates.published is not None and dates.published.value == dt.date(2015, 11, 3)
    assert dates.modified is None
    assert date_evidence(dates.published) is DateEvidence.URL


def test_last_modified_header_only_without_any_other_date() -> None:
    dates = dates_of(
        f"<main><h1>Wohnraum</h1>{LOREM}</main>",
        last_modified="Tue, 03 Nov 2015 10:00:00 GMT",
    )
    assert dates.modified is not None and dates.modified.value == dt.date(2015, 11, 3)
    assert date_evidence(dates.modified) is DateEvidence.HTTP_HEADER
    shown = dates_of(
        f"<main><h1>Wohnraum</h1><p>Stand: 10.01.2017</p>{LOREM}</main>",
        last_modified="Tue, 03 Nov 2025 10:00:00 GMT",
    )
    assert shown.modified is not None and shown.modified.value == dt.date(2017, 1, 10)


# ---------------------------------------------------------------------------------------------
# Time zones


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2015-12-31T23:30:00-05:00", dt.date(2015, 12, 31)),  # 2016-01-01 in UTC
        ("2016-01-01T00:30:00+01:00", dt.date(2016, 1, 1)),  # 2015-12-31 in UTC
        ("2015-12-31T23:30:00Z", dt.date(2015, 12, 31)),
    ],
)
def test_a_date_time_with_an_offset_is_the_day_at_its_own_offset(value: str, day: dt.date) -> None:
    head = f'<meta property="article:published_time" content="{value}">'
    dates = dates_of(f"<main><h1>Silvester im Rathaus</h1>{LOREM}</main>", head=head)
    assert dates.metadata_date is not None and dates.metadata_date.value == day


# ---------------------------------------------------------------------------------------------
# Through the facts: what the dataset row gets


def test_page_facts_carry_the_content_date_and_its_grade() -> None:
    body = (PAGES / "kreis-typo3-metadata-only.html").read_bytes()
    facts = extract_facts(
        body, url=URL, content_type="text/html", last_modified=None, run_date=RUN_DATE
    )
    assert facts.content_date is not None and facts.content_date.value == dt.date(2016, 2, 15)
    assert facts.content_date.evidence == DateEvidence.METADATA
    body = (PAGES / "bund-gsb-footer-stand.html").read_bytes()
    facts = extract_facts(
        body, url=URL, content_type="text/html", last_modified=None, run_date=RUN_DATE
    )
    assert facts.content_date is not None and facts.content_date.value == dt.date(2015, 11, 3)
    assert facts.content_date.evidence == DateEvidence.VISIBLE
