"""New locations of lost pages on their provider's own site: the run step right after the
archived copies (`flows.harvest_flow`).

For tonight's links that are confirmed broken or a soft 404 (a moved link has its redirect
target already), and for catalogue rows without a target whose entry names the provider's
home page in the optional column `site`, the run looks where the page went: per host the
sitemaps are read once (`flows.relocation.sitemap_fetch`) and, with the archive on, the
archive's index of the host after the break (`flows.relocation.archive_index`, within the
night's archive allowance); URL rewrite rules are learnt from the same host's moved links
tonight (old address → final address), and per lost link
the best few candidates are fetched, verified and scored against what was last known of the
page (`flows.relocation.candidates`): its last good title, summary and text fingerprint
(`flows.archived_copies.last_good_facts`), else the entry's title, description and label.

A proposal that clears the threshold becomes the row's `suggested_url` with its source
(`sitemap`, `archive_index`, `url_pattern`) and score; a `redirect` suggestion is never
overwritten. Every candidate considered goes to `suggestions.parquet` with its rank, score,
German evidence and the health its check found. Every request goes through the engine with the
run's fetch settings (politeness, robots.txt, the SSRF guard). The step is bounded by
`relocation_time_budget` (seconds for the whole night; 0: off), switched off with
`--no-relocation`, never raises (a bug is logged and the rows stay as they were) and runs only on a
conclusive night (an inconclusive run stops before it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from extractors.catalog.reader import valid_http_url
from extractors.records import CatalogEntry, Health, LinkRow, SuggestionRow
from extractors.relocation.ranking import LostPage, Relocation
from extractors.relocation.url_patterns import pattern_candidates
from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import ActiveTime, archive_client
from flows.archived_copies import LastGood, last_good_facts, run_to_completion
from flows.fetch.settings import FetchSettings
from flows.relocation.archive_index import archived_urls_after
from flows.relocation.candidates import ConsideredCandidate, consider_new_locations
from flows.relocation.sitemap_fetch import host_sitemap_urls
from flows.run_settings import Settings

log = logging.getLogger(__name__)

# The catalogue's optional column naming the provider's home page (docs/catalogue.md).
SITE_COLUMN = "site"
# Sitemap files read per host, at most (robots.txt not counted).
MAX_SITEMAP_FILES = 10
# Candidates fetched per lost link.
CANDIDATES_PER_LINK = 3
_T = TypeVar("_T")
_Key = tuple[str, str, str | None]  # entry_id, link_label, url


@dataclass(frozen=True, slots=True)
class RelocationNight:
    """What the new-location lookups cost and gave this run, for the run summary."""

    enabled: bool
    links: int = 0  # links looked up
    proposed: int = 0
    not_asked: int = 0  # links left as they were after the time budget was spent
    hosts: int = 0  # hosts whose sitemaps were read
    sitemap_entries: int = 0

    def line(self) -> str:
        if not self.enabled:
            return "  new locations: off"
        skipped = f", {self.not_asked} not asked" if self.not_asked else ""
        return (
            f"  new locations: {self.proposed} proposed for {self.links} links{skipped}; "
            f"{self.sitemap_entries} sitemap entries read from {self.hosts} hosts"
        )


@dataclass(frozen=True, slots=True)
class _Lookup:
    index: int  # of the row
    base: str  # scheme://host[:port] whose sitemaps and moves count
    lost: LostPage
    site_name: str | None


def add_new_locations(
    rows: list[LinkRow],
    entries: Sequence[CatalogEntry],
    settings: Settings,
    fetch_settings: FetchSettings,
    previous: Sequence[LinkRow] = (),
    archive_budget: ArchiveBudget | None = None,
) -> tuple[list[LinkRow], list[SuggestionRow], RelocationNight]:
    """Tonight's rows with proposed new addresses, every candidate considered, the counts.
    With `archive_budget` (the night's archive allowance), the archive's index of each host
    after the break adds candidates (one CDX request per host)."""
    if not settings.relocation or settings.relocation_time_budget <= 0:
        return rows, [], RelocationNight(enabled=False)
    try:
        lookups = lost_pages(rows, entries, settings, previous)
    except Exception:  # a bug here must not sink the run
        log.exception("Suche nach neuen Adressen abgebrochen")
        return rows, [], RelocationNight(enabled=True)
    if not lookups:
        return rows, [], RelocationNight(enabled=True)
    outcomes: dict[int, tuple[Relocation | None, list[ConsideredCandidate]]] = {}
    sitemaps: dict[str, int] = {}
    budget = settings.relocation_time_budget
    try:
        run_to_completion(
            asyncio.wait_for(
                _look_up(
                    rows,
                    lookups,
                    fetch_settings,
                    budget,
                    outcomes,
                    sitemaps,
                    _ArchiveIndex(settings, fetch_settings, archive_budget),
                ),
                timeout=budget,
            ),
            "relocation",
        )
    except TimeoutError:
        log.warning("Zeit für die Suche nach neuen Adressen (%s s) aufgebraucht", budget)
    except Exception:
        log.exception("Suche nach neuen Adressen abgebrochen")
    updated = list(rows)
    suggestions: list[SuggestionRow] = []
    for index, (proposal, considered) in outcomes.items():
        row = rows[index]
        updated[index] = with_proposal(row, proposal)
        suggestions.extend(
            SuggestionRow(
                entry_id=row.entry_id,
                link_label=row.link_label,
                url=row.url,
                run_date=row.run_date,
                rank=rank,
                candidate_url=candidate.url,
                source=candidate.source,
                score=candidate.score,
                evidence=candidate.evidence,
                health=candidate.health,
            )
            for rank, candidate in enumerate(considered, start=1)
        )
    night = RelocationNight(
        enabled=True,
        links=len(outcomes),
        proposed=sum(1 for proposal, _ in outcomes.values() if proposal is not None),
        not_asked=len(lookups) - len(outcomes),
        hosts=len(sitemaps),
        sitemap_entries=sum(sitemaps.values()),
    )
    return updated, suggestions, night


def with_proposal(row: LinkRow, proposal: Relocation | None) -> LinkRow:
    """The row after its lookup: the proposal, or no suggestion of an earlier night's lookup
    (tonight nothing was sure); a permanent redirect's suggestion always stands."""
    if row.suggestion_source == "redirect":
        return row
    if proposal is None:
        return dataclasses.replace(
            row, suggested_url=None, suggestion_source=None, suggestion_score=None
        )
    return dataclasses.replace(
        row,
        suggested_url=proposal.url,
        suggestion_source=proposal.source,
        suggestion_score=proposal.score,
    )


def lost_pages(
    rows: Sequence[LinkRow],
    entries: Sequence[CatalogEntry],
    settings: Settings,
    previous: Sequence[LinkRow],
) -> list[_Lookup]:
    """The rows to look up, with what is known of each page and the host to search."""
    by_key: dict[_Key, CatalogEntry] = {}
    sites: dict[str, str] = {}
    for entry in entries:
        by_key.setdefault((entry.entry_id, entry.link_label, entry.url or None), entry)
        site = dict(entry.extra).get(SITE_COLUMN, "").strip()
        if site and valid_http_url(site):
            sites.setdefault(entry.entry_id, site)
    lost = [row for row in rows if _is_lost(row)]
    known = last_good_facts(settings, lost, previous)
    lookups: list[_Lookup] = []
    for index, row in enumerate(rows):
        entry = by_key.get((row.entry_id, row.link_label, row.url))
        if entry is None or row.removed_since is not None:
            continue
        if _is_lost(row):
            assert row.url is not None
            facts = known.get((row.entry_id, row.url), LastGood())
            lost_page = LostPage(
                url=row.url,
                last_title=facts.title,
                last_summary=facts.summary,
                last_fingerprint=facts.fingerprint,
                entry_title=entry.title or None,
                entry_description=entry.description or None,
                link_label=entry.link_label or None,
                last_good=row.last_ok,
            )
            lookups.append(_Lookup(index, _base(row.url), lost_page, entry.provider or None))
        elif row.url is None and row.entry_id in sites:
            base = _base(sites[row.entry_id])
            lost_page = LostPage(
                url=base + "/",
                entry_title=entry.title or None,
                entry_description=entry.description or None,
                link_label=entry.link_label or None,
            )
            lookups.append(_Lookup(index, base, lost_page, entry.provider or None))
    return lookups


def may_have_moved(row: LinkRow) -> bool:
    """Whether `add_new_locations` may look the row up: a lost page, or a link without a
    target (its entry may name the provider's site)."""
    return row.url is None or _is_lost(row)


def _is_lost(row: LinkRow) -> bool:
    """Confirmed broken or a soft 404, at a plain http(s) address without credentials."""
    if row.url is None or row.removed_since is not None or row.health is Health.MOVED:
        return False
    if not (row.confirmed_broken or row.health is Health.SOFT_404):
        return False
    if row.suggestion_source == "redirect":
        return False
    try:
        parts = urlsplit(row.url)
    except ValueError:
        return False
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(parts.hostname)
        and ("@" not in parts.netloc)
    )


def _base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _moves(rows: Sequence[LinkRow]) -> dict[str, list[tuple[str, str]]]:
    """Tonight's moved links per host: (old address, final address)."""
    moves: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if row.health is Health.MOVED and row.url and row.final_url:
            try:
                moves.setdefault(_base(row.url), []).append((row.url, row.final_url))
            except ValueError:
                continue
    return moves


async def _look_up(
    rows: Sequence[LinkRow],
    lookups: Sequence[_Lookup],
    fetch_settings: FetchSettings,
    budget: float,
    outcomes: dict[int, tuple[Relocation | None, list[ConsideredCandidate]]],
    sitemaps: dict[str, int],
    archive_index: _ArchiveIndex,
) -> None:
    """Host after host: sitemaps (and the archive's index) once, then the host's lost links
    one after another, into `outcomes` (by row index) and `sitemaps` (entries per host);
    stops when time is spent."""
    deadline = time.monotonic() + budget
    moves = _moves(rows)
    by_host: dict[str, list[_Lookup]] = {}
    for lookup in lookups:
        by_host.setdefault(lookup.base, []).append(lookup)
    for base, host_lookups in by_host.items():
        if time.monotonic() >= deadline:
            return
        try:
            entries = await host_sitemap_urls(base, fetch_settings, max_files=MAX_SITEMAP_FILES)
        except Exception:
            log.exception("Sitemaps von %s nicht lesbar", base)
            entries = []
        sitemaps[base] = len(entries)
        archived = await archive_index.urls_after(base, [lookup.lost for lookup in host_lookups])
        for lookup in host_lookups:
            if time.monotonic() >= deadline:
                return
            row = rows[lookup.index]
            try:
                outcomes[lookup.index] = await consider_new_locations(
                    lookup.lost,
                    fetch_settings,
                    sitemap_urls=entries,
                    pattern_candidates=pattern_candidates(moves.get(base, []), lookup.lost.url),
                    top=CANDIDATES_PER_LINK,
                    site_name=lookup.site_name,
                    run_date=row.run_date,
                    archive_urls=archived,
                )
            except Exception:
                log.exception("Neue Adresse für %s nicht gesucht", lookup.lost.url)


class _ArchiveIndex:
    """The archive's index of a host after the break, when the archive is on and the night's
    allowance is given; nothing otherwise. Trouble is logged, never raised."""

    def __init__(
        self, settings: Settings, fetch_settings: FetchSettings, budget: ArchiveBudget | None
    ) -> None:
        self.enabled = settings.archive and budget is not None
        self.settings, self.fetch_settings, self.budget = settings, fetch_settings, budget

    async def urls_after(self, base: str, lost: Sequence[LostPage]) -> list[tuple[str, str]]:
        if not self.enabled or self.budget is None:
            return []
        days = [page.last_good for page in lost if page.last_good]
        since = min(days) if days else None
        if since is None:
            return []  # never good: nothing says when the page broke
        try:
            async with archive_client(self.fetch_settings) as client:
                found = await archived_urls_after(
                    client,
                    base,
                    since=since,
                    archive_url=self.settings.archive_url,
                    budget=self.budget.rebind(),
                    time_left=ActiveTime(self.settings.timeout),
                )
        except Exception:
            log.exception("Archivindex von %s nicht gelesen", base)
            return []
        if found.problem:
            log.info("Archivindex von %s: %s", base, found.problem)
        return list(found.urls)
