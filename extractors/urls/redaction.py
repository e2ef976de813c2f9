"""Keep credentials in URLs (`http://user:secret@host/…`) out of everything we store or print.

A catalogue may carry a URL with userinfo for an intranet page. We still fetch it as
given (httpx sends the userinfo as Basic auth), but every URL we record — final URL,
redirect hops, error details, log lines, the dataset, the report — shows the userinfo
as `***`: `http://***@host/…`. Replacing (not dropping) it keeps visible that the link
needs credentials, and makes two spellings of one link differ only in what matters.
The user name is masked too: it can be a token on its own.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://userinfo@ — userinfo is everything up to the last "@" before the path.
_AUTHORITY = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<authority>[^/?#\s]*)")


def redact_userinfo(url: str) -> str:
    """The URL with any `user:password@` replaced by `***@`; other URLs unchanged."""
    match = _AUTHORITY.match(url)
    if match is None or "@" not in match["authority"]:
        return url
    host = match["authority"].rsplit("@", 1)[1]
    return f"{match['scheme']}{MASK}@{host}{url[match.end() :]}"


def redact_userinfo_in_text(text: str) -> str:
    """Mask the userinfo of every URL inside a free text (error details, log lines)."""
    return re.sub(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]*", _redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    return redact_userinfo(match.group(0))
