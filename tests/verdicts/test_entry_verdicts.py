"""Verdict rules: link rows in, one verdict per catalogue entry with German reasons out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from record_factories import make_link_row

from extractors.records import (
    FAILING_HEALTH,
    CatalogEntry,
    EntryVerdict,
    Health,
    LinkRow,
    Verdict,
)
from extractors.verdicts.entry_verdicts import (
    GERMAN_DATE_SOURCE_LABELS,
    GERMAN_HEALTH_LABELS,
    GERMAN_VERDICT_LABELS,
    german_date,
    german_date_source,
    judge_entries,
)

RUN_DATE = dt.date(2026, 11, 26)


def catalog_row(
    entry_id: str = "monheim",
    url: str = "https://example.org/a",
    label: str = "Weitere Informationen",
    **changes: Any,
) -> CatalogEntry:
    fields: dict[str, Any] = {
        "line": 2,
        "entry_id": entry_id,
        "provider": "Stadt Monheim am Rhein",
        "title": "Gesundheitskarte",
        "description": "Beschreibung",
        "link_label": label,
        "url": url,
        "provider_type": "Stadt",
    }
    fields.update(changes)
    return CatalogEntry(**fields)


def link_row(
    entry_id: str = "monheim",
    url: str | None = "https://example.org/a",
    label: str = "Weitere Informationen",
    **changes: Any,
) -> LinkRow:
    """A healthy, dated, fresh link unless `changes` say otherwise."""
    return make_link_row(entry_id=entry_id, url=url, link_label=label, **changes)


def failing(health: Health, status: int | None, *, confirmed: bool, **changes: Any) -> LinkRow:
    return link_row(
        health=health,
        http_status=status,
        failing_since=dt.date(2026, 11, 3) if confirmed else RUN_DATE,
        consecutive_failures=3 if confirmed else 1,
        confirmed_broken=confirmed,
        content_date=None,
        modified=None,
        date_source=None,
        stale=None,
        **changes,
    )


def judge_one(catalog: list[CatalogEntry], links: list[LinkRow], **kwargs: Any) -> EntryVerdict:
    verdicts = judge_entries(catalog, links, run_date=RUN_DATE, **kwargs)
    assert len(verdicts) == 1
    return verdicts[0]


SECOND = "https://example.org/b"
STALE_LINK = {
    "stale": True,
    "content_date": dt.date(2015, 11, 3),
    "modified": dt.date(2015, 11, 3),
    "date_source": "visible_text",
    "date_evidence": "visible",
    "age_days": 4041,
}

# (case id, catalogue rows, link rows, expected verdict, reasons that must appear in this order)
VERDICT_CASES: list[tuple[str, list[CatalogEntry], list[LinkRow], Verdict, list[str]]] = [
    ("healthy", [catalog_row()], [link_row()], Verdict.OK, []),
    (
        "confirmed broken",
        [catalog_row()],
        [failing(Health.NOT_FOUND, 404, confirmed=True)],
        Verdict.BROKEN,
        [
            "Link „Weitere Informationen“ ist nicht erreichbar (nicht gefunden, HTTP 404), "
            "seit 03.11.2026."
        ],
    ),
    (
        "missing target",
        [catalog_row(url="", label='Twitter "Köln hilft"')],
        [link_row(url=None, label='Twitter "Köln hilft"')],
        Verdict.MISSING_URL,
        ['Für „Twitter "Köln hilft"“ ist kein Link-Ziel bekannt.'],
    ),
    (
        "unconfirmed failure",
        [catalog_row()],
        [failing(Health.NOT_FOUND, 404, confirmed=False)],
        Verdict.REVIEW,
        [
            "Link „Weitere Informationen“ funktioniert seit 26.11.2026 nicht "
            "(nicht gefunden, HTTP 404); wird nach erneutem Fehlschlag als defekt gemeldet."
        ],
    ),
    (
        "moved",
        [catalog_row()],
        [link_row(health=Health.MOVED, http_status=301, final_url="https://neu.example.org/a")],
        Verdict.REVIEW,
        [
            "Link „Weitere Informationen“: Seite ist dauerhaft umgezogen nach "
            "https://neu.example.org/a – Link aktualisieren."
        ],
    ),
    (
        "blocked",
        [catalog_row()],
        [
            link_row(
                health=Health.BLOCKED,
                http_status=403,
                error_detail="robots.txt disallows this path.",
                content_date=None,
                stale=None,
            )
        ],
        Verdict.REVIEW,
        [
            "Link „Weitere Informationen“ konnte nicht geprüft werden: Zugriff verweigert "
            "(HTTP 403; robots.txt disallows this path)."
        ],
    ),
    (
        "tls error",
        [catalog_row()],
        [
            link_row(
                health=Health.TLS_ERROR,
                http_status=None,
                error_detail="certificate has expired",
                content_date=None,
                stale=None,
            )
        ],
        Verdict.REVIEW,
        [
            "Link „Weitere Informationen“ konnte nicht geprüft werden: Zertifikat ungültig "
            "(certificate has expired)."
        ],
    ),
    (
        "stale",
        [catalog_row()],
        [link_row(**STALE_LINK)],
        Verdict.STALE,
        [
            "Link „Weitere Informationen“: Stand-Angabe auf der Seite: 03.11.2015 "
            "– älter als 730 Tage."
        ],
    ),
    (
        "undated good link stays ok",
        [catalog_row()],
        [link_row(content_date=None, modified=None, date_source=None, stale=None, age_days=None)],
        Verdict.OK,
        ["Link „Weitere Informationen“: Kein Datum auf der Seite gefunden."],
    ),
    (
        "one good and one dead link is not ok",
        [catalog_row(), catalog_row(url=SECOND, label="Flyer")],
        [link_row(), failing(Health.SERVER_ERROR, 503, confirmed=True, url=SECOND, label="Flyer")],
        Verdict.BROKEN,
        ["Link „Flyer“ ist nicht erreichbar (Serverfehler, HTTP 503), seit 03.11.2026."],
    ),
    (
        "one good and one first failure is review",
        [catalog_row(), catalog_row(url=SECOND, label="Flyer")],
        [link_row(), failing(Health.TIMEOUT, None, confirmed=False, url=SECOND, label="Flyer")],
        Verdict.REVIEW,
        ["Link „Flyer“ funktioniert seit 26.11.2026 nicht (Zeitüberschreitung);"],
    ),
    (
        "broken beats missing target and stale; reasons by severity",
        [
            catalog_row(label="Alt"),
            catalog_row(url="", label="Twitter"),
            catalog_row(url=SECOND, label="Flyer"),
        ],
        [
            link_row(label="Alt", **STALE_LINK),
            link_row(url=None, label="Twitter"),
            failing(Health.DNS_ERROR, None, confirmed=True, url=SECOND, label="Flyer"),
        ],
        Verdict.BROKEN,
        [
            "Link „Flyer“ ist nicht erreichbar (Domain nicht auflösbar), seit 03.11.2026.",
            "Für „Twitter“ ist kein Link-Ziel bekannt.",
            "Link „Alt“: Stand-Angabe auf der Seite: 03.11.2015",
        ],
    ),
    (
        "missing target beats review",
        [catalog_row(), catalog_row(url="", label="Twitter")],
        [failing(Health.SOFT_404, 200, confirmed=False)],
        Verdict.MISSING_URL,
        [
            "Für „Twitter“ ist kein Link-Ziel bekannt.",
            "Link „Weitere Informationen“ funktioniert seit 26.11.2026 nicht "
            "(Fehlerseite statt Inhalt, HTTP 200)",
        ],
    ),
    (
        "review beats stale",
        [catalog_row(), catalog_row(url=SECOND, label="Flyer")],
        [
            link_row(**STALE_LINK),
            link_row(url=SECOND, label="Flyer", health=Health.MOVED, final_url=SECOND + "-neu"),
        ],
        Verdict.REVIEW,
        [
            "Link „Flyer“: Seite ist dauerhaft umgezogen nach https://example.org/b-neu",
            "Link „Weitere Informationen“: Stand-Angabe auf der Seite: 03.11.2015",
        ],
    ),
    (
        "stale beats the undated note",
        [catalog_row(), catalog_row(url=SECOND, label="Flyer")],
        [link_row(**STALE_LINK), link_row(url=SECOND, label="Flyer", content_date=None)],
        Verdict.STALE,
        [
            "Link „Weitere Informationen“: Stand-Angabe auf der Seite: 03.11.2015",
            "Link „Flyer“: Kein Datum auf der Seite gefunden.",
        ],
    ),
]


@pytest.mark.parametrize(
    ("catalog", "links", "verdict", "reasons"),
    [case[1:] for case in VERDICT_CASES],
    ids=[case[0] for case in VERDICT_CASES],
)
def test_verdict_rules(
    catalog: list[CatalogEntry], links: list[LinkRow], verdict: Verdict, reasons: list[str]
) -> None:
    result = judge_one(catalog, links)
    assert result.verdict is verdict
    assert len(result.reasons) == len(reasons)
    for expected, actual in zip(reasons, result.reasons, strict=True):
        assert actual.startswith(expected), (expected, actual)


@pytest.mark.parametrize(
    ("health", "status", "words"),
    [
        (Health.NOT_FOUND, 410, "(nicht gefunden, HTTP 410)"),
        (Health.SERVER_ERROR, 500, "(Serverfehler, HTTP 500)"),
        (Health.TIMEOUT, None, "(Zeitüberschreitung)"),
        (Health.DNS_ERROR, None, "(Domain nicht auflösbar)"),
        (Health.CONNECTION_ERROR, None, "(Verbindung fehlgeschlagen)"),
        (Health.SOFT_404, 200, "(Fehlerseite statt Inhalt, HTTP 200)"),
        (Health.TOO_MANY_REDIRECTS, 302, "(zu viele Weiterleitungen, HTTP 302)"),
        (Health.INVALID_URL, None, "(ungültige Adresse)"),
    ],
)
def test_broken_reason_names_the_failure_in_german(
    health: Health, status: int | None, words: str
) -> None:
    assert health in FAILING_HEALTH
    result = judge_one([catalog_row()], [failing(health, status, confirmed=True)])
    assert result.verdict is Verdict.BROKEN
    assert result.reasons == (
        f"Link „Weitere Informationen“ ist nicht erreichbar {words}, seit 03.11.2026.",
    )
    assert result.links_failing == 1


def test_counts_and_newest_content_date() -> None:
    catalog = [
        catalog_row(),
        catalog_row(url=SECOND, label="Flyer"),
        catalog_row(url="https://example.org/c", label="Kaputt"),
        catalog_row(url="", label="Twitter"),
        catalog_row(url="https://example.org/d", label="Gesperrt"),
    ]
    links = [
        link_row(content_date=dt.date(2024, 5, 1)),
        link_row(
            url=SECOND, label="Flyer", health=Health.REDIRECTED, content_date=dt.date(2025, 2, 3)
        ),
        failing(
            Health.NOT_FOUND, 404, confirmed=False, url="https://example.org/c", label="Kaputt"
        ),
        link_row(url=None, label="Twitter"),
        link_row(
            url="https://example.org/d", label="Gesperrt", health=Health.BLOCKED, content_date=None
        ),
    ]
    result = judge_one(catalog, links)
    assert (
        result.links_total,
        result.links_ok,
        result.links_failing,
        result.links_missing_url,
    ) == (
        5,
        2,
        1,
        1,
    )
    assert result.newest_content_date == dt.date(2025, 2, 3)
    assert result.verdict is Verdict.MISSING_URL
    assert result.run_date == RUN_DATE


def test_one_verdict_per_entry_in_catalogue_order_with_fields_from_first_row() -> None:
    catalog = [
        catalog_row("zeta", provider="Kreis Z", title="Z-Titel", extra=(("region", "Süd"),)),
        catalog_row("alpha", provider="Land A", title="A-Titel"),
        catalog_row("zeta", url=SECOND, provider="ignoriert", title="ignoriert"),
    ]
    links = [
        # The same URL in two entries: matched by (entry_id, url), not by url alone.
        failing(Health.NOT_FOUND, 404, confirmed=True, entry_id="alpha"),
        link_row("zeta"),
        link_row("zeta", url=SECOND),
    ]
    verdicts = judge_entries(catalog, links, run_date=RUN_DATE)
    assert [(v.entry_id, v.verdict) for v in verdicts] == [
        ("zeta", Verdict.OK),
        ("alpha", Verdict.BROKEN),
    ]
    zeta = verdicts[0]
    assert (zeta.provider, zeta.title, zeta.provider_type, zeta.description) == (
        "Kreis Z",
        "Z-Titel",
        "Stadt",
        "Beschreibung",
    )
    assert zeta.extra == (("region", "Süd"),)
    assert zeta.links_total == 2


def test_duplicate_catalogue_rows_count_once_and_unmatched_links_are_ignored() -> None:
    catalog = [catalog_row(), catalog_row(line=3)]
    links = [link_row(), failing(Health.NOT_FOUND, 404, confirmed=True, entry_id="anderer")]
    result = judge_one(catalog, links)
    assert result.links_total == 1
    assert result.verdict is Verdict.OK


def test_unchecked_link_is_an_informational_reason() -> None:
    result = judge_one([catalog_row(), catalog_row(url=SECOND, label="Flyer")], [link_row()])
    assert result.verdict is Verdict.OK
    assert result.reasons == ("Link „Flyer“ wurde noch nicht geprüft.",)


def test_stale_threshold_in_reason_prefers_the_entry_setting() -> None:
    own = judge_one([catalog_row(max_age_days=365)], [link_row(**STALE_LINK)])
    assert own.reasons[0].endswith("älter als 365 Tage.")
    setting = judge_one([catalog_row()], [link_row(**STALE_LINK)], stale_after_days=1000)
    assert setting.reasons[0].endswith("älter als 1000 Tage.")


def test_unlabelled_links_are_named_by_address_or_generically() -> None:
    long_url = "https://example.org/" + "x" * 200
    result = judge_one(
        [catalog_row(url=long_url, label=""), catalog_row(url="", label="")],
        [failing(Health.NOT_FOUND, 404, confirmed=True, url=long_url, label="")],
    )
    assert result.reasons[0].startswith("Link „https://example.org/xxx")
    assert "…“ ist nicht erreichbar" in result.reasons[0]
    assert len(result.reasons[0]) < 160
    assert result.reasons[1] == "Für einen Link ohne Bezeichnung ist kein Link-Ziel bekannt."


def test_judging_is_pure_and_repeatable() -> None:
    catalog = [catalog_row(), catalog_row(url=SECOND, label="Flyer")]
    links = [link_row(**STALE_LINK), failing(Health.TIMEOUT, None, confirmed=False, url=SECOND)]
    first = judge_entries(catalog, links, run_date=RUN_DATE)
    second = judge_entries(tuple(catalog), tuple(links), run_date=RUN_DATE)
    assert first == second
    later = judge_entries(catalog, links, run_date=dt.date(2030, 1, 1))
    assert [dataclasses.replace(v, run_date=RUN_DATE) for v in later] == first


def test_german_labels_cover_the_vocabularies() -> None:
    assert set(GERMAN_HEALTH_LABELS) == set(Health)
    assert dict(GERMAN_VERDICT_LABELS) == {
        Verdict.BROKEN: "Defekt",
        Verdict.STALE: "Veraltet",
        Verdict.REVIEW: "Prüfen",
        Verdict.MISSING_URL: "Ohne Link-Ziel",
        Verdict.OK: "In Ordnung",
    }
    for code in (
        "json_ld",
        "meta",
        "time_element",
        "visible_text",
        "url",
        "http_header",
        "pdf_info",
        "footer_text",
        "document_info",
    ):
        assert code in GERMAN_DATE_SOURCE_LABELS
        assert german_date_source(code) == GERMAN_DATE_SOURCE_LABELS[code]
    assert german_date_source("visible_text") == "Datumsangabe im Seitentext"
    assert german_date_source("meta:article:modified_time") == GERMAN_DATE_SOURCE_LABELS["meta"]
    assert german_date_source("neu") == "neu"
    assert german_date_source(None) == "unbekannt"


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 11, 3), "03.11.2026"),
        (dt.date(2015, 1, 9), "09.01.2015"),
        (dt.date(999, 12, 31), "31.12.0999"),
    ],
)
def test_german_date(day: dt.date, text: str) -> None:
    assert german_date(day) == text


# --- editors' reviews ----------------------------------------------------------------------


def test_changed_content_asks_for_review_until_reviewed() -> None:
    changed = link_row(last_changed=dt.date(2026, 11, 20))
    verdict = judge_one([catalog_row()], [changed])
    assert verdict.verdict is Verdict.REVIEW
    assert "Inhalt geändert am 20.11.2026" in verdict.reasons[0]

    reviewed = judge_one([catalog_row()], [changed], reviews={"monheim": dt.date(2026, 11, 21)})
    assert reviewed.verdict is Verdict.OK

    # A review before the change does not cover it.
    older = judge_one([catalog_row()], [changed], reviews={"monheim": dt.date(2026, 11, 19)})
    assert older.verdict is Verdict.REVIEW


def test_reviewed_old_page_is_accepted_until_it_changes_again() -> None:
    old = link_row(**STALE_LINK)
    assert judge_one([catalog_row()], [old]).verdict is Verdict.STALE
    accepted = judge_one([catalog_row()], [old], reviews={"monheim": dt.date(2026, 11, 1)})
    assert accepted.verdict is Verdict.OK
    assert any("als weiterhin gültig bestätigt" in reason for reason in accepted.reasons)
    changed_later = link_row(**STALE_LINK, last_changed=dt.date(2026, 11, 20))
    again = judge_one([catalog_row()], [changed_later], reviews={"monheim": dt.date(2026, 11, 1)})
    assert again.verdict is Verdict.REVIEW  # changed after the review: look again


def test_review_never_hides_a_broken_link() -> None:
    dead = failing(Health.NOT_FOUND, 404, confirmed=True)
    verdict = judge_one([catalog_row()], [dead], reviews={"monheim": RUN_DATE})
    assert verdict.verdict is Verdict.BROKEN
