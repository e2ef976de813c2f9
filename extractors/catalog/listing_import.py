"""Turning a published listing (plain text or HTML) into catalogue rows.

A listing is an intro followed by entries; each entry is a "Provider: Title" headline, a
short description and one or more links. The plain-text form (copied from the page) only
keeps the link labels, so its rows have an empty `url` ("target unknown"); the HTML form
keeps the targets. `extractors.catalog.writer.catalog_csv` writes the rows as a catalogue.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from extractors.records import CatalogEntry

# A headline is short; intro and description paragraphs are not.
MAX_HEADING_CHARS = 160
MAX_PROVIDER_CHARS = 80
MAX_SLUG_CHARS = 60

_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)
# Generic words of a city's name that only lengthen a slug ("Stadt Mannheim" → "mannheim").
_SLUG_DROPPED_PREFIXES = re.compile(
    r"^(?:freie\s+und\s+hansestadt|freie\s+hansestadt|landeshauptstadt|hansestadt|stadt)\s+",
    re.IGNORECASE,
)
_SLUG_LEGAL_FORM = re.compile(r"\be\.\s?V\.?(?=\s|$)", re.IGNORECASE)
_SLUG_DANGLING_WORDS = frozenset(
    {"der", "die", "das", "den", "des", "dem", "und", "oder", "fuer", "von", "vom", "zur"}
    | {"zum", "im", "in", "mit", "an", "am", "auf", "bei", "durch", "zu"}
)
_GERMAN_STATES = (
    "Baden-Württemberg",
    "Bayern",
    "Brandenburg",
    "Hessen",
    "Mecklenburg-Vorpommern",
    "Niedersachsen",
    "Nordrhein-Westfalen",
    "Rheinland-Pfalz",
    "Saarland",
    "Sachsen",
    "Sachsen-Anhalt",
    "Schleswig-Holstein",
    "Thüringen",
)
_STATE_NAME = re.compile(
    "(?:" + "|".join(re.escape(state.lower()) for state in _GERMAN_STATES) + r")(?![\w-])"
)
# Zero-width characters that CMS copy-and-paste leaves in "blank" lines.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_SKIPPED_SCHEMES = ("mailto:", "javascript:", "tel:", "data:", "about:", "file:")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp", ".dot")
_TEXT_SUFFIXES = (".txt", ".text", ".md")
# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "@")


# ---------------------------------------------------------------------------------------
# Shared helpers: whitespace, headlines, slugs, provider types


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space; drop zero-width chars."""
    return " ".join(text.translate(_INVISIBLE).split())


def split_heading(line: str) -> tuple[str, str] | None:
    """("Provider", "Title") when `line` has the shape of an entry headline, else None.

    The split is at the first colon followed by whitespace ("Stadt Sendenhorst:  Wohnraum…"
    and "Stadt Dresden/Stadt Witten: Per App…" both work). A headline is short, its provider
    part is short, and it does not end like a sentence: a final period only counts as an
    abbreviation ("Projekt W.I.R.", "e. V."), while "?" and "!" may end a title ("Ehrenamt -
    wer macht mit?"). Whether a candidate really starts an entry also depends on what
    follows it; see `parse_listing_text`.
    """
    text = normalize_space(line)
    if not text or len(text) > MAX_HEADING_CHARS:
        return None
    match = re.match(r"^(?P<provider>[^:]+?):\s+(?P<title>\S.*)$", text)
    if match is None:
        return None
    provider, title = match["provider"].strip(), match["title"].strip()
    if not provider or len(provider) > MAX_PROVIDER_CHARS or "://" in text:
        return None
    if title.endswith(".") and not _ends_with_abbreviation(title):
        return None
    return provider, title


def _ends_with_abbreviation(text: str) -> bool:
    last_word = text.split()[-1]
    # "W.I.R." or "e.V." (inner period) or "V." (one letter): not the end of a sentence.
    return "." in last_word[:-1] or len(last_word) == 2


def slugify(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """ASCII, lower-case, words joined by '-', German umlauts transliterated (ä → ae, ß → ss)."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_chars:
        # Cut at a word boundary, and drop a small word left dangling ("…-foerderung-fuer").
        words = slug[: max_chars + 1].split("-")[:-1] or [slug[:max_chars]]
        while len(words) > 1 and words[-1] in _SLUG_DANGLING_WORDS:
            words.pop()
        slug = "-".join(words).strip("-")
    return slug or "entry"


def entry_slug(provider: str, title: str) -> str:
    """A readable stable id from provider and title ("Stadt Mannheim", "Bürgerbrief" →
    "mannheim-buergerbrief"); generic city words and "e. V." are dropped to keep it short."""
    provider_part = _SLUG_DROPPED_PREFIXES.sub("", normalize_space(provider))
    provider_part = _SLUG_LEGAL_FORM.sub(" ", provider_part)
    return slugify(f"{provider_part} {title}")


def guess_provider_type(provider: str) -> str:
    """Stadt / Kreis / Land / Bund / Verband from the provider's name, "" when unsure."""
    name = normalize_space(provider)
    lowered = name.lower()
    if (
        re.search(r"\be\.\s?v\.?(?:\s|$|\))", lowered)
        or lowered.startswith(("deutscher ", "deutsche ", "deutsches "))
        or "verband" in lowered
    ):
        return "Verband"
    if re.match(r"(?:landeshauptstadt|hansestadt|stadt|freie\s+und\s+hansestadt)\b", lowered):
        return "Stadt"
    if re.match(r"(?:kreis|landkreis|rhein-kreis)\b", lowered) or lowered.endswith("-kreis"):
        return "Kreis"
    if re.match(r"(?:land|freistaat)\s", lowered) or _STATE_NAME.match(lowered):
        return "Land"
    if lowered.startswith("bundes") or re.match(r"bm[a-z]*\b", lowered):
        return "Bund"
    return ""


def _unique_ids(slugs: list[str]) -> list[str]:
    """Make repeated slugs unique with -2, -3 … in order of appearance."""
    used: set[str] = set()
    unique: list[str] = []
    for slug in slugs:
        candidate, number = slug, 1
        while candidate in used:
            number += 1
            candidate = f"{slug}-{number}"
        used.add(candidate)
        unique.append(candidate)
    return unique


@dataclass(frozen=True, slots=True)
class _ListedEntry:
    """One entry of a listing before it becomes rows: one row per link."""

    line: int
    provider: str
    title: str
    description: str
    links: tuple[tuple[int, str, str], ...]  # (source line, label, url)


def _entry_rows(listed: list[_ListedEntry]) -> list[CatalogEntry]:
    ids = _unique_ids([entry_slug(item.provider, item.title) for item in listed])
    rows: list[CatalogEntry] = []
    for entry_id, item in zip(ids, listed, strict=True):
        provider_type = guess_provider_type(item.provider)
        links = item.links or ((item.line, "", ""),)
        rows.extend(
            CatalogEntry(
                line=line,
                entry_id=entry_id,
                provider=item.provider,
                title=item.title,
                description=item.description,
                link_label=label,
                url=url,
                provider_type=provider_type,
            )
            for line, label, url in links
        )
    return rows


# ---------------------------------------------------------------------------------------
# Plain text


@dataclass(frozen=True, slots=True)
class _Block:
    """Consecutive non-blank lines, with the line number of the first."""

    line: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return normalize_space(" ".join(self.lines))


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    # Universal newlines only (\n, \r\n, \r), so numbers match what an editor shows.
    for number, raw_line in enumerate(io.StringIO(text, newline=None), start=1):
        line = normalize_space(raw_line)
        if not line:  # whitespace, NBSP and zero-width characters only: a blank line
            if current:
                blocks.append(_Block(start, tuple(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append(_Block(start, tuple(current)))
    return [part for block in blocks for part in _split_glued_heading(block)]


def _split_glued_heading(block: _Block) -> list[_Block]:
    """A headline written directly above its description, without a blank line between,
    becomes two blocks (headline, description) so the rules below see the usual shape."""
    if len(block.lines) > 1 and split_heading(block.lines[0]) is not None:
        rest = _Block(block.line + 1, block.lines[1:])
        if _is_prose(rest):
            return [_Block(block.line, block.lines[:1]), rest]
    return [block]


def _is_prose(block: _Block) -> bool:
    """A description paragraph, as opposed to a list of link labels.

    Link labels are short and do not end like sentences; a description has a long line or
    is a sentence of several words.
    """
    text = block.text
    if any(len(line) >= 100 for line in block.lines):
        return True
    return bool(re.search(r"[.!?…][\"“”'’]?$", text)) and len(text.split()) >= 6


def _is_heading(blocks: list[_Block], index: int) -> bool:
    """Does block `index` start an entry?

    The rule that keeps the intro out: a headline is a one-line block with the shape of
    `split_heading` ("Provider: Title", short, no sentence end) AND it is followed by a
    description paragraph (`_is_prose`). Intro paragraphs are long sentences (rejected by
    the shape), and a link label that happens to contain ": " ("Ergänzung: Downloadlink
    auch für Apple-Geräte") is followed by the next headline or nothing, not by prose.
    """
    block = blocks[index]
    if len(block.lines) != 1 or split_heading(block.lines[0]) is None:
        return False
    return index + 1 < len(blocks) and _is_prose(blocks[index + 1])


def _listed_text_entries(text: str) -> tuple[list[_Block], list[_ListedEntry]]:
    blocks = _blocks(text)
    starts = [index for index in range(len(blocks)) if _is_heading(blocks, index)]
    intro = blocks[: starts[0]] if starts else blocks
    listed: list[_ListedEntry] = []
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(blocks)
        heading = split_heading(blocks[start].lines[0])
        assert heading is not None  # guaranteed by _is_heading
        body = blocks[start + 1 : end]
        # The first block is the description; further prose paragraphs extend it, any
        # other block is a list of link labels, one per line.
        description_parts = [body[0].text]
        links: list[tuple[int, str, str]] = []
        for block in body[1:]:
            if _is_prose(block) and not links:
                description_parts.append(block.text)
                continue
            links.extend(
                (block.line + offset, label, "") for offset, label in enumerate(block.lines)
            )
        listed.append(
            _ListedEntry(
                line=blocks[start].line,
                provider=heading[0],
                title=heading[1],
                description=" ".join(description_parts),
                links=tuple(links),
            )
        )
    return intro, listed


def parse_listing_text(text: str) -> list[CatalogEntry]:
    """Catalogue rows (url empty) from the plain-text form of a listing.

    Blocks are runs of non-blank lines (lines of only whitespace, NBSP or zero-width
    characters are blank). An entry is a headline block (see `_is_heading`), the next
    block as its description, then link-label blocks (one row per line) up to the next
    headline. Everything before the first headline is intro. `line` is the source line of
    the link label (of the headline when an entry has no links). Ids are slugs of provider
    and title, made unique with -2, -3 ….
    """
    _, listed = _listed_text_entries(text)
    return _entry_rows(listed)


def listing_intro(text: str) -> list[str]:
    """The paragraphs before the first entry of a plain-text listing (title first)."""
    intro, _ = _listed_text_entries(text)
    return [block.text for block in intro]


# ---------------------------------------------------------------------------------------
# HTML

# Elements whose content is page furniture, never part of the listing.
_FURNITURE = frozenset(
    {"nav", "script", "style", "noscript", "template", "form", "aside", "footer", "iframe"}
)
_TEXT_BLOCKS = frozenset({"p", "li", "dd", "dt", "td", "blockquote", "div", "pre", "section"})
_ENTRY_HEADINGS = frozenset({"h2", "h3", "h4"})
_ALL_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(slots=True)
class _OpenEntry:
    line: int
    provider: str
    title: str
    description: list[str]
    links: list[tuple[int, str, str]]


def parse_listing_html(html: str, base_url: str | None = None) -> list[CatalogEntry]:
    """Catalogue rows from the HTML form of a listing.

    Entries start at h2–h4 headings or at paragraphs that are entirely bold, when their text
    has the "Provider: Title" shape; any other heading ends the current entry (so "Kontakt"
    or "Navigation" sections do not collect links). Prose blocks after the headline form
    the description; every `<a href>` up to the next heading is a row (label = anchor text,
    or the image's alt text), its href resolved against `<base href>`, then `base_url`,
    then the canonical URL. mailto:, javascript:, tel: and same-page `#` links are skipped,
    and so are navigation, header, footer, aside, form and script elements. A link repeated
    within an entry (image + text link) is kept once. lxml parses the page the way browsers
    repair it (unclosed <p> and friends); it reports no source lines, so `line` is 0.
    """
    soup = BeautifulSoup(html, "lxml")
    base = _html_base(soup, base_url)
    root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.body or soup
    listed: list[_ListedEntry] = []
    current: _OpenEntry | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            listed.append(_closed(current))
            current = None

    for element in _content_elements(root):
        name = element.name
        heading = _entry_heading(element)
        if heading is not None:
            close()
            provider, title, lead = heading
            current = _OpenEntry(0, provider, title, [], [])
            if lead is not None:
                # "<p><strong>Provider: Title</strong><br>Description…</p>": the rest of the
                # paragraph is the description.
                prose = _prose_text(element, exclude=lead)
                if prose:
                    current.description.append(prose)
            # Links inside the headline (<h3><a href=…>…</a></h3>) are the entry's links.
            continue
        if name in _ALL_HEADINGS:
            close()
            continue
        if current is None:
            continue
        if name == "a":
            link = _anchor_link(element, base)
            if link is not None and all(link[1] != url for _, _, url in current.links):
                current.links.append((0, link[0], link[1]))
        elif name in _TEXT_BLOCKS:
            prose = _prose_text(element)
            if prose:
                current.description.append(prose)
    close()
    return _entry_rows(listed)


def _closed(entry: _OpenEntry) -> _ListedEntry:
    return _ListedEntry(
        line=entry.line,
        provider=entry.provider,
        title=entry.title,
        description=" ".join(entry.description),
        links=tuple(entry.links),
    )


def _html_base(soup: BeautifulSoup, base_url: str | None) -> str | None:
    base_tag = soup.find("base", href=True)
    base_href = str(base_tag["href"]).strip() if isinstance(base_tag, Tag) else ""
    if base_href:
        return urljoin(base_url or "", base_href)
    if base_url:
        return base_url
    canonical = soup.find("link", rel="canonical", href=True)
    if isinstance(canonical, Tag):
        href = str(canonical["href"]).strip()
        if urlsplit(href).scheme in ("http", "https"):
            return href
    return None


def _content_elements(root: Tag | BeautifulSoup) -> Iterator[Tag]:
    """Tags in document order, without page furniture."""
    for element in root.find_all(True):
        if _in_furniture(element, root):
            continue
        yield element


def _in_furniture(element: Tag, root: Tag | BeautifulSoup) -> bool:
    node: Tag | None = element
    while node is not None and node is not root:
        if node.name in _FURNITURE:
            return True
        # A site header (logo, menu) is furniture; an article's own <header> is not.
        if node.name == "header" and node.find_parent(["article", "main"]) is None:
            return True
        node = node.parent
    return False


def _entry_heading(element: Tag) -> tuple[str, str, Tag | None] | None:
    """(provider, title, leading bold tag or None) when `element` starts an entry.

    A bold paragraph counts when all of it is bold, or when it opens with a bold headline
    followed by a line break (the description then follows in the same paragraph).
    """
    if element.name in _ENTRY_HEADINGS:
        split = split_heading(element.get_text(" "))
        return None if split is None else (*split, None)
    if element.name != "p":
        return None
    text = normalize_space(element.get_text(" "))
    bold = normalize_space(" ".join(tag.get_text(" ") for tag in element.find_all(["strong", "b"])))
    if text and text == bold:
        split = split_heading(text)
        return None if split is None else (*split, None)
    children = [
        child
        for child in element.children
        if not (isinstance(child, NavigableString) and not child.strip())
    ]
    if len(children) >= 2 and isinstance(children[0], Tag) and children[0].name in ("strong", "b"):
        follower = children[1]
        if isinstance(follower, Tag) and follower.name == "br":
            split = split_heading(children[0].get_text(" "))
            return None if split is None else (*split, children[0])
    return None


def _own_strings(element: Tag, exclude: Tag | None = None) -> list[tuple[str, bool]]:
    """(text, inside a link) for the text that belongs to this block and not to a block
    nested in it, so that no text is counted twice. Script, style and comments are left out
    (bs4 gives them their own string types), and so is the text inside `exclude`."""
    blocks = list(_TEXT_BLOCKS | _ALL_HEADINGS)
    own: list[tuple[str, bool]] = []
    for node in element.find_all(string=True):
        if type(node) is not NavigableString or node.find_parent(blocks) is not element:
            continue
        if exclude is not None and any(parent is exclude for parent in node.parents):
            continue
        own.append((str(node), node.find_parent("a") is not None))
    return own


def _prose_text(element: Tag, exclude: Tag | None = None) -> str:
    """The block's own text when it reads as a description, else "".

    A block of links only is a link list; a short text around links ("Dokument: <a>…</a>")
    is a label, not a description.
    """
    own = _own_strings(element, exclude)
    text = normalize_space(" ".join(part for part, _ in own))
    without_links = normalize_space(" ".join(part for part, in_link in own if not in_link))
    if not without_links:
        return ""
    if len(without_links) < 40 and not re.search(r"[.!?]$", without_links):
        return ""
    # Joining inline elements with spaces leaves "Köln ." behind; close those gaps.
    return re.sub(r"\s+([.,;:!?])", r"\1", text)


def _anchor_link(anchor: Tag, base: str | None) -> tuple[str, str] | None:
    href = anchor.get("href")
    if not isinstance(href, str):
        return None
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(_SKIPPED_SCHEMES):
        return None
    url = urljoin(base, href) if base else href
    label = normalize_space(anchor.get_text(" "))
    if not label:
        image = anchor.find("img")
        label = normalize_space(str(image.get("alt") or "")) if isinstance(image, Tag) else ""
    if not label:
        label = normalize_space(str(anchor.get("title") or ""))
    return label, url


# ---------------------------------------------------------------------------------------
# Importing


def import_listing(
    data: bytes, filename: str, *, base_url: str | None = None
) -> tuple[list[CatalogEntry], list[str]]:
    """Catalogue rows from a saved listing (HTML or plain text), and warnings for the user.

    The form is chosen by the file extension, else by sniffing for HTML tags. Bytes are
    read as UTF-8 (with or without BOM), else as the charset an HTML page declares, else
    as Windows-1252.
    """
    warnings: list[str] = []
    is_html = _looks_like_html(data, filename)
    text, encoding = _decode_listing(data, is_html)
    if encoding not in ("utf-8", "utf-8-sig"):
        warnings.append(f"{filename}: not UTF-8, read as {encoding}")
    entries = parse_listing_html(text, base_url) if is_html else parse_listing_text(text)
    if not entries:
        warnings.append(f"{filename}: no entries found (expected 'Provider: Title' headlines)")
        return entries, warnings

    entry_count = len({entry.entry_id for entry in entries})
    missing = [entry for entry in entries if not entry.url]
    if not is_html:
        warnings.append(
            f"{filename}: plain text carries no link targets — all {len(entries)} rows of "
            f"{entry_count} entries have an empty url; fill them in or import the HTML page"
        )
    elif missing:
        ids = ", ".join(sorted({entry.entry_id for entry in missing}))
        warnings.append(f"{filename}: entries without any link: {ids}")
    relative = [entry for entry in entries if entry.url and not urlsplit(entry.url).scheme]
    if relative:
        warnings.append(
            f"{filename}: {len(relative)} relative link(s) kept as written (no base URL known)"
        )
    no_description = sorted({entry.entry_id for entry in entries if not entry.description})
    if no_description:
        warnings.append(f"{filename}: entries without a description: {', '.join(no_description)}")
    formulas = sorted(
        {
            entry.entry_id
            for entry in entries
            for value in (entry.provider, entry.title, entry.description, entry.link_label)
            if value.startswith(_FORMULA_STARTS)
        }
    )
    if formulas:
        warnings.append(
            f"{filename}: values starting with =, + or @ (a spreadsheet may run them as "
            f"formulas): {', '.join(formulas)}"
        )
    return entries, warnings


def _looks_like_html(data: bytes, filename: str) -> bool:
    suffix = filename.lower().rsplit("/", 1)[-1]
    if suffix.endswith(_HTML_SUFFIXES):
        return True
    if suffix.endswith(_TEXT_SUFFIXES):
        return False
    head = data[:4096].lower()
    return bool(re.search(rb"<!doctype html|<html|<body|<p[\s>]|<a\s[^>]*href|<h[1-6][\s>]", head))


def _decode_listing(data: bytes, is_html: bool) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if is_html:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", data[:4096], re.I)
        if declared:
            encoding = declared.group(1).decode("ascii").lower()
            try:
                codecs.lookup(encoding)
                return data.decode(encoding, errors="replace"), encoding
            except LookupError:
                pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1"), "latin-1"
