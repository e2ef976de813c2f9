"""The report as Prefect artifacts of the flow run: the Markdown report, a table of the links
that need an editor, and a link to the HTML page.

Artifacts are a window onto the report, not part of it: outside a flow run this does nothing,
and a failing Prefect API never fails the night (the files are already written).
"""

from __future__ import annotations

import logging
from typing import Any

from extractors.verdicts.entry_verdicts import german_date
from flows.report.markdown_report import render_markdown
from flows.report.render import ReportFiles
from flows.report.view import ReportInput, problem_rows

MARKDOWN_KEY = "linkpflege-report"
TABLE_KEY = "linkpflege-problem-links"
LINK_KEY = "linkpflege-report-html"
# The Prefect API stores artifacts in its database; a huge catalogue must not bloat it.
MARKDOWN_MAX_CHARS = 200_000
TABLE_MAX_ROWS = 1000

_log = logging.getLogger(__name__)


def publish_report_artifacts(report: ReportInput, files: ReportFiles) -> None:
    """Publish report.md, the problem links and a link to index.html as artifacts of the
    current flow run. A no-op outside a flow run; never raises."""
    try:
        from prefect.context import FlowRunContext, TaskRunContext

        if FlowRunContext.get() is None and TaskRunContext.get() is None:
            return
    except Exception:  # no Prefect context machinery: nothing to publish to
        return
    day = german_date(report.run_date)
    for publish in (_markdown, _table, _link):
        try:
            publish(report, files, day)
        except Exception as exc:  # the report files exist; an artifact is only a convenience
            _warn(f"Prefect-Artefakt nicht angelegt ({publish.__name__.strip('_')}): {exc}")


def _markdown(report: ReportInput, files: ReportFiles, day: str) -> None:
    from prefect.artifacts import create_markdown_artifact

    try:
        markdown = files.markdown.read_text(encoding="utf-8")
    except OSError:
        markdown = render_markdown(report)
    if len(markdown) > MARKDOWN_MAX_CHARS:
        cut = markdown.rfind("\n", 0, MARKDOWN_MAX_CHARS)
        markdown = (
            markdown[: cut if cut > 0 else MARKDOWN_MAX_CHARS]
            + "\n\n… gekürzt; der vollständige Bericht steht in report.md.\n"
        )
    create_markdown_artifact(
        markdown=markdown,
        key=MARKDOWN_KEY,
        description=f"Linkpflege-Bericht vom {day}",
        _sync=True,  # type: ignore[call-arg]  # the flow may run inside an event loop
    )


def _table(report: ReportInput, files: ReportFiles, day: str) -> None:
    from prefect.artifacts import create_table_artifact

    rows: list[dict[str, Any]] = list(problem_rows(report))
    description = f"Links mit Handlungsbedarf am {day}: {len(rows)}"
    if len(rows) > TABLE_MAX_ROWS:
        description += f" (die ersten {TABLE_MAX_ROWS}; alle in report.csv)"
        rows = rows[:TABLE_MAX_ROWS]
    create_table_artifact(
        table=rows,
        key=TABLE_KEY,
        description=description,
        _sync=True,  # type: ignore[call-arg]
    )


def _link(report: ReportInput, files: ReportFiles, day: str) -> None:
    from prefect.artifacts import create_link_artifact

    create_link_artifact(
        link=files.html.resolve().as_uri(),
        link_text=f"Bericht vom {day} (HTML)",
        key=LINK_KEY,
        description=f"Die Seite für die Redaktion: {files.html.resolve()}",
        _sync=True,  # type: ignore[call-arg]
    )


def _warn(message: str) -> None:
    try:
        from prefect import get_run_logger

        get_run_logger().warning(message)
    except Exception:  # outside a run there is no run logger
        _log.warning(message)
