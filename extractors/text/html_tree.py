"""Which part of an HTML page is the page's own content?

One parse per page (`parse_html`), then the same answer for date finding, summaries and
soft-404 checks: the content region (`content_region`), walked without chrome — navigation,
page header/footer, sidebars, cookie/consent banners, teaser and event lists (`walk_content`,
`readable_text`) — and the text a reader can see at all (`visible_text`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import lxml.html
from lxml import etree

# Control characters (other than tab, LF, CR) become spaces: libxml2 stops at some of them.
# Replaced in the UTF-8 bytes (one C pass; bytes < 0x80 there are always the ASCII
# characters themselves), not with a regex over the text (twice the cost).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CONTROL_TO_SPACE = bytes.maketrans(_CONTROL_BYTES, b" " * len(_CONTROL_BYTES))


# Every element lxml hands to Python is an HtmlElement, picked in C. lxml.html's own lookup is
# a Python method run for each element proxy created (millions a night: 15 % of the
# extraction's CPU time, mostly inside trafilatura's walks over its copy of our tree); it
# differs only in giving <form>, <input>, <select>, <textarea> and <label> subclasses with
# form-filling helpers, which nothing here uses.
_ELEMENT_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)


def html_parser() -> etree.HTMLParser:
    """A fresh parser (lxml parsers must not be shared between threads) for our trees."""
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    parser.set_element_class_lookup(_ELEMENT_CLASSES)
    return parser


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """Parse once, forgivingly; None for empty or hopeless input."""
    if not html or not html.strip():
        return None
    data = html.encode("utf-8", errors="replace").translate(_CONTROL_TO_SPACE)
    parser = html_parser()
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, TypeError):
        return None
    return root if isinstance(root, lxml.html.HtmlElement) else None


def content_region(root: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement, bool]:
    """The element holding the page's own content, and whether it is an explicit one.

    <main>, role=main, a single <article>, or a conventional id ("content", "inhalt" …);
    otherwise <body>, where page header/footer then count as chrome.
    """
    for element in _MAIN_XPATH(root):
        if _usable_region(element):
            return element, True
    articles = [a for a in _ARTICLE_XPATH(root) if not has_noise_ancestor(a)]
    if len(articles) == 1 and _usable_region(articles[0]):
        return articles[0], True
    for element in _CONTENT_ID_XPATH(root, ids=_CONTENT_IDS_ARGUMENT):
        if _usable_region(element):
            return element, True
    body = root.find("body")
    return (body if body is not None else root), False


# A region must be a container with some text: skip links (<a id="inhalt">) and empty
# <main> placeholders filled by JavaScript are not the content.
_REGION_TAGS = frozenset({"main", "article", "div", "section", "td", "body"})
_MIN_REGION_CHARS = 80
_REGION_TEST_CHARS = 1024


def _usable_region(element: lxml.html.HtmlElement) -> bool:
    if element.tag not in _REGION_TAGS or has_noise_ancestor(element):
        return False
    text = element.text_content()
    # Whitespace-normalising a prefix gives a prefix of the normalised whole: a region with
    # enough text is told from its first few KiB, not from all of it.
    head = text[:_REGION_TEST_CHARS]
    if len(" ".join(head.split())) >= _MIN_REGION_CHARS:
        return True
    return len(head) < len(text) and len(" ".join(text.split())) >= _MIN_REGION_CHARS


def readable_text(
    root: lxml.html.HtmlElement, region: tuple[lxml.html.HtmlElement, bool] | None = None
) -> str:
    """The visible text of the content region without chrome, one line per block.
    `region`: `content_region(root)` when the caller has it already."""
    region, explicit = region or content_region(root)
    parts: list[str] = []
    for _ in walk_content(region, explicit, parts):
        pass
    return join_blocks(parts)


# ---------------------------------------------------------------------------------------------
# Noise: where a date (or text) must never be taken from

_NOISE_TAGS = frozenset(
    {
        "nav",
        "aside",
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "form",
        "button",
        "select",
        "option",
        "textarea",
        "iframe",
        "object",
        "embed",
        "canvas",
        "dialog",
        "head",
        "title",
        "meta",
        "link",
    }
)
_CHROME_TAGS = frozenset({"header", "footer"})
# Roles that always mark something else, and landmark roles of page chrome.
_NOISE_ROLES = frozenset({"search", "dialog", "alertdialog", "menu", "menubar", "toolbar"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary"})
# Matched against id+class with "-" and "_" removed ("news-list" → "newslist").
# Hard: never the page's own content, whatever its size.
_HARD_NOISE_NAMES = re.compile(
    r"cookie|consent|gdpr|dsgvo|teaser|related|newslist|newsticker|breadcrumb|comment|termin"
    r"|event|veranstaltung|kalender|calendar|copyright|advert|werbung|popup|skiplink"
    r"|servicebox|kontaktbox|timetable|schedule|agenda|fahrplan"
)
# Soft: boxes beside the content, but the same words also name layout wrappers
# ("layout-right-sidebar", "mainmenu-wrapper"); a box holding most of the text is a wrapper.
_SOFT_NOISE_NAMES = re.compile(
    r"banner|sidebar|navigation|navbar|\bnav|nav\b|menu|social|sharing|share\b|marginal"
    r"|randspalte|modal|overlay|pagination|pager|toolbar|carousel|slider|ticker"
)
# Page header/footer by name: chrome only outside the content region.
_CHROME_NAMES = re.compile(r"header|footer|kopf|fuss|fuß|masthead|topbar|bottombar")
# CMS class tokens that describe the page, not the box: WordPress "category-events",
# "tag-social-media", body-ish "has-sidebar", "layout-2col-right-sidebar" …
_DESCRIPTIVE_TOKEN = re.compile(
    r"^(?:category|tag|post|type|format|status|has|no|with|without|layout|is|term|single"
    r"|template|page-template|pageid|postid|section|node|path|lang)[-_]"
)
# Share of the region's text above which a "box" is really a wrapper around the content.
_WRAPPER_SHARE = 0.7
_EVENT_HEADING = re.compile(
    r"^\s*(?:aktuelle\s+|nächste\s+|kommende\s+|weitere\s+)?(?:termine|veranstaltungen"
    r"|veranstaltungskalender|veranstaltungshinweise|events|upcoming events|aktuelles"
    r"|neuigkeiten|news|pressemitteilungen|meldungen|das könnte sie auch interessieren"
    r"|siehe auch|mehr zum thema|weitere informationen|related)\b",
    re.IGNORECASE,
)
# Not h1: "Aktuelles" as a page's own h1 is a section name, not a box of other items.
_BOX_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Containers that may be a box of other things' dates when headed "Termine", "Aktuelles" …
_BOX_TAGS = frozenset({"section", "div", "ul", "aside"})
_CONTENT_TAGS = frozenset({"main", "article"})
_MAIN_XPATH = etree.XPath("//main | //*[@role='main']")
_ARTICLE_XPATH = etree.XPath("//article[not(ancestor::article)]")
_CONTENT_IDS = (
    "main",
    "content",
    "maincontent",
    "main-content",
    "main_content",
    "content-main",
    "contentmain",
    "inhalt",
    "hauptinhalt",
    "page-content",
    "pagecontent",
    "primary",
    "content-area",
    "contentarea",
    "mainbody",
)
# Elements whose id (trimmed, lower-cased) is one of _CONTENT_IDS, in document order; the test
# runs inside libxml2 (a Python loop over every element with an id costs a millisecond).
_CONTENT_ID_XPATH = etree.XPath(
    "//*[@id][contains($ids, concat('|', translate(normalize-space(@id),"
    " 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '|'))]"
)
_CONTENT_IDS_ARGUMENT = "|" + "|".join(_CONTENT_IDS) + "|"
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "td",
        "th",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "address",
        "figure",
        "figcaption",
        "hr",
        "body",
    }
)


def class_names(element: lxml.html.HtmlElement) -> str:
    """id and class tokens, lower-cased, "-"/"_" removed, page-describing CMS tokens dropped."""
    element_id, element_class = element.get("id"), element.get("class")
    if not element_id and not element_class:
        return ""  # most elements: skip the string work
    if len(element_id or "") + len(element_class or "") > _MAX_CACHED_NAMES_CHARS:
        return _folded_names(element_id, element_class)
    return _cached_folded_names(element_id, element_class)


def _folded_names(element_id: str | None, element_class: str | None) -> str:
    tokens = f"{element_id or ''} {element_class or ''}".lower().split()
    kept = (t for t in tokens if not _DESCRIPTIVE_TOKEN.match(t))
    return " ".join(t.replace("-", "").replace("_", "") for t in kept)


# The same few class attributes recur on every element of a list and on page after page of a
# site, and each walk asks twice (noise test, then date hints). Long ones are not kept:
# harvested pages choose their own attribute sizes.
_MAX_CACHED_NAMES_CHARS = 200
_cached_folded_names = functools.lru_cache(maxsize=8192)(_folded_names)


def _is_noise(
    element: lxml.html.HtmlElement,
    in_content: bool,
    protected: frozenset | set = frozenset(),
    region_chars: int = 0,
) -> bool:
    """True when the element (and all inside it) is not the page's own content.

    `protected` elements (those around the page's <h1>) are never noise by class name.
    Chrome and soft-named boxes holding most of the region's text (`region_chars`) are
    wrappers around the content, not boxes beside it.
    """
    tag = element.tag
    if tag in _NOISE_TAGS:
        return True
    keys = element.keys()
    if not keys:  # most elements carry no attributes: only the tag can tell
        if not in_content and tag in _CHROME_TAGS:
            return not _holds_most_text(element, region_chars)
        return tag in _BOX_TAGS and _starts_with_event_heading(element)
    # Each attribute is read only when present (`keys`): most elements have one or two.
    role = (element.get("role") or "").strip().lower() if "role" in keys else ""
    if role in _NOISE_ROLES:
        return True
    if "hidden" in keys or ("aria-hidden" in keys and element.get("aria-hidden") == "true"):
        return True
    style = element.get("style") if "style" in keys else None
    if style and "display:none" in style.replace(" ", "").lower():
        return True
    if "itemtype" in keys and "event" in (element.get("itemtype") or "").lower():
        return True
    names = class_names(element) if element not in protected else ""
    if names and _HARD_NOISE_NAMES.search(names):
        return True
    soft = (
        role in _CHROME_ROLES
        or bool(names and _SOFT_NOISE_NAMES.search(names))
        or (not in_content and (tag in _CHROME_TAGS or bool(names and _CHROME_NAMES.search(names))))
    )
    if soft:
        return not _holds_most_text(element, region_chars)
    return tag in _BOX_TAGS and _starts_with_event_heading(element)


def _holds_most_text(element: lxml.html.HtmlElement, region_chars: int) -> bool:
    if region_chars <= 0:
        return False
    return len(element.text_content()) >= _WRAPPER_SHARE * region_chars


def _starts_with_event_heading(element: lxml.html.HtmlElement) -> bool:
    """A box introduced by "Termine", "Aktuelles", "Siehe auch" … lists other things' dates."""
    for child in element[:2]:
        if isinstance(child.tag, str) and child.tag in _BOX_HEADING_TAGS:
            return bool(_EVENT_HEADING.match(child.text_content()))
    return False


def has_noise_ancestor(element: lxml.html.HtmlElement) -> bool:
    """Inside navigation, an aside, page chrome or a dialog (by tag or role only: class names
    of ancestors also decorate the wrappers around real content)."""
    for ancestor in element.iterancestors():
        if ancestor.tag in {"nav", "aside", "footer", "header", "dialog"}:
            return True
        if (ancestor.get("role") or "").strip().lower() in _NOISE_ROLES:
            return True
    return False


def _protected_ancestors(region: lxml.html.HtmlElement) -> set:
    """The page heading and everything around it: real content, whatever its class says."""
    for heading in region.iter("h1"):
        if has_noise_ancestor(heading):
            continue
        chain = [heading, *heading.iterancestors()]
        if any(_CHROME_NAMES.search(class_names(e)) for e in chain if e is not region):
            continue  # a logo <h1> in the page header
        return set(chain)
    return set()


def frame_text(root: lxml.html.HtmlElement) -> str:
    """The text of the page's own frame, one line per block: the content and what surrounds it
    — page footer, the lines under the content — without the page header, navigation,
    sidebars, cookie and consent banners, teaser, news and event lists."""
    body = root.find("body")
    if body is None:
        return ""
    parts: list[str] = []
    for _ in walk_content(body, True, parts, skip_page_header=True):
        pass
    return join_blocks(parts)


def _is_page_header(element: lxml.html.HtmlElement) -> bool:
    """The site's header (logo, ticker, "today is …"), not an article's own <header>."""
    if element.tag == "header" or (element.get("role") or "").strip().lower() == "banner":
        return not any(a.tag in _CONTENT_TAGS for a in element.iterancestors())
    names = class_names(element)
    return bool(names and _PAGE_HEADER_NAMES.search(names)) and not any(
        a.tag in _CONTENT_TAGS for a in element.iterancestors()
    )


_PAGE_HEADER_NAMES = re.compile(r"header|kopf|masthead|topbar")


def walk_content(
    region: lxml.html.HtmlElement,
    explicit_region: bool,
    text: list[str],
    *,
    skip_page_header: bool = False,
) -> Iterator[lxml.html.HtmlElement]:
    """Yield the readable elements in document order; their text goes to `text` meanwhile,
    in order, with "\n" around blocks (`join_blocks(text)` is the readable text).

    Iterative (deeply nested junk HTML must not hit the recursion limit); a skipped
    element's tail is still kept, because it belongs to the parent. (Text is appended, not
    yielded: three in four steps are text, and a yield per piece cost more than the rest.)
    """
    teasers = _is_teaser_list(region)
    protected = _protected_ancestors(region)
    region_chars = len(region.text_content())
    add = text.append
    # (element, in_content, False) to open an element; (element, is_block, True) to close it.
    stack: list[tuple[lxml.html.HtmlElement, bool, bool]] = [(region, explicit_region, False)]
    pop, push = stack.pop, stack.append
    while stack:
        element, flag, closing = pop()
        if closing:
            if flag:
                add("\n")
            if element is not region:
                tail = element.tail
                if tail:
                    add(tail)
            continue
        tag = element.tag  # read once: lxml builds a new string on every access
        if not isinstance(tag, str) or (
            element is not region
            and (
                _is_noise(element, flag, protected, region_chars)
                or (teasers and tag == "article")
                or (skip_page_header and _is_page_header(element))
            )
        ):
            tail = element.tail
            if tail:
                add(tail)
            continue
        yield element
        block = tag in _BLOCK_TAGS
        if block:
            add("\n")
        own_text = element.text
        if own_text:
            add(own_text)
        push((element, block, True))
        child_in_content = flag or tag in _CONTENT_TAGS
        stack.extend([(child, child_in_content, False) for child in reversed(element)])


def _is_teaser_list(region: lxml.html.HtmlElement) -> bool:
    """Several <article>s side by side are a listing: none of their dates is the page's."""
    count = 0
    for article in region.iter("article"):
        if article is region or _is_nested_or_noise(article, region):
            continue  # comments are <article>s too, inside a comment section
        count += 1
        if count > 1:
            return True
    return False


def _is_nested_or_noise(article: lxml.html.HtmlElement, region: lxml.html.HtmlElement) -> bool:
    for ancestor in article.iterancestors():
        if ancestor is region:
            return False
        if ancestor.tag == "article" or _is_noise(ancestor, True):
            return True
    return False


def join_blocks(parts: list[str]) -> str:
    """Text parts from `walk_content` as lines, one per block, whitespace-normalised."""
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return "\n".join([line for line in lines if line])


# Text nodes a reader can see: everything in <body> except code and styling. (parent::, not
# ancestor::: script and style hold only text, and the narrower test is twice as fast.)
# "/descendant::text()" selects what "//text()" does, but libxml2 tests the predicate a third
# faster that way.
_VISIBLE_TEXT_XPATH = etree.XPath(
    "//body/descendant::text()"
    "[not(parent::script or parent::style or parent::noscript or parent::template)]",
    smart_strings=False,
)


def visible_text(root: lxml.html.HtmlElement) -> str:
    """All text of <body> a reader can see (chrome included), whitespace-normalised."""
    return " ".join(" ".join(_VISIBLE_TEXT_XPATH(root)).split())
