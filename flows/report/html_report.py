"""The report as one self-contained HTML page: Jinja2 templates under flows/report/templates/ with
autoescape on, and a strict Content-Security-Policy that admits only our own inline
stylesheet and script, by hash. The page is rendered in pieces (`stream_html_view`), so a
large report can go to its file without ever being one string; `render_html_view` joins them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from flows.report.view import OK_ROWS_MAX, ReportInput, ReportView, build_view

TEMPLATE_DIR = Path(__file__).parent / "templates"


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


def _csp_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


@cache
def _stylesheet() -> tuple[str, str]:
    """The report's CSS and its CSP source expression (a hash, so no other style may apply)."""
    css = (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    return css, _csp_hash(css)


@cache
def _script() -> tuple[str, str]:
    """The report's own script (filter, search, sorting) and its CSP hash."""
    script = (TEMPLATE_DIR / "report.js").read_text(encoding="utf-8")
    return script, _csp_hash(script)


def content_security_policy(*, form_action: str = "'none'") -> str:
    """The policy the HTML report carries: nothing may load; only our own inline stylesheet
    and script, named by their sha256, may apply or run. The desk's pages send their forms
    to the desk itself (`form_action="'self'"`); the static report has no forms."""
    _, style_source = _stylesheet()
    _, script_source = _script()
    return (
        "default-src 'none'; "
        f"script-src {script_source}; "
        f"style-src {style_source}; "
        "img-src 'none'; "
        "connect-src 'none'; "
        "base-uri 'none'; "
        f"form-action {form_action}"
    )


def render_html(report: ReportInput) -> str:
    """A self-contained HTML page (inline CSS and script, no external resources)."""
    return render_html_view(build_view(report))


def render_html_view(view: ReportView, desk: object | None = None) -> str:
    """The report page; with `desk` (the desk's page context: who is signed in, the CSRF
    token, each entry's fingerprint, pending changes) each row also carries its forms."""
    return "".join(stream_html_view(view, desk))


def stream_html_view(view: ReportView, desk: object | None = None) -> Iterator[str]:
    """The report page of `render_html_view` in pieces, rendered as they are consumed."""
    return stream_page("report.html.j2", desk=desk, report=view, ok_rows_max=OK_ROWS_MAX)


def render_page(template_name: str, *, desk: object | None, **context: object) -> str:
    """One of our templates with the report's stylesheet, script and policy."""
    return "".join(stream_page(template_name, desk=desk, **context))


def stream_page(template_name: str, *, desk: object | None, **context: object) -> Iterator[str]:
    """`render_page` in pieces: Jinja2 renders the next piece only when it is asked for."""
    css, _ = _stylesheet()
    script, _ = _script()
    template = _environment().get_template(template_name)
    return template.generate(
        # Our own files, not data: their hashes are in the CSP, so not a byte may change.
        css=Markup(css),
        script=Markup(script),
        csp=content_security_policy(form_action="'self'" if desk is not None else "'none'"),
        desk=desk,
        **context,
    )
