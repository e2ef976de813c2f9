"""Curated dataset: explicit schema, round trip, history partitions, publishing losing nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from extractors.records import EntryVerdict, Health, Hop, LinkRow, SuggestionRow, Verdict
from flows.dataset import store as dataset_store
from flows.dataset.schema import (
    ENTRIES_SCHEMA,
    HISTORY_SCHEMA,
    LINKS_SCHEMA,
    SCHEMA_VERSION,
    SUGGESTIONS_SCHEMA,
)
from flows.dataset.store import (
    SUGGESTIONS_FILE,
    DatasetError,
    history_partition,
    publish,
    read_entries,
    read_links,
    read_suggestions,
)

NIGHT = dt.date(2026, 11, 26)
FINGERPRINT = "0123456789abcdef" * 4
BASELINE = "fedcba9876543210" * 4
ARCHIVED = "https://web.archive.org/web/20190304120000/https://www.monheim.de/a"
CAPTURED = dt.datetime(2019, 3, 4, 12, 0, 0, 123456, tzinfo=dt.UTC)
NOTE = "Archivkopie vom 04.03.2019, Titel stimmt überein"
# The columns each schema version added, newest last (flows.dataset.schema.ADDED_IN_VERSION).
VERSION_4_COLUMNS = [
    "archived_url",
    "archived_at",
    "archive_note",
    "suggested_url",
    "suggestion_source",
    "suggestion_score",
]


def link_row(**changes) -> LinkRow:
    values = dict(
        entry_id="monheim-gesundheitskarte",
        link_label="Weitere Informationen",
        url="https://www.monheim.de/a",
        run_date=NIGHT,
        checked_at=dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC),
        health=Health.MOVED,
        http_status=200,
        final_url="https://www.monheim.de/b",
        redirect_chain=(Hop("https://www.monheim.de/a", 301, "/b"),),
        error_detail=None,
        content_type="text/html",
        title="Gesundheitskarte für Flüchtlinge",
        summary="Als erste Kommune …",
        language="de",
        published=dt.date(2015, 11, 3),
        modified=None,
        date_source="visible_text",
        content_date=dt.date(2015, 11, 3),
        age_days=4041,
        stale=True,
        content_hash="abc",
        first_seen=NIGHT,
        last_ok=NIGHT,
        last_changed=None,
        failing_since=None,
        consecutive_failures=0,
        confirmed_broken=False,
        attempts=1,
        elapsed_ms=120,
        bytes_read=2048,
        text_fingerprint=FINGERPRINT,
        baseline_fingerprint=BASELINE,
        date_evidence="visible",
        archived_url=ARCHIVED,
        archived_at=CAPTURED,
        archive_note=NOTE,
        suggested_url="https://www.monheim.de/b",
        suggestion_source="redirect",
        suggestion_score=1.0,
    )
    values.update(changes)
    return LinkRow(**values)


def entry(**changes) -> EntryVerdict:
    values = dict(
        entry_id="monheim-gesundheitskarte",
        provider="Stadt Monheim am Rhein",
        provider_type="Stadt",
        title="Gesundheitskarte",
        description="…",
        run_date=NIGHT,
        verdict=Verdict.STALE,
        reasons=("Inhalt zuletzt datiert 03.11.2015.",),
        links_total=2,
        links_ok=1,
        links_failing=0,
        links_missing_url=1,
        newest_content_date=dt.date(2015, 11, 3),
        extra=(("region", "NRW"),),
    )
    values.update(changes)
    return EntryVerdict(**values)


def rows() -> list[LinkRow]:
    missing = link_row(
        url=None,
        link_label="Twitter",
        health=None,
        http_status=None,
        checked_at=None,
        redirect_chain=(),
        final_url=None,
        content_type=None,
        title=None,
        summary=None,
        published=None,
        content_date=None,
        date_source=None,
        age_days=None,
        stale=None,
        content_hash=None,
        text_fingerprint=None,
        baseline_fingerprint=None,
        date_evidence=None,
        last_ok=None,
        elapsed_ms=None,
        bytes_read=0,
        attempts=0,
        archived_url=None,
        archived_at=None,
        archive_note=None,
        suggested_url=None,
        suggestion_source=None,
        suggestion_score=None,
    )
    return [link_row(), missing]


def test_publish_writes_explicit_schema_and_reads_back(tmp_path: Path):
    published = publish(tmp_path, NIGHT, rows(), [entry()])
    links = pq.read_table(published.links)
    assert links.schema.equals(LINKS_SCHEMA, check_metadata=False)
    assert links.schema.metadata[b"schema_version"] == SCHEMA_VERSION.encode()
    assert links.schema.field("http_status").type == pa.int16()
    assert links.schema.field("title").type == pa.string()  # not large_string
    assert links.schema.field("published").type == pa.date32()
    assert links.schema.field("checked_at").type == pa.timestamp("us", tz="UTC")
    assert links.schema.field("text_fingerprint").type == pa.string()
    assert links.column("text_fingerprint").to_pylist() == [FINGERPRINT, None]
    assert links.schema.names[-6:] == VERSION_4_COLUMNS  # added at the end
    assert links.schema.field("archived_at").type == pa.timestamp("us", tz="UTC")
    assert links.schema.field("suggestion_score").type == pa.float64()
    assert links.column("archived_at").to_pylist()[0] == CAPTURED  # microseconds kept
    assert links.column("suggestion_source").to_pylist() == ["redirect", None]
    assert pq.read_table(published.entries).schema.equals(ENTRIES_SCHEMA, check_metadata=False)
    history = pq.read_table(published.history)
    assert history.schema.equals(HISTORY_SCHEMA, check_metadata=False)
    assert "run_date" not in history.schema.names
    assert published.history.parent == history_partition(tmp_path, NIGHT)

    assert read_links(tmp_path) == rows()
    assert read_entries(tmp_path) == [entry()]


def test_nullable_integers_stay_integers_in_pandas(tmp_path: Path):
    publish(tmp_path, NIGHT, rows(), [entry()])
    # As the README shows it: nullable dtypes keep a missing status from turning 200 into 200.0.
    frame = pd.read_parquet(tmp_path / "links.parquet", dtype_backend="numpy_nullable")
    assert str(frame["http_status"].dtype) == "Int16"
    assert frame["http_status"].tolist()[0] == 200
    assert frame["health"].isna().tolist() == [False, True]


def test_rerun_of_a_night_replaces_its_partition(tmp_path: Path):
    publish(tmp_path, NIGHT, rows(), [entry()])
    publish(tmp_path, NIGHT, rows()[:1], [entry()])
    files = list(history_partition(tmp_path, NIGHT).iterdir())
    assert [f.name for f in files] == ["links.parquet"]
    assert pq.read_table(files[0]).num_rows == 1


def test_failure_while_writing_leaves_previous_dataset_intact(tmp_path: Path, monkeypatch):
    publish(tmp_path, NIGHT, rows(), [entry()])
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")}
    calls = {"n": 0}
    real_write = dataset_store._write_parquet

    def failing_write(table, temp):
        calls["n"] += 1
        if calls["n"] == 3:  # the history and links files are staged, entries fails
            raise OSError(28, "No space left on device", str(temp))
        real_write(table, temp)

    monkeypatch.setattr(dataset_store, "_write_parquet", failing_write)
    tomorrow = NIGHT + dt.timedelta(days=1)
    with pytest.raises(DatasetError, match="No space left"):
        publish(
            tmp_path,
            tomorrow,
            [dataclasses.replace(rows()[0], run_date=tomorrow)],
            [dataclasses.replace(entry(), run_date=tomorrow)],
        )
    after = {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")}
    assert after == before
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_foreign_parquet_is_a_clear_error_naming_the_file(tmp_path: Path):
    pq.write_table(pa.table({"x": [1]}), tmp_path / "links.parquet")
    with pytest.raises(DatasetError, match=r"links\.parquet.*schema_version"):
        read_links(tmp_path)
    (tmp_path / "entries.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(DatasetError, match=r"entries\.parquet"):
        read_entries(tmp_path)


@pytest.mark.parametrize(
    ("links", "entries", "message"),
    [
        (
            [link_row(content_date=NIGHT + dt.timedelta(days=3))],
            [entry()],
            "links.content_date: 1 dates after the run date",
        ),
        ([link_row(), link_row()], [entry()], "links: 1 duplicate keys"),
        ([link_row()], [entry(), entry()], "entries: 1 duplicate entry_id"),
        ([link_row(entry_id="unbekannt")], [entry()], "entry_id without an entry"),
        ([link_row(run_date=NIGHT - dt.timedelta(days=1))], [entry()], "links.run_date"),
        ([link_row(text_fingerprint="abc")], [entry()], "links.text_fingerprint: 1 values"),
    ],
)
def test_output_failing_validation_publishes_nothing(tmp_path: Path, links, entries, message):
    publish(tmp_path, NIGHT, rows(), [entry()])
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(DatasetError, match="failed validation.*" + message):
        publish(tmp_path, NIGHT, links, entries)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_health_outside_the_vocabulary_is_refused():
    from flows.dataset.store import entries_table, links_table
    from flows.dataset.validation import validate_tables

    table = links_table([link_row()])
    table = table.set_column(
        table.schema.get_field_index("health"), "health", pa.array(["kaputt"], pa.string())
    )
    problems = validate_tables(table, entries_table([entry()]), NIGHT)
    assert problems == ["links.health: values outside the vocabulary: ['kaputt']"]


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("date_evidence", "gefühlt", "links.date_evidence: values outside the vocabulary"),
        ("suggestion_source", "orakel", "links.suggestion_source: values outside the vocabulary"),
        ("suggestion_score", 1.5, "links.suggestion_score: 1 values outside 0..1"),
    ],
)
def test_evidence_and_suggestions_outside_their_vocabulary_are_refused(column, value, problem):
    from flows.dataset.store import entries_table, links_table
    from flows.dataset.validation import validate_tables

    table = links_table([link_row()])
    field = table.schema.field(column)
    table = table.set_column(
        table.schema.get_field_index(column), field, pa.array([value], field.type)
    )
    problems = validate_tables(table, entries_table([entry()]), NIGHT)
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_history_nights_and_entries_history_read_back(tmp_path: Path):
    from flows.dataset.store import history_nights, read_entries_night, read_history_night

    publish(tmp_path, NIGHT, rows(), [entry()])
    later = publish_next_night(tmp_path)
    (tmp_path / "history" / "run_date=kaputt").mkdir()
    assert history_nights(tmp_path) == [NIGHT, later]
    assert read_history_night(tmp_path, NIGHT) == rows()
    assert read_entries_night(tmp_path, NIGHT) == [entry()]
    assert read_links(tmp_path)[0].run_date == later
    # Only some links' rows of a night (a lookup needs a few, never the whole night).
    some = [row for row in rows() if row.url]
    assert some and read_history_night(tmp_path, NIGHT, {some[0].url}) == some[:1]
    assert read_history_night(tmp_path, NIGHT, set()) == []


def test_past_night_rewrites_only_its_history(tmp_path: Path):
    publish_next_night(tmp_path)
    latest = (tmp_path / "links.parquet").read_bytes()
    publish(tmp_path, NIGHT, rows(), [entry()], update_latest=False)
    assert (tmp_path / "links.parquet").read_bytes() == latest
    assert (history_partition(tmp_path, NIGHT) / "links.parquet").is_file()


def test_damaged_latest_table_is_rebuilt_from_history(tmp_path: Path, capsys):
    from flows.cli import main

    publish(tmp_path / "curated", NIGHT, rows(), [entry()])
    (tmp_path / "curated" / "links.parquet").write_bytes(b"PAR1 truncated by a full disk")
    with pytest.raises(DatasetError, match=r"links\.parquet: not a readable Parquet file"):
        read_links(tmp_path / "curated")
    assert main(["rebuild", "--data-dir", str(tmp_path)]) == 0
    assert "rebuilt from the night of 2026-11-26" in capsys.readouterr().out
    assert read_links(tmp_path / "curated") == rows()
    assert read_entries(tmp_path / "curated") == [entry()]


def test_rebuild_without_history_is_a_clear_error(tmp_path: Path, capsys):
    from flows.cli import main

    assert main(["rebuild", "--data-dir", str(tmp_path)]) == 2
    assert "no history to rebuild from" in capsys.readouterr().err


def test_run_on_a_damaged_dataset_fails_naming_the_file_and_overwrites_nothing(tmp_path: Path):
    from flows.harvest_flow import RunFailed, harvest
    from flows.run_settings import load_settings

    curated = tmp_path / "data" / "curated"
    curated.mkdir(parents=True)
    (curated / "links.parquet").write_bytes(b"not parquet at all")
    catalog = tmp_path / "katalog.csv"
    catalog.write_text("entry_id,provider,title,url\na,Stadt,T,ftp://x\n", encoding="utf-8")
    settings = load_settings(
        {"catalog": str(catalog), "data_dir": str(tmp_path / "data"), "now": "2026-11-26"}
    )
    with pytest.raises(RunFailed, match=r"links\.parquet: not a readable Parquet file"):
        harvest(settings)
    assert (curated / "links.parquet").read_bytes() == b"not parquet at all"
    assert not (curated / "entries.parquet").exists()


def test_publish_interrupted_between_renames_is_rolled_forward(tmp_path: Path, monkeypatch):
    from flows.dataset.store import JOURNAL_FILE, recover_interrupted_publish

    publish(tmp_path, NIGHT, rows(), [entry()])
    tomorrow = NIGHT + dt.timedelta(days=1)
    real_replace = os.replace
    renames = {"n": 0}

    def crash_after_two_renames(src, dst):
        if str(src).endswith(".tmp") and not str(dst).endswith(JOURNAL_FILE):
            renames["n"] += 1
            if renames["n"] == 3:
                raise KeyboardInterrupt  # stands for kill -9: no clean-up code may help
        real_replace(src, dst)

    monkeypatch.setattr(dataset_store.os, "replace", crash_after_two_renames)
    with pytest.raises(KeyboardInterrupt):
        publish(
            tmp_path,
            tomorrow,
            [dataclasses.replace(r, run_date=tomorrow) for r in rows()],
            [dataclasses.replace(entry(), run_date=tomorrow)],
        )
    monkeypatch.setattr(dataset_store.os, "replace", real_replace)
    assert (tmp_path / JOURNAL_FILE).exists()
    finished = recover_interrupted_publish(tmp_path)
    assert {p.name for p in finished} == {"links.parquet", "entries.parquet"}
    assert {r.run_date for r in read_links(tmp_path)} == {tomorrow}
    assert read_entries(tmp_path)[0].run_date == tomorrow
    assert not (tmp_path / JOURNAL_FILE).exists()
    assert not list(tmp_path.rglob(".*.tmp"))


def publish_next_night(curated: Path) -> dt.date:
    """Publish the sample rows again as the night after NIGHT (rewrites older history)."""
    later = NIGHT + dt.timedelta(days=1)
    publish(
        curated,
        later,
        [dataclasses.replace(r, run_date=later) for r in rows()],
        [dataclasses.replace(entry(), run_date=later)],
    )
    return later


def _as_older_version(path: Path, version: str, dropped: list[str]) -> None:
    table = pq.read_table(path).drop_columns(dropped)
    metadata = {**table.schema.metadata, b"schema_version": version.encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _as_version_one(path: Path) -> None:
    """Rewrite a links file as schema version 1 wrote it: without the fingerprint columns."""
    dropped = ["text_fingerprint", "baseline_fingerprint", "date_evidence", *VERSION_4_COLUMNS]
    _as_older_version(path, "1", dropped)


def _as_version_two(path: Path) -> None:
    """Rewrite a links file as schema version 2 wrote it: without date_evidence."""
    _as_older_version(path, "2", ["date_evidence", *VERSION_4_COLUMNS])


def _as_version_three(path: Path) -> None:
    """Rewrite a links file as schema version 3 wrote it: without the archive and
    suggestion columns."""
    _as_older_version(path, "3", VERSION_4_COLUMNS)


def _without_version_4_columns(row: LinkRow) -> LinkRow:
    return dataclasses.replace(row, **dict.fromkeys(VERSION_4_COLUMNS))


def test_version_three_files_read_with_null_archive_and_suggestion_columns(tmp_path: Path):
    publish(tmp_path, NIGHT, rows(), [entry()])
    _as_version_three(tmp_path / "links.parquet")
    _as_version_three(history_partition(tmp_path, NIGHT) / "links.parquet")
    assert rows()[0].archived_url and rows()[0].suggested_url  # else the test proves nothing
    without = [_without_version_4_columns(r) for r in rows()]
    assert read_links(tmp_path) == without
    from flows.dataset.store import read_history_night

    assert read_history_night(tmp_path, NIGHT) == without


def test_next_publish_upgrades_version_three_history_to_version_four(tmp_path: Path):
    import duckdb
    import polars as pl

    publish(tmp_path, NIGHT, rows(), [entry()])
    old_night = history_partition(tmp_path, NIGHT) / "links.parquet"
    _as_version_three(old_night)
    assert pq.read_schema(old_night).metadata[b"schema_version"] == b"3"
    publish_next_night(tmp_path)
    upgraded = pq.read_table(old_night)
    assert upgraded.schema.equals(HISTORY_SCHEMA, check_metadata=False)
    assert upgraded.schema.metadata[b"schema_version"] == b"4" == SCHEMA_VERSION.encode()
    for name in VERSION_4_COLUMNS:
        assert upgraded.column(name).null_count == 2, name
    assert upgraded.column("date_evidence").to_pylist() == ["visible", None]  # kept

    # One call over all nights: the new night's copy is there, the old night's is null.
    history = tmp_path / "history"
    frame = pd.read_parquet(history)
    assert frame["archived_url"].notna().sum() == 1
    counted = duckdb.sql(
        f"select count(archived_at), count(suggestion_score) from read_parquet("
        f"'{history}/*/*.parquet', hive_partitioning=true)"
    ).fetchall()
    assert counted == [(1, 1)]
    polars_frame = pl.read_parquet(f"{history}/**/*.parquet", hive_partitioning=True)
    assert polars_frame["archive_note"].to_list().count(NOTE) == 1


def test_version_two_files_read_with_null_date_evidence(tmp_path: Path):
    publish(tmp_path, NIGHT, rows(), [entry()])
    _as_version_two(tmp_path / "links.parquet")
    _as_version_two(history_partition(tmp_path, NIGHT) / "links.parquet")
    assert any(r.date_evidence for r in rows())  # the test would prove nothing otherwise
    without = [_without_version_4_columns(r) for r in rows()]
    without = [dataclasses.replace(r, date_evidence=None) for r in without]
    assert read_links(tmp_path) == without
    from flows.dataset.store import read_history_night

    assert read_history_night(tmp_path, NIGHT) == without


def test_version_one_files_read_with_null_fingerprints(tmp_path: Path):
    publish(tmp_path, NIGHT, rows(), [entry()])
    _as_version_one(tmp_path / "links.parquet")
    _as_version_one(history_partition(tmp_path, NIGHT) / "links.parquet")
    without = [
        dataclasses.replace(r, text_fingerprint=None, baseline_fingerprint=None, date_evidence=None)
        for r in map(_without_version_4_columns, rows())
    ]
    assert read_links(tmp_path) == without
    from flows.dataset.store import read_history_night

    assert read_history_night(tmp_path, NIGHT) == without


def test_version_one_file_missing_an_old_column_is_still_an_error(tmp_path: Path):
    publish(tmp_path, NIGHT, rows(), [entry()])
    path = tmp_path / "links.parquet"
    _as_version_one(path)
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["etag"]), path)
    with pytest.raises(DatasetError, match=r"links\.parquet: columns missing: etag"):
        read_links(tmp_path)


def test_next_publish_upgrades_version_one_history_for_one_call_readers(tmp_path: Path):
    import duckdb
    import polars as pl

    publish(tmp_path, NIGHT, rows(), [entry()])
    old_night = history_partition(tmp_path, NIGHT) / "links.parquet"
    _as_version_one(old_night)
    publish_next_night(tmp_path)
    upgraded = pq.read_table(old_night)
    assert upgraded.schema.equals(HISTORY_SCHEMA, check_metadata=False)
    assert upgraded.schema.metadata[b"schema_version"] == SCHEMA_VERSION.encode()
    assert upgraded.column("text_fingerprint").null_count == 2
    assert upgraded.column("title").to_pylist() == [r.title for r in rows()]

    # As the README loads it: one call over all nights, the new column in every engine.
    history = tmp_path / "history"
    frame = pd.read_parquet(history)
    assert frame["text_fingerprint"].notna().sum() == 1
    counted = duckdb.sql(
        f"select count(text_fingerprint) from read_parquet('{history}/*/*.parquet', "
        "hive_partitioning=true)"
    ).fetchall()
    assert counted == [(1,)]
    polars_frame = pl.read_parquet(f"{history}/**/*.parquet", hive_partitioning=True)
    assert polars_frame["text_fingerprint"].count() == 1


def suggestion(**changes) -> SuggestionRow:
    values = dict(
        entry_id="monheim-gesundheitskarte",
        link_label="Weitere Informationen",
        url="https://www.monheim.de/a",
        run_date=NIGHT,
        rank=1,
        candidate_url="https://www.monheim.de/themen/a",
        source="sitemap",
        score=0.91,
        evidence="Titel stimmt überein; Text nahezu gleich",
        health="ok",
    )
    values.update(changes)
    return SuggestionRow(**values)


def test_suggestions_are_published_with_their_schema_and_read_back(tmp_path: Path):
    considered = [suggestion(), suggestion(rank=2, candidate_url="https://x.de/b", score=0.0)]
    publish(tmp_path, NIGHT, rows(), [entry()], suggestions=considered)
    path = tmp_path / SUGGESTIONS_FILE
    table = pq.read_table(path)
    assert table.schema.equals(SUGGESTIONS_SCHEMA, check_metadata=False)
    assert table.schema.metadata[b"table"] == b"suggestions"
    assert table.schema.metadata[b"schema_version"] == SCHEMA_VERSION.encode()
    assert table.schema.field("rank").type == pa.int16()
    assert read_suggestions(tmp_path) == considered
    assert pd.read_parquet(path, dtype_backend="numpy_nullable")["rank"].tolist() == [1, 2]

    publish(tmp_path, NIGHT, rows(), [entry()], suggestions=[])  # none tonight: empty table
    assert pq.read_table(path).num_rows == 0
    publish(tmp_path, NIGHT, rows(), [entry()])  # None (a rebuild): the file stays as it is
    assert path.exists() and read_suggestions(tmp_path) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"source": "guess"}, "suggestions.source"),
        ({"score": 1.5}, "suggestions.score"),
        ({"rank": 0}, "suggestions.rank"),
        ({"health": "fine"}, "suggestions.health"),
    ],
)
def test_suggestions_failing_validation_publish_nothing(tmp_path: Path, changes, problem):
    with pytest.raises(DatasetError, match=problem):
        publish(tmp_path, NIGHT, rows(), [entry()], suggestions=[suggestion(**changes)])
    assert not (tmp_path / SUGGESTIONS_FILE).exists() and not (tmp_path / "links.parquet").exists()
