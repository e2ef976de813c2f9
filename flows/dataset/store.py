"""Reading and publishing the curated dataset under `DATA_DIR/curated/`.

Every table is built from records with the explicit schema of `flows.dataset.schema`,
written to a temporary file beside its target and moved into place with `os.replace`,
so a reader never opens a half-written file and a run that dies leaves the previous
files untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from extractors.records import (
    EntryVerdict,
    Health,
    LinkRow,
    SuggestionRow,
)
from flows.dataset.schema import (
    ADDED_IN_VERSION,
    ENTRIES_SCHEMA,
    HISTORY_SCHEMA,
    LINKS_SCHEMA,
    READABLE_VERSIONS,
    SCHEMA_VERSION,
    SUGGESTIONS_SCHEMA,
)
from flows.dataset.table_records import iter_entry_rows, link_rows_of
from flows.dataset.validation import validate_suggestions, validate_tables

LINKS_FILE = "links.parquet"
ENTRIES_FILE = "entries.parquet"
HISTORY_DIR = "history"
HISTORY_FILE = "links.parquet"
# Entries get their own history tree, so `read_parquet("curated/history")` stays one table.
ENTRIES_HISTORY_DIR = "entries_history"
ENTRIES_HISTORY_FILE = "entries.parquet"
# Every candidate new address considered on the latest night (flows.new_locations).
SUGGESTIONS_FILE = "suggestions.parquet"
JOURNAL_FILE = ".publish-journal.json"


class DatasetError(RuntimeError):
    """The curated directory cannot be read or written; the message names the file."""


@dataclass(frozen=True, slots=True)
class PublishedFiles:
    links: Path
    entries: Path
    history: Path
    entries_history: Path


def history_partition(curated_dir: Path, run_date: dt.date) -> Path:
    return curated_dir / HISTORY_DIR / f"run_date={run_date.isoformat()}"


def entries_history_partition(curated_dir: Path, run_date: dt.date) -> Path:
    return curated_dir / ENTRIES_HISTORY_DIR / f"run_date={run_date.isoformat()}"


def _link_columns(rows: Sequence[LinkRow], schema: pa.Schema) -> dict[str, list[object]]:
    columns: dict[str, list[object]] = {name: [] for name in schema.names}
    for row in rows:
        for name in schema.names:
            value = getattr(row, name)
            if name == "redirect_chain":
                value = [
                    {"url": hop.url, "status": hop.status, "location": hop.location}
                    for hop in value
                ]
            elif isinstance(value, Health):
                value = value.value
            columns[name].append(value)
    return columns


def links_table(rows: Sequence[LinkRow], *, history: bool = False) -> pa.Table:
    schema = HISTORY_SCHEMA if history else LINKS_SCHEMA
    return pa.Table.from_pydict(_link_columns(rows, schema), schema=schema)


def entries_table(rows: Sequence[EntryVerdict]) -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in ENTRIES_SCHEMA.names}
    for row in rows:
        for name in ENTRIES_SCHEMA.names:
            if name == "catalog_extra":
                value: object = list(row.extra)
            elif name == "reasons":
                value = list(row.reasons)
            elif name == "verdict":
                value = row.verdict.value
            else:
                value = getattr(row, name)
            columns[name].append(value)
    return pa.Table.from_pydict(columns, schema=ENTRIES_SCHEMA)


def suggestions_table(rows: Sequence[SuggestionRow]) -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in SUGGESTIONS_SCHEMA.names}
    for row in rows:
        for name in SUGGESTIONS_SCHEMA.names:
            columns[name].append(getattr(row, name))
    return pa.Table.from_pydict(columns, schema=SUGGESTIONS_SCHEMA)


def _temporary_beside(target: Path) -> Path:
    """A new temp file in the target's directory (same file system: os.replace is atomic).

    Hidden (leading dot, `.tmp` suffix), so readers globbing `*.parquet` never see it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    return Path(name)


# Row groups of this many rows: the writer encodes one group at a time, so a long night
# costs a group's worth of buffers, not the whole table's again.
ROW_GROUP_ROWS = 8192


def _write_parquet(table: pa.Table, temp: Path) -> None:
    pq.write_table(table, temp, compression="zstd", row_group_size=ROW_GROUP_ROWS)
    with open(temp, "rb") as stream:
        os.fsync(stream.fileno())


def publish(
    curated_dir: Path,
    run_date: dt.date,
    links: Sequence[LinkRow] | pa.Table,
    entries: Sequence[EntryVerdict],
    *,
    update_latest: bool = True,
    suggestions: Sequence[SuggestionRow] | None = None,
) -> PublishedFiles:
    """Validate, write all tables to temporary files, then move them into place.

    Nothing visible changes until every file has been written and synced; re-running
    the same night replaces that night's history partition instead of adding to it.
    `update_latest=False` (a re-run of a past night) writes only that night's history.
    `suggestions` (the night's considered new addresses; empty: an empty table) replaces
    `suggestions.parquet` with the latest tables; None leaves the file as it is. `links` may
    be a table of the links schema already (a long night is never held as records).
    """
    targets = PublishedFiles(
        links=curated_dir / LINKS_FILE,
        entries=curated_dir / ENTRIES_FILE,
        history=history_partition(curated_dir, run_date) / HISTORY_FILE,
        entries_history=entries_history_partition(curated_dir, run_date) / ENTRIES_HISTORY_FILE,
    )
    latest_links = links if isinstance(links, pa.Table) else links_table(links)
    latest_entries = entries_table(entries)
    problems = validate_tables(latest_links, latest_entries, run_date)
    latest_suggestions = suggestions_table(suggestions) if suggestions is not None else None
    if latest_suggestions is not None:
        problems += validate_suggestions(latest_suggestions, run_date)
    if problems:
        raise DatasetError(
            f"{curated_dir}: output failed validation, nothing published: " + "; ".join(problems)
        )
    # History holds what was observed tonight: rows of removed catalogue links are not.
    observed_links = current_links(latest_links)
    observed_entries = [row for row in entries if row.removed_since is None]
    tables = [
        (observed_links.select(HISTORY_SCHEMA.names).cast(HISTORY_SCHEMA), targets.history),
        (entries_table(observed_entries).drop_columns(["run_date"]), targets.entries_history),
    ]
    if update_latest:
        tables += [(latest_links, targets.links), (latest_entries, targets.entries)]
        if latest_suggestions is not None:
            tables.append((latest_suggestions, curated_dir / SUGGESTIONS_FILE))
    staged: list[tuple[Path, Path]] = []
    try:
        upgrade_history(curated_dir)
        try:
            for table, target in tables:
                staged.append((_temporary_beside(target), target))
                _write_parquet(table, staged[-1][0])
        except BaseException:
            for temp, _ in staged:
                temp.unlink(missing_ok=True)
            raise
        # From here on the temporary files belong to the journal: left for roll-forward.
        _move_into_place(curated_dir, staged)
    except OSError as exc:
        raise DatasetError(f"{exc.filename or curated_dir}: cannot write dataset: {exc}") from exc
    return targets


def upgrade_history(curated_dir: Path) -> list[Path]:
    """Rewrite link history partitions of an older schema version with the added columns as null.

    Readers that load the whole history in one call (pandas, DuckDB, polars as the README
    shows) take the columns of the first file: beside a version-1 night, DuckDB and pandas
    drop the new columns and polars refuses the newer files. Each file is replaced
    atomically; a run that dies half-way leaves the rest for the next publish. Unreadable
    files are left as they are (reading them names the file).
    """
    upgraded = []
    for path in sorted((curated_dir / HISTORY_DIR).glob(f"run_date=*/{HISTORY_FILE}")):
        try:
            metadata = pq.read_schema(path).metadata or {}
            if metadata.get(b"schema_version", b"").decode() == SCHEMA_VERSION:
                continue
            table = _read_table(path, HISTORY_SCHEMA)
        except (OSError, pa.ArrowException, DatasetError):
            continue
        if table is None:
            continue
        temp = _temporary_beside(path)
        try:
            _write_parquet(table.cast(HISTORY_SCHEMA), temp)
            os.replace(temp, path)
            _fsync_dir(path.parent)
        finally:
            temp.unlink(missing_ok=True)
        upgraded.append(path)
    return upgraded


def _fsync_dir(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _move_into_place(curated_dir: Path, staged: Sequence[tuple[Path, Path]]) -> None:
    """Rename every staged file onto its target, journalled.

    The renames are microseconds apart, but a crash between two of them would leave new
    links beside old entries. The journal, written atomically before the first rename, lets
    the next run (under the run lock) finish what was begun: roll forward, never back.
    """
    journal = curated_dir / JOURNAL_FILE
    pending = journal.with_name(journal.name + ".tmp")
    pending.write_text(json.dumps([[str(t), str(d)] for t, d in staged]), encoding="utf-8")
    os.replace(pending, journal)
    _fsync_dir(curated_dir)
    for temp, target in staged:
        os.replace(temp, target)
        _fsync_dir(target.parent)
    journal.unlink()


def recover_interrupted_publish(curated_dir: Path) -> list[Path]:
    """Finish a publish that a crash interrupted, and remove its orphaned temporary files.

    Call only while holding the run lock. Returns the files that were moved into place.
    """
    journal = curated_dir / JOURNAL_FILE
    finished: list[Path] = []
    if journal.exists():
        try:
            pairs = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{journal}: unreadable publish journal ({exc})") from exc
        for temp, target in pairs:
            if Path(temp).exists():
                os.replace(temp, target)
                finished.append(Path(target))
        journal.unlink()
    for stray in curated_dir.rglob(".*.tmp"):
        stray.unlink(missing_ok=True)
    return finished


def _row_groups(path: Path, schema: pa.Schema | None) -> Iterator[pa.Table]:
    """A Parquet file a row group at a time (at least one piece, empty for an empty file);
    with `schema`, its version checked and columns added since read as null. A step that
    streams the pieces on holds one group, not the table. `ParquetFile` rather than
    `pq.read_table`, whose dataset machinery (threads, their allocations) cost a table of
    50,000 links 121 MB of memory instead of 63 MB."""
    try:
        with pq.ParquetFile(path) as file:
            added = _added_columns(path, file.schema_arrow, schema) if schema else []
            if not file.num_row_groups:
                yield _conformed(file.schema_arrow.empty_table(), schema, added)
            for group in range(file.num_row_groups):
                yield _conformed(file.read_row_group(group), schema, added)
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file ({exc})") from exc


def _added_columns(path: Path, stored: pa.Schema, schema: pa.Schema) -> list[str]:
    """The columns of `schema` added after the file was written (they read as null); a file
    of another version, or missing other columns, is an error naming it."""
    version = (stored.metadata or {}).get(b"schema_version", b"").decode()
    if version not in READABLE_VERSIONS:
        raise DatasetError(
            f"{path}: schema_version {version or 'missing'!r}, expected {SCHEMA_VERSION!r}"
        )
    missing = set(schema.names) - set(stored.names)
    # Versions compare as integers.
    added = {name for name in missing if int(ADDED_IN_VERSION.get(name, "0")) > int(version)}
    if missing - added:
        raise DatasetError(f"{path}: columns missing: {', '.join(sorted(missing - added))}")
    return sorted(added)


def _conformed(piece: pa.Table, schema: pa.Schema | None, added: Sequence[str]) -> pa.Table:
    if schema is None:
        return piece
    for name in added:
        field = schema.field(name)
        piece = piece.append_column(field, pa.nulls(piece.num_rows, field.type))
    return piece.select(schema.names)


def _with_night(piece: pa.Table, night: dt.date, schema: pa.Schema) -> pa.Table:
    """A history piece with its night (from the partition path) as `run_date`."""
    nights = pa.array([night] * piece.num_rows, pa.date32())
    return piece.append_column(pa.field("run_date", pa.date32()), nights).select(schema.names)


def _read_table(path: Path, schema: pa.Schema) -> pa.Table | None:
    return pa.concat_tables(_row_groups(path, schema)) if path.exists() else None


def links_pieces(curated_dir: Path) -> Iterator[pa.Table] | None:
    """The latest links table a row group at a time (links schema); None when there is none."""
    path = curated_dir / LINKS_FILE
    return _row_groups(path, LINKS_SCHEMA) if path.exists() else None


def history_night_pieces(curated_dir: Path, night: dt.date) -> Iterator[pa.Table] | None:
    """One night's observations a row group at a time, in the links schema; None when the
    night has no partition."""
    path = history_partition(curated_dir, night) / HISTORY_FILE
    if not path.exists():
        return None
    return (_with_night(piece, night, LINKS_SCHEMA) for piece in _row_groups(path, HISTORY_SCHEMA))


def entries_pieces(curated_dir: Path) -> Iterator[pa.Table] | None:
    """The latest entries table a row group at a time (entries schema); None when none."""
    path = curated_dir / ENTRIES_FILE
    return _row_groups(path, ENTRIES_SCHEMA) if path.exists() else None


def entries_night_pieces(curated_dir: Path, night: dt.date) -> Iterator[pa.Table] | None:
    """One night's entry verdicts from the entries history a row group at a time, in the
    entries schema; None when the night has none."""
    path = entries_history_partition(curated_dir, night) / ENTRIES_HISTORY_FILE
    if not path.exists():
        return None
    return (_with_night(piece, night, ENTRIES_SCHEMA) for piece in _row_groups(path, None))


def current_links(table: pa.Table) -> pa.Table:
    """The rows of links still in the catalogue (`removed_since` empty); the same table, not
    a copy, when no link was removed (most nights)."""
    removed = table["removed_since"]
    return table if removed.null_count == len(removed) else table.filter(pc.is_null(removed))


def read_links_table(curated_dir: Path) -> pa.Table | None:
    """The latest links table (links schema); None when there is none yet."""
    return _read_table(curated_dir / LINKS_FILE, LINKS_SCHEMA)


def latest_links_night(curated_dir: Path) -> dt.date | None:
    """The night of the latest links table, from its `run_date` column alone (a run and every
    desk page load ask; the whole table is about 0.9 KB a link). None when there is no
    table yet or it has no rows."""
    path = curated_dir / LINKS_FILE
    if not path.exists():
        return None
    try:
        with pq.ParquetFile(path) as file:
            groups = [g for g in range(file.num_row_groups) if file.metadata.row_group(g).num_rows]
            if not groups:
                return None
            night = file.read_row_group(groups[0], columns=["run_date"])["run_date"][0].as_py()
    except (OSError, KeyError, pa.ArrowException) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file ({exc})") from exc
    return night if isinstance(night, dt.date) else None


def read_links(curated_dir: Path) -> list[LinkRow]:
    """The latest links table as records; empty when there is none yet."""
    table = read_links_table(curated_dir)
    return [] if table is None else link_rows_of(table)


def history_nights(curated_dir: Path) -> list[dt.date]:
    """The nights with a history partition, oldest first."""
    nights = []
    for folder in (curated_dir / HISTORY_DIR).glob("run_date=*"):
        try:
            nights.append(dt.date.fromisoformat(folder.name.removeprefix("run_date=")))
        except ValueError:
            continue  # a stray folder is not a night
    return sorted(nights)


def read_history_night_table(
    curated_dir: Path, night: dt.date, urls: Collection[str] | None = None
) -> pa.Table | None:
    """One night's observations in the links schema (run_date from the partition path);
    with `urls`, only the rows of those links. None when the night has no partition."""
    pieces = history_night_pieces(curated_dir, night)
    if pieces is None:
        return None
    table = pa.concat_tables(pieces)
    if urls is not None:
        table = table.filter(pc.is_in(table["url"], pa.array(list(urls), pa.string())))
    return table


def read_history_night(
    curated_dir: Path, night: dt.date, urls: Collection[str] | None = None
) -> list[LinkRow]:
    """One night's observations as link records (run_date comes from the partition path)."""
    table = read_history_night_table(curated_dir, night, urls)
    return [] if table is None else link_rows_of(table)


def read_suggestions(curated_dir: Path) -> list[SuggestionRow]:
    """The latest night's considered new addresses; empty when there is no file (yet)."""
    table = _read_table(curated_dir / SUGGESTIONS_FILE, SUGGESTIONS_SCHEMA)
    return [] if table is None else [SuggestionRow(**record) for record in table.to_pylist()]


def read_entries_table(curated_dir: Path) -> pa.Table | None:
    """The latest entries table (entries schema); None when there is none yet."""
    return _read_table(curated_dir / ENTRIES_FILE, ENTRIES_SCHEMA)


def read_entries(curated_dir: Path) -> list[EntryVerdict]:
    table = read_entries_table(curated_dir)
    return [] if table is None else list(iter_entry_rows(table))


def read_entries_night_table(curated_dir: Path, night: dt.date) -> pa.Table | None:
    """One night's entry verdicts from the entries history, in the entries schema; None
    when the night has none."""
    pieces = entries_night_pieces(curated_dir, night)
    return None if pieces is None else pa.concat_tables(pieces)


def read_entries_night(curated_dir: Path, night: dt.date) -> list[EntryVerdict]:
    """One night's entry verdicts from the entries history."""
    table = read_entries_night_table(curated_dir, night)
    return [] if table is None else list(iter_entry_rows(table))


def rebuild_latest(curated_dir: Path) -> dt.date:
    """Rewrite links.parquet and entries.parquet from the newest history night.

    The way back after a damaged or foreign latest file: history partitions are written
    first and never rewritten by later nights (except once by `upgrade_history`). Rows of
    removed catalogue entries are not in history and are therefore not restored.
    """
    nights = history_nights(curated_dir)
    if not nights:
        raise DatasetError(f"{curated_dir / HISTORY_DIR}: no history to rebuild from")
    night = nights[-1]
    links = read_history_night(curated_dir, night)
    entries = read_entries_night(curated_dir, night)
    if not entries:
        raise DatasetError(
            f"{entries_history_partition(curated_dir, night)}: no entries history for {night}"
        )
    publish(curated_dir, night, links, entries)
    return night
