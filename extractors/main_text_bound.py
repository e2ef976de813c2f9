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
  `PLAIN_TAGS` (tests/test_main_text_bound.py holds `readable_text` to keeping the others and
  to breaking lines at `LINE_TAGS`).
- `readable_text` falls back to all visible text when the region yields none; unless a
  non-blank node is sure to be kept, the bound gives up, as it does on any junction.

Pure: a parsed tree in, a bound out. A bound that gives up answers "possible" to every word.
"""

from __future__ import annotations

from dataclasses import dataclass

import lxml.html
from lxml import etree

from extractors.html_tree import content_region

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


@dataclass(frozen=True, slots=True)
class MainTextBound:
    """The region's text, lower-cased, and whether it bounds the words of the main text."""

    text: str
    exact_words: bool

    def may_contain(self, word: str) -> bool:
        """False only when `word` (lower-case, no spaces) cannot be in the main text."""
        return not self.exact_words or word in self.text


_GIVE_UP = MainTextBound("", exact_words=False)


def main_text_bound(root: lxml.html.HtmlElement) -> MainTextBound:
    """The bound for the main text `readable_text(root)` would return (see the module notes)."""
    region, _ = content_region(root)
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
    return MainTextBound("".join(pieces).lower(), exact_words=True)


def _droppable(element: lxml.html.HtmlElement) -> bool:
    if not isinstance(element.tag, str):
        return True
    return element.tag not in PLAIN_TAGS or bool(element.keys())
