"""Title, summary, language, dates and content hash of one HTML page.

The HTML is parsed once with lxml; the tree feeds the date cascade (`page_dates`), the
head-level facts (title, description, language) and trafilatura's main-text extraction.

The text helpers at the bottom (`summarise_text`, `guess_language`, `hash_text`) are also used
for PDFs, so both kinds of document get the same summary and hash rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from trafilatura.settings import Extractor

from extractors.page_dates import find_dates_in_tree, parse_html, readable_text
from extractors.records import PageFacts

MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 300

# trafilatura logs a warning or error for every page it cannot use; at tens of thousands of
# pages a night that is noise, and its misses are already visible as None.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# Built once: trafilatura otherwise re-reads its configuration for every call.
# favor_precision: boilerplate in a summary is worse than a shorter text. Comments and
# tables are not the page's prose. Measured on trafilatura's gold set (990 pages, one core):
# with its readability/jusText fallbacks F1 0.914 at ≈74 pages/s, `fast=True` F1 0.898
# at ≈137 pages/s with 28 instead of 11 empty results; the fallbacks are worth their cost.
_TRAFILATURA_OPTIONS = Extractor(
    output_format="txt",
    fast=False,
    precision=True,
    comments=False,
    tables=False,
    links=False,
    images=False,
    dedup=False,
)


def extract_html_facts(
    html: str, *, url: str, last_modified: str | None, run_date: dt.date
) -> PageFacts:
    """Everything the page says about itself; missing facts are None."""
    root = parse_html(html)
    published, modified = find_dates_in_tree(
        root, url=url, last_modified=last_modified, run_date=run_date
    )
    if root is None:
        return PageFacts(published=published, modified=modified)

    title = page_title(root, url)
    main_text = main_text_of(root, url)
    return PageFacts(
        title=title,
        summary=_meta_description(root, title) or summarise_text(main_text, title=title),
        language=page_language(root) or guess_language(main_text),
        published=published,
        modified=modified,
        content_hash=hash_text(main_text),
    )


def main_text_of(root: lxml.html.HtmlElement, url: str) -> str:
    """The page's main text (trafilatura), or our own chrome-free text when it finds none."""
    text: str | None
    try:
        # trafilatura copies a tree it is given, so ours stays untouched.
        text = trafilatura.extract(root, url=url or None, options=_TRAFILATURA_OPTIONS)
    except Exception:  # a third-party extractor must not cost us the page
        text = None
    if not text or not text.strip():
        text = readable_text(root)
    return text.strip()


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


def page_title(root: lxml.html.HtmlElement, url: str) -> str | None:
    """og:title or <title> without the site name, else the first <h1>."""
    site_names = _site_names(root, url)
    for candidate in (_meta_content(root, "og:title"), root.findtext(".//title")):
        title = _clean_title(candidate, site_names)
        if title and title.lower() not in _GENERIC_TITLES and not _is_site_name(title, site_names):
            return title
    for heading in root.iter("h1"):
        title = _normalise_space(heading.text_content())
        if title:
            return title[:MAX_TITLE_CHARS]
    return None


def _clean_title(raw: str | None, site_names: tuple[str, ...]) -> str | None:
    title = _normalise_space(raw or "")
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
    folded = _fold(part)
    if not folded:
        return True
    if any(folded == name or (len(name) >= 4 and folded in name) for name in site_names):
        return True
    words = part.split()
    return len(words) <= 6 and bool(_PROVIDER_PREFIX.match(part))


def _site_names(root: lxml.html.HtmlElement, url: str) -> tuple[str, ...]:
    """Folded forms of what the site calls itself: og:site_name, application-name, host."""
    names = [
        _fold(value)
        for value in (
            _meta_content(root, "og:site_name"),
            _meta_content(root, "application-name"),
        )
        if value
    ]
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    labels = [label for label in host.split(".") if label and label not in _HOST_NOISE]
    if labels:
        names.append(_fold(labels[-1] if len(labels) == 1 else ".".join(labels)))
        names.extend(_fold(label) for label in labels if len(label) >= 4)
    return tuple(name for name in names if name)


def _fold(text: str) -> str:
    """Lower-case, umlauts spelled out, letters and digits only: "Köln.de" → "koelnde"."""
    text = text.lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[\W_]+", "", text)


# ---------------------------------------------------------------------------------------------
# Description, language

# Site-wide boilerplate descriptions say nothing about the page.
_GENERIC_DESCRIPTION = re.compile(
    r"willkommen|offizielle[nr]?\s+(?:internet|web)|internetauftritt|internetportal|homepage"
    r"|startseite|official\s+website|welcome\s+to|beschreibung|description|lorem ipsum",
    re.IGNORECASE,
)
_MIN_DESCRIPTION_CHARS = 40


def _meta_description(root: lxml.html.HtmlElement, title: str | None) -> str | None:
    for key in ("description", "og:description", "twitter:description", "dc.description"):
        text = _normalise_space(_meta_content(root, key) or "")
        if len(text) < _MIN_DESCRIPTION_CHARS or len(text.split()) < 5:
            continue
        if title and _fold(text) == _fold(title):
            continue
        if len(text) < 200 and _GENERIC_DESCRIPTION.search(text):
            continue
        return cut_text(text, MAX_SUMMARY_CHARS)
    return None


_LANGUAGE_TAG = re.compile(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*\s*$")


def page_language(root: lxml.html.HtmlElement) -> str | None:
    """Declared language: <html lang>, then meta content-language / language / og:locale."""
    candidates = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        root.get("xml:lang"),
    ]
    body = root.find("body")
    if body is not None:
        candidates.append(body.get("lang"))
    candidates += [
        _meta_content(root, "content-language"),
        _meta_content(root, "language"),
        _meta_content(root, "dc.language"),
        _meta_content(root, "og:locale"),
    ]
    for candidate in candidates:
        if not candidate:
            continue
        match = _LANGUAGE_TAG.match(candidate.split(",")[0])
        if match:
            return match.group(1).lower()
    return None


def _meta_content(root: lxml.html.HtmlElement, key: str) -> str | None:
    """content of the first <meta> whose name/property/http-equiv is `key` (case-insensitive)."""
    for meta in root.iter("meta"):
        for attribute in ("property", "name", "http-equiv", "itemprop"):
            value = meta.get(attribute)
            if value and value.strip().lower() == key:
                content = meta.get("content")
                if content and content.strip():
                    return content.strip()
    return None


# ---------------------------------------------------------------------------------------------
# Text helpers shared with PDFs


def _normalise_space(text: str) -> str:
    return " ".join(text.split())


def hash_text(text: str | None) -> str | None:
    """sha256 of the whitespace-normalised text; None when there is no text."""
    normalised = _normalise_space(text or "")
    if not normalised:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


_MIN_LEAD_LINE_CHARS = 40


def summarise_text(text: str | None, *, title: str | None = None) -> str | None:
    """The first sentences of a main text, ≤ MAX_SUMMARY_CHARS.

    Leading headings and labels (the title again, "Inhalt", "Stand: …") are skipped: a summary
    starts at the first line that reads like prose.
    """
    if not text:
        return None
    folded_title = _fold(title or "")
    lines = [_normalise_space(line) for line in text.splitlines()]
    lines = [line for line in lines if line and not (folded_title and _fold(line) == folded_title)]
    start = next(
        (
            index
            for index, line in enumerate(lines)
            if len(line) >= _MIN_LEAD_LINE_CHARS or line.endswith((".", "!", "?"))
        ),
        0,
    )
    summary = cut_text(" ".join(lines[start:]), MAX_SUMMARY_CHARS)
    return summary or None


# A sentence ends at . ! ? … (optionally closing quote/bracket) followed by space and a capital.
_SENTENCE_END = re.compile(r"[.!?…][\"'“”»«’)]*(?=\s+[\"„“»(]?[A-ZÄÖÜ0-9])")
_ABBREVIATIONS = frozenset(
    {
        "z",
        "b",
        "bzw",
        "ca",
        "nr",
        "str",
        "vgl",
        "ggf",
        "usw",
        "inkl",
        "evtl",
        "dr",
        "prof",
        "abs",
        "art",
        "etc",
        "u",
        "a",
        "d",
        "h",
        "s",
        "o",
        "e",
        "v",
        "i",
        "tel",
        "jan",
        "feb",
        "mrz",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "okt",
        "nov",
        "dez",
        "st",
        "hl",
        "mio",
        "mrd",
        "bzgl",
        "gem",
        "lt",
        "max",
        "min",
        "zzgl",
        "mr",
        "mrs",
        "ms",
        "e.v",
        "e.g",
        "i.e",
        "vs",
    }
)


def cut_text(text: str, limit: int) -> str:
    """Whitespace-normalised text cut to ≤ limit chars at a sentence end, else a word end."""
    text = _normalise_space(text)
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    best = None
    for match in _SENTENCE_END.finditer(window):
        end = match.end()
        if end > limit:
            break
        if _is_real_sentence_end(window, match.start()):
            best = end
    if best is not None and best >= limit // 3:
        return window[:best].strip()
    cut = window[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return cut + "…"


def _is_real_sentence_end(text: str, dot: int) -> bool:
    """Not after an abbreviation ("z. B.", "Nr.") or a day number ("am 3. November")."""
    if text[dot] != ".":
        return True
    word = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    word = word.lstrip('("„“»').lower()
    if word.isdigit():
        return len(word) == 4  # "im Jahr 2015." ends a sentence; "3." is an ordinal
    return word not in _ABBREVIATIONS and not re.fullmatch(r"[a-zäöü]\.?", word)


# Frequent function words; a page is called German/English when one side clearly wins.
_GERMAN_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "sie",
        "ein",
        "eine",
        "zu",
        "mit",
        "für",
        "auf",
        "dem",
        "den",
        "des",
        "sich",
        "auch",
        "von",
        "im",
        "werden",
        "wird",
        "sind",
        "bei",
        "oder",
        "als",
        "nach",
        "wie",
        "aus",
        "einer",
        "über",
        "können",
    ]
)
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "of",
        "to",
        "in",
        "for",
        "with",
        "that",
        "this",
        "on",
        "be",
        "by",
        "as",
        "from",
        "or",
        "it",
        "an",
        "can",
        "will",
        "have",
        "has",
        "not",
    ]
)
_WORD = re.compile(r"[a-zäöüß]+")


def guess_language(text: str | None) -> str | None:
    """ "de" or "en" from stop-word counts over the first few thousand characters, else None."""
    if not text:
        return None
    words = _WORD.findall(text[:5000].lower())
    german = sum(word in _GERMAN_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if german >= 5 and german >= 2 * english:
        return "de"
    if english >= 5 and english >= 2 * german:
        return "en"
    return None
