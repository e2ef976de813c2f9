"""The report as Markdown tables (GitHub-flavoured), with harvested text escaped so it cannot
end a cell or add markup, HTML or links.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def _md_table(headers: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows)
    return lines


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
    lines = [f"# {view.title}", ""]
    lines.append(f"Lauf vom {view.run_date}, erstellt am {view.generated}.  ")
    lines.append(f"Katalog: {_md(view.catalog_name)}  ")
    lines.append(
        "Stand: " + ("**nicht aussagekräftig**" if view.inconclusive_reason else "vollständig")
    )
    lines.append("")
    if view.inconclusive_reason:
        lines.append(
            f"> **Achtung: Dieser Lauf war nicht aussagekräftig.** {_md(view.inconclusive_reason)} "
            "Es wurde kein Link herabgestuft."
        )
        lines.append("")
    if view.delivery_failure:
        lines += [f"> {_md(view.delivery_failure)}", ""]

    lines += ["## Übersicht", ""]
    compared = f"Veränderung zum {view.compared_with}" if view.compared_with else "Veränderung"
    lines += _md_table(
        ("Befund", "Einträge", compared),
        [(count.label, str(count.count), count.change or "–") for count in view.counts]
        + [("**Gesamt**", f"**{view.entries_total}** ({view.links_total} Links)", "")],
    )
    lines.append("")
    lines.append(
        "Links nach Abschnitt: "
        + " · ".join(f"{section.heading} {section.rows_total}" for section in view.sections)
    )
    lines.append("")

    if len(view.chart.nights) > 1:
        recent = view.chart.nights[-7:]
        lines += ["## Verlauf", ""]
        lines += _md_table(
            ("Nacht", *(GERMAN_VERDICT_LABELS[v] for v in VERDICT_PRIORITY)),
            [(night, *(str(n) for n in numbers)) for night, numbers in recent],
        )
        lines.append("")

    lines += _md_changes(view)

    for section in view.sections:
        lines += [f"## {section.heading} ({section.rows_total})", "", section.intro, ""]
        if not section.rows:
            lines += ["Keine Links.", ""]
            continue
        rows = [
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
        ]
        lines += _md_table(
            ("Anbieter", "Eintrag", "Link", "Was ist los", "Seit", "Belege", "Maßnahme"), rows
        )
        if section.rows_total > len(section.rows):
            lines.append("")
            lines.append(
                f"… und {section.rows_total - len(section.rows)} weitere (siehe report.csv)."
            )
        lines.append("")
    return "\n".join(lines)


def _md_changes(view: ReportView) -> list[str]:
    if view.first_night:
        return ["Erster Lauf: noch kein Vergleich mit dem Vortag möglich.", ""]
    lines = [f"## Neu seit gestern ({len(view.new_since_yesterday)})", ""]
    if view.new_since_yesterday:
        new_rows = [
            (_md(change.provider), _md(change.title), change.now_label, change.before_label)
            for change in view.new_since_yesterday
        ]
        lines += _md_table(("Anbieter", "Eintrag", "Heute", "Gestern"), new_rows)
    else:
        lines.append("Keine.")
    lines += ["", f"## Behoben seit gestern ({len(view.fixed_since_yesterday)})", ""]
    if view.fixed_since_yesterday:
        fixed_rows = [
            (_md(change.provider), _md(change.title), change.before_label)
            for change in view.fixed_since_yesterday
        ]
        lines += _md_table(("Anbieter", "Eintrag", "Gestern"), fixed_rows)
    else:
        lines.append("Keine.")
    lines.append("")
    return lines
