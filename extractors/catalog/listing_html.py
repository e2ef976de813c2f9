"""The HTML form of a listing (the saved page) into catalogue rows.

Entries start at "Provider: Title" headings (h2–h4, or an all-bold paragraph); prose after the
headline is the description and every anchor up to the next heading is a row with its target
resolved against the page's base URL. Page furniture (navigation, site header, footer, forms,
scripts) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from extractors.catalog.listing_entries import (
    ListedEntry,
    entry_rows,
    normalize_space,
    split_heading,
)
from extractors.records import CatalogEntry

# Link targets that are no page to check.
_SKIPPED_SCHEMES = ("mailto:", "javascript:", "tel:", "data:", "about:", "file:")

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
    listed: list[ListedEntry] = []
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
    return entry_rows(listed)


def _closed(entry: _OpenEntry) -> ListedEntry:
    return ListedEntry(
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
