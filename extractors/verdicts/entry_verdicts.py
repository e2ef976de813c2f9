"""Turn the link rows of one night into one verdict per catalogue entry, with German reasons.

An entry is a group of catalogue rows sharing an `entry_id`; each row is one link. Catalogue rows
with a target are matched to link rows by `(entry_id, url)`; a row without a target (empty url)
needs no link row, it is a finding by itself.

Verdict rules, highest priority first (the first that applies sets the verdict):

1. ``broken`` – at least one link is confirmed broken (``confirmed_broken``: it failed on
   consecutive nights).
2. ``missing_url`` – at least one catalogue link has no target.
3. ``review`` – at least one link needs an editor's eye: it fails but is not yet confirmed
   (health in ``FAILING_HEALTH``), it moved permanently (``moved``: the link should be updated),
   it could not be verified (``blocked`` / ``tls_error``), or its main text changed
   (``last_changed``) after the entry was last reviewed (never reviewed: any change counts).
4. ``stale`` – at least one link's content is older than the entry's threshold (``stale`` is true),
   unless an editor reviewed the entry after the content last changed (then informational only).
5. ``ok`` – none of the above.

An entry collects every applicable reason, not only the one that set its verdict, ordered by
severity (broken, missing target, review, stale, informational) and within one severity by
catalogue order. Informational reasons never change a verdict: a good link without any content
date („Kein Datum auf der Seite gefunden.“) and a link that has not been checked yet.

Counts: ``links_total`` (catalogue links), ``links_ok`` (health in ``GOOD_HEALTH``),
``links_failing`` (health in ``FAILING_HEALTH``), ``links_missing_url``; ``newest_content_date``
is the newest ``content_date`` over the entry's links.

Pure: no clock, the run date is passed in. All dates are written TT.MM.JJJJ.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType

from extractors.records import (
    FAILING_HEALTH,
    GOOD_HEALTH,
    CatalogEntry,
    DateEvidence,
    EntryVerdict,
    Health,
    LinkRow,
    Verdict,
)

DEFAULT_STALE_AFTER_DAYS = 730

# Lower case so they read well inside a sentence; the report capitalises where needed.
GERMAN_HEALTH_LABELS: Mapping[Health, str] = MappingProxyType(
    {
        Health.OK: "erreichbar",
        Health.REDIRECTED: "weitergeleitet",
        Health.MOVED: "dauerhaft umgezogen",
        Health.SOFT_404: "Fehlerseite statt Inhalt",
        Health.NOT_FOUND: "nicht gefunden",
        Health.SERVER_ERROR: "Serverfehler",
        Health.TIMEOUT: "Zeitüberschreitung",
        Health.DNS_ERROR: "Domain nicht auflösbar",
        Health.CONNECTION_ERROR: "Verbindung fehlgeschlagen",
        Health.TLS_ERROR: "Zertifikat ungültig",
        Health.BLOCKED: "Zugriff verweigert",
        Health.TOO_MANY_REDIRECTS: "zu viele Weiterleitungen",
        Health.INVALID_URL: "ungültige Adresse",
    }
)

GERMAN_VERDICT_LABELS: Mapping[Verdict, str] = MappingProxyType(
    {
        Verdict.BROKEN: "Defekt",
        Verdict.STALE: "Veraltet",
        Verdict.REVIEW: "Prüfen",
        Verdict.MISSING_URL: "Ohne Link-Ziel",
        Verdict.OK: "In Ordnung",
    }
)

# Where a content date was found, in words an editor understands.
GERMAN_DATE_SOURCE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "json_ld": "strukturierte Daten der Seite",
        "meta": "Meta-Angabe im Seitenkopf",
        "time_element": "Datumsauszeichnung im Seitentext",
        "visible_text": "Datumsangabe im Seitentext",
        "footer_text": "Stand-Angabe im Fußbereich der Seite",
        "document_info": "Dokumenteigenschaften der Datei",
        "url": "Datum in der Adresse",
        "http_header": "Angabe des Servers",
        "pdf_info": "Dokumenteigenschaften der PDF-Datei",
    }
)

# Verdicts from most to least urgent; the first applicable one wins.
VERDICT_PRIORITY: tuple[Verdict, ...] = (
    Verdict.BROKEN,
    Verdict.MISSING_URL,
    Verdict.REVIEW,
    Verdict.STALE,
    Verdict.OK,
)

_DETAIL_MAX_CHARS = 200
_REF_URL_MAX_CHARS = 80
_WHITESPACE = re.compile(r"\s+")


class _Severity(IntEnum):
    """Order of reasons within an entry; the first four map onto verdicts."""

    BROKEN = 0
    MISSING_URL = 1
    REVIEW = 2
    STALE = 3
    INFO = 4


_VERDICT_OF_SEVERITY: Mapping[_Severity, Verdict] = MappingProxyType(
    {
        _Severity.BROKEN: Verdict.BROKEN,
        _Severity.MISSING_URL: Verdict.MISSING_URL,
        _Severity.REVIEW: Verdict.REVIEW,
        _Severity.STALE: Verdict.STALE,
        _Severity.INFO: Verdict.OK,
    }
)


@dataclass(frozen=True, slots=True)
class _Finding:
    severity: _Severity
    reason: str


def german_date(day: dt.date) -> str:
    """A calendar day as German editors write it: TT.MM.JJJJ."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def german_date_source(code: str | None) -> str:
    """German words for a `date_source` code; unknown codes are shown as they are.

    A code may carry a detail after a colon (``meta:article:modified_time``); the prefix decides.
    """
    if not code:
        return "unbekannt"
    return GERMAN_DATE_SOURCE_LABELS.get(code.split(":", 1)[0].strip(), code)


def content_date_words(link: LinkRow) -> str:
    """The content date with what it rests on, in German, so an editor knows how much to trust
    a stale flag: „Stand-Angabe im Fußbereich: 03.11.2015“, „Inhalt laut Seiten-Metadaten vom
    15.02.2016 (auf der Seite nicht sichtbar)“. Empty without a content date."""
    if link.content_date is None:
        return ""
    day = german_date(link.content_date)
    evidence = link.date_evidence
    as_of = link.modified is not None and link.modified == link.content_date
    if evidence == DateEvidence.VISIBLE:
        if link.date_source == "footer_text":
            return f"Stand-Angabe im Fußbereich: {day}"
        return f"Stand-Angabe auf der Seite: {day}" if as_of else f"Datum auf der Seite: {day}"
    if evidence == DateEvidence.METADATA:
        return f"Inhalt laut Seiten-Metadaten vom {day} (auf der Seite nicht sichtbar)"
    if evidence == DateEvidence.URL:
        return f"Datum in der Adresse (URL): {day}"
    if evidence == DateEvidence.DOCUMENT_INFO:
        return f"Datum laut Dokumenteigenschaften: {day} (im Dokument nicht sichtbar)"
    if evidence == DateEvidence.HTTP_HEADER:
        return f"nur das Änderungsdatum des Servers: {day} (wenig verlässlich)"
    # Rows written before date_evidence existed (schema version < 3).
    return f"Inhalt datiert {day} (Quelle: {german_date_source(link.date_source)})"


def judge_entries(
    catalog: Sequence[CatalogEntry],
    links: Sequence[LinkRow],
    *,
    run_date: dt.date,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    reviews: Mapping[str, dt.date] | None = None,
) -> list[EntryVerdict]:
    """One verdict per distinct `entry_id`, in catalogue order (rules in the module docstring).

    `stale_after_days` only words the stale reason (the `stale` flag itself comes with the link
    row); an entry's own `max_age_days` takes precedence. `reviews` maps an entry to the day
    an editor last reviewed it: a change or an old page seen before that day is accepted.
    """
    reviews = reviews or {}
    links_by_key: dict[tuple[str, str], LinkRow] = {}
    for link in links:
        url = _target(link.url)
        if url:
            links_by_key.setdefault((link.entry_id, url), link)

    rows_by_entry: dict[str, list[CatalogEntry]] = {}
    for row in catalog:
        rows_by_entry.setdefault(row.entry_id, []).append(row)

    verdicts: list[EntryVerdict] = []
    for entry_id, rows in rows_by_entry.items():
        verdicts.append(
            _judge_entry(
                entry_id,
                _distinct_links(rows),
                links_by_key,
                run_date=run_date,
                stale_after_days=stale_after_days,
                reviewed_on=reviews.get(entry_id),
            )
        )
    return verdicts


def _distinct_links(rows: list[CatalogEntry]) -> list[CatalogEntry]:
    """Drops repeated `(entry_id, url)` rows; rows without a target are all kept."""
    seen: set[str] = set()
    distinct: list[CatalogEntry] = []
    for row in rows:
        url = _target(row.url)
        if url:
            if url in seen:
                continue
            seen.add(url)
        distinct.append(row)
    return distinct


def _judge_entry(
    entry_id: str,
    rows: list[CatalogEntry],
    links_by_key: Mapping[tuple[str, str], LinkRow],
    *,
    run_date: dt.date,
    stale_after_days: int,
    reviewed_on: dt.date | None,
) -> EntryVerdict:
    first = rows[0]
    max_age_days = first.max_age_days if first.max_age_days is not None else stale_after_days
    findings: list[_Finding] = []
    links_ok = links_failing = links_missing = 0
    content_dates: list[dt.date] = []

    for row in rows:
        url = _target(row.url)
        if not url:
            links_missing += 1
            findings.append(_missing_target(row.link_label))
            continue
        link = links_by_key.get((entry_id, url))
        ref = _link_ref(row.link_label, url)
        if link is None or link.health is None:
            findings.append(_Finding(_Severity.INFO, f"Link {ref} wurde noch nicht geprüft."))
            continue
        if link.health in GOOD_HEALTH:
            links_ok += 1
        elif link.health in FAILING_HEALTH:
            links_failing += 1
        if link.content_date is not None:
            content_dates.append(link.content_date)
        findings.extend(
            _link_findings(
                link, link.health, ref, max_age_days=max_age_days, reviewed_on=reviewed_on
            )
        )

    findings.sort(key=lambda finding: finding.severity)  # stable: catalogue order within a level
    severity = min((finding.severity for finding in findings), default=_Severity.INFO)
    return EntryVerdict(
        entry_id=entry_id,
        provider=first.provider,
        provider_type=first.provider_type,
        title=first.title,
        description=first.description,
        run_date=run_date,
        verdict=_VERDICT_OF_SEVERITY[severity],
        reasons=tuple(finding.reason for finding in findings),
        links_total=len(rows),
        links_ok=links_ok,
        links_failing=links_failing,
        links_missing_url=links_missing,
        newest_content_date=max(content_dates, default=None),
        extra=first.extra,
    )


def _link_findings(
    link: LinkRow, health: Health, ref: str, *, max_age_days: int, reviewed_on: dt.date | None
) -> list[_Finding]:
    """Every finding about one checked link with a target (`health` is `link.health`, not None)."""
    findings: list[_Finding] = []
    # What an editor has seen: content unchanged since the review day is accepted as it is.
    accepted = reviewed_on is not None and (link.last_changed or link.first_seen) <= reviewed_on
    problem = _problem_words(health, link.http_status)

    if link.confirmed_broken:
        since = f", seit {german_date(link.failing_since)}" if link.failing_since else ""
        findings.append(
            _Finding(_Severity.BROKEN, f"Link {ref} ist nicht erreichbar ({problem}){since}.")
        )
    elif health in FAILING_HEALTH:
        since = f" seit {german_date(link.failing_since)}" if link.failing_since else ""
        findings.append(
            _Finding(
                _Severity.REVIEW,
                f"Link {ref} funktioniert{since} nicht ({problem}); "
                "wird nach erneutem Fehlschlag als defekt gemeldet.",
            )
        )
    elif health is Health.MOVED:
        target = f" nach {link.final_url}" if link.final_url else ""
        findings.append(
            _Finding(
                _Severity.REVIEW,
                f"Link {ref}: Seite ist dauerhaft umgezogen{target} – Link aktualisieren.",
            )
        )
    elif health in (Health.BLOCKED, Health.TLS_ERROR):
        evidence = [f"HTTP {link.http_status}"] if link.http_status else []
        detail = _short_detail(link.error_detail)
        if detail:
            evidence.append(detail)
        evidence_text = f" ({'; '.join(evidence)})" if evidence else ""
        findings.append(
            _Finding(
                _Severity.REVIEW,
                f"Link {ref} konnte nicht geprüft werden: "
                f"{GERMAN_HEALTH_LABELS[health]}{evidence_text}.",
            )
        )

    if health in GOOD_HEALTH and link.last_changed is not None and not accepted:
        findings.append(
            _Finding(
                _Severity.REVIEW,
                f"Link {ref}: Inhalt geändert am {german_date(link.last_changed)} – "
                "Text prüfen und danach als geprüft vermerken.",
            )
        )

    if link.stale and accepted and link.content_date is not None:
        findings.append(
            _Finding(
                _Severity.INFO,
                f"Link {ref}: Inhalt datiert {german_date(link.content_date)}, "
                f"am {german_date(reviewed_on)} als weiterhin gültig bestätigt.",
            )
        )
    elif link.stale:
        dated = content_date_words(link) or "Inhalt"
        findings.append(
            _Finding(_Severity.STALE, f"Link {ref}: {dated} – älter als {max_age_days} Tage.")
        )
    elif health in GOOD_HEALTH and link.content_date is None:
        findings.append(_Finding(_Severity.INFO, f"Link {ref}: Kein Datum auf der Seite gefunden."))
    return findings


def _missing_target(label: str) -> _Finding:
    label = _clean(label)
    if label:
        return _Finding(_Severity.MISSING_URL, f"Für „{label}“ ist kein Link-Ziel bekannt.")
    return _Finding(
        _Severity.MISSING_URL, "Für einen Link ohne Bezeichnung ist kein Link-Ziel bekannt."
    )


def _problem_words(health: Health, http_status: int | None) -> str:
    """E.g. "nicht gefunden, HTTP 404"; the status only where it says something."""
    words = GERMAN_HEALTH_LABELS[health]
    return f"{words}, HTTP {http_status}" if http_status else words


def _link_ref(label: str, url: str) -> str:
    """How a reason names its link: the catalogue label, else the (shortened) address."""
    name = _clean(label)
    if not name:
        name = url if len(url) <= _REF_URL_MAX_CHARS else url[: _REF_URL_MAX_CHARS - 1] + "…"
    return f"„{name}“"


def _short_detail(detail: str | None) -> str:
    """A fetcher's error detail, one line, bounded, without a closing full stop."""
    text = _clean(detail or "").rstrip(".")
    if len(text) > _DETAIL_MAX_CHARS:
        text = text[: _DETAIL_MAX_CHARS - 1] + "…"
    return text


def _clean(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _target(url: str | None) -> str:
    """A link's target, or "" when it has none."""
    return (url or "").strip()
