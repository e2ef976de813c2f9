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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
#
# A title is split at its separators into segments, and only a site-name segment at either end
# is dropped, never a content segment: "Sprachkurse – Übersicht | Kreis Soest" on kreis-soest.de
# keeps "Sprachkurse – Übersicht". Without a recognised site name the whole title stays. A
# segment is a site name when it is
#   1. what the page calls its site (og:site_name, application-name), or
#   2. the host's name ("Kreis Soest", "Soest", "kreis-soest.de" on kreis-soest.de), also as a
#      provider-style name around it ("Stadt Monheim am Rhein" on monheim.de) or, for a
#      provider-style name, spelt by its words' beginnings ("Kreis Groß-Gerau" on kreisgg.de);
#   3. a segment that ends the titles of two or more pages of one host in a night; that needs
#      the night's titles together (title_site_names, run in the flow on the night's rows).
# A provider-style name alone ("Stadt Ulm") counts only where the host has no name (an IP
# address, "localhost") or beside a generic word ("Startseite – Stadt Ulm" is a home page):
# where the host has a name, a provider that is not the host is content (a twin town, a
# partner, the subject of the page) – "Stadt Ulm" on bielefeld.de stays.

_TITLE_SEPARATORS = re.compile(r"\s+(?:-|–|—|\||::|·|»)\s+")
# Site names of public bodies: "Stadt Monheim am Rhein", "Kreis Unna", "Landeshauptstadt …".
_PROVIDER_PREFIX = re.compile(
    r"^(?:(?:freie\s+und\s+)?(?:hanse|landeshaupt|bundes|kreis|universitäts|große\s+kreis)?"
    r"stadt|gemeinde|markt|samtgemeinde|verbandsgemeinde|ortsgemeinde|amt|kreis|landkreis"
    r"|rhein-\S+-kreis|bezirk|bezirksamt|landratsamt|rathaus|region|städteregion"
    r"|bundesministerium|ministerium|landesamt|bundesamt|senatsverwaltung|land|freistaat"
    r"|(?:stadt|kreis|gemeinde)verwaltung|kgst|www\.)\b",
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
# Host labels that name no site.
_HOST_NOISE = frozenset({"www", "www2", "m", "de", "en", "html", "stadt"})
# Second-level labels under a country code: bbc.co.uk is registered as "bbc".
_SECOND_LEVEL = frozenset({"co", "com", "gov", "ac", "org", "net", "or", "gv", "edu"})
# What may follow a place name in a site name: "Monheim am Rhein", "Mülheim an der Ruhr",
# "Neumarkt i. d. OPf." (not "in": "Monheim in Zahlen" is content).
_PLACE_CONNECTORS = frozenset({"am", "an", "im", "ob", "bei", "vor", "auf", "a", "i"})
# A legal form after the name: "ProNATs e.V." on pronats.de.
_LEGAL_FORMS = frozenset({("e", "v"), ("ev",), ("gmbh",), ("ggmbh",), ("ag",), ("eg",)})
_MAX_SITE_NAME_WORDS = 6


@dataclass(frozen=True, slots=True)
class _SiteNames:
    own: tuple[str, ...]  # folded og:site_name, application-name
    host_forms: frozenset[str]  # folded host, host without "www.", labels ("kreissoest")
    host_words: tuple[tuple[str, ...], ...]  # word runs naming the host: (kreis, soest), (soest,)
    abbreviated: tuple[str, ...]  # folded labels a provider name may abbreviate ("kreisgg")
    tld: str
    nameless_host: bool  # an IP address or a one-label host: it names no site


def page_title(
    root: lxml.html.HtmlElement, url: str, metas: dict[str, str] | None = None
) -> str | None:
    """og:title or <title> without the site name, else the first <h1>."""
    metas = meta_contents(root) if metas is None else metas
    site = _site_names(metas, url)
    for candidate in (metas.get("og:title"), root.findtext(".//title")):
        title = _clean_title(candidate, site)
        if title and not _is_generic(title) and not _is_site_name(title, site):
            return title
    for heading in root.iter("h1"):
        title = normalise_space(heading.text_content())
        if title:
            return title[:MAX_TITLE_CHARS]
    return None


def title_segments(title: str) -> tuple[list[str], list[str]]:
    """A title's segments between its separators, and the separators (one fewer)."""
    return _TITLE_SEPARATORS.split(title), _TITLE_SEPARATORS.findall(title)


def strip_end_segments(
    parts: list[str], separators: list[str], is_site_name: Callable[[str], bool]
) -> str:
    """The title without the site-name segments at either end; the last segment always stays."""
    parts, separators = list(parts), list(separators)
    while len(parts) > 1:
        if is_site_name(parts[-1]):
            parts.pop()
            separators.pop()
        elif is_site_name(parts[0]):
            parts.pop(0)
            separators.pop(0)
        else:
            break
    return "".join(p + (separators[i] if i < len(separators) else "") for i, p in enumerate(parts))


def _clean_title(raw: str | None, site: _SiteNames) -> str | None:
    title = normalise_space(raw or "")
    if not title:
        return None
    parts, separators = title_segments(title)
    if len(parts) > 1:
        if len(parts) == 2 and any(_is_generic(part) for part in parts):
            # A home page ("Startseite – Stadt Beispielhausen"): beside the generic word stands
            # the site's name when it looks like one, a provider-style name included (the
            # generic word is the evidence); otherwise ("Home | Information for Refugees") it
            # is the page's title.
            rest = parts[1] if _is_generic(parts[0]) else parts[0]
            provider = _PROVIDER_PREFIX.match(rest) and len(rest.split()) <= 6
            return None if provider or _is_site_name(rest, site) else rest[:MAX_TITLE_CHARS]
        title = strip_end_segments(
            parts, separators, lambda part: _is_generic(part) or _is_site_name(part, site)
        )
    return title[:MAX_TITLE_CHARS].strip() or None


def _is_generic(title: str) -> bool:
    return title.lower() in _GENERIC_TITLES


def _is_site_name(part: str, site: _SiteNames) -> bool:
    folded = fold_text(part)
    if not folded:
        return True
    if any(folded == name or (len(name) >= 4 and folded in name) for name in site.own):
        return True
    if folded in site.host_forms:
        return True
    words = _folded_words(part)
    if len(words) > _MAX_SITE_NAME_WORDS:
        return False
    provider = _PROVIDER_PREFIX.match(part)
    if provider and site.nameless_host:  # no host name to contradict it
        return True
    rest = _folded_words(part[provider.end() :]) if provider else words
    for run in site.host_words:
        if tuple(rest[: len(run)]) == run and _is_place_suffix(rest[len(run) :], site.tld):
            return True
    return bool(provider) and any(_abbreviates(label, words) for label in site.abbreviated)


def _is_place_suffix(words: list[str], tld: str) -> bool:
    """Nothing, the top-level domain ("monheim.de"), "am Rhein" or "e.V." after a name."""
    if not words or words == [tld] or tuple(words) in _LEGAL_FORMS:
        return True
    return words[0] in _PLACE_CONNECTORS and len(words) <= 3


def _abbreviates(label: str, words: Sequence[str]) -> bool:
    """`label` is spelt by the beginnings of all `words`, in order: "kreisgg" ← Kreis Groß-Gerau."""
    if not words:
        return not label
    word = words[0]
    return any(
        label[:length] == word[:length] and _abbreviates(label[length:], words[1:])
        for length in range(1, min(len(word), len(label)) + 1)
    )


def _folded_words(text: str) -> list[str]:
    return [word for word in (fold_text(w) for w in re.split(r"[\W_]+", text)) if word]


def _site_names(metas: dict[str, str], url: str) -> _SiteNames:
    """What the site calls itself (og:site_name, application-name) and what its host says."""
    declared = (metas.get("og:site_name"), metas.get("application-name"))
    own = tuple(name for name in (fold_text(value or "") for value in declared) if name)
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    all_labels = [label for label in host.split(".") if label]
    nameless = len(all_labels) < 2 or ":" in host or all(label.isdigit() for label in all_labels)
    if nameless:
        return _SiteNames(own, frozenset(), (), (), "", nameless_host=True)
    tld = all_labels[-1]
    labels = all_labels[:-1]
    if len(labels) > 1 and len(tld) == 2 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    registered = labels[-1] if labels else ""
    # The registered name always; a subdomain's label when it is a word ("kommunalwiki.boell").
    named = [label for label in labels[:-1] if len(label) >= 4 and label not in _HOST_NOISE]
    named += [registered] if registered and registered not in _HOST_NOISE else []
    forms = {fold_text(host), fold_text(host.removeprefix("www.")), fold_text(".".join(named))}
    forms.update(fold_text(label) for label in named)
    runs: list[tuple[str, ...]] = []
    for label in named:
        spaced = label.replace("-", " ")
        runs.append(tuple(_folded_words(spaced)))
        provider = _PROVIDER_PREFIX.match(spaced)  # kreis-soest → also "Soest" alone
        if provider and _folded_words(spaced[provider.end() :]):
            runs.append(tuple(_folded_words(spaced[provider.end() :])))
    abbreviated = tuple(fold_text(label) for label in named if len(fold_text(label)) >= 4)
    return _SiteNames(
        own,
        frozenset(form for form in forms if form),
        tuple(run for run in runs if run),
        abbreviated,
        tld,
        nameless_host=False,
    )


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
