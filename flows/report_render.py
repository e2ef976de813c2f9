"""The editors' report (German): one night's verdicts as HTML, Markdown and CSV.

Everything harvested (titles, labels, URLs, error details) is hostile. All three formats are
built from one view model of cleaned, length-capped strings; each format then escapes for its
own syntax: Jinja2 autoescape for HTML (with a strict Content-Security-Policy on top), backslash
and entity escapes for Markdown, a leading apostrophe against formula injection for CSV.
Only http(s) addresses ever become links.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from extractors.entry_verdicts import (
    GERMAN_HEALTH_LABELS,
    GERMAN_VERDICT_LABELS,
    VERDICT_PRIORITY,
    german_date,
    german_date_source,
)
from extractors.records import (
    FAILING_HEALTH,
    GOOD_HEALTH,
    EntryVerdict,
    Health,
    LinkRow,
    Verdict,
)

TEMPLATE_DIR = Path(__file__).parent / "templates"
WAYBACK_SEARCH = "https://web.archive.org/web/*/"

# Sections in order of urgency for editors (not the verdict priority).
SECTION_ORDER: tuple[Verdict, ...] = (
    Verdict.BROKEN,
    Verdict.REVIEW,
    Verdict.STALE,
    Verdict.MISSING_URL,
    Verdict.OK,
)
SECTION_INTROS: Mapping[Verdict, str] = {
    Verdict.BROKEN: (
        "Diese Links funktionieren seit mehreren Prüfungen nicht. Bitte ein neues Link-Ziel "
        "suchen, eine archivierte Kopie verlinken oder den Link entfernen."
    ),
    Verdict.REVIEW: (
        "Hier ist etwas auffällig, aber noch nicht sicher defekt: ein erster Fehlschlag, eine "
        "umgezogene Seite (bitte die neue Adresse übernehmen) oder eine Seite, die sich nicht "
        "automatisch prüfen lässt."
    ),
    Verdict.STALE: (
        "Die Seiten sind erreichbar, ihr Inhalt ist aber älter als die eingestellte Frist. "
        "Bitte prüfen, ob der Text noch aktuell ist."
    ),
    Verdict.MISSING_URL: "Für diese Einträge fehlt im Katalog die Adresse eines Links.",
    Verdict.OK: "Alle Links sind erreichbar; der Inhalt ist aktuell oder trägt kein Datum.",
}

TEXT_MAX_CHARS = 300  # titles, labels, summaries, addresses as shown
REASON_MAX_CHARS = 500  # a reason may quote a long new address
CSV_CELL_MAX_CHARS = 32_000  # Excel refuses cells longer than 32,767 characters

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
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
_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything one report shows. `previous_verdicts` is empty on the first night."""

    run_date: dt.date
    generated_at: dt.datetime  # UTC
    catalog_name: str
    inconclusive_reason: str | None
    entries: tuple[EntryVerdict, ...]
    links: tuple[LinkRow, ...]
    previous_verdicts: Mapping[str, Verdict]


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """Where `write_report` put the latest report and tonight's dated copies."""

    html: Path
    markdown: Path
    csv: Path
    dated_html: Path
    dated_markdown: Path
    dated_csv: Path

    def all(self) -> tuple[Path, ...]:
        return (
            self.html,
            self.markdown,
            self.csv,
            self.dated_html,
            self.dated_markdown,
            self.dated_csv,
        )


# ---------------------------------------------------------------------------------------------
# View model: cleaned, capped strings shared by the three formats.


@dataclass(frozen=True, slots=True)
class _Action:
    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class _LinkView:
    label: str
    url: str  # full address as in the data ("" when none); shown capped, used in CSV
    url_text: str  # capped for display
    href: str | None  # only for http(s) addresses
    page_title: str
    summary: str
    health: str
    http_status: str
    final_url: str
    final_url_text: str
    final_href: str | None
    content_date: str
    date_source: str
    age_days: str
    stale: str
    failing_since: str
    last_ok: str
    undated: bool  # reachable, but no content date was found
    actions: tuple[_Action, ...]


@dataclass(frozen=True, slots=True)
class _EntryView:
    entry_id: str
    provider: str
    provider_type: str
    title: str
    verdict: Verdict
    verdict_label: str
    reasons: tuple[str, ...]
    links: tuple[_LinkView, ...]


@dataclass(frozen=True, slots=True)
class _SectionView:
    verdict: Verdict
    css_id: str
    heading: str
    intro: str
    entries: tuple[_EntryView, ...]
    collapsed: bool


@dataclass(frozen=True, slots=True)
class _CountView:
    verdict: Verdict
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class _ChangeView:
    provider: str
    title: str
    now_label: str
    before_label: str


@dataclass(frozen=True, slots=True)
class _ReportView:
    title: str
    run_date: str
    generated: str
    catalog_name: str
    inconclusive_reason: str
    counts: tuple[_CountView, ...]
    entries_total: int
    links_total: int
    first_night: bool
    new_since_yesterday: tuple[_ChangeView, ...]
    fixed_since_yesterday: tuple[_ChangeView, ...]
    sections: tuple[_SectionView, ...]


def _shown(text: str | None, limit: int = TEXT_MAX_CHARS) -> str:
    """Harvested text made safe to lay out: one line, no control or bidi-override characters,
    at most `limit` characters (a cut ends with „…“)."""
    if not text:
        return ""
    text = _BIDI_CONTROLS.sub("", text)
    text = _CONTROL_CHARS.sub(" ", text)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _http_href(url: str | None) -> str | None:
    """The address as a link target if it is a plain http(s) URL, else None (shown as text)."""
    candidate = (url or "").strip()
    if not _HTTP_URL.fullmatch(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:  # e.g. a broken IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme, rest = candidate.split(":", 1)
    return scheme.lower() + ":" + rest


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _link_actions(link: LinkRow, href: str | None) -> tuple[_Action, ...]:
    """What an editor should do about one link, most useful first."""
    archive = _Action("Archivierte Kopie suchen", WAYBACK_SEARCH + href) if href else None
    health = link.health
    actions: list[_Action] = []
    if not (link.url or "").strip():
        actions.append(_Action("Link-Ziel recherchieren"))
    elif health is None:
        actions.append(_Action("Noch nicht geprüft – nächsten Lauf abwarten"))
    elif health is Health.INVALID_URL:
        actions.append(_Action("Adresse im Katalog korrigieren"))
    elif link.confirmed_broken or health in FAILING_HEALTH:
        first = "Neues Link-Ziel suchen" if link.confirmed_broken else "Im Browser prüfen"
        actions.append(_Action(first))
        if archive:
            actions.append(archive)
    elif health is Health.MOVED:
        actions.append(_Action("Link aktualisieren", _http_href(link.final_url)))
    elif health in (Health.BLOCKED, Health.TLS_ERROR):
        actions.append(_Action("Im Browser prüfen"))
    if link.stale:
        actions.append(_Action("Text prüfen"))
    return tuple(actions)


def _link_view(link: LinkRow) -> _LinkView:
    url = (link.url or "").strip()
    href = _http_href(url)
    final_url = (link.final_url or "").strip()
    if final_url == url:
        final_url = ""  # only shown when it differs
    health = link.health
    if health is None:
        health_text = "ohne Link-Ziel" if not url else "noch nicht geprüft"
    else:
        health_text = GERMAN_HEALTH_LABELS[health]
        if link.confirmed_broken:
            health_text += " (bestätigt)"
    content_date = german_date(link.content_date) if link.content_date else ""
    return _LinkView(
        label=_shown(link.link_label),
        url=url,
        url_text=_shown(url),
        href=href,
        page_title=_shown(link.title),
        summary=_shown(link.summary),
        health=_capitalised(health_text),
        http_status=str(link.http_status) if link.http_status else "",
        final_url=final_url,
        final_url_text=_shown(final_url),
        final_href=_http_href(final_url),
        content_date=content_date,
        date_source=_shown(german_date_source(link.date_source)) if content_date else "",
        age_days=str(link.age_days) if link.age_days is not None else "",
        stale={True: "ja", False: "nein", None: ""}[link.stale],
        failing_since=german_date(link.failing_since) if link.failing_since else "",
        last_ok=german_date(link.last_ok) if link.last_ok else "",
        undated=not content_date and health in GOOD_HEALTH,
        actions=_link_actions(link, href),
    )


def _build_view(report: ReportInput) -> _ReportView:
    links_by_entry: dict[str, list[_LinkView]] = {}
    for link in report.links:
        links_by_entry.setdefault(link.entry_id, []).append(_link_view(link))

    entry_views = [
        _EntryView(
            entry_id=entry.entry_id,
            provider=_shown(entry.provider),
            provider_type=_shown(entry.provider_type),
            title=_shown(entry.title),
            verdict=entry.verdict,
            verdict_label=GERMAN_VERDICT_LABELS[entry.verdict],
            reasons=tuple(_shown(reason, REASON_MAX_CHARS) for reason in entry.reasons),
            links=tuple(links_by_entry.get(entry.entry_id, ())),
        )
        for entry in report.entries
    ]
    sections = tuple(
        _SectionView(
            verdict=verdict,
            css_id=verdict.value.replace("_", "-"),
            heading=GERMAN_VERDICT_LABELS[verdict],
            intro=SECTION_INTROS[verdict],
            entries=tuple(view for view in entry_views if view.verdict is verdict),
            collapsed=verdict is Verdict.OK,
        )
        for verdict in SECTION_ORDER
    )
    new, fixed = _changes_since_yesterday(report.entries, report.previous_verdicts)
    generated = report.generated_at
    if generated.tzinfo is not None:
        generated = generated.astimezone(dt.UTC)
    return _ReportView(
        title=f"Linkpflege – Bericht vom {german_date(report.run_date)}",
        run_date=german_date(report.run_date),
        generated=f"{german_date(generated.date())}, {generated:%H:%M} Uhr (UTC)",
        catalog_name=_shown(report.catalog_name),
        inconclusive_reason=_shown(report.inconclusive_reason, REASON_MAX_CHARS),
        counts=tuple(
            _CountView(section.verdict, section.heading, len(section.entries))
            for section in sections
        ),
        entries_total=len(entry_views),
        links_total=sum(len(view.links) for view in entry_views),
        first_night=not report.previous_verdicts,
        new_since_yesterday=new,
        fixed_since_yesterday=fixed,
        sections=sections,
    )


def _changes_since_yesterday(
    entries: Iterable[EntryVerdict], previous: Mapping[str, Verdict]
) -> tuple[tuple[_ChangeView, ...], tuple[_ChangeView, ...]]:
    """New problems (worse than yesterday, or new in the catalogue) and fixed entries."""
    if not previous:
        return (), ()
    rank = {verdict: index for index, verdict in enumerate(VERDICT_PRIORITY)}
    new: list[_ChangeView] = []
    fixed: list[_ChangeView] = []
    for entry in entries:
        before = previous.get(entry.entry_id)
        before_label = GERMAN_VERDICT_LABELS[before] if before else "– (neu im Katalog)"
        change = _ChangeView(
            provider=_shown(entry.provider),
            title=_shown(entry.title),
            now_label=GERMAN_VERDICT_LABELS[entry.verdict],
            before_label=before_label,
        )
        if entry.verdict is Verdict.OK:
            if before is not None and before is not Verdict.OK:
                fixed.append(change)
        elif before is None or rank[entry.verdict] < rank[before]:
            new.append(change)
    return tuple(new), tuple(fixed)


# ---------------------------------------------------------------------------------------------
# HTML


@cache
def _environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape(): "report.html.j2" does not end in ".html".
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _stylesheet() -> tuple[str, str]:
    """The report's CSS and its CSP source expression (a hash, so no other style may apply)."""
    css = (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return css, f"'sha256-{digest}'"


def content_security_policy() -> str:
    """The policy the HTML report carries: nothing may load, no script may run."""
    _, style_source = _stylesheet()
    return (
        "default-src 'none'; "
        f"style-src {style_source}; "
        "img-src 'none'; "
        "base-uri 'none'; "
        "form-action 'none'"
    )


def render_html(report: ReportInput) -> str:
    """A self-contained HTML page (inline CSS, no external resources, no scripts)."""
    return _render_html(_build_view(report))


def _render_html(view: _ReportView) -> str:
    css, _ = _stylesheet()
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=view,
        css=Markup(css),  # our own file; its hash is in the CSP
        csp=content_security_policy(),
    )


# ---------------------------------------------------------------------------------------------
# Markdown


def _md(text: str) -> str:
    """Harvested text for a Markdown table cell: cannot end the cell, add markup, HTML or links."""
    return "".join(_MARKDOWN_ESCAPES.get(char, char) for char in _shown(text, REASON_MAX_CHARS))


def _md_link(text: str, href: str | None) -> str:
    if not href:
        return _md(text)
    destination = "".join(_MARKDOWN_URL_ESCAPES.get(char, char) for char in href)
    return f"[{_md(text)}]({destination})"


def _md_table(headers: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows)
    return lines


def _md_actions(actions: tuple[_Action, ...]) -> str:
    return "; ".join(_md_link(action.text, action.href) for action in actions) or "–"


def _md_link_cell(link: _LinkView) -> str:
    label = _md(link.label) if link.label else ""
    if link.href:
        target = _md_link(link.url_text, link.href)
    else:
        target = _md(link.url_text) if link.url_text else "kein Link-Ziel"
    title = f" – Seitentitel: {_md(link.page_title)}" if link.page_title else ""
    return f"{label}: {target}{title}" if label else f"{target}{title}"


def _md_date_cell(link: _LinkView) -> str:
    if not link.content_date:
        return "kein Datum gefunden" if link.undated else ""
    return f"{link.content_date} ({_md(link.date_source)})"


def render_markdown(report: ReportInput) -> str:
    """The report as Markdown tables (GitHub-flavoured), same sections as the HTML page."""
    return _render_markdown(_build_view(report))


def _render_markdown(view: _ReportView) -> str:
    lines = [f"# {view.title}", ""]
    lines.append(f"Lauf vom {view.run_date}, erstellt am {view.generated}.  ")
    lines.append(f"Katalog: {_md(view.catalog_name)}")
    lines.append("")
    if view.inconclusive_reason:
        lines.append(
            f"> **Achtung: Dieser Lauf war nicht aussagekräftig.** {_md(view.inconclusive_reason)} "
            "Es wurde kein Link herabgestuft."
        )
        lines.append("")

    lines += ["## Übersicht", ""]
    lines += _md_table(
        ("Befund", "Einträge"),
        [(count.label, str(count.count)) for count in view.counts]
        + [("**Gesamt**", f"**{view.entries_total}** ({view.links_total} Links)")],
    )
    lines.append("")

    lines += _md_changes(view)

    for section in view.sections:
        lines += [f"## {section.heading} ({len(section.entries)})", "", section.intro, ""]
        if not section.entries:
            lines += ["Keine Einträge.", ""]
            continue
        rows: list[tuple[str, ...]] = []
        for entry in section.entries:
            reasons = " • ".join(_md(reason) for reason in entry.reasons) or "–"
            entry_cells = (_md(entry.provider), _md(entry.title), reasons)
            links = entry.links or (None,)
            for index, link in enumerate(links):
                lead = entry_cells if index == 0 else ("", "", "")
                if link is None:
                    rows.append((*lead, "–", "", "", "", "", "–"))
                    continue
                rows.append(
                    (
                        *lead,
                        _md_link_cell(link),
                        _md(link.health),
                        link.http_status,
                        _md_link(link.final_url_text, link.final_href),
                        _md_date_cell(link),
                        _md_actions(link.actions),
                    )
                )
        lines += _md_table(
            (
                "Anbieter",
                "Eintrag",
                "Befund",
                "Link",
                "Status",
                "HTTP",
                "Weitergeleitet zu",
                "Inhaltsdatum (Quelle)",
                "Maßnahme",
            ),
            rows,
        )
        lines.append("")
    return "\n".join(lines)


def _md_changes(view: _ReportView) -> list[str]:
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


# ---------------------------------------------------------------------------------------------
# CSV


_CSV_HEADERS = (
    "Befund",
    "Eintrag-ID",
    "Anbieter",
    "Anbietertyp",
    "Eintrag",
    "Gründe",
    "Linkbezeichnung",
    "URL",
    "Linkstatus",
    "HTTP-Status",
    "Weitergeleitet zu",
    "Inhaltsdatum",
    "Datumsquelle",
    "Alter in Tagen",
    "Veraltet",
    "Fehlerhaft seit",
    "Zuletzt erreichbar",
    "Seitentitel",
    "Zusammenfassung",
    "Maßnahme",
    "Archivsuche",
    "Lauf vom",
)


def _csv_cell(value: str) -> str:
    """Neutralise formula injection: a leading =, +, -, @, tab or CR becomes text."""
    value = value[:CSV_CELL_MAX_CHARS]
    return "'" + value if value.startswith(_CSV_FORMULA_STARTS) else value


def render_csv(report: ReportInput) -> str:
    """One row per link, for German Excel: UTF-8 with BOM, `;`, dates TT.MM.JJJJ."""
    return _render_csv(_build_view(report))


def _render_csv(view: _ReportView) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(_CSV_HEADERS)
    for section in view.sections:
        for entry in section.entries:
            entry_cells = [
                entry.verdict_label,
                entry.entry_id,
                entry.provider,
                entry.provider_type,
                entry.title,
                " | ".join(entry.reasons),
            ]
            for link in entry.links or (None,):
                link_cells = [""] * 15 if link is None else _csv_link_cells(link)
                row = [*entry_cells, *link_cells, view.run_date]
                writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _csv_link_cells(link: _LinkView) -> list[str]:
    archive = next(
        (a.href for a in link.actions if a.href and a.href.startswith(WAYBACK_SEARCH)), ""
    )
    return [
        link.label,
        link.url,
        link.health,
        link.http_status,
        link.final_url,
        link.content_date,
        link.date_source,
        link.age_days,
        link.stale,
        link.failing_since,
        link.last_ok,
        link.page_title,
        link.summary,
        "; ".join(action.text for action in link.actions),
        archive or "",
    ]


# ---------------------------------------------------------------------------------------------
# Files


def write_report(report: ReportInput, report_dir: Path) -> ReportFiles:
    """Writes index.html, report.md, report.csv and dated copies, each atomically."""
    report_dir.mkdir(parents=True, exist_ok=True)
    day = report.run_date.isoformat()
    files = ReportFiles(
        html=report_dir / "index.html",
        markdown=report_dir / "report.md",
        csv=report_dir / "report.csv",
        dated_html=report_dir / f"report-{day}.html",
        dated_markdown=report_dir / f"report-{day}.md",
        dated_csv=report_dir / f"report-{day}.csv",
    )
    view = _build_view(report)
    html = _render_html(view).encode("utf-8")
    markdown = _render_markdown(view).encode("utf-8")
    table = _render_csv(view).encode("utf-8")  # the BOM is part of the text
    for path, payload in (
        (files.dated_html, html),
        (files.dated_markdown, markdown),
        (files.dated_csv, table),
        (files.html, html),
        (files.markdown, markdown),
        (files.csv, table),
    ):
        _write_atomically(path, payload)
    return files


def _write_atomically(path: Path, payload: bytes) -> None:
    """Readers see the old file or the new one, never half of it."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # 0o644 (less the umask), unlike mkstemp's 0o600: the report is meant to be served and read.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
