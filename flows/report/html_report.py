"""The report as one self-contained HTML page: Jinja2 templates under flows/report/templates/ with
autoescape on, and a strict Content-Security-Policy that admits only our own inline
stylesheet and script, by hash.
"""

from __future__ import annotations

import base64
import hashlib
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


def content_security_policy() -> str:
    """The policy the HTML report carries: nothing may load; only our own inline stylesheet
    and script, named by their sha256, may apply or run."""
    _, style_source = _stylesheet()
    _, script_source = _script()
    return (
        "default-src 'none'; "
        f"script-src {script_source}; "
        f"style-src {style_source}; "
        "img-src 'none'; "
        "connect-src 'none'; "
        "base-uri 'none'; "
        "form-action 'none'"
    )


def render_html(report: ReportInput) -> str:
    """A self-contained HTML page (inline CSS and script, no external resources)."""
    return render_html_view(build_view(report))


def render_html_view(view: ReportView) -> str:
    css, _ = _stylesheet()
    script, _ = _script()
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=view,
        # Our own files, not data: their hashes are in the CSP, so not a byte may change.
        css=Markup(css),
        script=Markup(script),
        csp=content_security_policy(),
        ok_rows_max=OK_ROWS_MAX,
    )
