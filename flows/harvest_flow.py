"""The nightly harvest: catalogue → fetch → verify → extract → curated Parquet → report.

The Prefect flow is a thin shell around `harvest()`, a plain function that takes a shard
runner: the flow runs shards as Prefect tasks in threads (or on Dask workers,
`flows.cluster`), tests run them directly. Tasks are coarse (one per shard of hosts, never
one per URL) because a Prefect task run costs milliseconds and kilobytes, and per-host
politeness must live in one place. A shard is checked in the run process or, with
`--fetch-processes`, handed to a fetch worker process (`flows.shards.fetch_processes`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from extractors.catalog.reader import CatalogError, CatalogParse, parse_catalog
from extractors.catalog.removals import removed_entries, removed_links
from extractors.facts.title_site_names import strip_repeated_site_names
from extractors.health.run_outcome import judge_run
from extractors.records import (
    EntryVerdict,
    Health,
    LinkHealth,
    LinkRow,
    SuggestionRow,
)
from extractors.verdicts.entry_verdicts import judge_entries
from extractors.verdicts.link_rows import Observation, StalenessPolicy, build_link_row
from flows.archived_copies import ArchiveNight, add_archived_copies, archive_budget_for
from flows.cluster import cluster_size, night_rows_on_cluster
from flows.dataset.raw_capture import prune_captures
from flows.dataset.review_log import ReviewLogError, read_reviews
from flows.dataset.run_lock import RunLocked, run_lock
from flows.dataset.store import (
    DatasetError,
    history_nights,
    publish,
    read_entries,
    read_entries_night,
    read_history_night,
    read_links,
    recover_interrupted_publish,
)
from flows.fetch.settings import Validators
from flows.morning_message import inconclusive_message, morning_message
from flows.new_locations import RelocationNight, add_new_locations
from flows.progress_display import ProgressDisplay
from flows.report.artifacts import publish_report_artifacts
from flows.report.history import verdict_history_from
from flows.report.render import ReportFiles, write_report
from flows.report.view import ReportInput
from flows.run_settings import Settings, SettingsError, fetch_settings_from, load_settings
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.check import (
    Shard,
    ShardJob,
    observe_shard,
    shard_by_host,
    shard_concurrency,
    shards_at_once,
)
from flows.shards.fetch_processes import ShardProcesses, ShardWorkerDied
from flows.shards.night_parts import (
    not_checked,
    redact_for_storage,
    remove_stale_staging,
    staging_dir,
)

FLOW_NAME = "linkpflege-nightly"

ShardRunner = Callable[
    [Sequence[Shard], ShardJob, Mapping[str, Validators]], list[tuple[str, Observation]]
]


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
class PreviousState:
    """The dataset as it stood before this run's night, and whether to replace the latest."""

    links: list[LinkRow]
    entries: list[EntryVerdict]
    update_latest: bool


def previous_state(curated_dir: Path, run_date: dt.date) -> PreviousState:
    """Tonight builds on the newest night before it.

    A normal night builds on the latest tables. A re-run of the latest night or of a past
    night (`--now`) builds on the newest history partition before that night, so nothing
    is counted twice; a past night only rewrites its own history partition.
    """
    latest = read_links(curated_dir)
    latest_night = latest[0].run_date if latest else None
    if latest_night is None or run_date > latest_night:
        return PreviousState(latest, read_entries(curated_dir), update_latest=True)
    earlier = [night for night in history_nights(curated_dir) if night < run_date]
    if not earlier:
        return PreviousState([], [], update_latest=run_date == latest_night)
    return PreviousState(
        read_history_night(curated_dir, earlier[-1]),
        read_entries_night(curated_dir, earlier[-1]),
        update_latest=run_date == latest_night,
    )


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


# The progress display lives outside task parameters: Prefect records task inputs, and a
# terminal object is neither hashable nor meaningful there.
_progress: ProgressDisplay | None = None
# The run's analysis workers, shared by its shards; for the same reason not a parameter.
_analysis: AnalysisPool | None = None
# The run's fetch worker processes (`--fetch-processes` above 1), else None.
_shard_processes: ShardProcesses | None = None


def report_input(
    settings: Settings,
    run_date: dt.date,
    entries: Sequence[EntryVerdict],
    links: Sequence[LinkRow],
    previous_entries: Sequence[EntryVerdict],
    suggestions: Sequence[SuggestionRow] = (),
) -> ReportInput:
    """What the editors' report shows for one night (entries that left the catalogue: not)."""
    return ReportInput(
        run_date=run_date,
        generated_at=settings.run_moment(),
        catalog_name=settings.catalog.name,
        inconclusive_reason=None,
        entries=tuple(e for e in entries if e.removed_since is None),
        links=tuple(link for link in links if link.removed_since is None),
        previous_verdicts={e.entry_id: e.verdict for e in previous_entries},
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


def conditional_validators(previous: Sequence[LinkRow]) -> dict[str, Validators]:
    """ETag / Last-Modified of last night's good direct answers, for conditional requests."""
    validators: dict[str, Validators] = {}
    for row in previous:
        if (
            row.url
            and row.removed_since is None
            and row.health is Health.OK
            and not row.redirect_chain
            and (row.etag or row.http_last_modified)
        ):
            validators[row.url] = (row.etag, row.http_last_modified)
    return validators


def check_shard_urls(
    urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, Observation]]:
    """Check one shard: in a fetch worker process if the run has them, else right here."""
    if _shard_processes is not None:
        return _shard_processes.check(urls, job, validators)
    pool = _analysis
    assert pool is not None, "check_shard_urls runs inside harvest()"
    return observe_shard(urls, job, validators, analysis=pool, on_finished=_finished, warn=_warn)


def _finished(url: str) -> None:
    if _progress is not None:
        _progress.finished(url)


check_shard = task(
    check_shard_urls, name="check-shard", cache_policy=NO_CACHE, persist_result=False
)


def run_shards_directly(
    shards: Sequence[Shard], job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, Observation]]:
    def shard_validators(shard: Shard) -> dict[str, Validators]:
        return {url: validators[url] for url in shard if url in validators}

    if _shard_processes is not None:  # side by side, one per worker process
        futures = [_shard_processes.submit(s, job, shard_validators(s)) for s in shards]
        return [pair for future in futures for pair in future.result()]
    observations: list[tuple[str, Observation]] = []
    for shard in shards:
        observations.extend(check_shard_urls(shard, job, shard_validators(shard)))
    return observations


def run_shards_as_tasks(
    shards: Sequence[Shard], job: ShardJob, validators: Mapping[str, Validators]
) -> list[tuple[str, Observation]]:
    def shard_validators(shard: Shard) -> dict[str, Validators]:
        return {url: validators[url] for url in shard if url in validators}

    futures = [check_shard.submit(shard, job, shard_validators(shard)) for shard in shards]
    observations: list[tuple[str, Observation]] = []
    for future in futures:
        observations.extend(future.result())
    return observations


def _log(message: str, level: int = logging.INFO) -> None:
    try:
        get_run_logger().log(level, message)
    except Exception:  # outside a flow run (or in a worker thread) there is no run logger
        print(f"linkpflege: {message}", file=sys.stderr)


def _warn(message: str) -> None:
    _log(message, logging.WARNING)


def harvest(settings: Settings, run_shards: ShardRunner = run_shards_directly) -> RunSummary:
    """One complete run. Raises RunFailed / RunInconclusive; per-URL problems are data."""
    prepare_data_dir(settings)
    try:
        with run_lock(settings.data_dir, dt.datetime.now(dt.UTC)):
            return _harvest_locked(settings, run_shards)
    except RunLocked as exc:
        raise RunFailed(str(exc)) from exc


def _harvest_locked(settings: Settings, run_shards: ShardRunner) -> RunSummary:
    global _progress, _analysis, _shard_processes
    run_date = settings.run_date()
    try:
        for path in recover_interrupted_publish(settings.curated_dir):
            _warn(f"{path}: publish interrupted by a crash, completed now")
        for stray in settings.raw_dir.rglob(".*.tmp"):  # captures of a crashed shard
            stray.unlink(missing_ok=True)
        remove_stale_staging(settings.curated_dir)
    except (DatasetError, OSError) as exc:
        raise RunFailed(str(exc)) from exc
    parsed = load_catalog(settings.catalog)
    # Problem messages already start with "line N:".
    problems = tuple(f"{settings.catalog}: {p.message}" for p in parsed.problems)
    for problem in problems:
        _warn(problem)
    if not parsed.entries:
        raise RunFailed(f"{settings.catalog}: no usable catalogue rows")

    try:
        previous = previous_state(settings.curated_dir, run_date)
        reviews = read_reviews(settings.reviews_file)
    except (DatasetError, ReviewLogError) as exc:
        raise RunFailed(str(exc)) from exc
    for problem in reviews.problems:
        _warn(problem)
    previous_links = {(row.entry_id, row.url): row for row in previous.links}
    policy = StalenessPolicy(settings.stale_after_days, settings.confirm_after_nights)
    staging = staging_dir(settings.curated_dir, run_date, uuid.uuid4().hex[:12])

    urls = list(dict.fromkeys(e.url for e in parsed.entries if e.url))
    on_cluster = settings.task_runner == "dask"
    processes = 1 if on_cluster else settings.fetch_processes
    side_by_side = cluster_size(settings) if on_cluster else processes
    shards = shard_by_host(urls, settings.shard_size, minimum=side_by_side)
    # Shards run side by side, each with its own client: split the global limit among them.
    at_once = shards_at_once(len(shards), side_by_side, per_worker=on_cluster or processes > 1)
    fetch_settings = dataclasses.replace(
        fetch_settings_from(settings),
        concurrency=shard_concurrency(settings.concurrency, at_once),
    )
    _progress = ProgressDisplay(urls, enabled=settings.progress)
    try:
        job = ShardJob(
            fetch_settings,
            run_date,
            settings.raw_dir,
            settings.raw_retention_nights,
            analysis_processes=settings.analysis_processes,
        )
        validators = conditional_validators(previous.links)
        if on_cluster:  # the night streams back as parts of link rows (flows.cluster)
            night_rows = night_rows_on_cluster(
                shards, job, validators, parsed.entries, previous_links, policy, staging,
                on_finished=_finished,
            )  # fmt: skip
        elif processes > 1:
            with ShardProcesses(processes, _finished) as _shard_processes:
                observed = dict(run_shards(shards, job, validators))
        else:
            with AnalysisPool(settings.analysis_processes) as _analysis:
                observed = dict(run_shards(shards, job, validators))
    except ShardWorkerDied as exc:
        raise RunFailed(
            f"{exc}; previous dataset in {settings.curated_dir} left as it was"
        ) from exc
    finally:
        _progress.close()
        _progress = None
        _analysis = None
        _shard_processes = None
    if on_cluster:
        entries, rows = redact_for_storage(parsed.entries, {})[0], night_rows
        checked = [(r.url, LinkHealth(r.health, r.http_status)) for r in rows if r.url and r.health]
    else:
        for url in [url for url in urls if url not in observed]:
            observed[url] = not_checked(url)
        checked = [(url, obs.health) for url, obs in observed.items()]
    judgement = judge_run(checked)
    if judgement.inconclusive:
        raise RunInconclusive(
            f"run inconclusive, nothing published: {judgement.reason}; "
            f"previous dataset in {settings.curated_dir} left as it was; message: "
            + inconclusive_message(settings, run_date, judgement.reason, _warn)
        )

    if not on_cluster:
        entries, observed = redact_for_storage(parsed.entries, observed)
        rows = [
            build_link_row(
                entry,
                observed.get(entry.url) if entry.url else None,
                previous_links.get((entry.entry_id, entry.url or None)),
                run_date=run_date,
                policy=policy,
            )
            for entry in entries
        ]
    # Site names only the night's titles together reveal (a segment on several pages of a host).
    rows = strip_repeated_site_names(rows)
    # Archived copies, then lost pages' new addresses: one archive allowance for the night.
    engine, allowance = fetch_settings_from(settings), archive_budget_for(settings)
    rows, archive = add_archived_copies(rows, settings, engine, previous.links, allowance)
    rows, found, relocation = add_new_locations(
        rows, entries, settings, engine, previous.links, allowance
    )
    verdicts = judge_entries(
        entries,
        rows,
        run_date=run_date,
        stale_after_days=settings.stale_after_days,
        reviews=reviews.latest,
    )
    gone_links = removed_links(previous.links, entries, run_date)
    gone_entries = removed_entries(previous.entries, entries, run_date)
    try:
        publish(
            settings.curated_dir,
            run_date,
            rows + gone_links,
            verdicts + gone_entries,
            update_latest=previous.update_latest,
            suggestions=found,
        )
        report = report_input(settings, run_date, verdicts, rows, previous.entries, found)
        report_files = render_report(report, settings.curated_dir, latest=previous.update_latest)
    except (DatasetError, OSError) as exc:
        raise RunFailed(str(exc)) from exc
    shutil.rmtree(staging, ignore_errors=True)  # the night's parts are in the tables now
    publish_report_artifacts(report, report_files)
    message = morning_message(
        settings, report, report_files.html, latest=previous.update_latest, log=_warn
    )
    if previous.update_latest:
        for night in prune_captures(settings.raw_dir, run_date, settings.raw_retention_nights):
            _log(f"raw captures of {night.isoformat()} pruned (retention)")

    return RunSummary(
        run_date=run_date,
        links_total=len(parsed.entries),
        urls_checked=len(urls),
        health_counts=dict(Counter(r.health.value for r in rows if r.health)),
        verdict_counts=dict(Counter(v.verdict.value for v in verdicts)),
        catalog_problems=problems,
        report_path=report_files.html,
        curated_dir=settings.curated_dir,
        archive=archive,
        relocation=relocation,
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
        summary = harvest(settings, run_shards_as_tasks)  # on Dask: flows.cluster instead
    except RunInconclusive as exc:
        logger.error(str(exc))
        return Failed(name="Inconclusive", message=str(exc))
    except (RunFailed, SettingsError) as exc:
        logger.error(str(exc))
        return Failed(message=str(exc))
    for line in summary.lines():
        logger.info(line)
    return summary
