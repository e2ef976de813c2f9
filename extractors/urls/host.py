"""The host of a URL for grouping and politeness, never raising.

Catalogue URLs are hand-typed: `urlsplit("http://[::1/").hostname` raises ValueError, and
a run must not fall over on one bad row. Unparseable URLs share the empty host.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
