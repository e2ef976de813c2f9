"""Which stored night a run builds on: the latest tables for a new night, the history
partition before it for a re-run, nothing on the first night; learned from the latest
table's night alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from record_factories import make_entry_verdict, make_link_row

from extractors.records import Verdict
from flows.dataset.store import DatasetError, latest_links_night, links_table, publish
from flows.last_night import previous_entries, previous_night, previous_state

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
    state = previous_state(tmp_path, FIRST)
    assert state.links is None and state.entries is None and state.update_latest


def test_a_new_night_builds_on_the_latest_and_a_rerun_on_the_night_before(tmp_path: Path):
    publish_night(tmp_path, FIRST, Verdict.OK)
    publish_night(tmp_path, SECOND, Verdict.BROKEN)
    assert latest_links_night(tmp_path) == SECOND

    new = previous_state(tmp_path, THIRD)
    assert new.update_latest and new.links is not None and new.entries is not None
    assert new.links["url"].to_pylist() == ["https://a.example/2026-11-27"]
    assert new.entries["verdict"].to_pylist() == ["broken"]

    rerun = previous_night(tmp_path, SECOND)
    assert (rerun.night, rerun.from_latest, rerun.update_latest) == (FIRST, False, True)
    state = previous_state(tmp_path, SECOND)
    assert state.links is not None and state.links["url"].to_pylist() == [
        "https://a.example/2026-11-26"
    ]
    assert state.links["run_date"].to_pylist() == [FIRST]
    # The report's "before" column reads the entries alone.
    before = previous_entries(tmp_path, rerun)
    assert before is not None and before["verdict"].to_pylist() == ["ok"]

    past = previous_night(tmp_path, FIRST)
    assert (past.night, past.from_latest, past.update_latest) == (None, False, False)
    assert previous_state(tmp_path, FIRST).links is None


def test_an_empty_latest_table_has_no_night(tmp_path: Path):
    publish(tmp_path, FIRST, links_table([]), [])
    assert latest_links_night(tmp_path) is None
    assert previous_night(tmp_path, FIRST).from_latest


def test_an_unreadable_latest_table_names_its_file(tmp_path: Path):
    (tmp_path / "links.parquet").write_bytes(b"not parquet")
    with pytest.raises(DatasetError, match=r"links\.parquet"):
        latest_links_night(tmp_path)
