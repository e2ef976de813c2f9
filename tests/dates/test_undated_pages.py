"""Pages that show no date of their own must stay undated: a date that belongs to something on
the page (a guest review, a register record's field, an event's schedule) is no content date.

Shaped after the gold pages annotated as undated where these dates were taken before
(benchmarks/labels/undated-content-dates.csv, class b); the run date is fixed, never the clock.
"""

from __future__ import annotations

import datetime as dt

from extractors.dates.claims import SOURCE_META, PageDates
from extractors.dates.cues import find_text_dates
from extractors.dates.page_dates import find_dates

RUN_DATE = dt.date(2026, 11, 26)
URL = "https://www.ferienhaus-beispiel.de/ferienhaus/lierfeld/40222/ferienhaus-feinen.php"
HEADER = (
    "<header><nav><a href='/'>Startseite</a> <a href='/eifel'>Eifel</a>"
    " <a href='/kontakt'>Kontakt</a></nav></header>"
)
FOOTER = "<footer><a href='/impressum'>Impressum</a> <a href='/agb'>AGB</a></footer>"
INTRO = (
    "<p>Das Ferienhaus liegt ruhig am Waldrand und bietet Platz für bis zu acht Personen. "
    "Drei Schlafzimmer, zwei Bäder und ein großer Garten mit Grillplatz stehen zur Verfügung; "
    "Bettwäsche und Handtücher sind im Mietpreis enthalten.</p>"
)


def dates_of(body: str, *, head: str = "", url: str = URL) -> PageDates:
    html = (
        "<html lang='de'><head><meta charset='utf-8'><title>Ferienhaus Feinen</title>"
        f"{head}</head><body itemscope itemtype='http://schema.org/WebPage'>"
        f"{HEADER}{body}{FOOTER}</body></html>"
    )
    return find_dates(html, url=url, last_modified=None, run_date=RUN_DATE)


def undated(dates: PageDates) -> bool:
    return dates.published is None and dates.modified is None and dates.metadata_date is None


def _review(author: str, day: str, shown: str, text: str, itemprop: str = "meta") -> str:
    date = (
        f"<meta itemprop='datePublished' content='{day}'/>"
        if itemprop == "meta"
        else f"<span itemprop='datePublished' content='{day} 00:00:00'></span>"
    )
    return (
        "<div itemprop='review' itemscope itemtype='http://schema.org/Review'>"
        f"<div class='rating-single-comment'>{date}"
        f"<div class='rating-single-comment-us'>Bewertung von {author} vom <b>{shown}</b></div>"
        f"<p itemprop='reviewBody'>{text}</p></div></div>"
    )


# ---------------------------------------------------------------------------------------------
# A microdata date belongs to the item it sits in


def test_guest_reviews_microdata_dates_are_not_the_page_date() -> None:
    # Why: an itemprop date inside a Review is that review's; the page itself shows no date.
    reviews = "".join(
        _review(author, day, shown, "Wir haben uns sehr wohl gefühlt, gerne wieder!")
        for author, day, shown in (
            ("Kirschi1017", "2018-05-23", "23.05.2018"),
            ("Petersen", "2017-10-17", "17.10.2017"),
            ("charly", "2014-11-05", "05.11.2014"),
        )
    )
    body = (
        "<main><div itemscope itemtype='http://schema.org/LodgingBusiness'>"
        f"<h1 itemprop='name'>Ferienhaus Feinen</h1>{INTRO}{reviews}</div></main>"
    )
    assert undated(dates_of(body))


def test_shop_customer_review_span_date_is_not_the_page_date() -> None:
    # A product page whose customer reviews carry <span itemprop="datePublished" content=…>.
    review = _review(
        "Georg N.", "2020-06-08", "8.6.2020", "Unsere Meerschweinchen fühlen sich wohl.", "span"
    )
    body = (
        "<main><div itemscope itemtype='http://schema.org/Product'>"
        "<h1 itemprop='name'>Kleintierstall mit Freilaufgehege</h1>"
        f"{INTRO}<section class='reviews'>{review}</section></div></main>"
    )
    assert undated(dates_of(body, url="https://www.shop-beispiel.de/kleintierstall"))


def test_microdata_date_of_the_pages_own_article_still_counts() -> None:
    # The same markup inside the page's own Article item (a TYPO3 site, waldwissen-shaped):
    # the article's date, shown as "Online-Version 21.01.2022".
    body = (
        "<div itemscope itemtype='http://schema.org/Article'>"
        "<meta itemprop='datePublished' content='2022-01-21'>"
        "<meta itemprop='dateModified' content='2022-01-21'>"
        f"<main><h1>Der Holländerholzhandel</h1>{INTRO}"
        "<p>Online-Version</p><p>21.01.2022</p></main></div>"
    )
    dates = dates_of(body, url="https://www.wald-beispiel.net/lernen/hollaenderholzhandel")
    assert dates.published is not None
    assert dates.published.value == dt.date(2022, 1, 21)
    assert dates.published.source == SOURCE_META


# ---------------------------------------------------------------------------------------------
# A label that names another date


def test_register_records_effective_date_field_is_not_a_byline() -> None:
    # Why: "Effective Date" above "Saturday, July 25, 2020" labels the company's registration
    # (a record's field), not when the page appeared.
    body = (
        "<main><h1>Daily Legal News - New Corporations</h1><table>"
        "<tr><th>Company Name</th><td>MURRAYS MOWING LLC</td></tr>"
        "<tr><th>Charter #</th><td>4513257</td></tr>"
        "<tr><th>Effective Date</th><td>Saturday, July 25, 2020</td></tr>"
        "<tr><th>Type</th><td>Limited Liability Company</td></tr></table></main>"
    )
    assert undated(dates_of(body, url="https://www.legalnews-example.com/details/438057"))


def test_a_label_without_a_date_field_keeps_the_byline() -> None:
    # "Online-Version" names the page's own version: the day under it stays its date.
    body = f"<main><h1>Der Holländerholzhandel</h1><p>Online-Version</p><p>21.01.2022</p>{INTRO}"
    dates = dates_of(body + "</main>")
    assert dates.published is not None and dates.published.value == dt.date(2022, 1, 21)


def test_a_qualified_date_cue_is_another_dates_label() -> None:
    # "Effective Date:", "Release Date:", "Event Date:" are not "Date:" of the page.
    for text in (
        "Type: LLC\nEffective Date: July 25, 2020\nCounty: Summit",
        "Genre: Simulation\nRelease Date: 14.11.2019\nPlattform: PC",
        "Ort: Güterhof\nEvent Date: 30.03.2020\nEintritt frei",
    ):
        assert find_text_dates(text, run_date=RUN_DATE) == (None, None), text
    published, _ = find_text_dates("Datum: 25.07.2020\nOrt: Bonn", run_date=RUN_DATE)
    assert published is not None and published.value == dt.date(2020, 7, 25)


# ---------------------------------------------------------------------------------------------
# A schedule is not a stamp


def test_an_events_schedule_is_not_the_page_date() -> None:
    # Why: a publication stamp is a point in time; "13:15 Uhr - 19:00 Uhr" after the day is
    # when the event takes place (in a date-classed element and as a label high on the page).
    body = (
        "<main><div class=date>30. März 2020, 13:15 Uhr - 19:00 Uhr</div>"
        "<h1>Sprungbrett-Event Schaffhausen</h1>"
        "<p>Leben in Schaffhausen! Lerne Unternehmen und Verwaltung der Region kennen und "
        "tausche dich mit Fachleuten aus. Für Studierende aller Fachrichtungen.</p>"
        "<h2>Tagesablauf</h2><p>Freitag, 30. März 2020</p><p>13:00 – 13:15 Uhr Empfang</p>"
        "</main>"
    )
    assert undated(dates_of(body, url="https://www.karriere-beispiel.ch/events/119-sprungbrett"))


def test_a_date_classed_stamp_with_one_time_still_counts() -> None:
    body = (
        f"<main><h1>Neue Beratungszeiten im Kreishaus</h1>"
        f"<div class='date'>30. März 2020, 13:15 Uhr</div>{INTRO}</main>"
    )
    dates = dates_of(body)
    assert dates.published is not None and dates.published.value == dt.date(2020, 3, 30)
