"""Archived copies for tonight's problem links: the run step between building the night's
rows and judging the entries (`flows.harvest_flow`).

For every link that is confirmed broken, a soft 404 or moved, the archive client
(`flows.archive`) looks for a checked copy: the capture closest before the link's last good
night (`last_ok`; never good, or good tonight as a moved link is: the newest capture). One
`ArchiveBudget` and one `CdxCache` per run, the lookups one after another in the run's own
process, the cache saved at the end whatever happens. A link the cache knows costs no
request. What a lookup finds goes into the row's `archived_url`, `archived_at` and
`archive_note`; when the archive itself fails (unreachable, 429, 5xx, budget spent), the
link keeps the copy of an earlier night (`extractors.verdicts.link_rows` carries it).

After a 429, after the run's archive time is spent, or after two lookups in a row failed for
archive trouble, the run asks no more: the remaining links keep what they had, with a note
why. Archive trouble never changes a link's health and never fails the run; `--no-archive`
(setting `archive`) skips all of this. Links to hosts of `private_hosts_allowed` (intranet
pages) and links with credentials are never sent to the archive.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import logging
from collections.abc import Collection, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from extractors.records import Health, LinkRow
from flows.archive.budget import ArchiveBudget
from flows.archive.budgeted_get import archive_client
from flows.archive.cache import CdxCache, cache_path
from flows.archive.lookup import ArchiveLookup, lookup_archived_copy
from flows.dataset.store import DatasetError, read_history_night
from flows.fetch.settings import FetchSettings
from flows.run_settings import Settings

log = logging.getLogger(__name__)

# Consecutive lookups failing for archive trouble after which the run stops asking.
STOP_AFTER_TROUBLES = 2
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ArchiveNight:
    """What the archive cost and gave this run, for the run summary."""

    enabled: bool
    lookups: int = 0  # links looked up (from the cache or the archive)
    copies_found: int = 0
    not_asked: int = 0  # links left as they were after the run stopped asking
    requests_sent: int = 0
    rate_limited: int = 0  # 429 answers
    cache_hits: int = 0

    def line(self) -> str:
        if not self.enabled:
            return "  archive:  off"
        skipped = f", {self.not_asked} not asked" if self.not_asked else ""
        return (
            f"  archive:  {self.copies_found} copies found for {self.lookups} links{skipped}; "
            f"{self.requests_sent} requests, {self.rate_limited} answered 429, "
            f"{self.cache_hits} cache hits"
        )


def archive_budget_for(settings: Settings) -> ArchiveBudget:
    """The night's one archive allowance (≤ 24 requests a minute, one in flight, a pause
    after a 429), shared by every step that asks the archive."""
    return ArchiveBudget(time_budget=settings.archive_time_budget)


def needs_archived_copy(row: LinkRow, private_hosts: Sequence[str] = ()) -> bool:
    """Whether tonight's row gets a lookup: confirmed broken, soft 404 or moved, with a
    plain http(s) address that is neither an intranet host nor carries credentials."""
    if row.url is None or row.removed_since is not None:
        return False
    if not (row.confirmed_broken or row.health in (Health.SOFT_404, Health.MOVED)):
        return False
    try:
        parts = urlsplit(row.url)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return False
    return parts.hostname.lower().rstrip(".") not in private_hosts


def copy_before(row: LinkRow) -> dt.date | None:
    """The day the capture must not be after: the last good night before tonight, else None
    (the newest capture: the link was never good, or is good tonight as a moved link is)."""
    if row.last_ok is not None and row.last_ok < row.run_date:
        return row.last_ok
    return None


def add_archived_copies(
    rows: list[LinkRow],
    settings: Settings,
    fetch_settings: FetchSettings,
    previous: Sequence[LinkRow] = (),
    budget: ArchiveBudget | None = None,
) -> tuple[list[LinkRow], ArchiveNight]:
    """Tonight's rows with their archived copies looked up; never raises for the archive.
    `budget`: the night's archive allowance when other steps share it."""
    if not settings.archive or settings.archive_time_budget <= 0:
        return rows, ArchiveNight(enabled=False)
    wanted = [i for i, row in enumerate(rows) if needs_archived_copy(row, settings.private_hosts)]
    if not wanted:
        return rows, ArchiveNight(enabled=True)
    titles = last_good_titles(settings, [rows[i] for i in wanted], previous)
    budget = budget or archive_budget_for(settings)
    cache = CdxCache(
        cache_path(settings.data_dir),
        today=rows[wanted[0]].run_date,
        refresh_days=settings.archive_refresh_days,
    )
    outcomes: dict[int, ArchiveLookup] = {}
    try:
        stopped = run_to_completion(
            _look_up(rows, wanted, titles, settings, fetch_settings, budget, cache, outcomes),
            "archive",
        )
    except Exception:  # a bug here must not sink the run: the links' health stands anyway
        log.exception("Archivabfrage abgebrochen")
        stopped = "interner Fehler bei der Archivabfrage"
    finally:
        cache.save()
    updated = list(rows)
    for index in wanted:
        updated[index] = with_lookup(rows[index], outcomes.get(index), stopped)
    spent = budget.summary()
    night = ArchiveNight(
        enabled=True,
        lookups=len(outcomes),
        copies_found=sum(1 for outcome in outcomes.values() if outcome.copy is not None),
        not_asked=len(wanted) - len(outcomes),
        requests_sent=spent.requests_sent,
        rate_limited=spent.rate_limited,
        cache_hits=spent.cache_hits,
    )
    return updated, night


async def _look_up(
    rows: Sequence[LinkRow],
    wanted: Sequence[int],
    titles: dict[tuple[str, str | None], str],
    settings: Settings,
    fetch_settings: FetchSettings,
    budget: ArchiveBudget,
    cache: CdxCache,
    outcomes: dict[int, ArchiveLookup],
) -> str | None:
    """Lookups one after another (the budget allows one request in flight anyway), their
    outcomes into `outcomes` by row index; returns why the run stopped asking (None: it
    did not)."""
    troubles = 0
    async with archive_client(fetch_settings) as client:
        for index in wanted:
            row = rows[index]
            assert row.url is not None
            outcome = await lookup_archived_copy(
                client,
                row.url,
                before=copy_before(row),
                last_title=titles.get((row.entry_id, row.url)),
                budget=budget,
                cache=cache,
                archive_url=settings.archive_url,
                timeout=settings.timeout,
            )
            outcomes[index] = outcome
            troubles = troubles + 1 if outcome.trouble else 0
            if outcome.trouble and (
                budget.summary().rate_limited or budget.exhausted or troubles >= STOP_AFTER_TROUBLES
            ):
                return outcome.why_not or "Archivabfrage gescheitert"
    return None


def with_lookup(row: LinkRow, outcome: ArchiveLookup | None, stopped: str | None) -> LinkRow:
    """The row with what its lookup found. Archive trouble (or no lookup, after the run
    stopped asking) keeps the copy the row carries from an earlier night."""
    if outcome is not None and outcome.copy is not None:
        copy = outcome.copy
        return dataclasses.replace(
            row,
            archived_url=copy.url,
            archived_at=copy.captured_at,
            archive_note=copy.note,
        )
    if outcome is not None and not outcome.trouble:
        why = outcome.why_not or "keine Archivkopie gefunden"
        return dataclasses.replace(
            row, archived_url=None, archived_at=None, archive_note=why[:1].upper() + why[1:]
        )
    if row.archived_url is not None:
        return row  # last night's copy stands; tonight the archive could not be asked
    if outcome is None:
        note = f"Archiv in dieser Nacht nicht mehr befragt ({stopped or 'abgebrochen'})"
    else:
        note = f"Archivabfrage gescheitert: {outcome.why_not or 'unbekannter Grund'}"
    return dataclasses.replace(row, archive_note=note)


@dataclass(frozen=True, slots=True)
class LastGood:
    """What a link's page said on its last good night (each None when unknown)."""

    title: str | None = None
    summary: str | None = None
    fingerprint: str | None = None


def last_good_facts(
    settings: Settings, rows: Sequence[LinkRow], previous: Sequence[LinkRow]
) -> dict[tuple[str, str | None], LastGood]:
    """Title, summary and text fingerprint each link had on its last good night: tonight's
    row (a moved link; a failing row carries the last fingerprint), last night's, else the
    row in the history of `last_ok`. Shared by the archive and the new-location lookups."""
    before = {(row.entry_id, row.url): row for row in previous}

    def sources_of(row: LinkRow) -> list[LinkRow]:
        last = before.get((row.entry_id, row.url))
        return [row] if last is None else [row, last]

    # The night of the last good copy, for each link that has no title tonight or last night.
    untitled = {
        index: night
        for index, row in enumerate(rows)
        if (night := copy_before(row)) is not None
        and not any(source.title for source in sources_of(row))
    }
    wanted: dict[dt.date, set[str]] = {}
    for index, night in untitled.items():
        wanted.setdefault(night, set()).add(rows[index].url or "")
    # Only those links' rows of each such night: a long night's history is not read whole.
    nights = {night: _history_rows(settings, night, urls) for night, urls in wanted.items()}
    facts: dict[tuple[str, str | None], LastGood] = {}
    for index, row in enumerate(rows):
        key = (row.entry_id, row.url)
        sources = sources_of(row)
        if index in untitled and (old := nights[untitled[index]].get(key)) is not None:
            sources.append(old)
        facts[key] = LastGood(
            title=next((s.title for s in sources if s.title), None),
            summary=next((s.summary for s in sources if s.summary), None),
            fingerprint=next((s.text_fingerprint for s in sources if s.text_fingerprint), None),
        )
    return facts


def last_good_titles(
    settings: Settings, rows: Sequence[LinkRow], previous: Sequence[LinkRow]
) -> dict[tuple[str, str | None], str]:
    """The title each link had on its last good night, to compare the capture's title with:
    tonight's (a moved link), last night's, else the one in the history of `last_ok`."""
    return {
        key: facts.title
        for key, facts in last_good_facts(settings, rows, previous).items()
        if facts.title
    }


def _history_rows(
    settings: Settings, night: dt.date, urls: Collection[str]
) -> dict[tuple[str, str | None], LinkRow]:
    try:
        rows = read_history_night(settings.curated_dir, night, urls)
    except (DatasetError, OSError):
        return {}  # last known facts are only evidence, never a reason to fail
    return {(row.entry_id, row.url): row for row in rows}


def run_to_completion(coroutine: Coroutine[Any, Any, _T], thread_name: str = "lookups") -> _T:
    """Run a night step's lookups to completion in an event loop of their own, also when the
    caller's thread runs one already (then in a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=thread_name) as pool:
        return pool.submit(asyncio.run, coroutine).result()
