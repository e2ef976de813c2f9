"""find_dates: the cascade finds real dates and refuses false ones (chrome, future, ©)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extractors.dates.claims import (
    SOURCE_FOOTER_TEXT,
    SOURCE_HTTP_HEADER,
    SOURCE_JSON_LD,
    SOURCE_META,
    SOURCE_TIME_ELEMENT,
    SOURCE_URL,
    SOURCE_VISIBLE_TEXT,
)
from extractors.dates.cues import find_text_dates
from extractors.dates.grammar import find_full_date, first_written_position, parse_date_text
from extractors.dates.page_dates import find_dates
from extractors.records import DateClaim
from extractors.text.decoding import decode_html

RUN_DATE = dt.date(2026, 11, 26)
PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
URL = "https://www.beispielstadt.de/leben/fluechtlinge/seite.html"


def fixture_dates(
    name: str, *, url: str = URL, last_modified: str | None = None
) -> tuple[DateClaim | None, DateClaim | None]:
    html = decode_html((PAGES / name).read_bytes(), "text/html")
    dates = find_dates(html, url=url, last_modified=last_modified, run_date=RUN_DATE)
    return dates.published, dates.modified


def page_dates(
    body: str, *, url: str = URL, last_modified: str | None = None, head: str = ""
) -> tuple[DateClaim | None, DateClaim | None]:
    html = f"<html lang='de'><head><title>Seite</title>{head}</head><body>{body}</body></html>"
    dates = find_dates(html, url=url, last_modified=last_modified, run_date=RUN_DATE)
    return dates.published, dates.modified


def day(claim: DateClaim | None) -> dt.date | None:
    return claim.value if claim else None


LOREM = (
    "<p>Die Stadt unterstützt Geflüchtete bei der Suche nach Wohnraum, Sprachkursen und "
    "Arbeit. Ehrenamtliche Helferinnen und Helfer sind herzlich willkommen.</p>"
)
# The publication day written where a reader sees it: metadata dates count only when shown.
SHOWN = "<p>Pressemitteilung | 03.11.2015</p>"

# ---------------------------------------------------------------------------------------------
# JSON-LD


def test_json_ld_main_entity_and_not_organization_or_website() -> None:
    published, modified = fixture_dates(
        "monheim-gesundheitskarte-jsonld.html",
        url="https://www.monheim.de/stadtleben/fluechtlinge/gesundheitskarte",
    )
    # Not the Organization's foundingDate/dateModified, not the WebSite's launch date. The
    # WebPage's datePublished is shown nowhere on the page: no publication date a reader sees.
    assert published is None
    assert modified == DateClaim(dt.date(2016, 2, 10), SOURCE_JSON_LD, 0.9)


def test_invisible_metadata_gives_no_publication_date_but_keeps_the_modification() -> None:
    head = """<script type="application/ld+json">
      {"@type": "WebPage", "datePublished": "2015-11-03", "dateModified": "2016-01-20"}
    </script><meta property="article:published_time" content="2015-11-03">"""
    published, modified = page_dates(f"<main><h1>Sprachkurse</h1>{LOREM}</main>", head=head)
    assert published is None
    assert modified == DateClaim(dt.date(2016, 1, 20), SOURCE_JSON_LD, 0.9)


def test_metadata_date_shown_in_another_form_is_confirmed() -> None:
    head = (
        '<script type="application/ld+json">'
        '{"@type": "Article", "datePublished": "2015-11-03"}</script>'
    )
    body = f"<main><h1>Sprachkurse</h1>{LOREM}<p>Geschrieben von Anna, 3. Nov. 2015</p></main>"
    published, _ = page_dates(body, head=head)
    assert published is not None and published.value == dt.date(2015, 11, 3)
    assert published.source == SOURCE_JSON_LD
    assert published.confidence > 0.9  # confirmed by the visible text


def test_organization_dates_alone_are_no_page_dates() -> None:
    head = """<script type="application/ld+json">
      {"@context": "https://schema.org", "@type": "Organization", "name": "Kreis X",
       "foundingDate": "2005-01-01", "dateModified": "2020-01-01", "datePublished": "2004-01-01"}
    </script>"""
    assert page_dates(f"<main>{LOREM}</main>", head=head) == (None, None)


def test_malformed_json_ld_does_not_crash_and_meta_takes_over() -> None:
    published, modified = fixture_dates("kreis-unterbringung-malformed-jsonld.html")
    # article:published_time, confirmed by the date shown below the heading.
    assert published is not None and published.value == dt.date(2016, 1, 15)
    assert published.source == SOURCE_META
    # article:modified_time (2016-03-01) is younger than the date the page shows: a CMS record
    # that disagrees with the page is not used (it would make an old page look fresh).
    assert modified is None


def test_json_ld_with_trailing_comma_is_read() -> None:
    head = """<script type="application/ld+json">
      {"@type": "NewsArticle", "datePublished": "2015-11-03T10:00:00+01:00",},
    </script>"""
    published, _ = page_dates(LOREM + SHOWN, head=head)
    assert published is not None and published.value == dt.date(2015, 11, 3)
    assert published.source == SOURCE_JSON_LD


def test_json_ld_broken_by_unescaped_quotes_is_recovered_with_less_trust() -> None:
    head = """<script type="application/ld+json">
      {"@type": "Article", "headline": "Die "Willkommenskultur" in X",
       "datePublished": "2015-11-03", "dateModified": "2016-01-20"}
    </script>"""
    published, modified = page_dates(LOREM + SHOWN, head=head)
    assert day(published) == dt.date(2015, 11, 3)
    assert published is not None and published.source == SOURCE_JSON_LD
    # The recovered dateModified is younger than the shown date: not used.
    assert modified is None
    recovered = find_dates(
        f"<html><head>{head}</head><body>{LOREM}</body></html>",
        url=URL,
        last_modified=None,
        run_date=RUN_DATE,
    ).modified
    assert day(recovered) == dt.date(2016, 1, 20)
    assert recovered is not None and recovered.confidence < 0.9


@pytest.mark.parametrize(
    "script",
    [
        "{",
        "",
        "null",
        "[1, 2, 3]",
        '{"@graph": "nope"}',
        '{"@type": "WebPage", "datePublished": {"@value": 17}}',
        '{"@type": ["WebPage"], "datePublished": ["not a date"]}',
        "[" * 5000,
    ],
)
def test_garbage_json_ld_never_crashes(script: str) -> None:
    head = f'<script type="application/ld+json">{script}</script>'
    assert page_dates(f"<main>{LOREM}</main>", head=head) == (None, None)


def test_json_ld_list_items_are_not_the_page() -> None:
    head = """<script type="application/ld+json">
      {"@type": "ItemList", "itemListElement": [
        {"@type": "NewsArticle", "datePublished": "2026-11-20"},
        {"@type": "NewsArticle", "datePublished": "2026-11-18"}]}
    </script>"""
    assert page_dates(f"<main>{LOREM}</main>", head=head) == (None, None)


def test_json_ld_main_entity_of_webpage() -> None:
    head = """<script type="application/ld+json">
      {"@type": "WebPage", "mainEntity": {"@type": "Article", "datePublished": "2015-11-03"}}
    </script>"""
    assert day(page_dates(LOREM + SHOWN, head=head)[0]) == dt.date(2015, 11, 3)


# ---------------------------------------------------------------------------------------------
# Meta tags


def test_dublin_core_meta() -> None:
    published, modified = fixture_dates("landkreis-dolmetscher-dc-meta.html")
    assert published is None  # DC.date.issued is shown nowhere on the page
    assert modified == DateClaim(dt.date(2015, 12, 7), SOURCE_META, 0.85)


@pytest.mark.parametrize(
    ("meta", "expected_published", "expected_modified"),
    [
        ('<meta property="article:published_time" content="2015-11-03T08:00:00+01:00">',
         dt.date(2015, 11, 3), None),
        ('<meta property="og:updated_time" content="2016-01-20T10:00:00Z">',
         None, dt.date(2016, 1, 20)),
        ('<meta name="dcterms.modified" content="2016-01-20">', None, dt.date(2016, 1, 20)),
        ('<meta name="DC.date.issued" content="03.11.2015">', dt.date(2015, 11, 3), None),
        ('<meta name="date" content="2015-11-03">', dt.date(2015, 11, 3), None),
        ('<meta http-equiv="last-modified" content="Tue, 03 Nov 2015 10:00:00 GMT">',
         None, dt.date(2015, 11, 3)),
        ('<meta itemprop="datePublished" content="2015-11-03">', dt.date(2015, 11, 3), None),
        ('<meta name="date" content="kein Datum">', None, None),
        ('<meta name="date" content="2015">', None, None),  # a bare year says too little
        ('<meta name="keywords" content="2015-11-03">', None, None),
    ],
)  # fmt: skip
def test_meta_tags(
    meta: str, expected_published: dt.date | None, expected_modified: dt.date | None
) -> None:
    shown = SHOWN if expected_published else ""  # a publication date must be shown
    published, modified = page_dates(f"<main>{LOREM}{shown}</main>", head=meta)
    assert day(published) == expected_published
    assert day(modified) == expected_modified
    for claim in (published, modified):
        assert claim is None or claim.source == SOURCE_META


def test_generic_meta_date_of_today_is_the_cms_clock() -> None:
    meta = f'<meta name="date" content="{RUN_DATE.isoformat()}">'
    assert page_dates(f"<main>{LOREM}</main>", head=meta) == (None, None)


def test_specific_meta_beats_generic() -> None:
    head = (
        '<meta name="date" content="2014-01-01">'
        '<meta property="article:published_time" content="2015-11-03">'
    )
    assert day(page_dates(LOREM + SHOWN, head=head)[0]) == dt.date(2015, 11, 3)


# ---------------------------------------------------------------------------------------------
# <time> in the content


def test_time_element_in_article_not_in_aside() -> None:
    body = f"""
      <aside><time datetime="2026-11-20">20.11.2026</time></aside>
      <main><article><h1>Sprachkurse</h1><time datetime="2015-11-03">3. November 2015</time>
      {LOREM}</article></main>
      <footer><time datetime="2026-11-25">heute</time></footer>"""
    published, modified = page_dates(body)
    assert published is not None and published.value == dt.date(2015, 11, 3)
    assert published.source == SOURCE_TIME_ELEMENT
    assert published.confidence >= 0.65  # written on the page too: a little more
    assert modified is None


def test_time_element_itemprop_date_modified() -> None:
    body = f"""<main>{LOREM}<p>Geändert: <time itemprop="dateModified" datetime="2016-02-01">
      1. Februar 2016</time></p></main>"""
    _, modified = page_dates(body)
    assert modified == DateClaim(dt.date(2016, 2, 1), SOURCE_TIME_ELEMENT, 0.75)


def test_teaser_list_of_articles_gives_no_page_date() -> None:
    teasers = "".join(
        f'<article><h2>Meldung {n}</h2><time datetime="2026-11-{n:02d}">x</time></article>'
        for n in range(10, 14)
    )
    assert page_dates(f"<main><h1>Aktuelles</h1>{teasers}</main>") == (None, None)


def test_comments_do_not_make_the_page_a_listing() -> None:
    body = f"""<main><article><h1>Beitrag</h1><time datetime="2015-11-03">x</time>{LOREM}
      </article><div class="comments"><article><time datetime="2026-01-05">y</time>Danke!
      </article><article><time datetime="2026-02-05">z</time>Super!</article></div></main>"""
    assert day(page_dates(body)[0]) == dt.date(2015, 11, 3)


# ---------------------------------------------------------------------------------------------
# Visible German (and English) text in the content


def test_stand_numeric_with_news_sidebar_cookie_banner_and_footer() -> None:
    published, modified = fixture_dates(
        "arnsberg-woerterbuch-stand-sidebar.html",
        last_modified="Thu, 26 Nov 2026 03:00:00 GMT",  # a dynamic server's "now"
    )
    assert modified == DateClaim(dt.date(2015, 11, 3), SOURCE_VISIBLE_TEXT, 0.6)
    assert published is None  # the sidebar's "Veröffentlicht am 23.11.2026" is not the page's


def test_zuletzt_aktualisiert_with_month_name_and_future_events_ignored() -> None:
    published, modified = fixture_dates("kommune-lotsen-aktualisiert-termine.html")
    assert day(modified) == dt.date(2015, 11, 3)
    assert modified is not None and modified.source == SOURCE_VISIBLE_TEXT
    assert published is None


def test_undated_page_with_copyright_cookie_banner_and_nav_dates_stays_undated() -> None:
    assert fixture_dates("stadt-ehrenamt-undated.html") == (None, None)


def test_english_last_updated() -> None:
    published, modified = fixture_dates("english-refugees-last-updated.html")
    assert day(modified) == dt.date(2015, 11, 3)
    assert published is None


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Stand: 03.11.2015", "modified", dt.date(2015, 11, 3)),
        ("Stand 3.11.2015", "modified", dt.date(2015, 11, 3)),
        ("Stand: 03.11.15", "modified", dt.date(2015, 11, 3)),
        ("Stand: 03.11.98", "modified", dt.date(1998, 11, 3)),
        ("Stand: November 2015", "modified", dt.date(2015, 11, 1)),
        ("Stand: März 2016", "modified", dt.date(2016, 3, 1)),
        ("Stand: Maerz 2016", "modified", dt.date(2016, 3, 1)),
        ("Stand der Informationen: 11/2015", "modified", dt.date(2015, 11, 1)),
        ("zuletzt aktualisiert am 3. November 2015", "modified", dt.date(2015, 11, 3)),
        ("Zuletzt geändert: 03. Nov. 2015", "modified", dt.date(2015, 11, 3)),
        ("Aktualisiert: Dienstag, 3. November 2015", "modified", dt.date(2015, 11, 3)),
        ("Aktualisiert am Di. 3.11.2015", "modified", dt.date(2015, 11, 3)),
        ("Letzte Änderung: 2015-11-03", "modified", dt.date(2015, 11, 3)),
        ("Veröffentlicht am 12. Mai 2016", "published", dt.date(2016, 5, 12)),
        ("Erstellt: 3. März 2016", "published", dt.date(2016, 3, 3)),
        ("Datum: 03.11.2015", "published", dt.date(2015, 11, 3)),
        ("Pressemitteilung vom 03.11.2015", "published", dt.date(2015, 11, 3)),
        ("Last updated: November 3, 2015", "modified", dt.date(2015, 11, 3)),
        ("Last updated 3rd November 2015", "modified", dt.date(2015, 11, 3)),
        ("Published on 3 November 2015", "published", dt.date(2015, 11, 3)),
        ("Published: 2015-11-03", "published", dt.date(2015, 11, 3)),
    ],
)
def test_visible_text_cues(text: str, kind: str, expected: dt.date) -> None:
    published, modified = page_dates(f"<main><h1>Titel</h1>{LOREM}<p>{text}</p></main>")
    claim = modified if kind == "modified" else published
    other = published if kind == "modified" else modified
    assert claim is not None and claim.value == expected
    assert claim.source == SOURCE_VISIBLE_TEXT
    assert other is None


@pytest.mark.parametrize(
    "text",
    [
        "Er stand am 03.11.2015 vor dem Rathaus.",  # "stand" is also a verb
        "Die Anlage wurde am 03.11.2015 eröffnet.",  # a bare date in running text
        "Termin am 03.11.2015 im Rathaus",
        "Datum der Veranstaltung: 03.11.2015",
        "Anmeldung bis 03.11.2015",
        "Stand: 01.12.2026",  # after the run date
        "Veröffentlicht am 15. Januar 2027",
        "Stand: 03.11.27",  # two-digit year: 1927, implausible
        "Stand: 1990",
        "Stand: 31.02.2015",  # no such day
        "Die Liste wird laufend aktualisiert. Zuletzt kamen im März 2016 viele Familien.",
        "© 2015 Stadt Beispielhausen",
        "Copyright 2015-2026 Stadt Beispielhausen",
    ],
)
def test_visible_text_refusals(text: str) -> None:
    assert page_dates(f"<main><h1>Titel</h1>{LOREM}<p>{text}</p></main>") == (None, None)


@pytest.mark.parametrize(
    "box",
    [
        '<div class="cookie-notice">Stand: 01.06.2016</div>',
        '<div id="consent-layer">Zuletzt aktualisiert am 3. November 2016</div>',
        '<div class="news-list"><p>Veröffentlicht am 03.11.2016</p></div>',
        '<div class="teaser"><p>Veröffentlicht am 03.11.2016</p></div>',
        '<div class="related-links"><p>Stand: 03.11.2016</p></div>',
        "<section><h2>Termine</h2><p>Datum: 03.11.2016</p></section>",
        '<div class="event"><p>Datum: 03.11.2016</p></div>',
        "<nav><p>Stand: 03.11.2016</p></nav>",
        "<aside><p>Stand: 03.11.2016</p></aside>",
        '<div class="sidebar"><p>Stand: 03.11.2016</p></div>',
        '<div role="dialog"><p>Stand: 03.11.2016</p></div>',
        '<div style="display: none">Stand: 03.11.2016</div>',
    ],
)
def test_noise_boxes_inside_main_are_ignored(box: str) -> None:
    assert page_dates(f"<main><h1>Titel</h1>{LOREM}{box}</main>") == (None, None)


def test_page_header_is_chrome_but_an_as_of_line_in_the_footer_counts() -> None:
    # The footer's "last updated" line says how current the page is (issue: dates that decide
    # staleness); the header's ticker does not, and neither says when it was published.
    body = f"""<header>Heute ist der 26.11.2026 · Stand: 20.11.2026</header>
      <div class="inhalt"><h1>Titel</h1>{LOREM}</div>
      <footer>Zuletzt aktualisiert am 25.11.2026</footer>"""
    published, modified = page_dates(body)
    assert published is None
    assert modified is not None and modified.source == SOURCE_FOOTER_TEXT
    assert day(modified) == dt.date(2026, 11, 25)


def test_article_footer_is_content() -> None:
    body = f"<main><article><h1>T</h1>{LOREM}<footer>Stand: 03.11.2015</footer></article></main>"
    assert day(page_dates(body)[1]) == dt.date(2015, 11, 3)


def test_wrapper_named_like_a_sidebar_is_not_noise() -> None:
    body = f"""<div class="layout has-sidebar"><div class="col"><h1>Titel</h1>{LOREM}
      <p>Stand: 03.11.2015</p></div><div class="sidebar">Stand: 20.11.2026</div></div>"""
    assert day(page_dates(body)[1]) == dt.date(2015, 11, 3)


def test_date_class_element_alone() -> None:
    body = f'<main><h1>Meldung</h1><span class="news-date">03.11.2015</span>{LOREM}</main>'
    published, _ = page_dates(body)
    assert day(published) == dt.date(2015, 11, 3)
    assert published is not None and published.source == SOURCE_VISIBLE_TEXT


def test_find_text_dates_on_plain_text() -> None:
    published, modified = find_text_dates(
        "Merkblatt\nErstellt: 01.10.2015\nStand: März 2016", run_date=RUN_DATE
    )
    assert day(published) == dt.date(2015, 10, 1)
    assert day(modified) == dt.date(2016, 3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3. Maerz 2016", dt.date(2016, 3, 3)),
        ("3. Mrz. 2016", dt.date(2016, 3, 3)),
        ("Mo., 3. Okt. 2016", dt.date(2016, 10, 3)),
        ("2016/10/03", dt.date(2016, 10, 3)),
        ("Oct 3, 2016", dt.date(2016, 10, 3)),
        ("1.1.1994", None),
        ("03.11.2027", None),
        ("", None),
        ("kein Datum", None),
    ],
)
def test_parse_date_text(text: str, expected: dt.date | None) -> None:
    parsed = parse_date_text(text, run_date=RUN_DATE)
    assert (parsed.value if parsed else None) == expected


# ---------------------------------------------------------------------------------------------
# URL and HTTP header


@pytest.mark.parametrize(
    ("url", "expected", "confidence"),
    [
        ("https://www.kreisgg.de/aktuelles/2015/11/03/sprachcafe.html", dt.date(2015, 11, 3), 0.5),
        ("https://www.stadt.de/presse/2015-11-03-gesundheitskarte", dt.date(2015, 11, 3), 0.5),
        ("https://www.stadt.de/archiv/2015/11/meldung.html", dt.date(2015, 11, 1), 0.4),
        ("https://www.stadt.de/2027/01/05/zukunft.html", None, None),
        ("https://www.stadt.de/produkt/12345678/seite", None, None),
        ("https://www.stadt.de/?datum=2015-11-03", None, None),  # query is not the path
    ],
)
def test_url_path_dates(url: str, expected: dt.date | None, confidence: float | None) -> None:
    published, modified = page_dates(f"<main>{LOREM}</main>", url=url)
    assert day(published) == expected
    if published:
        assert published.source == SOURCE_URL
        assert published.confidence == confidence
    assert modified is None


def test_last_modified_only_is_a_weak_modified_claim() -> None:
    published, modified = page_dates(
        f"<main>{LOREM}</main>", last_modified="Tue, 03 Nov 2015 12:00:00 GMT"
    )
    assert published is None
    assert modified == DateClaim(dt.date(2015, 11, 3), SOURCE_HTTP_HEADER, 0.2)


@pytest.mark.parametrize(
    "header", ["Thu, 26 Nov 2026 08:00:00 GMT", "Fri, 27 Nov 2026 08:00:00 GMT", "morgen", ""]
)
def test_last_modified_of_today_future_or_garbage_is_ignored(header: str) -> None:
    assert page_dates(f"<main>{LOREM}</main>", last_modified=header) == (None, None)


def test_stronger_claim_beats_last_modified() -> None:
    body = f"<main>{LOREM}<p>Stand: 03.11.2015</p></main>"
    _, modified = page_dates(body, last_modified="Tue, 10 Jan 2017 12:00:00 GMT")
    assert modified is not None and modified.source == SOURCE_VISIBLE_TEXT


def test_published_after_modified_keeps_the_more_trusted_claim() -> None:
    head = '<meta property="article:published_time" content="2016-05-01">'
    body = f"<main>{LOREM}<p>Pressemitteilung | 01.05.2016</p><p>Stand: 03.11.2015</p></main>"
    published, modified = page_dates(body, head=head)
    assert day(published) == dt.date(2016, 5, 1)
    assert modified is None


def test_unparseable_html_still_uses_url_and_header() -> None:
    dates = find_dates(
        "",
        url="https://www.stadt.de/2015/11/03/x.html",
        last_modified="Tue, 10 Nov 2015 12:00:00 GMT",
        run_date=RUN_DATE,
    )
    assert day(dates.published) == dt.date(2015, 11, 3)
    assert day(dates.modified) == dt.date(2015, 11, 10)


def test_deeply_nested_html_does_not_hit_the_recursion_limit() -> None:
    body = "<div>" * 5000 + "<p>Stand: 03.11.2015</p>" + "</div>" * 5000
    published, modified = page_dates(body)
    assert published is None or published.value <= RUN_DATE
    assert modified is None or modified.value == dt.date(2015, 11, 3)


# ---------------------------------------------------------------------------------------------
# The publication-date vote: evidence a reader can see


def test_visible_date_and_url_beat_a_utc_shifted_json_ld_date() -> None:
    head = """<script type="application/ld+json">
      {"@type": "NewsArticle", "datePublished": "2020-02-25T03:10:00Z"}</script>"""
    body = f"<main><h1>Stadtrat beschließt Sprachkurse</h1><p>February 24, 2020</p>{LOREM}</main>"
    published, _ = page_dates(body, head=head, url="https://www.stadt.de/2020/02/24/sprachkurse")
    assert day(published) == dt.date(2020, 2, 24)


def test_byline_below_the_heading() -> None:
    body = f"""<main><h1>Neue Sprachkurse für Geflüchtete</h1>
      <p>21.01.2016 – 13:30 | Pressestelle</p>{LOREM}</main>"""
    published, modified = page_dates(body)
    assert published == DateClaim(dt.date(2016, 1, 21), SOURCE_VISIBLE_TEXT, 0.6)
    assert modified is None


@pytest.mark.parametrize(
    "line",
    [
        "Die Anlage wurde am 03.11.2015 eröffnet.",  # a sentence, not a byline
        "Anmeldung bis 03.11.2015",
        "© 03.11.2015 Stadt Beispielhausen",
    ],
)
def test_byline_refusals(line: str) -> None:
    assert page_dates(f"<main><h1>Neue Sprachkurse</h1><p>{line}</p>{LOREM}</main>") == (
        None,
        None,
    )


def test_update_line_below_the_heading_is_the_modification_date() -> None:
    body = f"<main><h1>Neue Sprachkurse</h1><p>Aktualisiert am 03.11.2015</p>{LOREM}</main>"
    published, modified = page_dates(body)
    assert published is None
    assert day(modified) == dt.date(2015, 11, 3)


def test_htmldate_finds_a_labelled_date_our_cues_miss() -> None:
    body = f"<main><h1>Sprachkurse</h1>{LOREM}<p>Pressemitteilung | 03.11.2015</p></main>"
    published, _ = page_dates(body)
    assert published is not None and published.value == dt.date(2015, 11, 3)
    assert published.source == SOURCE_VISIBLE_TEXT


def test_htmldate_is_asked_only_when_our_heuristics_find_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def fake_find_date(*args: object, **kwargs: object) -> str:
        asked.append("x")
        return "2014-01-01"

    monkeypatch.setattr("extractors.dates.page_dates.htmldate.find_date", fake_find_date)
    dated = f"<main><h1>Sprachkurse</h1><p>Veröffentlicht am 03.11.2015</p>{LOREM}</main>"
    assert day(page_dates(dated)[0]) == dt.date(2015, 11, 3)
    assert asked == []
    assert page_dates(f"<main><h1>Sprachkurse</h1>{LOREM}</main>") == (None, None)
    assert asked == ["x"]  # asked, but 2014-01-01 is written nowhere: not taken


def test_agreeing_metadata_counts_where_the_script_defeats_reading_dates() -> None:
    head = """<script type="application/ld+json">
      {"@type": "WebPage", "datePublished": "2020-10-07T12:19:00+02:00"}</script>
      <meta property="article:published_time" content="2020-10-07T12:19:00+02:00">"""
    arabic = (
        "<p>" + "القاهرة: الأربعاء، 07 أكتوبر 2020 أعلنت الحكومة عن خطة جديدة للتعليم " * 5 + "</p>"
    )
    published, _ = page_dates(f"<main><h1>خبر</h1>{arabic}</main>", head=head)
    assert published is not None and published.value == dt.date(2020, 10, 7)
    # The same metadata on a page in Latin script that shows no date: no publication date.
    assert page_dates(f"<main><h1>Nachricht</h1>{LOREM}</main>", head=head)[0] is None


# ---------------------------------------------------------------------------------------------
# Is a day written on the page?


@pytest.mark.parametrize(
    "text",
    [
        "Stand: 03.11.2015",
        "3.11.15",
        "am 3. November 2015",
        "3 nov. 2015",
        "Nov 3rd, 2015",
        "November 3, 2015",
        "11/03/2015",
        "03/11/2015",
        "2015-11-03T10:00",
        "2015/11/3",
        "3 de noviembre de 2015",
        "3 novembre 2015",
        "3 listopada 2015",
        "3 ноября 2015",
        "2015年11月3日",
        "Datum: 03.Nov.15",
    ],
)
def test_written_date_forms(text: str) -> None:
    assert first_written_position(f"Text {text} mehr", dt.date(2015, 11, 3)) is not None


@pytest.mark.parametrize("text", ["13.11.2015", "3.11.2016", "2015-11-30", "Tel. 03.11.20156"])
def test_other_days_are_not_the_written_day(text: str) -> None:
    assert first_written_position(text, dt.date(2015, 11, 3)) is None


def test_find_full_date_skips_numbers_and_implausible_days() -> None:
    found = find_full_date(
        "Tel 0221.12.2020, dann am 31.02.2015 und 21.01.2016 – 13:30", run_date=RUN_DATE
    )
    assert found is not None and found[2].value == dt.date(2016, 1, 21)


def test_article_json_ld_with_an_update_is_a_last_resort_publication_date() -> None:
    head = """<script type="application/ld+json">{"@type": "NewsArticle",
      "datePublished": "2015-11-18T10:00:00+01:00", "dateModified": "2025-06-02"}</script>"""
    published, modified = page_dates(f"<main><h1>Gesundheitskarte</h1>{LOREM}</main>", head=head)
    assert published is not None and published.value == dt.date(2015, 11, 18)
    assert published.source == SOURCE_JSON_LD and published.confidence < 0.9  # not shown
    assert day(modified) == dt.date(2025, 6, 2)


@pytest.mark.parametrize(
    "entity",
    [
        '{"@type": "WebPage", "datePublished": "2015-11-18", "dateModified": "2025-06-02"}',
        '{"@type": "WebPage", "datePublished": "2015-11-18"}',
    ],
)
def test_template_stamped_json_ld_dates_are_no_publication_date(entity: str) -> None:
    head = f'<script type="application/ld+json">{entity}</script>'
    published, _ = page_dates(f"<main><h1>Gesundheitskarte</h1>{LOREM}</main>", head=head)
    assert published is None


@pytest.mark.parametrize(
    "entity",
    [
        '{"@type": "NewsArticle", "datePublished": "2015-11-18"}',  # no update recorded
        '{"@type": "Article", "datePublished": "2015-11-18", "dateModified": "2015-11-18"}',
    ],
)
def test_article_json_ld_date_that_htmldate_confirms_is_an_unseen_publication_date(
    entity: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = f'<script type="application/ld+json">{entity}</script>'
    body = f"<main><h1>Neue Bürgersprechstunde</h1>{LOREM}</main>"
    monkeypatch.setattr(
        "extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: "2015-11-18"
    )
    published, _ = page_dates(body, head=head)
    assert published == DateClaim(dt.date(2015, 11, 18), SOURCE_JSON_LD, 0.6)  # not shown
    # htmldate arriving elsewhere: the Article's date alone is not claimed.
    monkeypatch.setattr(
        "extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: "2016-02-01"
    )
    assert page_dates(body, head=head)[0] is None


# ---------------------------------------------------------------------------------------------
# Municipal-style pages: date forms in URLs, bylines and datelines; dates meaning something else


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.beispielstadt.de/rathaus/meldungen/29-10-2021", dt.date(2021, 10, 29)),
        ("https://www.land.de/presse/detail/~02-01-2022-land-zahlt", dt.date(2022, 1, 2)),
        ("https://www.beispielstadt.de/aktuelles/08112021-fachtag", dt.date(2021, 11, 8)),
        ("https://www.beispielstadt.de/presse/20200428/neue-kita", dt.date(2020, 4, 28)),
        ("https://www.beispielstadt.de/2015/11/03/neue-kita", dt.date(2015, 11, 3)),
    ],
)
def test_url_day_in_german_and_compact_forms(url: str, expected: dt.date) -> None:
    published, _ = page_dates(f"<main><h1>Neue Kita eröffnet</h1>{LOREM}</main>", url=url)
    assert published is not None and published.source == SOURCE_URL
    assert published.value == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://www.beispielstadt.de/formulare/antrag-1122021.pdf",  # a number, not a day
        "https://www.beispielstadt.de/shop/artikel-20201345",  # no 45th day
        "https://www.beispielstadt.de/id12082020x",  # inside a longer token
    ],
)
def test_url_numbers_that_are_no_day(url: str) -> None:
    assert page_dates(f"<main><h1>Anträge</h1>{LOREM}</main>", url=url)[0] is None


def test_published_a_day_after_a_utc_modification_stamp_keeps_the_shown_day() -> None:
    head = '<meta property="article:modified_time" content="2018-12-31T23:30:00+00:00">'
    body = f"<main><h1>Neujahrsempfang im Rathaus</h1><p>01.01.2019</p>{LOREM}</main>"
    url = "https://www.beispielstadt.de/2019/01/01/neujahrsempfang/"
    published, modified = page_dates(body, url=url, head=head)
    assert day(published) == dt.date(2019, 1, 1)
    assert modified is None  # the same moment in another time zone, not a change


def test_byline_below_the_heading_the_title_repeats_not_an_empty_first_h1() -> None:
    body = (
        "<div><h1><a href='/'><img src='logo.png' alt=''></a></h1></div>"
        "<main><h1>Neue Öffnungszeiten im Bürgerbüro</h1>"
        "<p>Pressemitteilung</p><p>05.02.2020 - Redaktion: Presseamt</p>" + LOREM + "</main>"
    )
    html = (
        "<html><head><title>Neue Öffnungszeiten im Bürgerbüro - Stadt Beispiel</title></head>"
        f"<body>{body}</body></html>"
    )
    published = find_dates(html, url=URL, last_modified=None, run_date=RUN_DATE).published
    assert day(published) == dt.date(2020, 2, 5)


def test_byline_without_h1_below_the_title_text() -> None:
    html = (
        "<html><head><title>Winterdienst: Räumpflicht für Anlieger | Stadt Beispiel</title>"
        "</head><body><div class='inhalt'><p>Winterdienst: Räumpflicht für Anlieger</p>"
        f"<p>27.01.2022</p>{LOREM}</div></body></html>"
    )
    published = find_dates(html, url=URL, last_modified=None, run_date=RUN_DATE).published
    assert day(published) == dt.date(2022, 1, 27)


def test_byline_date_before_an_update_note_on_the_same_line() -> None:
    body = (
        "<main><h1>Kältewarnung für das Stadtgebiet</h1>"
        "<p>Erstellt: 2023-11-07 15:03 / Aktualisiert: 2023-11-09 08:00</p>" + LOREM + "</main>"
    )
    published, modified = page_dates(body)
    assert day(published) == dt.date(2023, 11, 7)
    assert day(modified) == dt.date(2023, 11, 9)


def test_dateline_after_the_lead_paragraph() -> None:
    lead = (
        "<p>Die Stadt drosselt die Straßenbeleuchtung in den Nachtstunden. Das spart Energie "
        "und Geld, sagt die Verwaltung, und die Sicherheit bleibt gewahrt.</p>"
    )
    body = (
        f"<main><h1>Weniger Licht in der Nacht</h1>{lead}"
        "<p>29.11.2022 – Mehrfach hatte der Gemeinderat über die Beleuchtung beraten.</p>"
        "</main>"
    )
    assert day(page_dates(body)[0]) == dt.date(2022, 11, 29)


def test_slashed_day_first_date_in_a_byline() -> None:
    body = (
        f"<main><h1>Ferienprogramm 2022 startet</h1><p>Familie</p><p>17/02/2022</p>{LOREM}</main>"
    )
    assert day(page_dates(body)[0]) == dt.date(2022, 2, 17)
    assert find_full_date("am 17/02/2022", run_date=RUN_DATE) is not None
    assert parse_date_text("11/01/2023", run_date=RUN_DATE) is None  # US or not: unsaid


@pytest.mark.parametrize(
    ("sentence", "published", "modified"),
    [
        (
            "Dieser Artikel wurde am 14. Dezember 2015 um 14:48 von Heiner geschrieben.",
            dt.date(2015, 12, 14),
            None,
        ),
        (
            "Diese Seite wurde zuletzt am 29. Januar 2020 um 13:22 Uhr geändert.",
            None,
            dt.date(2020, 1, 29),
        ),
        ("Die Kita wurde am 03.11.2015 eröffnet.", None, None),  # an event
    ],
)
def test_cue_after_the_date(
    sentence: str, published: dt.date | None, modified: dt.date | None
) -> None:
    found_published, found_modified = find_text_dates(sentence, run_date=RUN_DATE)
    assert day(found_published) == published
    assert day(found_modified) == modified


@pytest.mark.parametrize(
    "line",
    [
        "Registriert: 18.09.2008, 05:56",  # a forum member
        "Release: 14.11.2019",  # a product
        "Abgerufen am 09.11.2022",  # a cited source
        "Bewertung von Kirschi vom 23.05.2018",  # a review
        "Ausstellung 9.-23. Februar 2017",  # the end of a range
        "Ende der Ausleihe: 03.11.2015",  # "Ende" the word
    ],
)
def test_dates_below_the_heading_that_mean_something_else(line: str) -> None:
    body = f"<main><h1>Stadtbibliothek am Markt</h1><p>{line}</p>{LOREM}</main>"
    assert page_dates(body)[0] is None


def test_a_noun_ending_in_ende_gives_the_date_no_other_meaning() -> None:
    # "ende" inside "Alleinerziehende" is not the word "Ende" (an end date).
    line = "<p>Hilfe für Alleinerziehende | 19.11.2021</p>"
    body = f"<main><h1>Mehr Kita-Plätze</h1>{line}{LOREM}</main>"
    assert day(page_dates(body)[0]) == dt.date(2021, 11, 19)


def test_date_line_right_above_the_heading() -> None:
    body = (
        "<main><p>05.02.2020 - Redaktion: Pressestelle</p>"
        f"<h1>Neue Radwege im Stadtteil Süd</h1>{LOREM}</main>"
    )
    published, _ = page_dates(body)
    assert published == DateClaim(dt.date(2020, 2, 5), SOURCE_VISIBLE_TEXT, 0.6)


@pytest.mark.parametrize(
    "line",
    [
        "03.11.2015 bis 05.11.2015: Stadtfest",  # a date range, an event
        "Stand: 03.11.2015",  # a modification date, and not opening the line
        "Anmeldung bis 03.11.2015",
    ],
)
def test_date_lines_above_the_heading_that_are_no_publication_date(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: None)
    body = f"<main><p>{line}</p><h1>Neue Radwege im Stadtteil Süd</h1>{LOREM}</main>"
    assert page_dates(body)[0] is None


def test_dateline_only_htmldate_finds_is_no_date_in_a_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No heading to look below; htmldate finds the dateline, which opens a sentence but is
    # not part of it ("… am 27.01.2022 vor dem Rathaus." would be).
    monkeypatch.setattr(
        "extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: "2022-01-27"
    )
    body = (
        "<main><p>Von Erika Muster</p><p>27.01.2022 - Bei der Gedenkfeier im Rathaus "
        "erinnerten die Bürgerinnen und Bürger an die Opfer des Nationalsozialismus.</p>"
        f"{LOREM}</main>"
    )
    assert day(page_dates(body)[0]) == dt.date(2022, 1, 27)


def test_byline_below_a_headline_the_title_joins_to_its_kicker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The <title> says "Kicker: Headline"; the page prints them on two lines of their own.
    monkeypatch.setattr("extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: None)
    html = (
        "<html><head><title>Radverkehr in der Stadt: Neue Radwege im Süden | Stadt Beispiel"
        "</title></head><body><div class='inhalt'><p>Radverkehr in der Stadt</p>"
        f"<p>Neue Radwege im Süden</p><p>03.04.2019</p>{LOREM}</div></body></html>"
    )
    published = find_dates(html, url=URL, last_modified=None, run_date=RUN_DATE).published
    assert published == DateClaim(dt.date(2019, 4, 3), SOURCE_VISIBLE_TEXT, 0.6)


@pytest.mark.parametrize("embed_class", ["instagram-media", "twitter-tweet"])
def test_time_of_an_embedded_social_media_post_is_not_the_pages(embed_class: str) -> None:
    head = '<meta property="article:published_time" content="2019-10-18T16:06:50+0200">'
    body = (
        f"<main><h1>Stadtfest mit Rekordbesuch</h1>{LOREM}"
        f"<blockquote class='{embed_class}'><p>Ein Beitrag von Stadt Beispiel am "
        "<time datetime='2019-04-21T23:47:18+00:00'>21. Apr. 2019</time></p></blockquote>"
        "<p>von Erika Muster</p><p><span class='date'>18.10.2019 16:06 Uhr</span></p></main>"
    )
    published, _ = page_dates(body, head=head)
    assert day(published) == dt.date(2019, 10, 18)


def test_dateline_with_the_date_in_parentheses_before_a_full_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: None)
    body = (
        "<main><h1>Trauern digital am Ewigkeitssonntag</h1>"
        "<p>In der Chatandacht der Verstorbenen gedenken</p>"
        "<p>Beispielstadt, (12.11.2021). Traditionell gedenken die Gemeinden am "
        "Ewigkeitssonntag ihrer Verstorbenen in den Gottesdiensten, in diesem Jahr auch "
        "digital im Chat der Kirchengemeinde.</p></main>"
    )
    assert day(page_dates(body)[0]) == dt.date(2021, 11, 12)


@pytest.mark.parametrize(
    "line",
    ["Abfallwirtschaftssatzung vom 03.11.2015", "Datensatz vom 03.11.2015"],
)
def test_date_after_vom_names_another_document_not_the_page(
    monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    # Only htmldate finds the day; "Satzung vom …" dates the bylaw, not the page about it.
    monkeypatch.setattr(
        "extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: "2015-11-03"
    )
    body = f"<main><h1>Abfallgebühren</h1>{LOREM}<p>{line}</p></main>"
    assert page_dates(body)[0] is None


def test_url_day_beats_a_metadata_date_years_later() -> None:
    # The URL path keeps the day of first publication; the CMS re-stamped the page later.
    url = "https://www.stadt-beispiel.de/blog/2017/7/12/sommerfest-im-park"
    head = """<script type="application/ld+json">
      {"@type": "BlogPosting", "datePublished": "2019-06-17T18:28:00+0200"}</script>
      <meta property="article:published_time" content="2019-06-17T18:28:00+0200">"""
    body = (
        "<main><article><h1>Sommerfest im Park</h1>"
        f"<time datetime='2019-06-17T18:28:00+0200'>Beitrag</time>{LOREM}</article></main>"
    )
    published, _ = page_dates(body, head=head, url=url)
    assert published is not None and published.value == dt.date(2017, 7, 12)
    assert published.source == SOURCE_URL


def test_url_day_a_day_before_the_shown_date_does_not_override_it() -> None:
    url = "https://www.stadt-beispiel.de/2020/02/18/neue-radwege"
    body = f"<main><h1>Neue Radwege</h1><p>19.02.2020</p>{LOREM}</main>"
    assert day(page_dates(body, url=url)[0]) == dt.date(2020, 2, 19)


def test_byline_inside_the_heading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: None)
    body = (
        "<main><h1>Zuschauer kehren in die Hallen zurück <span>02.02.2022</span> • "
        "<span>Presse</span></h1><p>Seit der am 28.01.2022 geänderten Verordnung dürfen "
        f"wieder mehr Menschen zusehen.</p>{LOREM}</main>"
    )
    assert day(page_dates(body)[0]) == dt.date(2022, 2, 2)


@pytest.mark.parametrize(
    "heading",
    ["Bürgerversammlung am 03.11.2015", "Satzung der Stadt Beispiel vom 03.11.2015"],
)
def test_date_the_heading_announces_is_no_byline(
    monkeypatch: pytest.MonkeyPatch, heading: str
) -> None:
    monkeypatch.setattr("extractors.dates.page_dates.htmldate.find_date", lambda *a, **k: None)
    assert page_dates(f"<main><h1>{heading}</h1>{LOREM}</main>")[0] is None
