"""What the soft-404 heuristics look at: a page's <title>, its h1s, its main text and raw HTML.

Pure: a body and its content type in, a `PageText` out (None for media that are neither HTML
nor plain text). The main text is extracted only when a heuristic asks for it; `may_hold`
answers "could the main text hold these words?" without extracting it, which spares most
pages most of the cost; `shows_fewer_chars` counts the text the whole page shows, only as far
as needed (for the empty-page check). Also here: how a phrase is spelled for matching
(`normalise_phrase_text`) and as the page wrote it (`as_written`), shared by the parked-domain
and the error-phrasing checks.
"""

from __future__ import annotations

import functools

import lxml.html
from lxml import etree

from extractors.text.decoding import decode_html
from extractors.text.html_tree import content_region, parse_html, readable_text
from extractors.text.main_text_bound import MainTextBound, plain_region_bound, walked_region_bound

HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain",)


class PageText:
    """What the heuristics look at: <title>, the h1s (or first h2), the main text, raw HTML.

    The main text is extracted on first use, because that is most of what a check costs:
    checks that need a phrase ask `may_hold` first, and most pages hold none of its words.
    """

    __slots__ = (
        "_body",
        "_body_lower",
        "_bound",
        "_bound_words",
        "_html_lower",
        "_main_lower",
        "_main_text",
        "_region",
        "_root",
        "_words",
        "headings",
        "html",
        "is_html",
        "title",
    )

    def __init__(
        self,
        title: str,
        headings: tuple[str, ...],
        main_text: str | None,
        html: str,
        is_html: bool,
        root: lxml.html.HtmlElement | None = None,
        body: bytes = b"",
    ) -> None:
        """`main_text` None: extract it from `root` when asked. `body`: the bytes `html` was
        decoded from (only a hint for `may_hold`, never evidence)."""
        self.title = title
        self.headings = headings
        self.html = html
        self.is_html = is_html
        self._body = body
        self._root = root
        self._main_text = main_text
        self._words: int | None = None
        self._bound: MainTextBound | None = None
        self._html_lower: str | None = None
        self._main_lower: str | None = None
        self._body_lower: bytes | None = None
        self._region: tuple[lxml.html.HtmlElement, bool] | None = None
        # Answers of the bound, per word: the parked and the error check ask for some alike.
        self._bound_words: dict[str, bool] = {}

    @property
    def main_text(self) -> str:
        if self._main_text is None:
            root = self._root
            assert root is not None  # set whenever main_text is left to extract
            self._main_text = readable_text(root, self._region) or clean_text(
                " ".join(_VISIBLE_TEXT(root))
            )
        return self._main_text

    @property
    def words(self) -> int:
        if self._words is None:
            self._words = len(self.main_text.split())
        return self._words

    def has_fewer_words(self, count: int) -> bool:
        """`words < count`, without splitting all of a long main text."""
        if self._words is not None:
            return self._words < count
        return len(self.main_text.split(None, count)) < count

    @property
    def has_main_text(self) -> bool:
        """Whether `main_text` (and so `words`) is at hand without extracting it."""
        return self._main_text is not None

    @property
    def root(self) -> lxml.html.HtmlElement | None:
        """The parsed document; None for plain text and for HTML that did not parse."""
        return self._root

    def shows_fewer_chars(self, count: int) -> bool:
        """Whether the whole page (chrome included, not only the main text) shows fewer than
        `count` characters of text, spaces not counted; stops counting at `count`."""
        if self._root is None:
            return _non_space_chars(self.main_text or self.html) < count
        seen = hidden = 0
        for event, element in etree.iterwalk(self._root, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag in _HIDDEN_TEXT_TAGS:
                    hidden += 1
                elif not hidden and element.text and isinstance(tag, str):
                    seen += _non_space_chars(element.text)
            else:
                if tag in _HIDDEN_TEXT_TAGS:
                    hidden -= 1
                if not hidden and element.tail:
                    seen += _non_space_chars(element.tail)
            if seen >= count:
                return False
        return True

    @property
    def html_lower(self) -> str:
        if self._html_lower is None:
            self._html_lower = self.html.lower()
        return self._html_lower

    def may_hold(self, word_sets: tuple[tuple[str, ...], ...]) -> bool:
        """False only when the main text holds, for each set, not all of its (lower-case) words."""
        if self._main_text is not None or self._root is None:
            if self._main_lower is None:
                self._main_lower = self.main_text.lower()
            text = self._main_lower
            return any(all(word in text for word in words) for words in word_sets)
        if self._region is None:
            # A region of plain markup (most simple pages) is bounded at once, without a walk.
            self._region = content_region(self._root)
            self._bound = plain_region_bound(self._region[0])
        bound = self._bound
        if bound is None:
            # Walking the region costs more than extracting text from most real pages, and
            # the words are usually somewhere in their HTML: then the answer is "maybe".
            if self._body_may_hold(word_sets):
                return True
            bound = self._bound = walked_region_bound(self._region[0])
        if not bound.exact_words:
            return True
        known = self._bound_words
        for words in word_sets:
            for word in words:
                found = known.get(word)
                if found is None:
                    found = known[word] = bound.may_contain(word)
                if not found:
                    break
            else:
                return True
        return False

    def _body_may_hold(self, word_sets: tuple[tuple[str, ...], ...]) -> bool:
        """Whether the raw bytes hold a set's words (UTF-8 spelling): a hint, not a bound."""
        if self._body_lower is None:
            self._body_lower = self._body.lower()
        body = self._body_lower
        return any(all(_utf8(word) in body for word in words) for words in word_sets)


@functools.lru_cache(maxsize=256)
def _utf8(word: str) -> bytes:
    return word.encode("utf-8")


def page_text(body: bytes, content_type: str | None) -> PageText | None:
    """Title, headings and main text of an HTML or plain-text body; None for other media."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _TEXT_TYPES:
        text = decode_html(body, content_type)
        return PageText("", (), " ".join(text.split()), "", is_html=False)
    if media and media not in HTML_TYPES:
        return None
    if not media and not _sniff_html(body):
        return None
    html = decode_html(body, content_type)
    root = parse_html(html)
    if root is None:
        return PageText("", (), "", html, is_html=True)
    title = clean_text(root.findtext(".//title") or "")
    headings = _headings(root)
    return PageText(title, headings, None, html, is_html=True, root=root, body=body)


# Fallback when no content region is found (e.g. a body-less snippet lxml puts in <head>).
_VISIBLE_TEXT = etree.XPath(
    "//text()[not(ancestor::script or ancestor::style or ancestor::title or ancestor::noscript"
    " or ancestor::template)]"
)
# The elements whose text _VISIBLE_TEXT leaves out.
_HIDDEN_TEXT_TAGS = frozenset({"script", "style", "title", "noscript", "template"})


def _non_space_chars(text: str) -> int:
    return len("".join(text.split()))


def _sniff_html(body: bytes) -> bool:
    start = body[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<title"))


def _headings(root: lxml.html.HtmlElement) -> tuple[str, ...]:
    found = [clean_text(h.text_content()) for h in root.iter("h1")][:3]
    if not any(found):
        found = [clean_text(h.text_content()) for h in root.iter("h2")][:1]
    return tuple(text for text in found if text)


def clean_text(text: str) -> str:
    return " ".join(text.split())


# Dashes and no-break spaces as the patterns spell them (str.replace: translate is slow on pages).
_DASHES = (("–", "-"), ("—", "-"), ("‐", "-"), ("‑", "-"), ("\u00a0", " "))


def normalise_phrase_text(text: str) -> str:
    for dash, plain in _DASHES:
        text = text.replace(dash, plain)
    return " ".join(text.lower().split())


def as_written(phrase: str, source: str) -> str:
    """The phrase as the page spells it ("Seite nicht gefunden"), found case-insensitively."""
    written = " ".join(source.split())
    folded = normalise_phrase_text(written)
    at = folded.find(phrase)
    if at < 0 or len(folded) != len(written):  # lower() changed lengths: keep ours
        return phrase
    return written[at : at + len(phrase)]
