"""What the desk adds to the report page: who is signed in, the forms' CSRF token, each
entry's fingerprint as the editor saw it, the addresses a row may be changed to, and the
changes the next nightly run has not checked yet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from extractors.verdicts.entry_verdicts import german_date
from flows.desk.catalog_edits import CatalogChange
from flows.report.safe_text import http_href, shown_text
from flows.report.view import RowView
from flows.report.wording import ReportSection
from flows.run_settings import BERLIN

ROLE_LABELS = {"redaktion": "Redaktion", "leser": "Lesezugriff"}
ACTION_WORDS = {
    "adresse": "neue Adresse",
    "entfernt": "Eintrag entfernt",
    "geprueft": "geprüft",
}


def entry_path(entry_id: str) -> str:
    """The URL path of an entry's actions: the id as one percent-encoded segment, so a slash,
    „?“, „#“, „%“ or a non-ASCII letter in it still reaches the route (`{entry_id:path}`)."""
    return "/eintrag/" + quote(entry_id, safe="")


@dataclass(frozen=True, slots=True)
class Proposal:
    url: str  # the value the form sends
    label: str  # where it comes from („Weiterleitungsziel“, „Sitemap“ …)
    text: str  # shown, capped


@dataclass(frozen=True, slots=True)
class DeskView:
    user: str
    role: str
    csrf: str
    via_proxy: bool
    notice: str = ""
    notice_kind: str = "ok"  # ok | problem
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    pending: tuple[str, ...] = ()
    pending_by_entry: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def can_edit(self) -> bool:
        return self.role == "redaktion"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def entry_path(self, entry_id: str) -> str:
        return entry_path(entry_id)

    def pending_for(self, entry_id: str) -> tuple[str, ...]:
        return self.pending_by_entry.get(entry_id, ())

    def proposals(self, row: RowView) -> tuple[Proposal, ...]:
        """The addresses an editor may take over with one click, best first."""
        found: list[Proposal] = []
        if row.section is ReportSection.MOVED and http_href(row.final_url):
            found.append(Proposal(row.final_url, "Weiterleitungsziel", shown_text(row.final_url)))
        if http_href(row.suggested_url):
            label = row.suggestion_source or "Vorschlag"
            score = f" (Wert {row.suggestion_score})" if row.suggestion_score else ""
            found.append(Proposal(row.suggested_url, label, shown_text(row.suggested_url) + score))
        if http_href(row.archived_url):
            when = f" vom {row.archived_at}" if row.archived_at else ""
            found.append(
                Proposal(row.archived_url, f"Archivkopie{when}", shown_text(row.archived_url))
            )
        unique: dict[str, Proposal] = {}
        for proposal in found:
            if proposal.url != row.url:
                unique.setdefault(proposal.url, proposal)
        return tuple(unique.values())


def _when(moment: dt.datetime) -> str:
    local = moment.astimezone(BERLIN)  # editors read times in their own zone
    return f"{german_date(local.date())}, {local:%H:%M} Uhr"


def pending_lines(
    changes: tuple[CatalogChange, ...], titles: Mapping[str, str]
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """(all lines, lines per entry): one German line per change the next run will check."""
    every: list[str] = []
    by_entry: dict[str, list[str]] = {}
    for change in changes:
        what = ACTION_WORDS.get(change.action, change.action)
        if change.action == "adresse":
            what += f" {shown_text(change.new_url)}"
        title = shown_text(titles.get(change.entry_id, change.entry_id))
        reason = f" – „{shown_text(change.reason, 200)}“" if change.reason else ""
        line = f"{title}: {what} ({shown_text(change.editor)}, {_when(change.when)}){reason}"
        every.append(line)
        by_entry.setdefault(change.entry_id, []).append(
            f"Ausstehend: {what} ({shown_text(change.editor)}, {_when(change.when)})"
        )
    return tuple(every), {k: tuple(v) for k, v in by_entry.items()}
