"""The night as one Arrow table: reordering and replacing rows a column at a time, the
night assembled from the shards' parts in catalogue order (links without a target and links
no shard returned included), and the steps after fetching giving what they give on records:
site names stripped, entries judged a chunk at a time, only the picked rows changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
from record_factories import RUN_DATE, make_link_row

from extractors.facts.title_site_names import night_titles
from extractors.records import CatalogEntry, Health, LinkHealth
from extractors.verdicts.entry_verdicts import judge_entries
from extractors.verdicts.link_rows import StalenessPolicy
from flows.dataset.store import links_table
from flows.dataset.table_records import link_rows_of
from flows.dataset.table_rows import grouped_rows, replace_rows, take_rows
from flows.night_table import (
    health_by_url,
    health_counts,
    judge_entries_in_chunks,
    rows_where,
    with_rows_replaced,
    with_site_names_stripped,
)
from flows.shards.night_parts import PartWriter, night_table

POLICY = StalenessPolicy(stale_after_days=730, confirm_after_nights=2)


def rows(count: int) -> list:
    return [
        make_link_row(entry_id=f"e{n}", url=f"https://stadt-{n % 3}.example/seite-{n}")
        for n in range(count)
    ]


def test_take_rows_reorders_a_table_given_a_column_at_a_time_like_take():
    first, second = links_table(rows(5)), links_table(rows(8)[5:])
    source = pa.concat_tables([first, second])
    expected = source.take([7, 0, 3, 3, 5])
    asked: list[str] = []

    def column(name: str) -> pa.ChunkedArray:
        asked.append(name)
        return source.column(name)

    order = pa.array([7, 0, 3, 3, 5], pa.int64())
    assert take_rows(column, source.schema, order).equals(expected)
    assert asked == source.schema.names  # each column asked for once, in schema order


def test_replace_rows_changes_only_the_given_rows():
    night = rows(6)
    changed = [dataclasses.replace(night[4], archived_url="https://web.archive.org/x"),
               dataclasses.replace(night[1], title="Neu")]  # fmt: skip
    table = replace_rows(links_table(night), [4, 1], links_table(changed))
    expected = list(night)
    expected[4], expected[1] = changed
    assert link_rows_of(table) == expected
    assert replace_rows(links_table(night), [], links_table([])).equals(links_table(night))
    same = with_rows_replaced(links_table(night), [2], [night[2]])
    assert link_rows_of(same) == night


def test_site_names_stripped_on_the_table_as_on_the_records():
    night = [
        make_link_row(entry_id="a", url="https://stadt.example/a", title="Lotsen | Stadt X"),
        make_link_row(entry_id="b", url="https://stadt.example/b", title="Sprachkurse | Stadt X"),
        make_link_row(entry_id="c", url="https://stadt.example/c", title="Cafe | Stadt X",
                      http_status=304),
        make_link_row(entry_id="d", url="https://anders.example/", title="Start | Stadt X"),
        make_link_row(entry_id="e", url=None, title=None),
        make_link_row(entry_id="f", url="https://anders.example/f", title="Kurse | Stadt X"),
        make_link_row(entry_id="g", url="https://www.stadt.example/g", title="Rat | Stadt X"),
    ]  # fmt: skip
    titles = night_titles([(r.final_url, r.url, r.http_status, r.title) for r in night])
    expected = [
        dataclasses.replace(row, title=title) for row, title in zip(night, titles, strict=True)
    ]
    # Sites interleaved in the table, taken out a site (or two) at a time: the same titles.
    for rows_at_once in (1, 2, 3, 8192):
        table = with_site_names_stripped(links_table(night), rows_at_once=rows_at_once)
        assert link_rows_of(table) == expected, rows_at_once
    assert [row.title for row in expected] == [
        "Lotsen", "Sprachkurse", "Cafe | Stadt X", "Start", None, "Kurse", "Rat",
    ]  # fmt: skip
    unchanged = links_table(night[2:3])
    assert with_site_names_stripped(unchanged) is unchanged
    assert with_site_names_stripped(links_table([])).num_rows == 0


def test_entries_judged_a_chunk_at_a_time_as_all_at_once():
    catalog = [
        CatalogEntry(2, "e1", "Stadt", "Eins", url="https://a.example/1"),
        CatalogEntry(3, "e2", "Stadt", "Zwei", url="https://a.example/2"),
        CatalogEntry(4, "e1", "Stadt", "Eins", link_label="Flyer", url="https://a.example/f"),
        CatalogEntry(5, "e3", "Stadt", "Drei"),
        CatalogEntry(6, "e4", "Stadt", "Vier", url="https://b.example/4"),
    ]
    night = [
        make_link_row(entry_id="e1", url="https://a.example/1"),
        make_link_row(entry_id="e2", url="https://a.example/2", health=Health.NOT_FOUND,
                      http_status=404, confirmed_broken=True, consecutive_failures=2),
        make_link_row(entry_id="e1", link_label="Flyer", url="https://a.example/f",
                      stale=True, age_days=900),
        make_link_row(entry_id="e3", url=None),
        make_link_row(entry_id="e4", url="https://b.example/4"),
    ]  # fmt: skip
    expected = judge_entries(catalog, night, run_date=RUN_DATE, stale_after_days=730, reviews={})
    got = judge_entries_in_chunks(
        catalog, links_table(night), run_date=RUN_DATE, stale_after_days=730, reviews={}, chunk=2
    )
    assert got == expected
    assert [verdict.entry_id for verdict in got] == ["e1", "e2", "e3", "e4"]


def test_health_of_the_night_counted_per_url_and_per_link():
    night = [*rows(4), make_link_row(entry_id="dup", url="https://stadt-0.example/seite-0")]
    night += [make_link_row(entry_id="x", url="https://x.example/", health=Health.NOT_FOUND)]
    table = links_table(night)
    assert len(list(health_by_url(table))) == 5  # the URL of two catalogue rows once
    # Of a URL's rows the first counts (all of one URL share its answer tonight).
    twice = links_table([
        make_link_row(entry_id="a", url="https://x.example/", health=Health.NOT_FOUND,
                      http_status=404),
        make_link_row(entry_id="b", url="https://x.example/"),
        make_link_row(entry_id="c", url=None, health=None),
    ])  # fmt: skip
    assert list(health_by_url(twice)) == [("https://x.example/", LinkHealth(Health.NOT_FOUND, 404))]
    assert health_counts(table) == {"ok": 5, "not_found": 1}
    positions, picked = rows_where(table, lambda row: row.health is Health.NOT_FOUND)
    assert positions == [5] and picked[0].entry_id == "x"


def test_the_night_in_catalogue_order_with_every_link(tmp_path: Path):
    catalog = [
        CatalogEntry(2, "b", "Stadt", "B", url="https://b.example/"),
        CatalogEntry(3, "leer", "Stadt", "Ohne Ziel"),
        CatalogEntry(4, "a", "Stadt", "A", url="https://a.example/"),
        CatalogEntry(5, "vergessen", "Stadt", "Kein Shard", url="https://c.example/"),
        CatalogEntry(6, "geheim", "Stadt", "G", url="https://nutzer:pw@d.example/"),
    ]
    checked = {
        "a": make_link_row(entry_id="a", url="https://a.example/"),
        "b": make_link_row(entry_id="b", url="https://b.example/"),
        "geheim": make_link_row(entry_id="geheim", url="https://***@d.example/"),
    }
    for key, shard in (("one", ["a"]), ("two", ["geheim", "b"])):
        with PartWriter(tmp_path, key) as part:
            part.add([checked[name] for name in shard])
    night = night_table(sorted(tmp_path.glob("part-*.parquet")), catalog, None, RUN_DATE, POLICY)
    records = link_rows_of(night)
    assert [row.entry_id for row in records] == ["b", "leer", "a", "vergessen", "geheim"]
    assert records[0] == checked["b"] and records[2] == checked["a"]
    assert records[4].url == "https://***@d.example/"  # credentials never stored
    assert records[1].url is None and records[1].health is None
    assert records[3].health is Health.CONNECTION_ERROR
    assert records[3].error_detail == "not checked"
    assert records[3].run_date == RUN_DATE and isinstance(records[3].first_seen, dt.date)


def test_a_link_in_two_parts_is_one_row_of_the_night_from_the_first_part(tmp_path: Path):
    catalog = [CatalogEntry(2, "a", "Stadt", "A", url="https://a.example/")]
    for key, title in (("one", "Früher"), ("two", "Später")):
        with PartWriter(tmp_path, key) as part:
            part.add([make_link_row(entry_id="a", url="https://a.example/", title=title)])
    night = night_table(sorted(tmp_path.glob("part-*.parquet")), catalog, None, RUN_DATE, POLICY)
    assert [row.title for row in link_rows_of(night)] == ["Früher"]


def test_rows_grouped_once_in_table_order_within_a_group():
    grouped = grouped_rows(np.array([2, 0, -1, 2, 0, 1, -1]), 4)
    assert [grouped.rows_of(group).tolist() for group in range(4)] == [[1, 4], [5], [0, 3], []]
    assert grouped.order.tolist() == [1, 4, 5, 0, 3]  # rows in no group left out
    empty = grouped_rows(np.array([], np.int64), 2)
    assert [empty.rows_of(group).tolist() for group in range(2)] == [[], []]
