"""The dataset as it stood before tonight: which stored night a run builds on, that night's
tables staged for the run's steps, and its links and entries that left the catalogue.

A run reads last night in several steps, hours apart on a large night (the shards'
conditional requests, the night's table, archived copies, new locations, removals, the
report's "before" column). It keeps last night's tables in files of its staging folder
and maps them per step (`flows.dataset.staged_table`) instead of holding them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from extractors.catalog.removals import removed_entries, removed_links
from extractors.records import CatalogEntry, EntryVerdict
from flows.dataset.staged_table import StagedTable, stage_pieces
from flows.dataset.store import (
    entries_night_pieces,
    entries_pieces,
    history_night_pieces,
    history_nights,
    latest_links_night,
    links_pieces,
    links_table,
)
from flows.dataset.table_records import entries_not_in, rows_not_in


@dataclass(frozen=True, slots=True)
class StagedPrevious:
    """The previous state as a run holds it: its tables wait in files of the run's staging
    folder and each step maps them while it reads them (`flows.dataset.staged_table`)."""

    links: StagedTable
    entries: StagedTable
    update_latest: bool


@dataclass(frozen=True, slots=True)
class PreviousNight:
    """Which stored night tonight builds on: the latest tables (`from_latest`), a history
    partition (`night`), or none (the first night)."""

    night: dt.date | None
    from_latest: bool
    update_latest: bool


def previous_night(curated_dir: Path, run_date: dt.date) -> PreviousNight:
    """Tonight builds on the newest night before it.

    A normal night builds on the latest tables. A re-run of the latest night or of a past
    night (`--now`) builds on the newest history partition before that night, so nothing
    is counted twice; a past night only rewrites its own history partition.
    """
    latest_night = latest_links_night(curated_dir)
    if latest_night is None or run_date > latest_night:
        return PreviousNight(None, from_latest=True, update_latest=True)
    earlier = [night for night in history_nights(curated_dir) if night < run_date]
    return PreviousNight(
        earlier[-1] if earlier else None, from_latest=False, update_latest=run_date == latest_night
    )


def previous_entries(curated_dir: Path, chosen: PreviousNight) -> pa.Table | None:
    """The entries table of `previous_night` alone (the report's "before" column)."""
    pieces = _entries_pieces(curated_dir, chosen)
    return None if pieces is None else pa.concat_tables(pieces)


def stage_previous_state(curated_dir: Path, run_date: dt.date, staging: Path) -> StagedPrevious:
    """The tables of `previous_night` written to the staging folder a row group at a time:
    the run never holds last night (about 0.9 KB a link), not even while staging it."""
    chosen = previous_night(curated_dir, run_date)
    if chosen.from_latest:
        links = links_pieces(curated_dir)
    elif chosen.night is not None:
        links = history_night_pieces(curated_dir, chosen.night)
    else:
        links = None
    return StagedPrevious(
        stage_pieces(links, staging / "last-night-links.arrow"),
        stage_pieces(_entries_pieces(curated_dir, chosen), staging / "last-night-entries.arrow"),
        chosen.update_latest,
    )


def _entries_pieces(curated_dir: Path, chosen: PreviousNight) -> Iterator[pa.Table] | None:
    if chosen.from_latest:
        return entries_pieces(curated_dir)
    if chosen.night is not None:
        return entries_night_pieces(curated_dir, chosen.night)
    return None


def left_the_catalogue(
    previous: StagedPrevious, catalog: Sequence[CatalogEntry], run_date: dt.date
) -> tuple[pa.Table, list[EntryVerdict]]:
    """Last night's links and entries whose catalogue row is gone, carried to tonight and
    marked. Of last night's links only those that may have left become records."""
    links = previous.links.apply(
        lambda last: removed_links(rows_not_in(last, catalog), catalog, run_date)
    )
    entries = previous.entries.apply(
        lambda last: removed_entries(entries_not_in(last, catalog), catalog, run_date)
    )
    return links_table(links), entries
