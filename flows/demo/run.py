"""`linkpflege demo`: the real nightly flow over two simulated nights against the sample web.

No internet needed: the sample web (`flows.demo.web`) runs on 127.0.0.1, the catalogue is
written beside the data, and the flow is the one that runs every night
(`flows.harvest_flow.nightly_harvest`), so the report is exactly what editors get each morning.
On the second night the vanished PDF and the error page are gone for the second time (now
confirmed broken), the event page has new text, and a page that failed is back.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractors.catalog.writer import catalog_csv
from extractors.records import CatalogEntry
from flows.demo.web import DEMO_ENTRIES, DemoWeb

CATALOG_FILE = "demo-katalog.csv"


class DemoError(RuntimeError):
    """The demo could not be run (data directory in use, a night failed)."""


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    data_dir: Path
    report: Path
    nights: tuple[dt.date, dt.date]
    summaries: tuple[tuple[str, ...], ...]  # the run summary lines of each night


def write_demo_catalog(path: Path, web: DemoWeb) -> None:
    """The demo's catalogue CSV, pointing at the running sample web."""
    rows = (
        CatalogEntry(
            line=line,
            entry_id=entry.entry_id,
            provider=entry.provider,
            provider_type=entry.provider_type,
            title=entry.title,
            description=entry.description,
            link_label=entry.link_label,
            url=web.url(entry.path) if entry.path else "",
        )
        for line, entry in enumerate(DEMO_ENTRIES, start=2)
    )
    path.write_text(catalog_csv(rows), encoding="utf-8")


def demo_options(catalog: Path, data_dir: Path, night: dt.date) -> dict[str, Any]:
    """Settings for one demo night. Everything that shapes the result is given here, so a
    linkpflege.toml or LINKPFLEGE_* variables of the user cannot change the demo."""
    return {
        "catalog": str(catalog),
        "reviews": str(data_dir / "reviews.csv"),
        "data_dir": str(data_dir),
        "now": night.isoformat(),
        "allow_private_addresses": True,  # the sample web is on 127.0.0.1
        "ignore_robots": False,
        "stale_after_days": 730,
        "confirm_after_nights": 2,
        "per_host": 4,
        "per_host_interval": 0.02,
        "timeout": 10.0,
        "progress": False,
        "archive": False,  # no internet: the sample web has no Wayback Machine
        "relocation": False,  # the demo shows the link check; new locations are tested apart
    }


def run_demo(
    data_dir: Path,
    second_night: dt.date,
    *,
    web: DemoWeb,
    say: Callable[[str], None] = print,
) -> DemoOutcome:
    """Two nights of the real flow against `web` (already running) into `data_dir`."""
    from flows.harvest_flow import nightly_harvest

    data_dir.mkdir(parents=True, exist_ok=True)
    if any(data_dir.iterdir()):
        raise DemoError(f"{data_dir}: not empty; the demo needs an empty or new directory")
    catalog = data_dir / CATALOG_FILE
    write_demo_catalog(catalog, web)
    nights = (second_night - dt.timedelta(days=1), second_night)
    summaries: list[tuple[str, ...]] = []
    report = data_dir / "curated" / "report" / "index.html"
    for index, night in enumerate(nights):
        web.night = index
        say(f"Night {index + 1} of 2 ({night.isoformat()}): checking the sample web …")
        state = nightly_harvest(options=demo_options(catalog, data_dir, night), return_state=True)
        if not state.is_completed():
            raise DemoError(f"night {night.isoformat()}: {state.message or state.name}")
        summary = state.result()
        summaries.append(tuple(summary.lines()))
        report = summary.report_path
    return DemoOutcome(data_dir, report, nights, tuple(summaries))


def demo_command(
    data_dir: Path | None, second_night: dt.date, *, keep: bool, interactive: bool
) -> int:
    """What `linkpflege demo` does; returns the exit status.

    Without --data-dir the output goes to a temporary directory, removed at the end unless
    --keep is given. On a terminal the sample web stays up until Enter is pressed, so the
    report's links can be followed.
    """
    temporary = data_dir is None
    target = Path(tempfile.mkdtemp(prefix="linkpflege-demo-")) if temporary else data_dir
    assert target is not None
    try:
        with DemoWeb(second_night) as web:
            print(f"Sample web: {web.url('/')}")
            try:
                outcome = run_demo(target, second_night, web=web)
            except DemoError as exc:
                print(f"linkpflege: demo: {exc}", file=sys.stderr)
                return 2
            for line in outcome.summaries[-1]:
                print(line)
            print()
            print(f"Report: {outcome.report}")
            print(f"        {outcome.report.as_uri()}")
            print(f"Also:   {outcome.report.with_name('report.md')}, report.csv (Excel)")
            if temporary and not keep:
                if interactive:
                    input("Press Enter to stop the sample web and delete the demo data … ")
                else:
                    print("Demo data deleted again; use --keep or --data-dir DIR to keep it.")
            elif interactive:
                input("Press Enter to stop the sample web (the report stays) … ")
    except (EOFError, KeyboardInterrupt):
        print()
    finally:
        if temporary and not keep:
            shutil.rmtree(target, ignore_errors=True)
    return 0
