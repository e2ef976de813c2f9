"""Candidates scored against the lost page, the hard rejections, and picking one proposal."""

from __future__ import annotations

import datetime as dt

from extractors.relocation.ranking import (
    PROPOSAL_THRESHOLD,
    Candidate,
    CandidatePage,
    LostPage,
    Relocation,
    is_site_name_only,
    lastmod_date,
    pick_proposal,
    rejection_reason,
    score_candidate,
)
from extractors.relocation.shortlist import shortlist
from extractors.text.fingerprint import simhash_text

TEXT = (
    "Die Stadt Monheim am Rhein bietet geflüchteten Menschen Sprachkurse an. Die Kurse finden "
    "an drei Tagen in der Woche im Bürgerhaus statt und werden von Ehrenamtlichen begleitet. "
    "Anmeldung im Integrationsbüro."
)
OTHER_TEXT = (
    "Das Jobcenter berät geflüchtete Menschen zu Ausbildung und Arbeit. Termine gibt es nach "
    "Vereinbarung, Unterlagen bitte mitbringen. Ein Dolmetscher kann gestellt werden."
)
LOST = LostPage(
    url="https://www.monheim.de/aktuelles/2016/sprachkurse-fuer-gefluechtete.html",
    last_title="Sprachkurse für Geflüchtete",
    last_summary=TEXT,
    last_fingerprint=simhash_text(TEXT),
    last_good=dt.date(2024, 2, 1),
)
MOVED = "https://www.monheim.de/leben/integration/sprachkurse-fuer-gefluechtete"


def test_the_same_page_under_a_new_address_clears_the_threshold_with_german_evidence() -> None:
    candidate = Candidate(MOVED, "sitemap", dt.date(2024, 3, 5))
    page = CandidatePage("Sprachkurse für Geflüchtete", TEXT, simhash_text(TEXT))
    score, evidence = score_candidate(LOST, candidate, page)
    assert score == 1.0
    assert evidence == (
        "Titel stimmt überein; Text nahezu gleich; Adresse mit gleichem Namen; "
        "in der Sitemap seit 03.2024"
    )


def test_a_page_on_a_similar_topic_stays_below_the_threshold() -> None:
    candidate = Candidate(
        "https://www.monheim.de/leben/integration/beratung-gefluechtete", "sitemap"
    )
    page = CandidatePage("Beratung für Geflüchtete", OTHER_TEXT, simhash_text(OTHER_TEXT))
    score, evidence = score_candidate(LOST, candidate, page)
    assert score < 0.5
    assert evidence.startswith("Titel ähnlich (50 %)")


def test_the_same_title_over_another_text_is_not_enough() -> None:
    page = CandidatePage("Sprachkurse für Geflüchtete", OTHER_TEXT, simhash_text(OTHER_TEXT))
    score, _ = score_candidate(LOST, Candidate(MOVED, "sitemap"), page)
    assert score < PROPOSAL_THRESHOLD


def test_a_never_seen_link_is_matched_by_the_entrys_title_and_description() -> None:
    never_seen = LostPage(
        url="https://www.monheim.de/sprachkurse.html",
        entry_title="Sprachkurse für Geflüchtete",
        entry_description="Sprachkurse für geflüchtete Menschen im Bürgerhaus, begleitet von "
        "Ehrenamtlichen; Anmeldung im Integrationsbüro.",
    )
    page = CandidatePage("Sprachkurse für Geflüchtete", TEXT, simhash_text(TEXT))
    score, evidence = score_candidate(never_seen, Candidate(MOVED, "sitemap"), page)
    assert evidence.startswith("Titel des Eintrags stimmt überein; Zusammenfassung ähnlich")
    assert 0.6 < score < 1.0
    # Without any text to compare, a title alone never proposes.
    bare = LostPage(url=never_seen.url, entry_title="Sprachkurse für Geflüchtete")
    assert score_candidate(bare, Candidate(MOVED, "sitemap"), page)[0] < PROPOSAL_THRESHOLD


def test_home_search_login_and_index_pages_are_rejected_outright() -> None:
    lost = LOST.url
    assert rejection_reason(lost, "https://www.monheim.de/") == "Startseite"
    assert rejection_reason(lost, "https://www.monheim.de/startseite.html") == "Startseite"
    assert rejection_reason(lost, "https://www.monheim.de/suche?q=sprachkurse") == "Suchseite"
    assert rejection_reason(lost, "https://www.monheim.de/suche/sprachkurse") == "Suchseite"
    assert rejection_reason(lost, "https://www.monheim.de/user/login.php") == "Anmeldeseite"
    assert rejection_reason(lost, "https://www.monheim.de/aktuelles/") == "Übersichtsseite"
    assert rejection_reason(lost, "https://www.monheim.de/aktuelles/2016") == "Übersichtsseite"
    assert rejection_reason(lost, MOVED) is None


def test_a_title_that_is_only_the_site_name() -> None:
    assert is_site_name_only("Monheim", MOVED, None)
    assert is_site_name_only("Stadt Monheim am Rhein", MOVED, "Stadt Monheim am Rhein")
    assert not is_site_name_only("Sprachkurse für Geflüchtete", MOVED, "Stadt Monheim am Rhein")


def test_the_proposal_needs_the_threshold_and_a_clear_lead() -> None:
    sure = Relocation(MOVED, 0.92, "sitemap", "Titel stimmt überein")
    weak = Relocation("https://www.monheim.de/b", 0.7, "sitemap", "")
    twin = Relocation("https://www.monheim.de/kopie", 0.88, "sitemap", "")
    assert pick_proposal([weak, sure]) == sure
    assert pick_proposal([weak]) is None
    assert pick_proposal([sure, twin]) is None  # ambiguous: the editor chooses
    # The same address twice (slash aside) is one candidate, not a rival.
    assert pick_proposal([sure, Relocation(MOVED + "/", 0.9, "url_pattern", "")]) == sure
    assert pick_proposal([]) is None


def test_lastmod_dates_in_w3c_forms() -> None:
    assert lastmod_date("2024-03-05T10:00:00+01:00") == dt.date(2024, 3, 5)
    assert lastmod_date("2024-03") == dt.date(2024, 3, 1)
    assert lastmod_date("gestern") is None
    assert lastmod_date("2024-13-40") is None


def test_the_shortlist_puts_patterns_first_and_fetches_no_home_search_or_unrelated_page() -> None:
    entries = [
        ("https://www.monheim.de/", None),
        ("https://www.monheim.de/suche?q=kurse", None),
        ("https://www.monheim.de/leben/abfallkalender", None),
        ("https://www.monheim.de/archiv/sprachkurse", "2015-01-01"),
        (MOVED, "2024-03-05"),
        ("https://www.dormagen.de/sprachkurse-fuer-gefluechtete", None),
        (LOST.url, None),
    ]
    pattern = "https://www.monheim.de/presse/sprachkurse-fuer-gefluechtete"
    chosen = shortlist(LOST, entries, [pattern], top=5)
    assert [(candidate.url, candidate.source) for candidate in chosen] == [
        (pattern, "url_pattern"),
        (MOVED, "sitemap"),
        ("https://www.monheim.de/archiv/sprachkurse", "sitemap"),
    ]
    assert chosen[1].lastmod == dt.date(2024, 3, 5)
    assert len(shortlist(LOST, entries, [pattern], top=2)) == 2


def test_the_archives_index_adds_candidates_and_a_sitemap_listing_wins() -> None:
    from extractors.relocation.ranking import LostPage
    from extractors.relocation.shortlist import shortlist

    lost = LostPage("https://www.kreis.de/alt/sprachkurse.html", last_title="Sprachkurse")
    chosen = shortlist(
        lost,
        [("https://www.kreis.de/themen/sprachkurse", "2026-04-01")],
        [],
        5,
        archive_entries=[
            ("https://www.kreis.de/themen/sprachkurse", "2026-04-02"),
            ("https://www.kreis.de/neu/sprachkurse-fuer-alle", "2026-04-03"),
            ("https://www.kreis.de/", "2026-04-03"),  # the home page: never a candidate
        ],
    )
    assert [(c.url, c.source) for c in chosen] == [
        ("https://www.kreis.de/themen/sprachkurse", "sitemap"),
        ("https://www.kreis.de/neu/sprachkurse-fuer-alle", "archive_index"),
    ]
