"""The night as parts: a shard's rows written as Parquet and read back unchanged, the
journal that lets a shard checked once more skip the URLs an earlier attempt finished
(their host is not asked again), a torn journal record, a failing shard leaving no part,
a shard holding only the pages in flight, and the staging folder's cleanup."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from local_web import LocalWeb, Reply

from extractors.records import CatalogEntry, LinkRow
from extractors.urls.redaction import redact_userinfo
from extractors.verdicts.link_rows import StalenessPolicy
from flows.dataset.table_records import link_rows_of
from flows.fetch.settings import FetchSettings
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.check import ShardJob, observe_shard
from flows.shards.night_parts import (
    RowJournal,
    ShardPart,
    ShardTask,
    check_shard_part,
    remove_stale_staging,
    staging_dir,
)
from flows.shards.shard_inputs import RowContext, row_context, shard_key, stage_row_context

RUN_DATE = dt.date(2026, 11, 26)
POLICY = StalenessPolicy(stale_after_days=730, confirm_after_nights=2)
PAGE = "<html lang='de'><title>Seite {n}</title><main><p>Stand: 03.11.2025</p></main></html>"


@pytest.fixture
def web() -> LocalWeb:
    with LocalWeb() as local:
        for n in range(6):
            local.route(f"/seite-{n}", Reply.html(PAGE.format(n=n)))
        yield local


def job(tmp_path: Path) -> ShardJob:
    settings = FetchSettings(concurrency=4, per_host_interval=0, allow_private_addresses=True)
    return ShardJob(settings, RUN_DATE, tmp_path / "raw", retention_nights=30)


def shard_on_worker(
    urls: tuple[str, ...], job: ShardJob, context: RowContext, staging: Path
) -> ShardPart:
    with AnalysisPool(0) as analysis:
        return check_shard_part(
            ShardTask(shard_key(urls), job, stage_row_context(context, staging, urls), staging),
            analysis=analysis,
            on_finished=lambda url: None,
            warn=print,
        )


def parts_rows(part: ShardPart) -> list[LinkRow]:
    return link_rows_of(pq.read_table(part.part))


def catalogue(urls: list[str]) -> list[CatalogEntry]:
    return [
        CatalogEntry(n + 2, f"e{n}", "Stadt", f"Eintrag {n}", url=url) for n, url in enumerate(urls)
    ]


def test_a_shard_writes_its_rows_as_a_part_the_flow_reads_back(web: LocalWeb, tmp_path: Path):
    urls = tuple(web.url(f"/seite-{n}") for n in range(6))
    context = row_context(catalogue(list(urls)), RUN_DATE, POLICY)
    staging = staging_dir(tmp_path, RUN_DATE, "run1")
    part = shard_on_worker(urls, job(tmp_path), context, staging)
    assert (part.urls_fetched, part.urls_from_journal) == (6, 0)
    rows = parts_rows(part)
    assert sorted(row.url for row in rows) == sorted(urls)
    assert {row.title for row in rows} == {f"Seite {n}" for n in range(6)}
    assert {row.health.value for row in rows if row.health} == {"ok"}


def test_a_shard_checked_again_does_not_ask_for_journalled_urls(web: LocalWeb, tmp_path: Path):
    urls = tuple(web.url(f"/seite-{n}") for n in range(6))
    context = row_context(catalogue(list(urls)), RUN_DATE, POLICY)
    staging = staging_dir(tmp_path, RUN_DATE, "run1")
    first = shard_on_worker(urls[:4], job(tmp_path), context, staging)
    # The worker of the first attempt died after four URLs: its journal holds them. The
    # shard (all six URLs) is checked once more under the same name.
    journal = staging / f"journal-{shard_key(urls[:4])}.bin"
    journal.rename(staging / f"journal-{shard_key(urls)}.bin")
    first.part.unlink()
    before = {path: web.count(path) for path in (f"/seite-{n}" for n in range(6))}
    again = shard_on_worker(urls, job(tmp_path), context, staging)
    assert (again.urls_fetched, again.urls_from_journal) == (2, 4)
    asked = {path: web.count(path) - count for path, count in before.items()}
    assert asked == {"/seite-0": 0, "/seite-1": 0, "/seite-2": 0, "/seite-3": 0,
                     "/seite-4": 1, "/seite-5": 1}  # fmt: skip
    assert sorted(row.url for row in parts_rows(again)) == sorted(urls)


def test_a_torn_journal_record_ends_the_journal_not_the_shard(web: LocalWeb, tmp_path: Path):
    urls = tuple(web.url(f"/seite-{n}") for n in range(2))
    context = row_context(catalogue(list(urls)), RUN_DATE, POLICY)
    staging = tmp_path / "staging"
    shard_on_worker(urls, job(tmp_path), context, staging)
    journal = RowJournal(staging / f"journal-{shard_key(urls)}.bin")
    whole = journal.path.read_bytes()
    journal.path.write_bytes(whole[:-7])  # the worker died while writing the last record
    replayed: list[list[LinkRow]] = []
    assert len(journal.replay(replayed.append)) == 1
    assert [row.url for rows in replayed for row in rows] in ([urls[0]], [urls[1]])


def test_stale_staging_folders_are_removed(tmp_path: Path):
    left = staging_dir(tmp_path, RUN_DATE, "crashed")
    assert left.parent.parent == tmp_path  # beside curated/, not in it
    (left / "part-x.parquet").parent.mkdir(parents=True)
    (left / "part-x.parquet").write_bytes(b"x")
    (tmp_path / "curated").mkdir()
    (tmp_path / "curated" / "links.parquet").write_bytes(b"keep")
    remove_stale_staging(tmp_path)
    assert not left.exists() and (tmp_path / "curated" / "links.parquet").exists()


def test_one_dask_worker_gets_the_whole_concurrency():
    from flows.shards.check import shard_concurrency, shards_at_once

    # 25 shards on one Dask worker run one after the other: each gets all 64 requests.
    assert shard_concurrency(64, shards_at_once(25, 1, per_worker=True)) == 64
    assert shard_concurrency(64, shards_at_once(25, 2, per_worker=True)) == 32
    # In the run's own threads all shards run at once and share the limit.
    assert shard_concurrency(64, shards_at_once(4, 1, per_worker=False)) == 16


def test_a_shard_hands_on_pages_as_they_finish_not_at_its_end(tmp_path: Path):
    """A shard's memory is what is in flight: observations leave while it still fetches."""
    with LocalWeb() as local:
        for n in range(80):
            local.route(f"/p-{n}", Reply.html(PAGE.format(n=n)))
        urls = tuple(local.url(f"/p-{n}") for n in range(80))
        served_at_delivery: list[int] = []

        def observed(url: str, observation: object) -> None:
            served_at_delivery.append(sum(local.count(f"/p-{n}") for n in range(80)))

        settings = FetchSettings(concurrency=2, per_host_interval=0, allow_private_addresses=True)
        shard_job = ShardJob(settings, RUN_DATE, tmp_path / "raw", retention_nights=30)
        with AnalysisPool(0) as analysis:
            count = observe_shard(
                urls, shard_job, {}, analysis=analysis, on_observed=observed, warn=print
            )
    assert count == 80 and len(served_at_delivery) == 80
    assert served_at_delivery[0] < 80  # the first page left before the last was asked for


def test_a_shard_that_fails_leaves_no_part(web: LocalWeb, tmp_path: Path):
    urls = tuple(web.url(f"/seite-{n}") for n in range(3))
    context = row_context(catalogue(list(urls)), RUN_DATE, POLICY)
    staging = tmp_path / "staging"

    def finished(url: str) -> None:
        raise OSError(28, "No space left on device")

    with AnalysisPool(0) as analysis, pytest.raises(OSError):
        check_shard_part(
            ShardTask(
                shard_key(urls), job(tmp_path), stage_row_context(context, staging, urls), staging
            ),
            analysis=analysis,
            on_finished=finished,
            warn=print,
        )
    assert not list(staging.glob("*.parquet")) and not list(staging.glob(".part-*"))


def test_a_run_leaves_no_staging_and_clears_what_a_killed_run_left(web: LocalWeb, tmp_path: Path):
    from local_run import local_run_settings

    from flows.harvest_flow import harvest

    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "entry_id,provider,title,link_label,url\n"
        + "".join(f"e{n},Stadt,Seite {n},Info,{web.url(f'/seite-{n}')}\n" for n in range(3)),
        encoding="utf-8",
    )
    killed = staging_dir(tmp_path / "data", RUN_DATE, "killed")
    killed.mkdir(parents=True)
    (killed / "part-x.parquet").write_bytes(b"half")
    summary = harvest(local_run_settings(catalog, tmp_path / "data", "2026-11-26"))
    assert summary.health_counts == {"ok": 3}
    assert not (tmp_path / "data" / "staging").exists()


def test_last_nights_rows_are_staged_by_shard_as_a_filter_per_shard_would_give_them(
    tmp_path: Path,
):
    from record_factories import make_link_row

    from flows.dataset.store import links_table
    from flows.shards.shard_inputs import RowsByShard, read_staged_shard, staged_urls

    shards = [
        ("https://a.example/1", "https://a.example/2"),
        ("https://user:geheim@b.example/1",),  # stored masked, as every stored URL
        ("https://c.example/neu",),  # no row last night
    ]
    last_night = links_table(
        [make_link_row(entry_id=f"e{n}", url=f"https://a.example/{n % 3}") for n in range(30)]
        + [make_link_row(entry_id="b", url="https://***@b.example/1")]
        + [make_link_row(entry_id="weg", url="https://gone.example/")]  # in no shard
        + [make_link_row(entry_id="ohne", url=None)]
    )
    # Record batches of 4 rows: each shard's rows come from several of them.
    by_shard = RowsByShard(pa.Table.from_batches(last_night.to_batches(max_chunksize=4)), shards)
    for number, shard in enumerate(shards):
        context = row_context(catalogue(list(shard)), RUN_DATE, POLICY)
        path = stage_row_context(context, tmp_path, shard, by_shard.rows_of(number))
        urls, context = read_staged_shard(path)
        staged = context.previous
        masked = pa.array([redact_userinfo(url) for url in shard], pa.string())
        one_filter = last_night.filter(pc.fill_null(pc.is_in(last_night["url"], masked), False))
        assert staged is not None
        assert link_rows_of(staged) == link_rows_of(one_filter)
        assert staged.num_rows == [20, 1, 0][number]
        # The shard's URLs travel in the same file, not in the task (as given, credentials
        # and all: they are fetched so).
        assert staged_urls(path) == urls == shard
