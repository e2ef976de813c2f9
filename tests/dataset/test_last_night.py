"""Which stored night a run builds on: the latest tables for a new night, the history
partition before it for a re-run, nothing on the first night; learned from the latest
table's night alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from record_factories import make_entry_verdict, make_link_row

from extractors.records import Verdict
from flows.dataset.store import DatasetError, latest_links_night, links_table, publish
from flows.last_night import previous_entries, previous_night, stage_previous_state


def previous_state(curated: Path, night: dt.date) -> tuple[pa.Table | None, pa.Table | None, bool]:
    """Last night's tables as the run stages them, read back."""
    staged = stage_previous_state(curated, night, curated / "staging")

    def keep(mapped: pa.Table | None) -> pa.Table | None:
        return mapped

    return staged.links.apply(keep), staged.entries.apply(keep), staged.update_latest


FIRST, SECOND, THIRD = dt.date(2026, 11, 26), dt.date(2026, 11, 27), dt.date(2026, 11, 28)


def publish_night(curated: Path, night: dt.date, verdict: Verdict) -> None:
    publish(
        curated,
        night,
        [
            make_link_row(
                run_date=night, last_ok=night, url=f"https://a.example/{night.isoformat()}"
            )
        ],
        [make_entry_verdict(run_date=night, verdict=verdict)],
    )


def test_the_first_night_builds_on_nothing(tmp_path: Path):
    assert latest_links_night(tmp_path) is None
    chosen = previous_night(tmp_path, FIRST)
    assert chosen.from_latest and chosen.update_latest
    assert previous_state(tmp_path, FIRST) == (None, None, True)


def test_a_new_night_builds_on_the_latest_and_a_rerun_on_the_night_before(tmp_path: Path):
    publish_night(tmp_path, FIRST, Verdict.OK)
    publish_night(tmp_path, SECOND, Verdict.BROKEN)
    assert latest_links_night(tmp_path) == SECOND

    links, entries, update_latest = previous_state(tmp_path, THIRD)
    assert update_latest and links is not None and entries is not None
    assert links["url"].to_pylist() == ["https://a.example/2026-11-27"]
    assert entries["verdict"].to_pylist() == ["broken"]

    rerun = previous_night(tmp_path, SECOND)
    assert (rerun.night, rerun.from_latest, rerun.update_latest) == (FIRST, False, True)
    links, entries, _ = previous_state(tmp_path, SECOND)
    assert links is not None and links["url"].to_pylist() == ["https://a.example/2026-11-26"]
    assert links["run_date"].to_pylist() == [FIRST]
    assert entries is not None and entries["run_date"].to_pylist() == [FIRST]
    # The report's "before" column reads the entries alone.
    before = previous_entries(tmp_path, rerun)
    assert before is not None and before["verdict"].to_pylist() == ["ok"]

    past = previous_night(tmp_path, FIRST)
    assert (past.night, past.from_latest, past.update_latest) == (None, False, False)
    assert previous_state(tmp_path, FIRST)[0] is None


def test_an_empty_latest_table_has_no_night(tmp_path: Path):
    publish(tmp_path, FIRST, links_table([]), [])
    assert latest_links_night(tmp_path) is None
    assert previous_night(tmp_path, FIRST).from_latest


def test_an_unreadable_latest_table_names_its_file(tmp_path: Path):
    (tmp_path / "links.parquet").write_bytes(b"not parquet")
    with pytest.raises(DatasetError, match=r"links\.parquet"):
        latest_links_night(tmp_path)


def test_a_long_night_is_staged_a_row_group_at_a_time_and_reads_back_whole(tmp_path: Path):
    from flows.dataset.store import ROW_GROUP_ROWS, read_history_night_table, read_links_table
    from flows.dataset.table_records import link_rows_of

    rows = [
        make_link_row(run_date=FIRST, last_ok=FIRST, url=f"https://a.example/{n}")
        for n in range(ROW_GROUP_ROWS + 100)
    ]
    publish(tmp_path, FIRST, rows, [make_entry_verdict(run_date=FIRST)])
    links, _, _ = previous_state(tmp_path, SECOND)
    assert links is not None and links.equals(read_links_table(tmp_path))
    # A re-run of the night builds on nothing; a history night reads back as the latest.
    assert previous_state(tmp_path, FIRST)[0] is None
    history = read_history_night_table(tmp_path, FIRST)
    assert history is not None and link_rows_of(history) == link_rows_of(links)
