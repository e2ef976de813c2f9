"""Which URLs can be fetched at all: parsed once, scheme and host checked.

What cannot be fetched comes back as the reason why, in German.
"""

from __future__ import annotations

import re

import httpx

from extractors.catalog.reader import valid_http_url

_HOSTNAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$", re.IGNORECASE)


def invalid_url_reason(url: str) -> str | None:
    """Why this catalogue URL cannot be fetched (German), or None when it can be tried.

    Agrees with `extractors.catalog.reader.valid_http_url` (the catalogue's own check)
    and adds the reason; surrounding whitespace is forgiven here.
    """
    parsed = parse_fetchable(url)
    return parsed if isinstance(parsed, str) else None


def parse_fetchable(url: str) -> httpx.URL | str:
    """The URL parsed for fetching, or why it cannot be fetched (German).

    Parsed once per URL and handed on: parsing is a noticeable share of the CPU a
    check costs (httpx parses in Python).
    """
    text = url.strip()
    if not text:
        return "leere URL"
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        return f"ungültige URL ({exc})"
    if not parsed.scheme:
        return "keine absolute URL (Schema fehlt)"
    if parsed.scheme not in ("http", "https"):
        return f"nicht unterstütztes Schema {parsed.scheme!r}"
    reason = invalid_host_reason(parsed)
    if reason is None and not valid_http_url(text):
        reason = "ungültige URL"
    return reason if reason is not None else parsed


def invalid_host_reason(parsed: httpx.URL) -> str | None:
    host = parsed.raw_host.decode("ascii", "replace")
    if not host:
        return "Hostname fehlt"
    if ":" in host:  # IPv6 literal; httpx already validated it
        return None
    if len(host) > 253 or not _HOSTNAME.match(host):
        return f"ungültiger Hostname {parsed.host!r}"
    return None
