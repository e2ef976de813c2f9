"""Empty pages: a deep HTML link answered 200 with nothing to see.

Pure: a `FetchResult` and its `PageText` in, "Tiefer Link liefert eine leere Seite (…)" or
None out. Empty means: 0 bytes, only whitespace, or an HTML document whose body shows no
text at all (`<html><body></body></html>`, a head and an empty body). No text at all, not
"little": any text can be the content – a one-word answer, a date line, a single link
„Antrag (PDF)“ on a page without a template – and a link checker that calls a working page
dead costs the editors' trust. Short texts that say the page is missing are the error
phrasing's to judge.

Never judged empty, because there is something to see or nothing to judge:
- other statuses than 200 (and its proxy twin 203): 204/205 are empty by definition, 202
  promises content later, 206 is a part;
- the site root (a bare front door may be a splash screen);
- a body cut at the size cap, one over `MAX_EMPTY_BYTES` (a page that heavy holds something
  we do not read, e.g. markup nested deeper than the parser follows), and media other than
  HTML (a PDF, an image, plain text);
- a document without a body: one that ends in its head was cut (in transit, or by a script
  that crashed), a snippet like „<title>…</title>“ is no page; what they would show is unknown;
- a page that announces a refresh (a `Refresh` header or a meta refresh, whatever its delay
  or target): it is a forwarding page, judged by where it leads;
- a page that runs a script or has an app's mount point (`id="root"`, `id="app"` …): it
  may build its content in the browser (an app shell, a script redirect, a map viewer), and
  we do not run scripts (as for the host probe's app shells);
- a page that shows frames, an iframe, an object or an embed, an image or image map, SVG,
  canvas, video or audio: its content is not text.

A body of 0 bytes counts only when the server declared it (`Content-Length: 0`): a record
whose body was dropped after reading (`extractors.page_observation.observe_unanalysed`
classifies such records) must not look like an empty page.
"""

from __future__ import annotations

from lxml import etree

from extractors.health.host_probe import APP_ROOT
from extractors.health.page_text import HTML_TYPES, PageText
from extractors.health.redirect_targets import is_site_root, requested_url
from extractors.records import FetchResult

# An empty page is its head at most: a few KB of meta, links and styles.
MAX_EMPTY_BYTES = 64 * 1024
_PAGE_STATUSES = frozenset({200, 203})
_REFRESH = etree.XPath("//meta[translate(@http-equiv, 'REFSH', 'refsh') = 'refresh']")
# Elements that show content other than text; inside <noscript> or <template> they show none.
_NON_TEXT_CONTENT = etree.XPath(
    "//*[self::frameset or self::frame or self::iframe or self::object or self::embed"
    " or self::img or self::map or self::svg or self::canvas or self::video or self::audio"
    " or self::picture][not(ancestor::noscript or ancestor::template)]"
)
_SCRIPTS = etree.XPath("//script[not(ancestor::noscript or ancestor::template)]")
# Script types that run; any other type (application/ld+json, text/template …) is data.
_SCRIPT_TYPE_WORDS = ("javascript", "ecmascript", "jscript", "livescript", "babel")


def empty_page_reason(result: FetchResult, parts: PageText | None) -> str | None:
    """ "Tiefer Link liefert eine leere Seite (…)" when a deep HTML link shows nothing, or None."""
    if result.status not in _PAGE_STATUSES or result.truncated or result.header("refresh"):
        return None
    if len(result.body) > MAX_EMPTY_BYTES or is_site_root(requested_url(result)):
        return None
    if not result.body:
        media = (result.header("content-type") or "").split(";", 1)[0].strip().lower()
        declared_empty = (result.header("content-length") or "").strip() == "0"
        if media in HTML_TYPES and declared_empty:
            return "Tiefer Link liefert eine leere Seite (0 Bytes)"
        return None
    if parts is None or not parts.is_html or not parts.shows_fewer_chars(1):
        return None
    root = parts.root
    if root is None:
        if parts.html.strip():
            return None  # markup that did not parse: nothing to judge
        return "Tiefer Link liefert eine leere Seite (nur Leerraum)"
    if root.find("body") is None or _REFRESH(root) or _NON_TEXT_CONTENT(root):
        return None
    if APP_ROOT.search(parts.html) or any(_runs(script) for script in _SCRIPTS(root)):
        return None
    return "Tiefer Link liefert eine leere Seite (kein sichtbarer Text)"


def _runs(script: etree._Element) -> bool:
    """Whether a browser runs this <script>: no type, a JavaScript type, or a module."""
    kind = (script.get("type") or "").strip().lower()
    return not kind or kind == "module" or any(word in kind for word in _SCRIPT_TYPE_WORDS)
