"""Which words can a page's main text contain at all? A cheap, sound answer before extraction.

`html_tree.readable_text` walks the content region and leaves out noise (navigation, hidden
boxes, scripts …); that walk is most of what a soft-404 check costs. Most checks only matter
when some word is on the page ("gefunden", "404", "domain"), so they first ask this bound:

- The main text is made of the region's text nodes, in order: whole elements are left out,
  none is changed, and blocks (`LINE_TAGS`) are put on lines of their own. So a word (no
  spaces) of the main text lies in one text node, or spans nodes that meet without whitespace
  or line break, directly or across elements that were left out. `main_text_bound` looks for
  such a junction under every choice of what is left out; when there is none, every word of
  the main text is a substring of the region's text nodes joined (`MainTextBound.text`).
- Which elements may be left out is over-estimated: all with attributes or with a tag outside
  `PLAIN_TAGS` (tests/text/test_main_text_bound.py holds `readable_text` to keeping the others and
  to breaking lines at `LINE_TAGS`).
- `readable_text` falls back to all visible text when the region yields none; unless a
  non-blank node is sure to be kept, the bound gives up, as it does on any junction.
- Shortcut: when every element of the region that may be left out is an empty leaf (no text,
  no children), nothing can be left out but empty elements, so the main text is the region's
  text nodes in order with line breaks added: every word lies in their concatenation, whatever
  junctions there are. Plain pages (no classes, no boxes) are bounded without the walk.

Pure: a parsed tree in, a bound out. A bound that gives up answers "possible" to every word.
"""

from __future__ import annotations

import functools

import lxml.html
from lxml import etree

from extractors.text.html_tree import content_region

# Tags that `readable_text` keeps whenever they carry no attributes (inline text and plain
# blocks). Everything else may be noise: section/div/ul/aside boxes, header/footer, article
# teasers, nav, forms, scripts …
PLAIN_TAGS = frozenset(
    {
        "main",
        "body",
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "span",
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "small",
        "sup",
        "sub",
        "mark",
        "abbr",
        "cite",
        "q",
        "code",
        "time",
        "br",
        "li",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
    }
)


# Tags after and before which `readable_text` always starts a new line (when it keeps them).
LINE_TAGS = frozenset(
    {"p", "div", "section", "article", "main", "li", "ul", "ol", "table", "tr"}
) | (frozenset({"td", "th", "br", "h1", "h2", "h3", "h4", "h5", "h6", "body", "header", "footer"}))


# The only characters outside ASCII whose lower case holds an ASCII letter: U+0130 "İ" becomes
# "i" + U+0307, the Kelvin sign "k" (tests/text/test_main_text_bound.py checks all of Unicode).
_LOWER_TO_ASCII = ("\u0130", "\u212a")


class MainTextBound:
    """The region's text and whether it bounds the words of the main text."""

    __slots__ = ("_ascii_folded", "_source", "_text", "exact_words")

    def __init__(self, source: str, *, exact_words: bool) -> None:
        """`source`: the region's text nodes joined (not lower-cased)."""
        self._source = source
        self.exact_words = exact_words
        self._text: str | None = None
        # ASCII letters lower-cased in the bytes: one C table pass, where str.lower() looks up
        # every character. It answers for ASCII words, unless the text holds a character that
        # lower-cases to ASCII letters (then its bytes would miss them). Latin-1 and UTF-8
        # both spell ASCII as itself and everything else with bytes above 0x7F only.
        self._ascii_folded: bytes | None = None
        if exact_words and not any(char in source for char in _LOWER_TO_ASCII):
            try:
                encoded = source.encode("latin-1")  # a copy for most German and English text
            except UnicodeEncodeError:
                encoded = source.encode("utf-8", "surrogatepass")
            self._ascii_folded = encoded.lower()

    @property
    def text(self) -> str:
        """The region's text, lower-cased."""
        if self._text is None:
            self._text = self._source.lower()
        return self._text

    def may_contain(self, word: str) -> bool:
        """False only when `word` (lower-case, no spaces) cannot be in the main text."""
        if not self.exact_words:
            return True
        folded = self._ascii_folded
        if folded is not None and word.isascii():
            # One byte is found by memchr, many times faster than a word is: a letter the
            # text lacks ("x" in "existiert", "4" in "404") rules the word out at once.
            needle = word.encode("ascii")
            return all(byte in folded for byte in _rarest_first(needle)) and needle in folded
        return word in self.text


# ASCII letters from the most to the least common in German text; other bytes are rarer.
_COMMON_LETTERS = b"enisratdhulcgmobwfkzpvjyxq"


@functools.lru_cache(maxsize=1024)
def _rarest_first(needle: bytes) -> tuple[int, ...]:
    """The distinct bytes of `needle`, rarest first."""
    return tuple(sorted(set(needle), key=lambda byte: -_rank(byte)))


def _rank(byte: int) -> int:
    position = _COMMON_LETTERS.find(byte)
    return len(_COMMON_LETTERS) if position < 0 else position


_GIVE_UP = MainTextBound("", exact_words=False)


def main_text_bound(
    root: lxml.html.HtmlElement, region: tuple[lxml.html.HtmlElement, bool] | None = None
) -> MainTextBound:
    """The bound for the main text `readable_text(root)` would return (see the module notes).
    `region`: `content_region(root)` when the caller has it already."""
    element, _ = region or content_region(root)
    plain = plain_region_bound(element)
    return plain if plain is not None else walked_region_bound(element)


def plain_region_bound(region: lxml.html.HtmlElement) -> MainTextBound | None:
    """The bound of a region where only empty leaves may be left out, cheaply; None for other
    regions (most of the real web: boxes with classes), which need `main_text_bound`."""
    for element in region.iterdescendants():
        tag = element.tag
        if not isinstance(tag, str):
            return None  # a comment or instruction: the walk knows how to step over it
        if (tag not in PLAIN_TAGS or element.keys()) and (element.text or len(element)):
            return None  # leaving it out could join the text around it
    text = etree.tostring(region, method="text", encoding=str, with_tail=False)
    if not text or text.isspace():
        return _GIVE_UP  # no text that is sure to be kept: readable_text may fall back
    return MainTextBound(text, exact_words=True)


def walked_region_bound(region: lxml.html.HtmlElement) -> MainTextBound:
    """The bound found by walking the region for junctions (see the module notes); any region."""
    pieces: list[str] = []
    surely_text = False  # a non-blank node that is never left out: no fallback to visible text
    # Could the text so far end inside a word? Followed as if every element were kept; at the
    # end of an element that may be left out, the state from before it is allowed as well.
    maybe_open = False
    # Per open element: may it or an ancestor be left out, may it, `maybe_open` at its start.
    stack: list[tuple[bool, bool, bool]] = []
    for event, element in etree.iterwalk(region, events=("start", "end")):
        if event == "start":
            inside_droppable = bool(stack) and stack[-1][0]
            own = element is not region and _droppable(element)
            stack.append((inside_droppable or own, own, maybe_open))
            if element.tag in LINE_TAGS:
                maybe_open = False  # a kept block starts a new line
            droppable = inside_droppable or own
            text = element.text if isinstance(element.tag, str) else None
        else:
            _, own, open_before = stack.pop()
            if element.tag in LINE_TAGS:
                maybe_open = False  # a kept block ends its line
            if own:
                maybe_open = maybe_open or open_before
            if element is region:
                break
            droppable = bool(stack) and stack[-1][0]
            text = element.tail
        if not text:
            continue
        if maybe_open and not text[0].isspace():
            return _GIVE_UP  # a word may run across nodes
        maybe_open = not text[-1].isspace()
        surely_text = surely_text or (not droppable and not text.isspace())
        pieces.append(text)
    if not surely_text:
        return _GIVE_UP
    return MainTextBound("".join(pieces), exact_words=True)


def _droppable(element: lxml.html.HtmlElement) -> bool:
    if not isinstance(element.tag, str):
        return True
    return element.tag not in PLAIN_TAGS or bool(element.keys())
