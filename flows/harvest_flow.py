"""The nightly harvest: catalogue → fetch → verify → extract → curated Parquet → report.

The Prefect flow is a thin shell around `harvest()`, a plain function that takes a shard
runner: the flow runs shards as Prefect tasks through its task runner — threads of the run
process, or Dask workers (`--task-runner dask`, `flows.cluster`) — and tests run them
directly. Tasks are coarse (one per shard of hosts, never one per URL) because a Prefect
task run costs milliseconds and kilobytes, and per-host politeness must live in one place.
Wherever it runs, a shard writes its link rows as a part of the night and the flow reads
the night from the parts (`flows.shards.night_parts`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger
from prefect.states import Failed, State

from extractors.catalog.reader import CatalogError, CatalogParse, parse_catalog
from extractors.health.run_outcome import judge_run
from extractors.records import (
    CatalogEntry,
    EntryVerdict,
    SuggestionRow,
    Verdict,
)
from extractors.verdicts.link_rows import StalenessPolicy
from flows.archived_copies import ArchiveNight, archive_budget_for
from flows.cluster import cluster_size
from flows.dataset.raw_capture import prune_captures
from flows.dataset.review_log import ReviewLogError, read_reviews
from flows.dataset.run_lock import RunLocked, run_lock
from flows.dataset.staged_table import StagedTable
from flows.dataset.store import DatasetError, current_links, publish, recover_interrupted_publish
from flows.dataset.table_records import TableLinkRows, verdicts_by_entry
from flows.dataset.table_rows import give_back_freed_memory
from flows.last_night import left_the_catalogue, stage_previous_state
from flows.morning_message import inconclusive_message, morning_message
from flows.new_locations import RelocationNight
from flows.night_table import (
    health_by_url,
    health_counts,
    judge_entries_in_chunks,
    with_archived_copies,
    with_new_locations,
    with_site_names_stripped,
)
from flows.progress_display import ProgressDisplay
from flows.report.artifacts import publish_report_artifacts
from flows.report.history import verdict_history_from
from flows.report.render import ReportFiles, write_report
from flows.report.view import ReportInput
from flows.run_settings import Settings, SettingsError, fetch_settings_from, load_settings
from flows.shard_tasks import (
    ShardRunner,
    ShardsCannotRun,
    run_shards_directly,
    shard_runner,
    shards_of_this_run,
    warn,
)
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.check import Shard, ShardJob, shard_by_host, shard_concurrency, shards_at_once
from flows.shards.night_parts import ShardTask, night_table, remove_stale_staging, staging_dir
from flows.shards.shard_inputs import (
    EntriesByShard,
    RowsByShard,
    redact_for_storage,
    row_context,
    shard_key,
    stage_row_context,
)

FLOW_NAME = "linkpflege-nightly"


class RunFailed(RuntimeError):
    """The run itself could not be done (catalogue unreadable, output unwritable)."""


class RunInconclusive(RuntimeError):
    """The failures point at our own network; nothing was published."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_date: dt.date
    links_total: int
    urls_checked: int
    health_counts: dict[str, int]
    verdict_counts: dict[str, int]
    catalog_problems: tuple[str, ...]
    report_path: Path
    curated_dir: Path
    archive: ArchiveNight | None = None  # archived copies looked up (None: not reached)
    relocation: RelocationNight | None = None  # new locations looked up (None: not reached)
    message: str = "off"  # the morning message (flows.morning_message)

    def lines(self) -> list[str]:
        health = ", ".join(f"{k} {v}" for k, v in sorted(self.health_counts.items()))
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(self.verdict_counts.items()))
        lookups = [night.line() for night in (self.archive, self.relocation) if night is not None]
        return [
            f"Linkpflege {self.run_date.isoformat()}: {self.urls_checked} URLs checked "
            f"for {self.links_total} catalogue links",
            f"  health:   {health or '-'}",
            f"  entries:  {verdicts or '-'}",
            *lookups,
            f"  dataset:  {self.curated_dir}",
            f"  report:   {self.report_path}",
            f"  message:  {self.message}",
        ]


# --- stages -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JudgedNight:
    """A night ready to be published: tonight's links and verdicts, what left the
    catalogue, and what the report and summary need besides."""

    night: pa.Table  # links schema, in catalogue order
    verdicts: list[EntryVerdict]
    gone_links: pa.Table  # links that left the catalogue, carried and marked
    gone_entries: list[EntryVerdict]
    entries_before: StagedTable  # the previous night's entries (their verdicts: the report's)
    suggestions: list[SuggestionRow]
    archive: ArchiveNight
    relocation: RelocationNight
    update_latest: bool
    links_total: int
    urls_checked: int
    catalog_problems: tuple[str, ...]


def prepare_data_dir(settings: Settings) -> None:
    """Fail before any fetching when the output cannot be written."""
    for folder in (settings.curated_dir, settings.raw_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
                pass
        except OSError as exc:
            raise RunFailed(f"{folder}: data directory is not writable ({exc.strerror})") from exc


def load_catalog(path: Path) -> CatalogParse:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunFailed(f"{path}: cannot read catalogue ({exc.strerror})") from exc
    try:
        return parse_catalog(data, source=str(path))
    except CatalogError as exc:
        raise RunFailed(str(exc)) from exc


def report_input(
    settings: Settings,
    run_date: dt.date,
    entries: Sequence[EntryVerdict],
    links: pa.Table,
    previous_verdicts: Mapping[str, Verdict],
    suggestions: Sequence[SuggestionRow] = (),
) -> ReportInput:
    """What the editors' report shows for one night (entries that left the catalogue: not)."""
    return ReportInput(
        run_date=run_date,
        generated_at=settings.run_moment(),
        catalog_name=settings.catalog.name,
        inconclusive_reason=None,
        entries=tuple(e for e in entries if e.removed_since is None),
        links=TableLinkRows(current_links(links)),
        previous_verdicts=previous_verdicts,
        verdict_history=verdict_history_from(settings.curated_dir),
        suggestions=tuple(suggestions),
    )


def render_report(report: ReportInput, curated_dir: Path, *, latest: bool) -> ReportFiles:
    """Write the report; a re-run of a past night adds only its dated copies."""
    report_dir = curated_dir / "report"
    if latest:
        return write_report(report, report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=report_dir, prefix=".past-night-") as scratch:
        files = write_report(report, Path(scratch))
        dated = [files.dated_html, files.dated_markdown, files.dated_csv]
        for path in dated:
            os.replace(path, report_dir / path.name)
    return dataclasses.replace(
        files,
        html=report_dir / files.dated_html.name,
        markdown=report_dir / files.dated_markdown.name,
        csv=report_dir / files.dated_csv.name,
        dated_html=report_dir / files.dated_html.name,
        dated_markdown=report_dir / files.dated_markdown.name,
        dated_csv=report_dir / files.dated_csv.name,
    )


def shard_tasks(
    shards: Sequence[Shard],
    job: ShardJob,
    previous: pa.Table | None,
    catalog: Sequence[CatalogEntry],
    policy: StalenessPolicy,
    staging: Path,
) -> list[ShardTask]:
    """Each shard with what it needs to write its rows: its catalogue rows and last night's
    rows of its links (whose validators make tonight's requests conditional), staged as a
    file one shard at a time."""
    entries = EntriesByShard(catalog, shards)
    by_shard = None if previous is None else RowsByShard(previous, shards)
    return [
        ShardTask(
            shard_key(shard),
            job,
            stage_row_context(
                row_context(entries.entries_of(number), job.run_date, policy),
                staging,
                shard,
                None if by_shard is None else by_shard.rows_of(number),
            ),
            staging,
        )
        for number, shard in enumerate(shards)
    ]


def _log(message: str) -> None:
    try:
        get_run_logger().info(message)
    except Exception:  # outside a flow run (or in a worker thread) there is no run logger
        print(f"linkpflege: {message}", file=sys.stderr)


def harvest(settings: Settings, run_shards: ShardRunner = run_shards_directly) -> RunSummary:
    """One complete run. Raises RunFailed / RunInconclusive; per-URL problems are data."""
    prepare_data_dir(settings)
    try:
        with run_lock(settings.data_dir, dt.datetime.now(dt.UTC)):
            # The night's parts: read into the tables, or of a run that ended early, gone.
            staging = staging_dir(settings.data_dir, settings.run_date(), uuid.uuid4().hex[:12])
            try:
                return _harvest_locked(settings, run_shards, staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
                with contextlib.suppress(OSError):  # the folder too, unless a run left some
                    staging.parent.rmdir()
    except RunLocked as exc:
        raise RunFailed(str(exc)) from exc


def _judged_night(
    settings: Settings, run_shards: ShardRunner, staging: Path, run_date: dt.date
) -> JudgedNight:
    """Everything of a run before its night is published: the catalogue read, the shards
    run, the night's table built and completed, the entries judged."""
    try:
        for path in recover_interrupted_publish(settings.curated_dir):
            warn(f"{path}: publish interrupted by a crash, completed now")
        for stray in settings.raw_dir.rglob(".*.tmp"):  # captures of a crashed shard
            stray.unlink(missing_ok=True)
        remove_stale_staging(settings.data_dir)
    except (DatasetError, OSError) as exc:
        raise RunFailed(str(exc)) from exc
    parsed = load_catalog(settings.catalog)
    # Problem messages already start with "line N:".
    problems = tuple(f"{settings.catalog}: {p.message}" for p in parsed.problems)
    for problem in problems:
        warn(problem)
    if not parsed.entries:
        raise RunFailed(f"{settings.catalog}: no usable catalogue rows")

    try:
        reviews = read_reviews(settings.reviews_file)
        previous = stage_previous_state(settings.curated_dir, run_date, staging)
    except (DatasetError, ReviewLogError) as exc:
        raise RunFailed(str(exc)) from exc
    except OSError as exc:
        raise RunFailed(
            f"{exc.filename or staging}: cannot write the run's files ({exc.strerror or exc})"
        ) from exc
    give_back_freed_memory()  # last night's tables, now in their files
    for problem in reviews.problems:
        warn(problem)
    policy = StalenessPolicy(settings.stale_after_days, settings.confirm_after_nights)

    urls = list(dict.fromkeys(e.url for e in parsed.entries if e.url))
    on_cluster = settings.task_runner == "dask"
    side_by_side = cluster_size(settings) if on_cluster else 1
    shards = shard_by_host(urls, settings.shard_size, minimum=side_by_side)
    # Shards run side by side, each with its own client: split the global limit among them.
    at_once = shards_at_once(len(shards), side_by_side, per_worker=on_cluster)
    fetch_settings = dataclasses.replace(
        fetch_settings_from(settings),
        concurrency=shard_concurrency(settings.concurrency, at_once),
    )
    job = ShardJob(
        fetch_settings,
        run_date,
        settings.raw_dir,
        settings.raw_retention_nights,
        analysis_processes=settings.analysis_processes,
    )
    progress = ProgressDisplay(urls, enabled=settings.progress)
    try:
        tasks = previous.links.apply(
            lambda last: shard_tasks(shards, job, last, parsed.entries, policy, staging)
        )
        give_back_freed_memory()  # the shards' slices of last night, now in their files
        if on_cluster:  # the shards' analysis happens on the workers
            with shards_of_this_run(progress, None):
                parts = run_shards(tasks)
        else:
            with (
                AnalysisPool(settings.analysis_processes) as analysis,
                shards_of_this_run(progress, analysis),
            ):
                parts = run_shards(tasks)
    except ShardsCannotRun as exc:
        raise RunFailed(str(exc)) from exc
    except OSError as exc:  # the shards' files of the night could not be written
        raise RunFailed(
            f"{exc.filename or staging}: cannot write the night's rows ({exc.strerror or exc}); "
            f"previous dataset in {settings.curated_dir} left as it was"
        ) from exc
    finally:
        progress.close()
    entries = redact_for_storage(parsed.entries, {})[0]
    night = previous.links.apply(
        lambda last: night_table(
            [part.part for part in parts], parsed.entries, last, run_date, policy
        )
    )
    give_back_freed_memory()
    judgement = judge_run(health_by_url(night))
    give_back_freed_memory()  # the lookup of each URL's first row
    if judgement.inconclusive:
        raise RunInconclusive(
            f"run inconclusive, nothing published: {judgement.reason}; "
            f"previous dataset in {settings.curated_dir} left as it was; message: "
            + inconclusive_message(settings, run_date, judgement.reason, warn)
        )

    night = with_site_names_stripped(night)
    # Archived copies, then lost pages' new addresses: one archive allowance for the night.
    engine, allowance = fetch_settings_from(settings), archive_budget_for(settings)
    night, archive = previous.links.apply(
        lambda last: with_archived_copies(night, settings, engine, last, allowance)
    )
    night, found, relocation = previous.links.apply(
        lambda last: with_new_locations(night, entries, settings, engine, last, allowance)
    )
    verdicts = judge_entries_in_chunks(
        entries,
        night,
        run_date=run_date,
        stale_after_days=settings.stale_after_days,
        reviews=reviews.latest,
    )
    gone_links, gone_entries = left_the_catalogue(previous, entries, run_date)
    return JudgedNight(
        night=night,
        verdicts=verdicts,
        gone_links=gone_links,
        gone_entries=gone_entries,
        entries_before=previous.entries,
        suggestions=found,
        archive=archive,
        relocation=relocation,
        update_latest=previous.update_latest,
        links_total=len(parsed.entries),
        urls_checked=len(urls),
        catalog_problems=problems,
    )


def _harvest_locked(settings: Settings, run_shards: ShardRunner, staging: Path) -> RunSummary:
    run_date = settings.run_date()
    # The catalogue and the shards' records end with `_judged_night`; publishing and the
    # report, the run's other high point of memory, do without them.
    judged = _judged_night(settings, run_shards, staging, run_date)
    night, verdicts = judged.night, judged.verdicts

    try:
        publish(
            settings.curated_dir,
            run_date,
            pa.concat_tables([night, judged.gone_links.cast(night.schema)]),
            verdicts + judged.gone_entries,
            update_latest=judged.update_latest,
            suggestions=judged.suggestions,
        )
        give_back_freed_memory()
        # Read only now: publishing, the run's high point of memory, does without them.
        verdicts_before = judged.entries_before.apply(verdicts_by_entry)
        report = report_input(
            settings, run_date, verdicts, night, verdicts_before, judged.suggestions
        )
        report_files = render_report(report, settings.curated_dir, latest=judged.update_latest)
    except (DatasetError, OSError) as exc:
        raise RunFailed(str(exc)) from exc
    publish_report_artifacts(report, report_files)
    message = morning_message(
        settings, report, report_files.html, latest=judged.update_latest, log=warn
    )
    if judged.update_latest:
        for pruned in prune_captures(settings.raw_dir, run_date, settings.raw_retention_nights):
            _log(f"raw captures of {pruned.isoformat()} pruned (retention)")

    return RunSummary(
        run_date=run_date,
        links_total=judged.links_total,
        urls_checked=judged.urls_checked,
        health_counts=health_counts(night),
        verdict_counts=dict(Counter(v.verdict.value for v in verdicts)),
        catalog_problems=judged.catalog_problems,
        report_path=report_files.html,
        curated_dir=settings.curated_dir,
        archive=judged.archive,
        relocation=judged.relocation,
        message=message,
    )


@flow(name=FLOW_NAME, log_prints=True, validate_parameters=False)
def nightly_harvest(options: dict[str, Any] | None = None) -> RunSummary | State:
    """Prefect entry point. `options` are settings by name (flag values), so deployments
    can override them; the rest comes from environment, linkpflege.toml and defaults.

    Run-level problems end the run in a Failed state with a one-line message (state name
    "Inconclusive" when our own network looked down) instead of a traceback in the log.
    """
    logger = get_run_logger()
    try:
        settings = load_settings(options or {})
        summary = harvest(settings, shard_runner(settings))
    except RunInconclusive as exc:
        logger.error(str(exc))
        return Failed(name="Inconclusive", message=str(exc))
    except (RunFailed, SettingsError) as exc:
        logger.error(str(exc))
        return Failed(message=str(exc))
    for line in summary.lines():
        logger.info(line)
    return summary
