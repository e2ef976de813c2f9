"""Last night waits in files of the run's staging folder and is mapped per step; what the
steps read from it must be what the stored tables hold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
from record_factories import make_entry_verdict, make_link_row

from extractors.catalog.removals import removed_entries, removed_links
from extractors.records import CatalogEntry, Verdict
from flows.dataset.staged_table import StagedTable, map_arrow_file, stage_pieces
from flows.dataset.store import entries_table, links_table
from flows.dataset.table_records import (
    entries_not_in,
    iter_entry_rows,
    rows_not_in,
    verdicts_by_entry,
)

NIGHT = dt.date(2026, 11, 27)


def entry(entry_id: str, url: str = "", label: str = "Weitere Informationen") -> CatalogEntry:
    return CatalogEntry(
        line=2, entry_id=entry_id, provider="Stadt", title="T", link_label=label, url=url
    )


def test_a_staged_table_reads_back_equal_and_each_step_gets_its_own_mapping(tmp_path: Path):
    rows = [
        make_link_row(entry_id=f"e{i}", url=f"https://h{i % 7}.example/{i}") for i in range(20000)
    ]
    table = links_table(rows)
    # A stored table comes a row group at a time; the staged file has them all.
    pieces = [pa.Table.from_batches([b]) for b in table.to_batches(max_chunksize=6000)]
    staged = stage_pieces(iter(pieces), tmp_path / "last-night-links.arrow")
    assert staged.path is not None and staged.path.stat().st_size > 0
    assert staged.apply(lambda mapped: mapped is not None and mapped.equals(table))
    first = staged.apply(lambda mapped: mapped)
    assert first is not None and first.num_rows == 20000
    assert first.column("url").num_chunks > 1  # written in batches: a filter touches only its pages
    assert staged.apply(lambda mapped: mapped) is not first


def test_no_table_stages_nothing_and_steps_get_none(tmp_path: Path):
    staged = stage_pieces(None, tmp_path / "last-night-links.arrow")
    assert staged == StagedTable(None)
    assert not (tmp_path / "last-night-links.arrow").exists()
    assert staged.apply(lambda mapped: mapped) is None


def test_entries_read_back_as_records_and_as_verdicts(tmp_path: Path):
    verdicts = [
        make_entry_verdict(entry_id="a", verdict=Verdict.OK, run_date=NIGHT),
        make_entry_verdict(entry_id="b", verdict=Verdict.BROKEN, run_date=NIGHT),
    ]
    staged = stage_pieces([entries_table(verdicts)], tmp_path / "entries.arrow")
    assert staged.path is not None
    mapped = map_arrow_file(staged.path)
    assert list(iter_entry_rows(mapped, batch_rows=1)) == verdicts
    assert verdicts_by_entry(mapped) == {"a": Verdict.OK, "b": Verdict.BROKEN}
    assert verdicts_by_entry(None) == {}


def test_rows_not_in_the_catalogue_include_every_link_that_may_have_left():
    last_night = links_table(
        [
            make_link_row(entry_id="bleibt", url="https://a.example/"),
            make_link_row(entry_id="weg", url="https://b.example/"),
            # The URL and the entry are both still in the catalogue, but not together.
            make_link_row(entry_id="bleibt", url="https://c.example/"),
            make_link_row(entry_id="ohne", url=None, link_label="Flyer"),
            make_link_row(entry_id="ohne", url=None, link_label="Rundschreiben"),
        ]
    )
    catalog = [
        entry("bleibt", "https://a.example/"),
        entry("anders", "https://c.example/"),
        entry("ohne", label="Flyer"),
    ]
    candidates = list(rows_not_in(last_night, catalog))
    assert [(r.entry_id, r.url, r.link_label) for r in candidates] == [
        ("weg", "https://b.example/", "Weitere Informationen"),
        ("bleibt", "https://c.example/", "Weitere Informationen"),
        ("ohne", None, "Flyer"),
        ("ohne", None, "Rundschreiben"),
    ]
    gone = removed_links(candidates, catalog, NIGHT)
    assert [(r.entry_id, r.url, r.link_label) for r in gone] == [
        ("weg", "https://b.example/", "Weitere Informationen"),
        ("bleibt", "https://c.example/", "Weitere Informationen"),
        ("ohne", None, "Rundschreiben"),
    ]
    assert list(rows_not_in(None, catalog)) == []


def test_entries_not_in_the_catalogue_only_become_records():
    last_night = entries_table(
        [make_entry_verdict(entry_id=entry_id) for entry_id in ("bleibt", "weg", "auch-weg")]
    )
    catalog = [entry("bleibt", "https://a.example/"), entry("neu")]
    gone = list(entries_not_in(last_night, catalog))
    assert [verdict.entry_id for verdict in gone] == ["weg", "auch-weg"]
    # The same entries carried and marked as when every entry of last night is a record.
    assert removed_entries(gone, catalog, NIGHT) == removed_entries(
        iter_entry_rows(last_night), catalog, NIGHT
    )
    assert list(entries_not_in(None, catalog)) == []


def test_an_empty_table_stages_and_maps(tmp_path: Path):
    staged = stage_pieces([links_table([])], tmp_path / "empty.arrow")
    assert staged.apply(lambda mapped: None if mapped is None else mapped.num_rows) == 0
    assert isinstance(staged.apply(lambda mapped: mapped), pa.Table)
