"""Title, summary, language, dates and content hash of one HTML page.

The HTML is parsed once with lxml; the tree feeds the date cascade (`page_dates`), the
head-level facts (title, description, language) and trafilatura's main-text extraction.

Summary, language guess and hash rules shared with PDFs live in `text_summary`.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from trafilatura.settings import Extractor

from extractors.dates.page_dates import find_dates_in_tree
from extractors.records import PageFacts
from extractors.text.fingerprint import simhash_text
from extractors.text.html_tree import content_region, html_parser, parse_html, readable_text
from extractors.text.summary import (
    MAX_SUMMARY_CHARS,
    cut_text,
    fold_text,
    guess_language,
    hash_text,
    normalise_space,
    summarise_text,
)

MAX_TITLE_CHARS = 300

# trafilatura logs a warning or error for every page it cannot use; at tens of thousands of
# pages a night that is noise, and its misses are already visible as None.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


# Built once: trafilatura otherwise re-reads its configuration for every call.
# favor_precision: boilerplate in a summary is worse than a shorter text. Comments and
# tables are not the page's prose. Measured on trafilatura's gold set (990 pages, one core):
# the full cascade (with its readability/jusText comparison) F1 0.913 at 13.5 ms a page, fast
# mode F1 0.906 at 8.0 ms but with more empty results. Fast first (on the content region
# alone, see _region_document), and the full cascade on the whole page only when fast mode
# finds little (≤ MIN_FAST_TEXT_CHARS): F1 0.911 at 9.2 ms (0.913 at 9.9 ms with a
# 1,000-character threshold; the 60 pages/s budget decided).
def _trafilatura_options(*, fast: bool) -> Extractor:
    return Extractor(
        output_format="txt",
        fast=fast,
        precision=True,
        comments=False,
        tables=False,
        links=False,
        images=False,
        dedup=False,
    )


_TRAFILATURA_FULL = _trafilatura_options(fast=False)
_TRAFILATURA_FAST = _trafilatura_options(fast=True)
MIN_FAST_TEXT_CHARS = 500


def extract_html_facts(
    html: str, *, url: str, last_modified: str | None, run_date: dt.date
) -> PageFacts:
    """Everything the page says about itself; missing facts are None."""
    root = parse_html(html)
    # Found once: the date cascade and the main-text extraction both start from it.
    region = content_region(root) if root is not None else None
    dates = find_dates_in_tree(
        root, url=url, last_modified=last_modified, run_date=run_date, region=region
    )
    if root is None:
        return PageFacts(published=dates.published, modified=dates.modified)

    metas = meta_contents(root)
    title = page_title(root, url, metas)
    main_text = main_text_of(root, url, region=region)
    return PageFacts(
        title=title,
        summary=_meta_description(metas, title) or summarise_text(main_text, title=title),
        language=page_language(root, metas) or guess_language(main_text),
        published=dates.published,
        modified=dates.modified,
        content_hash=hash_text(main_text),
        text_fingerprint=simhash_text(main_text),
        metadata_date=dates.metadata_date,
    )


def main_text_of(
    root: lxml.html.HtmlElement,
    url: str,
    *,
    region: tuple[lxml.html.HtmlElement, bool] | None = None,
) -> str:
    """The page's main text (trafilatura), or our own chrome-free text when it finds none.
    `region`: `content_region(root)` when the caller has it already."""
    region = region or content_region(root)
    # trafilatura copies a tree it is given, so ours stays untouched.
    text = _trafilatura_text(_region_document(root, region), url, _TRAFILATURA_FAST)
    if len(text) <= MIN_FAST_TEXT_CHARS:
        text = _trafilatura_text(root, url, _TRAFILATURA_FULL) or text
    if not text:
        text = readable_text(root, region)
    return text.strip()


def _region_document(
    root: lxml.html.HtmlElement, found: tuple[lxml.html.HtmlElement, bool]
) -> lxml.html.HtmlElement:
    """A document of just the explicit content region (<main>, the one <article>, #content),
    else the page. trafilatura's cost grows with the tree; on its gold set this gave the same
    F1 (0.913 vs 0.914) at three quarters of the time."""
    region, explicit = found
    if not explicit:
        return root
    # Our parser: its element lookup runs in C (see html_tree.html_parser).
    document = lxml.html.document_fromstring(b"<html><body></body></html>", parser=html_parser())
    copied = copy.deepcopy(region)
    copied.tail = None
    document.find("body").append(copied)
    return document


def _trafilatura_text(root: lxml.html.HtmlElement, url: str, options: Extractor) -> str:
    try:
        text = trafilatura.extract(root, url=url or None, options=options)
    except Exception:  # a third-party extractor must not cost us the page
        return ""
    return (text or "").strip()


# ---------------------------------------------------------------------------------------------
# Title

_TITLE_SEPARATORS = re.compile(r"\s+(?:-|–|—|\||::|·|»)\s+")
# Site names of public bodies: "Stadt Monheim am Rhein", "Kreis Unna", "Landeshauptstadt …".
_PROVIDER_PREFIX = re.compile(
    r"^(?:(?:freie\s+und\s+)?(?:hanse|landeshaupt|bundes|kreis|universitäts|große\s+kreis)?"
    r"stadt|gemeinde|markt|samtgemeinde|verbandsgemeinde|ortsgemeinde|amt|kreis|landkreis"
    r"|rhein-\S+-kreis|bezirk|bezirksamt|landratsamt|rathaus|region|städteregion"
    r"|bundesministerium|ministerium|landesamt|bundesamt|senatsverwaltung|land|freistaat"
    r"|kgst|www\.)\b",
    re.IGNORECASE,
)
_GENERIC_TITLES = frozenset(
    {
        "startseite",
        "home",
        "homepage",
        "willkommen",
        "herzlich willkommen",
        "index",
        "untitled",
        "ohne titel",
        "unbenannt",
        "untitled document",
        "seite",
        "page",
    }
)
_HOST_NOISE = frozenset({"www", "de", "com", "org", "net", "eu", "info", "html", "stadt"})


def page_title(
    root: lxml.html.HtmlElement, url: str, metas: dict[str, str] | None = None
) -> str | None:
    """og:title or <title> without the site name, else the first <h1>."""
    metas = meta_contents(root) if metas is None else metas
    site_names = _site_names(metas, url)
    for candidate in (metas.get("og:title"), root.findtext(".//title")):
        title = _clean_title(candidate, site_names)
        if title and title.lower() not in _GENERIC_TITLES and not _is_site_name(title, site_names):
            return title
    for heading in root.iter("h1"):
        title = normalise_space(heading.text_content())
        if title:
            return title[:MAX_TITLE_CHARS]
    return None


def _clean_title(raw: str | None, site_names: tuple[str, ...]) -> str | None:
    title = normalise_space(raw or "")
    if not title:
        return None
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        title = _strip_site_parts(parts, _TITLE_SEPARATORS.findall(title), site_names)
    return title[:MAX_TITLE_CHARS].strip() or None


def _strip_site_parts(parts: list[str], separators: list[str], site_names: tuple[str, ...]) -> str:
    """Drop site-name parts from either end; without a recognisable site name keep the
    longest part (the specific one: site names are short and repeated on every page)."""
    parts, separators = list(parts), list(separators)
    stripped = False
    while len(parts) > 1:
        if _is_site_name(parts[-1], site_names):
            parts.pop()
            separators.pop()
        elif _is_site_name(parts[0], site_names):
            parts.pop(0)
            separators.pop(0)
        else:
            break
        stripped = True
    if len(parts) == 1:
        return parts[0]
    if stripped:
        return "".join(
            p + (separators[i] if i < len(separators) else "") for i, p in enumerate(parts)
        )
    return max(parts, key=len)


def _is_site_name(part: str, site_names: tuple[str, ...]) -> bool:
    folded = fold_text(part)
    if not folded:
        return True
    if any(folded == name or (len(name) >= 4 and folded in name) for name in site_names):
        return True
    words = part.split()
    return len(words) <= 6 and bool(_PROVIDER_PREFIX.match(part))


def _site_names(metas: dict[str, str], url: str) -> tuple[str, ...]:
    """Folded forms of what the site calls itself: og:site_name, application-name, host."""
    names = [
        fold_text(value)
        for value in (
            metas.get("og:site_name"),
            metas.get("application-name"),
        )
        if value
    ]
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    labels = [label for label in host.split(".") if label and label not in _HOST_NOISE]
    if labels:
        names.append(fold_text(labels[-1] if len(labels) == 1 else ".".join(labels)))
        names.extend(fold_text(label) for label in labels if len(label) >= 4)
    return tuple(name for name in names if name)


# ---------------------------------------------------------------------------------------------
# Description, language

# Site-wide boilerplate descriptions say nothing about the page.
_GENERIC_DESCRIPTION = re.compile(
    r"willkommen|offizielle[nr]?\s+(?:internet|web)|internetauftritt|internetportal|homepage"
    r"|startseite|official\s+website|welcome\s+to|beschreibung|description|lorem ipsum",
    re.IGNORECASE,
)
_MIN_DESCRIPTION_CHARS = 40


def _meta_description(metas: dict[str, str], title: str | None) -> str | None:
    for key in ("description", "og:description", "twitter:description", "dc.description"):
        text = normalise_space(metas.get(key) or "")
        if len(text) < _MIN_DESCRIPTION_CHARS or len(text.split()) < 5:
            continue
        if title and fold_text(text) == fold_text(title):
            continue
        if len(text) < 200 and _GENERIC_DESCRIPTION.search(text):
            continue
        return cut_text(text, MAX_SUMMARY_CHARS)
    return None


_LANGUAGE_TAG = re.compile(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*\s*$")


def page_language(root: lxml.html.HtmlElement, metas: dict[str, str] | None = None) -> str | None:
    """Declared language: <html lang>, then meta content-language / language / og:locale."""
    metas = meta_contents(root) if metas is None else metas
    candidates = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        root.get("xml:lang"),
    ]
    body = root.find("body")
    if body is not None:
        candidates.append(body.get("lang"))
    candidates += [
        metas.get("content-language"),
        metas.get("language"),
        metas.get("dc.language"),
        metas.get("og:locale"),
    ]
    for candidate in candidates:
        if not candidate:
            continue
        match = _LANGUAGE_TAG.match(candidate.split(",")[0])
        if match:
            return match.group(1).lower()
    return None


def meta_contents(root: lxml.html.HtmlElement) -> dict[str, str]:
    """Lower-cased property/name/http-equiv/itemprop of each <meta> → its content (the first
    non-empty one wins). One pass over the page instead of one per key."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("property", "name", "http-equiv", "itemprop"):
            value = meta.get(attribute)
            if value:
                found.setdefault(value.strip().lower(), content)
    return found
