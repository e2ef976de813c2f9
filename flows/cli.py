"""The `linkpflege` command line (ARCHITECTURE §1).

Exit status: 0 the run completed (broken links are findings, not failures); 2 the run
could not be done (bad option, catalogue unreadable, output unwritable); 3 the run was
inconclusive (our own network looked down) and nothing was published; 130 the run was
interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from flows.desk.user_commands import add_users_parser, command_users
from flows.prefect_defaults import apply_prefect_defaults
from flows.run_command import (  # noqa: F401  (exit statuses are part of this module's API)
    EXIT_FAILED,
    EXIT_INCONCLUSIVE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    INTERRUPTED_MESSAGE,
    command_run,
    fail,
)
from flows.run_settings import Settings, SettingsError, deprecation_notices, load_settings
from flows.terminal_text import one_line, terminal_safe

# Option name → settings field; the values the user did not give stay out of the flags,
# so the environment and linkpflege.toml can still supply them.
RUN_OPTIONS: dict[str, dict[str, Any]] = {
    "catalog": {"help": "catalogue CSV (default: the bundled KGSt catalogue)"},
    "reviews": {"help": "editors' reviews CSV (default: reviews.csv beside the catalogue)"},
    "data_dir": {"help": "data directory: raw captures in DIR/raw, dataset in DIR/curated"},
    "now": {"help": "the run's 'today' as ISO date or datetime (re-runs of a past night)"},
    "stale_after_days": {"type": int, "help": "content older than this is stale (730)"},
    "allow_private_addresses": {
        "action": "store_const",
        "const": True,
        "help": "permit loopback/private/link-local targets (SSRF guard off)",
    },
    "concurrency": {"type": int, "help": "requests in flight overall (64)"},
    "per_host": {"type": int, "help": "requests in flight per host (2)"},
    "per_host_interval": {"type": float, "help": "seconds between requests to a host (0.5)"},
    "timeout": {"type": float, "help": "total deadline per URL in seconds (30)"},
    "user_agent": {"help": "User-Agent header, with a contact URL"},
    "ignore_robots": {"action": "store_const", "const": True, "help": "do not obey robots.txt"},
    "analysis_processes": {
        "type": int,
        "help": "worker processes for page analysis (0: in the run process; long lists: cores)",
    },
    "fetch_processes": {
        "type": int,
        "help": "deprecated: N above 1 means --task-runner dask --workers N",
    },
    "task_runner": {
        "choices": ["local", "dask"],
        "help": "where shards run: 'local' (threads of the run process) "
        "or 'dask' (a Dask cluster through Prefect)",
    },
    "dask_address": {"help": "the Dask scheduler, tcp://HOST:8786 (default: a local cluster)"},
    "workers": {"type": int, "help": "worker processes of the local Dask cluster (cores)"},
    "progress": {
        "action": argparse.BooleanOptionalAction,
        "help": "progress bar (default: only on a terminal)",
    },
    "archive": {
        "action": argparse.BooleanOptionalAction,
        "help": "look up archived copies of broken, soft-404 and moved links (default: on)",
    },
    "archive_url": {"help": "the Wayback Machine to ask (default https://web.archive.org)"},
    "relocation": {
        "action": argparse.BooleanOptionalAction,
        "help": "look for the new address of broken and soft-404 pages in the provider's "
        "sitemaps (default: on)",
    },
}


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    for name, spec in RUN_OPTIONS.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, default=None, **spec)


# Options of single commands that are settings too (`desk --port` is desk_port).
COMMAND_SETTINGS = ("desk_host", "desk_port")


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    return {
        name: getattr(args, name)
        for name in (*RUN_OPTIONS, *COMMAND_SETTINGS)
        if getattr(args, name, None) is not None
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linkpflege",
        description="Nightly link health, content dates and staleness for curated catalogues.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="one harvest now, as a Prefect flow run")
    _add_run_options(run)

    serve = commands.add_parser("serve", help="keep running and start the nightly run on schedule")
    _add_run_options(serve)
    serve.add_argument("--cron", default=None, help="cron schedule (default '30 2 * * *')")
    serve.add_argument("--timezone", default=None, help="schedule time zone (Europe/Berlin)")
    serve.add_argument(
        "--interval-seconds", type=float, default=None, help="run every N seconds instead of cron"
    )
    serve.add_argument("--no-ui", action="store_true", help="local server without the web UI")

    report = commands.add_parser("report", help="re-render the editors' report from the dataset")
    report.add_argument("--data-dir", dest="data_dir", default=None)
    report.add_argument("--catalog", dest="catalog", default=None, help="catalogue (its name)")

    rebuild = commands.add_parser(
        "rebuild", help="rewrite the latest tables from the newest history night"
    )
    rebuild.add_argument("--data-dir", dest="data_dir", default=None)

    check = commands.add_parser("check", help="quick look at single URLs")
    check.add_argument("urls", nargs="+", metavar="URL")
    _add_run_options(check)

    review = commands.add_parser(
        "review", help="record that an editor reviewed an entry (accepts its current state)"
    )
    review.add_argument("entry_id", metavar="ENTRY")
    review.add_argument("--note", default="", help="what was checked or decided")
    review.add_argument("--date", default=None, help="review day YYYY-MM-DD (default: today)")
    review.add_argument("--catalog", dest="catalog", default=None)
    review.add_argument("--reviews", dest="reviews", default=None, help="reviews CSV file")

    capture = commands.add_parser(
        "capture", help="show what a page looked like on a night (from the raw captures)"
    )
    capture.add_argument("url", metavar="URL")
    capture.add_argument("--date", default=None, help="night YYYY-MM-DD (default: the latest)")
    capture.add_argument("--data-dir", dest="data_dir", default=None)
    capture.add_argument("-o", "--output", type=Path, default=None, help="save the body here")

    demo = commands.add_parser(
        "demo", help="two nights of the real flow against a bundled sample web (no internet)"
    )
    demo.add_argument("--data-dir", dest="data_dir", default=None, help="keep the output here")
    demo.add_argument("--keep", action="store_true", help="keep the temporary output")
    demo.add_argument("--now", default=None, help="the second night, YYYY-MM-DD (default today)")

    desk = commands.add_parser(
        "desk", help="the editors' desk: the report as a signed-in web page with actions"
    )
    desk.add_argument("--host", dest="desk_host", default=None, help="address (127.0.0.1)")
    desk.add_argument("--port", dest="desk_port", type=int, default=None, help="port (8080)")
    for name in ("data_dir", "catalog", "reviews", "now"):
        desk.add_argument(
            "--" + name.replace("_", "-"), dest=name, default=None, **RUN_OPTIONS[name]
        )
    add_users_parser(commands)

    notify = commands.add_parser("notify", help="the morning message to the editors")
    notify.add_argument("--test", action="store_true", help="send a test message to every URL")

    catalog = commands.add_parser("catalog", help="catalogue tools")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    importer = catalog_commands.add_parser(
        "import", help="turn a listing page (HTML or plain text) into a catalogue CSV"
    )
    importer.add_argument("file", type=Path)
    importer.add_argument(
        "-o", "--output", type=Path, default=None, help="CSV file (default stdout)"
    )
    recover = catalog_commands.add_parser(
        "recover",
        help="fill empty link targets from archived copies of the published listing",
    )
    recover.add_argument(
        "--listing",
        default=None,
        help="the listing page's address (default: the catalogue's kgst-catalogue entry)",
    )
    for name in ("catalog", "archive_url", "allow_private_addresses", "user_agent", "timeout"):
        recover.add_argument(
            "--" + name.replace("_", "-"), dest=name, default=None, **RUN_OPTIONS[name]
        )
    recover.add_argument(
        "-o", "--output", type=Path, default=None, help="CSV file (default stdout)"
    )
    return parser


def command_serve(args: argparse.Namespace, settings: Settings, flags: dict[str, Any]) -> int:
    from flows.api_server import ApiServerError
    from flows.nightly_serve import serve_nightly

    for notice in deprecation_notices(settings):
        print(f"linkpflege: {notice}", file=sys.stderr)
    options: dict[str, Any] = {}
    for key, value in flags.items():
        is_path = key in ("catalog", "data_dir", "reviews")
        options[key] = str(Path(value).resolve()) if is_path else value
    options.setdefault("data_dir", str(settings.data_dir.resolve()))
    options.setdefault("catalog", str(settings.catalog.resolve()))
    options.pop("now", None)  # a schedule runs "tonight", never a fixed date
    from flows.desk.server import desk_beside

    try:
        serve_nightly(
            options,
            cron=args.cron or settings.schedule_cron,
            timezone=args.timezone or settings.schedule_timezone,
            interval_seconds=args.interval_seconds,
            ui=not args.no_ui,
            beside=desk_beside(settings),
        )
    except ApiServerError as exc:
        return fail(str(exc))
    return EXIT_OK


def command_report(settings: Settings) -> int:
    from flows.dataset.store import DatasetError
    from flows.harvest_flow import render_report
    from flows.latest_report import latest_report_input

    try:
        report = latest_report_input(settings)
        if report is None:
            return fail(f"{settings.curated_dir}: no dataset yet; run 'linkpflege run' first")
        files = render_report(report, settings.curated_dir, latest=True)
    except (DatasetError, OSError) as exc:
        return fail(str(exc))
    print(f"report: {files.html}")
    return EXIT_OK


def command_rebuild(settings: Settings) -> int:
    from flows.dataset.store import DatasetError, rebuild_latest

    try:
        night = rebuild_latest(settings.curated_dir)
    except DatasetError as exc:
        return fail(str(exc))
    print(f"{settings.curated_dir}: latest tables rebuilt from the night of {night.isoformat()}")
    return EXIT_OK


def command_check(urls: list[str], settings: Settings) -> int:
    from extractors.page_observation import observe
    from flows.fetch.engine import fetch_all
    from flows.run_settings import fetch_settings_from

    results = asyncio.run(fetch_all(urls, fetch_settings_from(settings)))
    run_date = settings.run_date()
    for url in urls:
        observation = observe(results[url], run_date)
        health, facts = observation.health, observation.facts
        claim = facts.content_date
        detail = f" ({one_line(health.detail)})" if health.detail else ""
        print(one_line(url))
        print(f"  health:    {health.health.value}{detail}")
        print(f"  status:    {health.http_status if health.http_status is not None else '-'}")
        print(f"  final URL: {one_line(health.final_url or '-')}")
        for hop in observation.fetch.hops:
            target = one_line(hop.location or "")
            print(f"  redirect:  {hop.status} {one_line(hop.url)} -> {target}")
        print(f"  title:     {one_line(facts.title or '-')}")
        print(f"  published: {facts.published.value if facts.published else '-'}")
        print(f"  modified:  {facts.modified.value if facts.modified else '-'}")
        print(f"  date from: {claim.source if claim else '-'}")
        print(f"  language:  {one_line(facts.language or '-')}")
        print(f"  summary:   {one_line(facts.summary or '-')}")
    return EXIT_OK


def command_review(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from flows.dataset.review_log import ReviewLogError, record_review

    try:
        day = dt.date.fromisoformat(args.date) if args.date else settings.run_date()
    except ValueError:
        return fail(f"--date: {args.date!r} is not a date (YYYY-MM-DD)")
    try:
        record_review(settings.catalog, settings.reviews_file, args.entry_id, day, args.note)
    except ReviewLogError as exc:
        return fail(str(exc))
    print(f"{settings.reviews_file}: {args.entry_id} reviewed on {day.isoformat()}")
    return EXIT_OK


def command_capture(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from flows.dataset.raw_capture import CaptureError, read_capture

    try:
        night = dt.date.fromisoformat(args.date) if args.date else None
    except ValueError:
        return fail(f"--date: {args.date!r} is not a date (YYYY-MM-DD)")
    try:
        capture = read_capture(settings.raw_dir, args.url, night)
    except CaptureError as exc:
        return fail(str(exc))
    revisit = f" (unverändert seit {capture.revisit_of})" if capture.revisit_of else ""
    print(one_line(capture.url), file=sys.stderr)
    print(f"  night:    {capture.night.isoformat()}{revisit}", file=sys.stderr)
    print(f"  captured: {one_line(capture.captured_at)}", file=sys.stderr)
    print(f"  status:   {one_line(capture.status)}", file=sys.stderr)
    for name, value in capture.headers:
        print(f"  {one_line(name)}: {one_line(value)}", file=sys.stderr)
    if capture.truncated:
        print("  (body cut at the byte cap)", file=sys.stderr)
    if args.output is not None:
        try:
            args.output.write_bytes(capture.body)
        except OSError as exc:
            return fail(f"{args.output}: cannot write ({exc.strerror})")
        print(f"  saved:    {args.output} ({len(capture.body)} bytes)", file=sys.stderr)
    elif sys.stdout.isatty():
        sys.stdout.write(terminal_safe(capture.body.decode("utf-8", errors="replace")))
    else:  # a pipe or file gets the bytes as captured
        sys.stdout.buffer.write(capture.body)
        sys.stdout.flush()
    return EXIT_OK


def command_notify(args: argparse.Namespace, settings: Settings) -> int:
    from flows.morning_message import test_message

    if not args.test:
        return fail("notify: nothing to do; use 'linkpflege notify --test'")
    if not settings.notify:
        return fail("notify: no Apprise URLs configured (setting notify, LINKPFLEGE_NOTIFY)")
    results, line = test_message(settings)
    for result in results:
        print(f"{'ok' if result.ok else 'failed':6}  {one_line(result.target)}", end="")
        print(f": {one_line(result.error)}" if result.error else "")
    return EXIT_OK if all(r.ok for r in results) else fail(f"notify: {one_line(line)}")


def command_desk(settings: Settings) -> int:
    from flows.desk.server import DEFAULT_PORT, DeskError, run_desk

    try:
        run_desk(settings, settings.desk_host, settings.desk_port or DEFAULT_PORT)
    except DeskError as exc:
        return fail(str(exc))
    return EXIT_OK


def command_demo(args: argparse.Namespace, settings: Settings) -> int:
    from flows.demo.run import demo_command

    data_dir = Path(args.data_dir) if args.data_dir else None
    return demo_command(
        data_dir, settings.run_date(), keep=args.keep, interactive=sys.stdin.isatty()
    )


def main(argv: list[str] | None = None) -> int:
    apply_prefect_defaults()
    args = build_parser().parse_args(argv)
    flags = _flags(args)
    try:
        settings = load_settings(flags)
    except SettingsError as exc:
        return fail(str(exc))

    if args.command == "run":
        return command_run(settings, flags)
    if args.command == "serve":
        return command_serve(args, settings, flags)
    if args.command == "report":
        return command_report(settings)
    if args.command == "check":
        return command_check(args.urls, settings)
    if args.command == "review":
        return command_review(args, settings)
    if args.command == "rebuild":
        return command_rebuild(settings)
    if args.command == "capture":
        return command_capture(args, settings)
    if args.command == "demo":
        return command_demo(args, settings)
    if args.command == "notify":
        return command_notify(args, settings)
    if args.command == "desk":
        return command_desk(settings)
    if args.command == "users":
        return command_users(args, settings.data_dir)
    from flows.catalog_commands import command_catalog_import, command_catalog_recover

    if args.catalog_command == "recover":
        return command_catalog_recover(args, settings)
    return command_catalog_import(args.file, args.output)


if __name__ == "__main__":
    sys.exit(main())
