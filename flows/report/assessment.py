"""One catalogue link assessed for the editors: the report section it belongs in, a German
sentence saying what is wrong and since when, the evidence, and what to do about it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from extractors.records import (
    FAILING_HEALTH,
    GOOD_HEALTH,
    UNVERIFIABLE_HEALTH,
    EntryVerdict,
    Health,
    LinkRow,
)
from extractors.verdicts.entry_verdicts import content_date_words, german_date
from flows.report.safe_text import REASON_MAX_CHARS, WHITESPACE, http_href, shown_text
from flows.report.wording import ReportSection, age_words, health_sentence

WAYBACK_SEARCH = "https://web.archive.org/web/*/"
COPY_ACTION = "Archivkopie ansehen und als Ersatz-Link prüfen"
NEW_ADDRESS_ACTION = "Neue Adresse prüfen und im Katalog eintragen"
NEW_ADDRESS_LABEL = "Neue Adresse auf derselben Website gefunden"
# Suggestion sources of a new location found for a lost page (flows.new_locations); a
# moved link's `redirect` suggestion is its new address and shown as such.
FOUND_SOURCES = frozenset({"sitemap", "url_pattern", "archive_index"})
# Sections whose rows show a link's archived copy (or why there is none).
_COPY_SECTIONS = frozenset({ReportSection.BROKEN, ReportSection.MOVED, ReportSection.REVIEW})
# Phrases of extractors.verdicts.entry_verdicts that say an editor has accepted a link's state, or
# that a change is still unreviewed; the verdict's own words decide, so page and dataset agree.
_ACCEPTED_PHRASE = "als weiterhin gültig bestätigt"
_CHANGED_PHRASE = "Inhalt geändert am"


@dataclass(frozen=True, slots=True)
class Action:
    """Something an editor should do, with a link target when there is one."""

    text: str
    href: str | None = None
    # A terminal command (`linkpflege review …`): the desk offers a button instead.
    command: bool = False


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind an assessment (status, new address, content date, …)."""

    label: str
    text: str
    href: str | None = None


def _reason_ref(link: LinkRow) -> str:
    """How extractors.verdicts.entry_verdicts names a link at the start of its reasons."""
    name = WHITESPACE.sub(" ", link.link_label).strip()
    if not name:
        url = (link.url or "").strip()
        name = url if len(url) <= 80 else url[:79] + "…"
    return f"Link „{name}“"


@dataclass(frozen=True, slots=True)
class LinkAssessment:
    """Where a link stands and why: the sentence, notes, and since when."""

    section: ReportSection
    sentence: str
    notes: tuple[str, ...]
    since: dt.date | None
    since_what: str


def assess_link(link: LinkRow, entry: EntryVerdict | None = None) -> tuple[ReportSection, str]:
    """The section a link belongs in and the German sentence saying what is wrong with it.

    `entry` (the link's entry verdict) decides whether an editor already accepted an old or
    changed page; without it every old page counts as stale and a change as unreviewed.
    """
    assessment = link_assessment(link, entry)
    return assessment.section, assessment.sentence


def link_assessment(link: LinkRow, entry: EntryVerdict | None) -> LinkAssessment:
    url = (link.url or "").strip()
    health = link.health
    if not url:
        return LinkAssessment(
            ReportSection.MISSING_URL,
            "Im Katalog ist für diesen Link keine Adresse eingetragen.",
            (),
            link.first_seen,
            "im Katalog seit",
        )
    if health is None:
        return LinkAssessment(
            ReportSection.OK, "Dieser Link wurde noch nicht geprüft.", (), None, ""
        )

    ref = _reason_ref(link)
    own_reasons = [r for r in (entry.reasons if entry else ()) if r.startswith(ref)]
    accepted = [r for r in own_reasons if _ACCEPTED_PHRASE in r]
    stale = bool(link.stale) and not accepted
    good = health in GOOD_HEALTH
    if entry is None:
        changed = good and link.last_changed is not None
    else:
        changed = good and any(_CHANGED_PHRASE in r for r in own_reasons)

    # The date with what it rests on: an editor weighs a footer "Stand" above a CMS record.
    dated = content_date_words(link)
    stale_sentence = (
        f"{dated[:1].upper()}{dated[1:]}{age_words(link.age_days)}."
        if dated
        else "Der Inhalt ist älter als die eingestellte Frist."
    )
    changed_sentence = (
        f"Der Text der Seite hat sich am {german_date(link.last_changed)} geändert."
        if link.last_changed
        else ""
    )
    notes: list[str] = []

    if link.confirmed_broken:
        runs = link.consecutive_failures
        if runs > 1:
            notes.append(f"{runs} Prüfungen hintereinander gescheitert.")
        return LinkAssessment(
            ReportSection.BROKEN,
            health_sentence(health, link.http_status),
            tuple(notes),
            link.failing_since,
            "gescheitert seit",
        )
    if health in FAILING_HEALTH:
        notes.append(
            "Noch nicht bestätigt: scheitert auch die nächste Prüfung, gilt der Link als defekt."
        )
        return LinkAssessment(
            ReportSection.REVIEW,
            health_sentence(health, link.http_status),
            tuple(notes),
            link.failing_since,
            "gescheitert seit",
        )
    if health in UNVERIFIABLE_HEALTH:
        return LinkAssessment(
            ReportSection.REVIEW, health_sentence(health, link.http_status), (), None, ""
        )
    if health is Health.MOVED:
        # The final answer is the new page's 200; the news is the permanent redirect.
        permanent = [hop.status for hop in link.redirect_chain if hop.status in (301, 308)]
        if stale:
            notes.append("Außerdem: " + stale_sentence)
        if changed:
            notes.append("Außerdem: " + changed_sentence)
        return LinkAssessment(
            ReportSection.MOVED,
            health_sentence(health, permanent[0] if permanent else None),
            tuple(notes),
            None,
            "",
        )
    if stale:
        if changed:
            notes.append("Außerdem: " + changed_sentence)
        return LinkAssessment(
            ReportSection.STALE, stale_sentence, tuple(notes), link.content_date, "Inhalt vom"
        )
    if changed:
        return LinkAssessment(
            ReportSection.REVIEW,
            changed_sentence,
            ("Bitte lesen, ob der Eintrag noch zur Seite passt.",),
            link.last_changed,
            "geändert am",
        )
    # Good and nothing to do; say what an editor may still want to know.
    sentence = health_sentence(health, None)
    notes.extend(shown_text(r, REASON_MAX_CHARS) for r in accepted)
    if link.content_date is None:
        notes.append("Auf der Seite wurde kein Datum gefunden.")
    return LinkAssessment(ReportSection.OK, sentence, tuple(notes), None, "")


def link_actions(
    link: LinkRow, section: ReportSection, href: str | None, entry_id: str
) -> tuple[Action, ...]:
    """What an editor should do about one link, most useful first. A checked archived copy
    replaces the search in the Wayback Machine; a new address found on the site comes first."""
    actions = _link_actions(link, section, href, entry_id)
    found = _found_address_action(link, section)
    return (found, *actions) if found else actions


def _link_actions(
    link: LinkRow, section: ReportSection, href: str | None, entry_id: str
) -> tuple[Action, ...]:
    copy_href = archived_copy_href(link)
    if copy_href:
        archive = Action(COPY_ACTION, copy_href)
    else:
        archive = Action(
            "Archivierte Kopie suchen (Wayback Machine)", WAYBACK_SEARCH + (href or "")
        )
    health = link.health
    if section is ReportSection.MISSING_URL:
        return (Action("Link-Ziel recherchieren und im Katalog eintragen"),)
    if health is None:
        return (Action("Nächsten Lauf abwarten"),)
    if health is Health.INVALID_URL:
        return (Action("Adresse im Katalog korrigieren"),)
    review = Action(
        f"Nach der Prüfung vermerken: linkpflege review {shown_text(entry_id)}", command=True
    )
    if section is ReportSection.BROKEN:
        actions = [Action("Neues Link-Ziel suchen oder Link entfernen")]
        return tuple([*actions, archive] if href or copy_href else actions)
    if section is ReportSection.REVIEW and health in FAILING_HEALTH:
        actions = [Action("Im Browser ansehen; nächste Nacht abwarten")]
        return tuple([*actions, archive] if href or copy_href else actions)
    if section is ReportSection.MOVED:
        return (Action("Link auf die neue Adresse ändern", http_href(link.final_url)),)
    if section is ReportSection.REVIEW and health in UNVERIFIABLE_HEALTH:
        return (Action("Im Browser ansehen", href),)
    if section is ReportSection.STALE:
        return (Action("Text prüfen und beim Anbieter nachfragen"), review)
    if section is ReportSection.REVIEW:
        return (Action("Geänderten Text lesen", href), review)
    return ()


def shows_found_address(link: LinkRow, section: ReportSection) -> bool:
    """A new location found on the site is shown in Defekt, Prüfen (soft 404) and Ohne
    Link-Ziel."""
    if not link.suggested_url or link.suggestion_source not in FOUND_SOURCES:
        return False
    if section is ReportSection.REVIEW:
        return link.health is Health.SOFT_404
    return section in (ReportSection.BROKEN, ReportSection.MISSING_URL)


def _found_address_action(link: LinkRow, section: ReportSection) -> Action | None:
    if not shows_found_address(link, section):
        return None
    return Action(NEW_ADDRESS_ACTION, http_href(link.suggested_url))


def found_address_evidence(link: LinkRow, evidence: str | None) -> Evidence:
    """„Neue Adresse auf derselben Website gefunden: <url> (<evidence>)“, linked when http(s);
    without tonight's evidence (a proposal of an earlier night) the score stands in."""
    why = shown_text(evidence, REASON_MAX_CHARS)
    if not why and link.suggestion_score is not None:
        why = f"Wert {link.suggestion_score:.2f}".replace(".", ",")
    address = shown_text(link.suggested_url)
    text = f"{address} ({why})" if why else address
    return Evidence(NEW_ADDRESS_LABEL, text, http_href(link.suggested_url))


def link_evidence(
    link: LinkRow, section: ReportSection, suggestion_evidence: str | None = None
) -> tuple[Evidence, ...]:
    """The facts behind a link's assessment; `suggestion_evidence` is the German evidence of
    its proposed new address (from the night's `suggestions.parquet`), when known."""
    items: list[Evidence] = []
    if shows_found_address(link, section):
        items.append(found_address_evidence(link, suggestion_evidence))
    if section is ReportSection.MISSING_URL:
        return tuple(items)  # nothing was fetched: the rest of the row is not evidence
    if link.http_status:
        items.append(Evidence("HTTP-Status", str(link.http_status)))
    url = (link.url or "").strip()
    final_url = (link.final_url or "").strip()
    if final_url and final_url != url:
        label = "Neue Adresse" if link.health is Health.MOVED else "Angekommen bei"
        items.append(Evidence(label, shown_text(final_url), http_href(final_url)))
    hops = len(link.redirect_chain)
    if hops:
        items.append(Evidence("Weiterleitungen", str(hops)))
    if link.content_date:
        items.append(Evidence("Inhaltsdatum", shown_text(content_date_words(link))))
    detail = shown_text(link.error_detail)
    # A detail that only repeats the status or the new address says nothing new.
    repeats = link.health is Health.MOVED or (
        link.http_status is not None and detail.startswith(f"HTTP {link.http_status}")
    )
    if detail and section is not ReportSection.OK and not repeats:
        items.append(Evidence("Meldung", detail))
    if link.last_ok and link.health in FAILING_HEALTH:
        items.append(Evidence("Zuletzt erreichbar", german_date(link.last_ok)))
    if section in _COPY_SECTIONS and (copy := archive_evidence(link)) is not None:
        items.append(copy)
    return tuple(items)


def archived_copy_href(link: LinkRow) -> str | None:
    """The checked archived copy as a link target: only a plain http(s) address."""
    return http_href(link.archived_url) if link.archived_url else None


def archive_evidence(link: LinkRow) -> Evidence | None:
    """The archived copy with its note („Archivkopie vom 04.03.2019, Titel stimmt überein“),
    linked when it is an http(s) address; or the note saying why there is none."""
    note = shown_text(link.archive_note, REASON_MAX_CHARS)
    if link.archived_url:
        label = "Alte Seite im Archiv" if link.health is Health.MOVED else "Vorschlag"
        if not note and link.archived_at is not None:
            note = f"Archivkopie vom {german_date(link.archived_at.date())}"
        return Evidence(label, note or shown_text(link.archived_url), archived_copy_href(link))
    if note:
        return Evidence("Webarchiv", note)
    return None
