"""Find a page's refresh redirect: `<meta http-equiv="refresh">` or a `Refresh` header.

Pure: bytes and headers in, the announced target (as written) and its delay out. The
fetcher decides whether to follow it (only quick refreshes count as redirects, see
`MAX_REDIRECT_DELAY`) and resolves the target against the page URL.

A refresh inside `<noscript>` is ignored: browsers with JavaScript, i.e. nearly all,
never follow it, so it says nothing about where the page really leads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from extractors.text.decoding import decode_html
from extractors.text.html_tree import parse_html

# A refresh that waits longer than this is a page that reloads or hints, not a redirect.
MAX_REDIRECT_DELAY = 10.0
# The refresh lives in <head>; a few dozen KB cover every real page head.
_HEAD_BYTES = 64 * 1024
_REFRESH_CONTENT = re.compile(
    r"""^\s*(?P<delay>\d+(?:\.\d*)?)\s*(?:[;,]\s*(?:url\s*=\s*)?(?P<url>.*))?$""",
    re.IGNORECASE | re.DOTALL,
)
_META_REFRESH = etree.XPath(
    "//meta[translate(@http-equiv, 'REFSH', 'refsh') = 'refresh'][not(ancestor::noscript)]"
)
_BASE_HREF = etree.XPath("//base[@href][1]/@href")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True, slots=True)
class Refresh:
    """A refresh announcement: seconds to wait, the target as written, and any <base href>."""

    delay: float
    target: str
    base: str | None = None

    @property
    def is_redirect(self) -> bool:
        """True when a browser would move on at once (within `MAX_REDIRECT_DELAY`)."""
        return self.delay <= MAX_REDIRECT_DELAY


def parse_refresh(content: str) -> tuple[float, str | None] | None:
    """ "0; url=/neu" → (0.0, "/neu"); "5" → (5.0, None); None when it is not a refresh value.

    Accepts the forms browsers accept: `;` or `,` after the delay, `url=` optional,
    the target in single or double quotes.
    """
    match = _REFRESH_CONTENT.match(content or "")
    if not match:
        return None
    delay = float(match.group("delay"))
    url = (match.group("url") or "").strip()
    if len(url) >= 2 and url[0] == url[-1] and url[0] in "'\"":
        url = url[1:-1].strip()
    elif url[:1] in "'\"":
        url = url[1:].strip()  # an unclosed quote: browsers take the rest
    return delay, (url or None)


def find_refresh(
    body: bytes, content_type: str | None, refresh_header: str | None = None
) -> Refresh | None:
    """The refresh a 2xx answer announces, or None (no target, or not HTML and no header).

    The HTTP `Refresh` header wins over a meta element, as in browsers.
    """
    if refresh_header:
        parsed = parse_refresh(refresh_header)
        if parsed and parsed[1]:
            return Refresh(parsed[0], parsed[1])
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media and media not in _HTML_TYPES:
        return None
    head = body[:_HEAD_BYTES]
    if b"refresh" not in head.lower():
        return None  # cheap exit: most pages have none
    root = parse_html(decode_html(head, content_type))
    if root is None:
        return None
    for element in _META_REFRESH(root):
        parsed = parse_refresh(element.get("content", ""))
        if parsed and parsed[1]:
            bases = _BASE_HREF(root)
            base = str(bases[0]).strip() if bases else None
            return Refresh(parsed[0], parsed[1], base or None)
    return None
