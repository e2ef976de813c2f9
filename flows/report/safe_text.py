"""Harvested text made safe for the editors' report: one line, no control or bidi-override
characters, capped in length; only plain http(s) addresses ever become link targets.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

TEXT_MAX_CHARS = 300  # titles, labels, summaries, addresses as shown
REASON_MAX_CHARS = 500  # a reason may quote a long new address

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")
WHITESPACE = re.compile(r"\s+")
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def shown_text(text: str | None, limit: int = TEXT_MAX_CHARS) -> str:
    """Harvested text made safe to lay out: one line, no control or bidi-override characters,
    at most `limit` characters (a cut ends with „…“)."""
    if not text:
        return ""
    text = _BIDI_CONTROLS.sub("", text)
    text = _CONTROL_CHARS.sub(" ", text)
    text = WHITESPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def http_href(url: str | None) -> str | None:
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
