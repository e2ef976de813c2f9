"""The report's German wording: its sections in order of urgency with their headings and
intros, and one sentence for what each health value and each verdict means.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from extractors.records import Health, Verdict


class ReportSection(StrEnum):
    """Where a link row stands in the report, in order of urgency. Values are HTML ids."""

    BROKEN = "defekt"
    MOVED = "umgezogen"
    STALE = "veraltet"
    REVIEW = "pruefen"
    MISSING_URL = "ohne-link-ziel"
    OK = "in-ordnung"


SECTION_HEADINGS: Mapping[ReportSection, str] = MappingProxyType(
    {
        ReportSection.BROKEN: "Defekt",
        ReportSection.MOVED: "Umgezogen",
        ReportSection.STALE: "Veraltet",
        ReportSection.REVIEW: "Prüfen",
        ReportSection.MISSING_URL: "Ohne Link-Ziel",
        ReportSection.OK: "In Ordnung",
    }
)
SECTION_INTROS: Mapping[ReportSection, str] = MappingProxyType(
    {
        ReportSection.BROKEN: (
            "Diese Links sind in mehreren Nächten hintereinander gescheitert. Bitte ein neues "
            "Link-Ziel suchen, eine archivierte Kopie verlinken oder den Link entfernen."
        ),
        ReportSection.MOVED: (
            "Diese Seiten sind dauerhaft an eine neue Adresse umgezogen. Bitte den Link im "
            "Katalog auf die neue Adresse ändern."
        ),
        ReportSection.STALE: (
            "Diese Seiten sind erreichbar, ihr Inhalt ist aber älter als die eingestellte Frist. "
            "Bitte prüfen, ob der Text noch gilt."
        ),
        ReportSection.REVIEW: (
            "Hier ist etwas auffällig, aber nicht sicher defekt: ein erster Fehlschlag, eine "
            "Seite, die sich nicht automatisch prüfen lässt, oder ein geänderter Text."
        ),
        ReportSection.MISSING_URL: "Für diese Links ist im Katalog keine Adresse eingetragen.",
        ReportSection.OK: (
            "Diese Links sind erreichbar; ihr Inhalt ist aktuell, bestätigt oder trägt kein Datum."
        ),
    }
)
# An entry without any link row is shown in the section of its verdict.
SECTION_OF_VERDICT: Mapping[Verdict, ReportSection] = MappingProxyType(
    {
        Verdict.BROKEN: ReportSection.BROKEN,
        Verdict.REVIEW: ReportSection.REVIEW,
        Verdict.STALE: ReportSection.STALE,
        Verdict.MISSING_URL: ReportSection.MISSING_URL,
        Verdict.OK: ReportSection.OK,
    }
)


# What a verdict means, in one sentence (the overview explains the counts with it).
VERDICT_SENTENCES: Mapping[Verdict, str] = MappingProxyType(
    {
        Verdict.BROKEN: "Mindestens ein Link ist in mehreren Nächten hintereinander gescheitert.",
        Verdict.MISSING_URL: "Für mindestens einen Link ist im Katalog keine Adresse eingetragen.",
        Verdict.REVIEW: (
            "Etwas ist auffällig – ein erster Fehlschlag, eine neue Adresse, eine nicht prüfbare "
            "Seite oder ein geänderter Text – und sollte angesehen werden."
        ),
        Verdict.STALE: "Die Seiten sind erreichbar, ihr Inhalt ist aber älter als die Frist.",
        Verdict.OK: "Alle Links sind erreichbar, der Inhalt ist aktuell oder trägt kein Datum.",
    }
)

# What is wrong with a link, by health value; "{status}" becomes " (HTTP 404)" or "".
_HEALTH_SENTENCES: Mapping[Health, str] = MappingProxyType(
    {
        Health.OK: "Die Seite ist erreichbar{status}.",
        Health.REDIRECTED: "Die Seite ist erreichbar; die Adresse leitet vorübergehend weiter.",
        Health.MOVED: "Die Seite ist dauerhaft an eine neue Adresse umgezogen{status}.",
        Health.SOFT_404: (
            "Statt des Inhalts kommt eine Fehler- oder Ersatzseite, obwohl der Server "
            "„in Ordnung“ meldet{status}."
        ),
        Health.NOT_FOUND: "Die Seite gibt es unter dieser Adresse nicht mehr{status}.",
        Health.SERVER_ERROR: "Der Server meldet einen Fehler{status}.",
        Health.TIMEOUT: "Der Server hat nicht rechtzeitig geantwortet.",
        Health.DNS_ERROR: "Den Namen der Domain gibt es nicht (mehr); der Server ist unauffindbar.",
        Health.CONNECTION_ERROR: "Der Server nimmt keine Verbindung an oder bricht sie ab.",
        Health.TLS_ERROR: (
            "Das Sicherheitszertifikat der Seite ist ungültig; Besucher sehen eine Warnung."
        ),
        Health.BLOCKED: "Der Server lässt die automatische Prüfung nicht zu{status}.",
        Health.TOO_MANY_REDIRECTS: (
            "Die Adresse leitet im Kreis oder über zu viele Stationen weiter."
        ),
        Health.INVALID_URL: (
            "Die Adresse im Katalog ist ungültig (kein vollständiger http- oder https-Link)."
        ),
    }
)
_STATUS_WORDS = {404: "nicht gefunden", 410: "gelöscht", 401: "Anmeldung nötig", 403: "verboten"}


def health_sentence(health: Health, http_status: int | None = None) -> str:
    """One German sentence saying what a health value means for the editors."""
    status = ""
    if http_status:
        words = _STATUS_WORDS.get(http_status)
        status = f" (HTTP {http_status} – {words})" if words else f" (HTTP {http_status})"
    return _HEALTH_SENTENCES[health].format(status=status)


def verdict_sentence(verdict: Verdict) -> str:
    """One German sentence saying what an entry verdict means."""
    return VERDICT_SENTENCES[verdict]


def age_words(age_days: int | None) -> str:
    if age_days is None:
        return ""
    years = age_days // 365
    if years >= 2:
        return f" – vor über {years} Jahren"
    if years == 1:
        return " – vor über einem Jahr"
    return f" – vor {age_days} Tagen"
