"""The report as Markdown tables (GitHub-flavoured), with harvested text escaped so it cannot
end a cell or add markup, HTML or links. Lines are made one at a time (`stream_markdown_view`),
so a large report need never be one string.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from extractors.verdicts.entry_verdicts import GERMAN_VERDICT_LABELS, VERDICT_PRIORITY
from flows.report.assessment import Action
from flows.report.safe_text import REASON_MAX_CHARS, shown_text
from flows.report.view import ReportInput, ReportView, RowView, build_view

_MARKDOWN_ESCAPES = {
    "\\": "\\\\",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "\\|",
    "`": "\\`",
    "[": "\\[",
    "]": "\\]",
    "*": "\\*",
    "_": "\\_",
    "~": "\\~",
}
# Characters that would end a Markdown link destination or a table cell early.
_MARKDOWN_URL_ESCAPES = {
    " ": "%20",
    "<": "%3C",
    ">": "%3E",
    "(": "%28",
    ")": "%29",
    "[": "%5B",
    "]": "%5D",
    "|": "%7C",
    "`": "%60",
    "\\": "%5C",
}


def _md(text: str) -> str:
    """Harvested text for a Markdown table cell: cannot end the cell, add markup, HTML or links."""
    return "".join(_MARKDOWN_ESCAPES.get(char, char) for char in shown_text(text, REASON_MAX_CHARS))


def _md_link(text: str, href: str | None) -> str:
    if not href:
        return _md(text)
    destination = "".join(_MARKDOWN_URL_ESCAPES.get(char, char) for char in href)
    return f"[{_md(text)}]({destination})"


def _md_table(headers: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    yield "| " + " | ".join(headers) + " |"
    yield "|" + "---|" * len(headers)
    for row in rows:
        yield "| " + " | ".join(cell or " " for cell in row) + " |"


def _md_actions(actions: tuple[Action, ...]) -> str:
    return "; ".join(_md_link(action.text, action.href) for action in actions) or "–"


def _md_link_cell(row: RowView) -> str:
    label = _md(row.label) if row.label else ""
    if row.href:
        target = _md_link(row.url_text, row.href)
    else:
        target = _md(row.url_text) if row.url_text else "kein Link-Ziel"
    title = f" – Seitentitel: {_md(row.page_title)}" if row.page_title else ""
    return f"{label}: {target}{title}" if label else f"{target}{title}"


def _md_evidence(row: RowView) -> str:
    return (
        "; ".join(f"{item.label}: {_md_link(item.text, item.href)}" for item in row.evidence) or "–"
    )


def render_markdown(report: ReportInput) -> str:
    """The report as Markdown tables (GitHub-flavoured), same sections as the HTML page."""
    return render_markdown_view(build_view(report))


def render_markdown_view(view: ReportView) -> str:
    return "".join(stream_markdown_view(view))


def stream_markdown_view(view: ReportView) -> Iterator[str]:
    """`render_markdown_view` line by line: each line but the first comes with the newline
    before it, so the pieces join to exactly the page (no newline at its end)."""
    lines = _md_lines(view)
    yield next(lines)
    for line in lines:
        yield "\n" + line


def _md_lines(view: ReportView) -> Iterator[str]:
    yield f"# {view.title}"
    yield ""
    yield f"Lauf vom {view.run_date}, erstellt am {view.generated}.  "
    yield f"Katalog: {_md(view.catalog_name)}  "
    yield "Stand: " + ("**nicht aussagekräftig**" if view.inconclusive_reason else "vollständig")
    yield ""
    if view.inconclusive_reason:
        yield (
            f"> **Achtung: Dieser Lauf war nicht aussagekräftig.** {_md(view.inconclusive_reason)} "
            "Es wurde kein Link herabgestuft."
        )
        yield ""
    if view.delivery_failure:
        yield f"> {_md(view.delivery_failure)}"
        yield ""

    yield "## Übersicht"
    yield ""
    compared = f"Veränderung zum {view.compared_with}" if view.compared_with else "Veränderung"
    yield from _md_table(
        ("Befund", "Einträge", compared),
        [(count.label, str(count.count), count.change or "–") for count in view.counts]
        + [("**Gesamt**", f"**{view.entries_total}** ({view.links_total} Links)", "")],
    )
    yield ""
    yield "Links nach Abschnitt: " + " · ".join(
        f"{section.heading} {section.rows_total}" for section in view.sections
    )
    yield ""

    if len(view.chart.nights) > 1:
        recent = view.chart.nights[-7:]
        yield "## Verlauf"
        yield ""
        yield from _md_table(
            ("Nacht", *(GERMAN_VERDICT_LABELS[v] for v in VERDICT_PRIORITY)),
            [(night, *(str(n) for n in numbers)) for night, numbers in recent],
        )
        yield ""

    yield from _md_changes(view)

    for section in view.sections:
        yield f"## {section.heading} ({section.rows_total})"
        yield ""
        yield section.intro
        yield ""
        if not section.rows:
            yield "Keine Links."
            yield ""
            continue
        rows = (
            (
                _md(row.provider),
                _md(row.entry_title),
                _md_link_cell(row),
                " ".join(_md(text) for text in (row.sentence, *row.notes)),
                f"{row.since} ({row.since_what})" if row.since else "–",
                _md_evidence(row),
                _md_actions(row.actions),
            )
            for row in section.rows
        )
        yield from _md_table(
            ("Anbieter", "Eintrag", "Link", "Was ist los", "Seit", "Belege", "Maßnahme"), rows
        )
        if section.rows_total > len(section.rows):
            yield ""
            yield f"… und {section.rows_total - len(section.rows)} weitere (siehe report.csv)."
        yield ""


def _md_changes(view: ReportView) -> Iterator[str]:
    if view.first_night:
        yield "Erster Lauf: noch kein Vergleich mit dem Vortag möglich."
        yield ""
        return
    yield f"## Neu seit gestern ({len(view.new_since_yesterday)})"
    yield ""
    if view.new_since_yesterday:
        yield from _md_table(
            ("Anbieter", "Eintrag", "Heute", "Gestern"),
            (
                (_md(change.provider), _md(change.title), change.now_label, change.before_label)
                for change in view.new_since_yesterday
            ),
        )
    else:
        yield "Keine."
    yield ""
    yield f"## Behoben seit gestern ({len(view.fixed_since_yesterday)})"
    yield ""
    if view.fixed_since_yesterday:
        yield from _md_table(
            ("Anbieter", "Eintrag", "Gestern"),
            (
                (_md(change.provider), _md(change.title), change.before_label)
                for change in view.fixed_since_yesterday
            ),
        )
    else:
        yield "Keine."
    yield ""
