"""The morning message: after the nightly run, a short German note to the editors.

`compose` turns the night's report input into a subject, a plain text and an HTML body (all
harvested text escaped, only http(s) addresses become links); `decide` says whether tonight
calls for one (`notify_when`: worse | always | weekly); `deliver` sends through Apprise URLs,
one URL at a time so each gets its own result. `morning_message` and `inconclusive_message`
tie them together for the flow and never raise: a failed delivery is logged, written to
`curated/notify-state.json` and its message is carried by the next one („Die Nachricht vom …
konnte nicht zugestellt werden“) — the next night then sends whatever the mode says.

Mail URLs (`mailto://`, `mailtos://`) get the HTML body; Apprise sends it as
multipart/alternative with a plain-text part it derives from the HTML. Every other service
gets the plain text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from extractors.records import Verdict
from extractors.verdicts.entry_verdicts import german_date
from flows.report.safe_text import http_href, shown_text
from flows.report.view import ReportInput, ReportView, build_view
from flows.report.wording import ReportSection
from flows.run_settings import WEEKDAY_NAMES, Settings

STATE_FILE_NAME = "notify-state.json"
TOP_ROWS = 3
_PROBLEMS = (Verdict.BROKEN, Verdict.MISSING_URL, Verdict.REVIEW, Verdict.STALE)
_MAIL_SCHEMES = ("mailto", "mailtos")

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Delivery:
    target: str  # the URL with secrets masked
    ok: bool
    error: str = ""


# --- composing (pure) --------------------------------------------------------------------


def got_worse(view: ReportView) -> bool:
    """Something new needs the editors, or a problem count rose since the previous night."""
    if view.new_since_yesterday:
        return True
    problems = [c for c in view.counts if c.verdict in _PROBLEMS]
    if all(c.previous is None for c in problems):  # first night: any problem is news
        return any(c.count for c in problems)
    return any(c.previous is not None and c.count > c.previous for c in problems)


def decide(view: ReportView, when: str, weekday: int, run_date: dt.date) -> bool:
    if when == "always":
        return True
    if when == "weekly":
        return run_date.weekday() == weekday
    return got_worse(view)


def report_location(settings: Settings, report_path: Path) -> tuple[str, str | None]:
    """(text, href): the desk's address (where editors can also act), else the report's,
    else where its file is."""
    href = http_href(settings.desk_url) or http_href(settings.report_url)
    if href:
        return href, href
    return str(report_path), None


def compose(
    report: ReportInput, location: tuple[str, str | None], retry: dict | None = None
) -> Message:
    view = build_view(report)
    counts = ", ".join(
        f"{c.label} {c.count}" + (f" ({c.change})" if c.change else "") for c in view.counts
    )
    broken = next(c.count for c in view.counts if c.verdict is Verdict.BROKEN)
    subject = f"Linkpflege {view.run_date}: {broken} defekt, {len(view.new_since_yesterday)} neu"
    urgent = [
        row
        for section in view.sections
        if section.section is not ReportSection.OK
        for row in section.rows
    ][:TOP_ROWS]
    changes = (
        (
            "Neu seit gestern",
            [
                f"{c.title} ({c.provider}): {c.before_label} → {c.now_label}"
                for c in view.new_since_yesterday
            ],
        ),
        (
            "Behoben seit gestern",
            [f"{c.title} ({c.provider}): jetzt {c.now_label}" for c in view.fixed_since_yesterday],
        ),
    )
    top = [
        (f"{r.verdict_label or r.health}: {r.entry_title} – {r.sentence}", r.href) for r in urgent
    ]
    text = [f"Guten Morgen, der Linkpflege-Lauf vom {view.run_date} ({view.catalog_name}).", ""]
    text += _retry_lines(retry)
    text += [f"Einträge: {counts}", ""]
    for heading, items in changes:
        text += [f"{heading}:", *(f"- {i}" for i in items or ["keine"]), ""]
    text += ["Am dringendsten:", *(f"- {t}" + (f" <{h}>" if h else "") for t, h in top)]
    if not top:
        text.append("- nichts zu tun")
    text += ["", f"Bericht: {location[0]}"]
    return Message(
        subject, "\n".join(text) + "\n", _html(view, counts, changes, top, location, retry)
    )


def _retry_lines(retry: dict | None) -> list[str]:
    if not retry:
        return []
    night = german_date(dt.date.fromisoformat(retry["night"]))
    return [
        f"Die Nachricht vom {night} konnte nicht zugestellt werden ({retry.get('error', '')}).",
        "Sie lautete:",
        *(f"> {line}" for line in str(retry.get("text", "")).splitlines()),
        "",
    ]


def _html(view, counts, changes, top, location, retry) -> str:  # type: ignore[no-untyped-def]
    e = html.escape
    parts = [
        f"<p>Guten Morgen, der Linkpflege-Lauf vom {e(view.run_date)} ({e(view.catalog_name)}).</p>"
    ]
    if retry:
        lines = _retry_lines(retry)
        parts.append(f"<p>{e(lines[0])}</p><pre>{e(chr(10).join(lines[2:-1]))}</pre>")
    parts.append(f"<p><strong>Einträge:</strong> {e(counts)}</p>")
    for heading, items in changes:
        rows = "".join(f"<li>{e(i)}</li>" for i in items) or "<li>keine</li>"
        parts.append(f"<h3>{e(heading)}</h3><ul>{rows}</ul>")
    links = "".join(
        f'<li>{e(t)} <a href="{e(h)}" rel="noopener noreferrer">{e(h)}</a></li>'
        if h
        else f"<li>{e(t)}</li>"
        for t, h in top
    )
    parts.append(f"<h3>Am dringendsten</h3><ul>{links or '<li>nichts zu tun</li>'}</ul>")
    text, href = location
    shown = f'<a href="{e(href)}">{e(text)}</a>' if href else f"<code>{e(text)}</code>"
    parts.append(f"<p>Bericht: {shown}</p>")
    return "\n".join(parts)


def inconclusive(run_date: dt.date, reason: str, location: str) -> Message:
    day = german_date(run_date)
    text = (
        f"Der Linkpflege-Lauf vom {day} war nicht aussagekräftig: {shown_text(reason, 500)}.\n"
        "Unser eigenes Netz schien gestört; es wurde nichts veröffentlicht, der Bericht vom "
        f"Vortag gilt weiter ({location}).\n"
    )
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
    return Message(f"Linkpflege {day}: Lauf nicht aussagekräftig", text, body)


# --- sending (Apprise) -------------------------------------------------------------------


def deliver(urls: Sequence[str], message: Message) -> list[Delivery]:
    """Send to each URL on its own; never raises."""
    import apprise
    from apprise.common import PersistentStoreMode

    asset = apprise.AppriseAsset(storage_mode=PersistentStoreMode.MEMORY)
    results: list[Delivery] = []
    for url in urls:
        target = url.split("?", 1)[0]
        try:
            plugin = apprise.Apprise.instantiate(url, asset=asset)
            if not plugin:
                results.append(Delivery(target, False, "not a usable Apprise URL"))
                continue
            target = plugin.url(privacy=True)
            mail = url.split(":", 1)[0].lower() in _MAIL_SCHEMES
            sender = apprise.Apprise(asset=asset)
            sender.add(plugin)
            with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
                ok = sender.notify(
                    body=message.html if mail else message.text,
                    title=message.subject,
                    body_format=apprise.NotifyFormat.HTML if mail else apprise.NotifyFormat.TEXT,
                )
                detail = "; ".join(log.getvalue().split("\n")).strip("; ")
        except Exception as exc:  # a plugin bug must not end the run
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        results.append(Delivery(target, bool(ok), "" if ok else (detail or "not delivered")))
    return results


def summary_line(results: Sequence[Delivery]) -> str:
    sent = sum(r.ok for r in results)
    if sent == len(results):
        return f"sent to {sent} of {len(results)}"
    errors = "; ".join(f"{r.target}: {r.error}" for r in results if not r.ok)
    return f"failed, sent to {sent} of {len(results)} ({shown_text(errors, 300)})"


# --- state and the flow's entry points ---------------------------------------------------


def read_state(curated_dir: Path) -> dict:
    try:
        state = json.loads((curated_dir / STATE_FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(curated_dir: Path, state: dict) -> None:
    curated_dir.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=curated_dir, prefix=".notify-state-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, ensure_ascii=False, indent=2)
    os.replace(temporary, curated_dir / STATE_FILE_NAME)


def _send_and_record(settings: Settings, run_date: dt.date, message: Message, log: Log) -> str:
    results = deliver(settings.notify, message)
    line = summary_line(results)
    ok = all(r.ok for r in results)
    pending = None
    if not ok:
        log(f"morning message not delivered: {line}")
        error = "; ".join(r.error for r in results if not r.ok)
        pending = {
            "night": run_date.isoformat(),
            "subject": message.subject,
            "text": message.text,
            "error": shown_text(error, 200),
        }
    _write_state(
        settings.curated_dir,
        {
            "last_attempt": settings.run_moment().isoformat(),
            "night": run_date.isoformat(),
            "ok": ok,
            "error": "" if ok else line,
            "delivered": sum(r.ok for r in results),
            "targets": len(results),
            "pending": pending,
        },
    )
    return line


def delivery_failure(curated_dir: Path) -> str:
    """The editors' line on the last failed delivery („“ when it was delivered or none was
    sent); the report and the desk show it."""
    state = read_state(curated_dir)
    if state.get("ok", True):
        return ""
    try:
        night = german_date(dt.date.fromisoformat(str(state.get("night"))))
    except ValueError:
        night = "dem letzten Lauf"
    error = shown_text(str(state.get("error") or ""), 200)
    return (
        f"Die Morgennachricht zum Lauf vom {night} konnte nicht zugestellt werden"
        + (f" ({error})" if error else "")
        + ". Sie wird mit der nächsten Nachricht wiederholt."
    )


def _show_failure_in_report(settings: Settings, report: ReportInput, report_path: Path) -> None:
    """The report was written before the message was sent: write it again with the failure,
    so an editor who opens it learns that the message did not arrive."""
    from flows.report.render import write_report

    failure = delivery_failure(settings.curated_dir)
    if failure:
        write_report(dataclasses.replace(report, delivery_failure=failure), report_path.parent)


def morning_message(
    settings: Settings, report: ReportInput, report_path: Path, *, latest: bool, log: Log
) -> str:
    """Decide, compose, send, record; the run summary's `message:` text. Never raises."""
    if not settings.notify:
        return "off"
    if not latest:
        return "past night re-run, not sent"
    try:
        retry = read_state(settings.curated_dir).get("pending")
        view = build_view(report)
        when, weekday = settings.notify_when, WEEKDAY_NAMES.index(settings.notify_weekday)
        if not retry and not decide(view, when, weekday, report.run_date):
            return "nothing worse, not sent" if when == "worse" else "not the weekly day, not sent"
        location = report_location(settings, report_path)
        message = compose(report, location, retry if isinstance(retry, dict) else None)
        line = _send_and_record(settings, report.run_date, message, log)
        _show_failure_in_report(settings, report, report_path)
        return line
    except Exception as exc:  # the message must never fail the run
        log(f"morning message failed: {type(exc).__name__}: {exc}")
        return f"failed ({type(exc).__name__}: {shown_text(str(exc), 200)})"


def inconclusive_message(settings: Settings, run_date: dt.date, reason: str, log: Log) -> str:
    """One „Lauf nicht aussagekräftig“ message instead of a flood of broken links."""
    if not settings.notify:
        return "off"
    try:
        where = report_location(settings, settings.curated_dir / "report" / "index.html")[0]
        return _send_and_record(settings, run_date, inconclusive(run_date, reason, where), log)
    except Exception as exc:
        log(f"morning message failed: {type(exc).__name__}: {exc}")
        return f"failed ({type(exc).__name__})"


def test_message(settings: Settings) -> tuple[list[Delivery], str]:
    """`linkpflege notify --test`: a short message to every configured URL."""
    day = german_date(settings.run_date())
    text = f"Testnachricht der Linkpflege vom {day}: die Zustellung funktioniert.\n"
    message = Message(f"Linkpflege: Testnachricht ({day})", text, f"<p>{html.escape(text)}</p>")
    results = deliver(settings.notify, message)
    return results, summary_line(results)
