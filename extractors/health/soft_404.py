"""Soft 404s: answers that say 2xx but deliver no page (ARCHITECTURE §3, `soft_404`).

Pure: a `FetchResult` (status, hops, body, the host probe) in, a short German
reason out, or None. `soft_404_reason` tries four small heuristics, most certain
first, and returns the first that fires:

1. Parked domain: "Diese Domain steht zum Verkauf", hosting placeholders, or a
   parking service's markers (sedo, dan.com …) on a page with little text.
   Applies to site roots too: a parked root is no content either.
2. Redirect target: a deep link that was redirected (HTTP or meta refresh) to a
   homepage (`/`, `index.*`, `/de/`, `/startseite` …), a search page or a login
   page. A link that IS the site root never triggers this.
3. Error phrasing: "Seite nicht gefunden", "Fehler 404", "Page not found" …
   weighed by WHERE it stands and how SHORT the page is. A heading (title
   segment or h1) that mostly consists of the phrase is decisive; a phrase that
   is only part of a longer headline, is quoted („Seite nicht gefunden“), or
   sits in a long text is a mention, and mentions alone never add up to a
   verdict. Bare "404" and "nicht gefunden" count weakly everywhere, so a bus
   line 404 or a lost-property office stays `ok`.
4. Host probe (Bar-Yossef et al. 2004, "Sic transit gloria telae"): the fetcher
   asked the same host for a made-up path. If that answered 2xx too, and either
   both were redirected to the same final URL or both deliver near-identical
   text (word-sequence similarity ≥ `SIMILARITY_THRESHOLD` after removing the
   echoed paths), the server answers every address with the same page. Never
   for the site root; a probe answered 404/410 proves the host honest.
   Exception: when both are a near-empty JavaScript app shell, the server cannot
   tell us anything without running the script, so no verdict is given.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

import lxml.html
from lxml import etree

from extractors.records import FetchResult, HostProbe
from extractors.text.decoding import decode_html
from extractors.text.html_tree import content_region, parse_html, readable_text
from extractors.text.main_text_bound import MainTextBound, plain_region_bound, walked_region_bound

PROBE_PATH_PREFIX = "/linkpflege-probe-"
SIMILARITY_THRESHOLD = 0.9
# What is kept of a page to compare it with the probe: enough for similarity, small to carry.
FINGERPRINT_CHARS = 4000
_PHRASE_THRESHOLD = 3.0
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain",)
_MIN_ECHO_CHARS = 4  # shorter path pieces ("/de", "a") would cut ordinary words

# --------------------------------------------------------------------------- text of a page


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
            self._main_text = readable_text(root, self._region) or _clean(
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
    if media and media not in _HTML_TYPES:
        return None
    if not media and not _sniff_html(body):
        return None
    html = decode_html(body, content_type)
    root = parse_html(html)
    if root is None:
        return PageText("", (), "", html, is_html=True)
    title = _clean(root.findtext(".//title") or "")
    headings = _headings(root)
    return PageText(title, headings, None, html, is_html=True, root=root, body=body)


# Fallback when no content region is found (e.g. a body-less snippet lxml puts in <head>).
_VISIBLE_TEXT = etree.XPath(
    "//text()[not(ancestor::script or ancestor::style or ancestor::title or ancestor::noscript"
    " or ancestor::template)]"
)


def _sniff_html(body: bytes) -> bool:
    start = body[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<title"))


def _headings(root: lxml.html.HtmlElement) -> tuple[str, ...]:
    found = [_clean(h.text_content()) for h in root.iter("h1")][:3]
    if not any(found):
        found = [_clean(h.text_content()) for h in root.iter("h2")][:1]
    return tuple(text for text in found if text)


def _clean(text: str) -> str:
    return " ".join(text.split())


def fingerprint_text(body: bytes, content_type: str | None, *, echoes: tuple[str, ...] = ()) -> str:
    """The normalised main text of an answer, for comparing a page with the host probe.

    Lower-cased, digits folded, whitespace collapsed, cut to `FINGERPRINT_CHARS`;
    `echoes` (the requested path, the probe path) are removed first, because error
    pages like to repeat the address that was asked for. "" for non-text media.
    """
    parts = page_text(body, content_type)
    if parts is None:
        return ""
    return normalise_for_comparison(f"{parts.title} {parts.main_text}", echoes)


def normalise_for_comparison(text: str, echoes: tuple[str, ...] = ()) -> str:
    # Only the first FINGERPRINT_CHARS are compared: cut before the (per-page) substitutions,
    # which otherwise ran over whole pages and were a fifth of the engine's CPU time.
    lowered = text[: FINGERPRINT_CHARS * 2].lower()
    for echo in sorted(echoes, key=len, reverse=True):  # whole URLs before their paths
        for form in {echo.lower(), unquote(echo).lower()}:
            # The `in` test is only a shortcut: the pattern search is slow on a long page.
            if len(form) >= _MIN_ECHO_CHARS and form in lowered:
                lowered = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", " ", lowered)
    lowered = re.sub(r"\d+", "0", lowered)
    return " ".join(lowered.split())[:FINGERPRINT_CHARS]


def text_similarity(first: str, second: str) -> float:
    """Word-sequence similarity 0..1: difflib's ratio on words.

    Exact at and above `SIMILARITY_THRESHOLD`; below it, difflib's cheap upper bounds
    are returned as soon as they prove the texts different (full matching is quadratic).
    """
    a, b = first.split(), second.split()
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD:
        return matcher.real_quick_ratio()  # an upper bound, already below the line
    if matcher.quick_ratio() < SIMILARITY_THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


# --------------------------------------------------------------------------- URLs


_LANGUAGE_SEGMENT = r"(?:[a-z]{2}(?:[-_][a-z]{2})?/)?"
_HOME_PATH = re.compile(
    rf"^/{_LANGUAGE_SEGMENT}"
    r"(?:(?:index|default|home|start|startseite|homepage|welcome|willkommen|portal)"
    r"(?:\.[a-z0-9]{2,5})?/?)?$",
    re.IGNORECASE,
)
_BARE_LANGUAGE = re.compile(r"^/[a-z]{2}(?:[-_][a-z]{2})?$", re.IGNORECASE)
# Query keys that do not pick a page: a homepage with these is still the homepage.
_HARMLESS_QUERY_KEYS = frozenset(
    {
        "lang",
        "l",
        "language",
        "sprache",
        "locale",
        "ref",
        "referrer",
        "from",
        "source",
        "src",
        "redirect",
        "redirected",
        "error",
        "err",
        "notfound",
        "404",
        "status",
        "msg",
        "message",
    }
)
_SEARCH_TOKENS = frozenset(
    {
        "suche",
        "suchen",
        "suchergebnis",
        "suchergebnisse",
        "volltextsuche",
        "expertensuche",
        "schnellsuche",
        "stichwortsuche",
        "seitensuche",
        "websuche",
        "search",
        "searchresult",
        "searchresults",
        "sitesearch",
    }
)
_SEARCH_QUERY_KEYS = frozenset(
    {"q", "query", "search", "searchterm", "search_term", "suchbegriff", "suche", "sword", "s"}
)
_LOGIN_SEGMENTS = frozenset(
    {
        "login",
        "log-in",
        "logon",
        "anmelden",
        "signin",
        "sign-in",
        "sso",
        "auth",
        "oauth",
        "oauth2",
        "saml",
        "saml2",
        "cas",
        "benutzeranmeldung",
    }
)
_LOGIN_HOST_LABELS = frozenset({"login", "sso", "auth", "signin", "idp", "accounts"})
_TOKEN_SPLIT = re.compile(r"[-_.]")


def is_site_root(url: str) -> bool:
    """True for a site's front door: "/", "/index.html", "/de/", "/startseite" – without a query.

    A query picks a page ("/index.php?id=123" is a deep link in TYPO3), so it makes
    the URL deep.
    """
    parts = _split(url)
    if parts is None:
        return False
    path = parts.path or "/"
    if parts.query:
        return False
    return bool(_HOME_PATH.match(path) or _BARE_LANGUAGE.match(path))


def is_homepage(url: str) -> bool:
    """Like `is_site_root`, but forgiving query keys that do not select a page (lang, ref …)."""
    parts = _split(url)
    if parts is None:
        return False
    path = parts.path or "/"
    if not (_HOME_PATH.match(path) or _BARE_LANGUAGE.match(path)):
        return False
    keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return all(key in _HARMLESS_QUERY_KEYS or key.startswith("utm_") for key in keys)


def is_search_page(url: str) -> bool:
    """A site search: a path segment like /suche or /search, or a search query key (q=, s= …)."""
    parts = _split(url)
    if parts is None:
        return False
    for segment in parts.path.lower().split("/"):
        tokens = set(_TOKEN_SPLIT.split(segment))
        if tokens & _SEARCH_TOKENS:
            return True
    keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if keys & _SEARCH_QUERY_KEYS:
        return True
    host = (parts.hostname or "").lower()
    return host.split(".", 1)[0] in {"suche", "search"}


def is_login_page(url: str) -> bool:
    """A login: /login, /user/login.php, /anmelden, /sso/ … or a login host (sso.example.org)."""
    parts = _split(url)
    if parts is None:
        return False
    for segment in parts.path.lower().split("/"):
        stem = segment.rsplit(".", 1)[0] if "." in segment else segment
        if stem in _LOGIN_SEGMENTS or "login" in _TOKEN_SPLIT.split(segment):
            return True
    host = (parts.hostname or "").lower()
    return host.split(".", 1)[0] in _LOGIN_HOST_LABELS


def _split(url: str | None) -> SplitResult | None:
    if not url:
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _same_url(first: str | None, second: str | None) -> bool:
    if not first or not second:
        return False
    return first.split("#", 1)[0].rstrip("/") == second.split("#", 1)[0].rstrip("/")


def requested_url(result: FetchResult) -> str:
    """The URL as first asked (the first hop holds the fetcher's normalised form)."""
    return result.hops[0].url if result.hops else (result.final_url or result.url)


def redirect_target_reason(requested: str, final: str) -> str | None:
    """Why a redirect from `requested` to `final` means the page is gone, or None."""
    if is_site_root(requested) or _same_url(requested, final):
        return None
    if is_homepage(final):
        return f"Tiefer Link auf die Startseite umgeleitet ({final})"
    if is_login_page(final) and not is_login_page(requested):
        return f"Tiefer Link auf eine Anmeldeseite umgeleitet ({final})"
    if is_search_page(final) and not is_search_page(requested):
        return f"Tiefer Link auf eine Suchseite umgeleitet ({final})"
    return None


# --------------------------------------------------------------------------- parked domains


_PARKED_PHRASES: tuple[str, ...] = (
    "diese domain steht zum verkauf",
    "domain steht zum verkauf",
    "diese domain kaufen",
    "diese domain ist zu verkaufen",
    "domain ist zu verkaufen",
    "diese domain wurde registriert",
    "diese domain ist geparkt",
    "hier entsteht eine neue internetpräsenz",
    "this domain is for sale",
    "this domain may be for sale",
    "the domain is for sale",
    "buy this domain",
    "this domain is parked",
    "this domain has been registered",
    "domain parking",
    "parked domain",
    "geparkte domain",
)
_PARKING_MARKERS: tuple[str, ...] = (
    "sedoparking.com",
    "sedo.com",
    "dan.com",
    "parkingcrew.net",
    "bodis.com",
    "above.com",
    "afternic.com",
    "hugedomains.com",
    "undeveloped.com",
    "parklogic.com",
    "domainmarket.com",
)
# Every marker ends so; ".com" or ".net" in `html.lower()` needs one of these spellings, because
# only ASCII letters lower-case to c, o, m, n, e or t (tests/health/test_soft_404_shortcuts.py
# checks all of Unicode).
_MARKER_ENDINGS = re.compile(r"\.(?:[cC][oO][mM]|[nN][eE][tT])")
# A word of every parked phrase: a main text without any holds none of them.
_PARKED_WORDS: tuple[tuple[str, ...], ...] = (("domain",), ("internetpr",))
_PARKED_MAX_WORDS = 300  # a long page that mentions "domain parking" is an article about it
_MARKER_MAX_WORDS = 150


def parked_domain_reason(parts: PageText) -> str | None:
    """ "Geparkte Domain (…)" when the page is a parking or for-sale page, else None."""
    if not parts.is_html:
        return None
    heading_text = " ".join((parts.title, *parts.headings))
    body_text = ""
    if parts.may_hold(_PARKED_WORDS) and parts.words <= _PARKED_MAX_WORDS:
        body_text = _clean(parts.main_text)
    sources = ((heading_text, heading_text.lower()), (body_text, body_text.lower()))
    for phrase in _PARKED_PHRASES:
        for source, lowered in sources:
            if phrase in lowered:
                return f"Geparkte Domain („{_as_written(phrase, source)}“)"
    if not _MARKER_ENDINGS.search(parts.html):
        return None  # no marker can be in the page: spares lower-casing and a search per marker
    if parts.has_main_text and parts.words > _MARKER_MAX_WORDS:
        return None  # known to be too long: the markers need not be looked for
    html = parts.html_lower
    # `in` first: it spares most pages the word count, and the pattern is slow on a long page.
    markers = [marker for marker in _PARKING_MARKERS if marker in html]
    if markers and parts.words <= _MARKER_MAX_WORDS:
        for marker in markers:
            if re.search(rf"[/.\"'\s]{re.escape(marker)}", html):
                return f"Geparkte Domain (Parking-Dienst {marker})"
    return None


# --------------------------------------------------------------------------- error phrasing

# Whole statements that a page is missing: decisive in a heading or a short text.
_STATEMENTS = re.compile(
    r"seite (?:wurde |konnte )?(?:leider )?nicht gefunden"
    r"|seite (?:existiert|gibt es) (?:leider )?(?:nicht|nicht mehr|nicht länger)\b"
    r"|existiert leider nicht(?: mehr)?"
    r"|seite ist (?:leider )?nicht (?:mehr )?(?:verfügbar|vorhanden|erreichbar)"
    r"|(?:konnten|können) wir (?:die|diese) (?:gesuchte |angeforderte )?seite (?:leider )?nicht"
    r" finden"
    r"|(?:dokument|inhalt|datei) (?:wurde )?nicht gefunden"
    r"|page (?:was )?not found|page could not be found|page cannot be found"
    r"|page you (?:requested|are looking for|were looking for|tried to access)"
    r"|(?:requested|requested url|requested page|requested document) (?:was not|could not be)"
    r" found"
    r"|(?:this|the) page (?:does not|doesn't|no longer) exists?"
    r"|we (?:can't|cannot|couldn't|could not) find (?:the|that|this) page"
    r"|file not found"
)
# Status codes written out: decisive as a heading, a weak hint in running text.
_CODES = re.compile(
    r"(?:fehler|error|fehlercode:?)\s*404"
    r"|404\s*(?:[-:|]\s*)?(?:fehler|error)"
    r"|404\s*(?:[-:|]\s*)?(?:page\s+)?not\s+found"
    r"|404\s*(?:[-:|]\s*)?seite nicht gefunden"
    r"|http\s*404"
)
# Words that every match of _STATEMENTS or _CODES contains, as sets that must all be present:
# a main text lacking each set needs no scoring (tests/health/test_soft_404.py checks every match).
_ERROR_WORDS: tuple[tuple[str, ...], ...] = (
    ("404",),
    ("gefunden",),
    ("found",),
    ("existiert",),
    ("seite", "gibt"),
    ("seite", "verfügbar"),
    ("seite", "vorhanden"),
    ("seite", "erreichbar"),
    ("seite", "finden"),
    ("page", "you"),
    ("page", "exist"),
    ("page", "find"),
)
_WEAK = re.compile(
    r"\b404\b|nicht gefunden|not found|existiert nicht|nicht mehr verfügbar"
    r"|no longer available|does not exist|could not be found"
)
# A heading that is nothing but the code or its name.
_BARE_HEADING = re.compile(
    r"^(?:(?:fehler|error)\s*)?404(?:\s*(?:fehler|error))?$|^not found$|^nicht gefunden$"
)
_QUOTED = re.compile(r"„[^“”\"]{1,80}[“”\"]|“[^”]{1,80}”|\"[^\"]{1,80}\"|»[^«]{1,80}«|«[^»]{1,80}»")
_TITLE_SEPARATORS = re.compile(r"\s+(?:-|::|·|»|«)\s+|\s*\|\s*")
# Dashes and no-break spaces as the patterns spell them (str.replace: translate is slow on pages).
_DASHES = (("–", "-"), ("—", "-"), ("‐", "-"), ("‑", "-"), ("\u00a0", " "))
# Share of a heading segment the phrase must fill to be the heading's message.
_DOMINANT_SHARE = 0.4
_SHORT_WORDS = 80
_LONG_WORDS = 300
# The most a long text can score, and the most weak hints in headings add to any score.
_LONG_TEXT_CAP = 1.5
_HEADING_WEAK_CAP = 0.5


@dataclass(frozen=True, slots=True)
class _HeadingSignal:
    """What one heading says: decisive phrase, a mere mention of the topic, or a weak hint."""

    decisive: str | None = None
    mention: bool = False
    weak: bool = False


def _normalise_phrase_text(text: str) -> str:
    for dash, plain in _DASHES:
        text = text.replace(dash, plain)
    return " ".join(text.lower().split())


def _as_written(phrase: str, source: str) -> str:
    """The phrase as the page spells it ("Seite nicht gefunden"), found case-insensitively."""
    written = " ".join(source.split())
    folded = _normalise_phrase_text(written)
    at = folded.find(phrase)
    if at < 0 or len(folded) != len(written):  # lower() changed lengths: keep ours
        return phrase
    return written[at : at + len(phrase)]


def _heading_signal(text: str, *, is_title: bool) -> _HeadingSignal:
    """Judge one heading: the phrase must fill most of a title segment (or the h1) to count.

    "Seite nicht gefunden – Stadt X" is decisive; "Seite nicht gefunden: So gestalten
    Kommunen gute Fehlerseiten" and a quoted „Seite nicht gefunden“ only mention it.
    """
    normalised = _normalise_phrase_text(text)
    if not normalised:
        return _HeadingSignal()
    quoted_spans = [m.span() for m in _QUOTED.finditer(normalised)]
    mention = weak = False
    segments = _TITLE_SEPARATORS.split(normalised) if is_title else [normalised]
    for segment in segments:
        bare = segment.strip(" .!?:;-()[]")
        if not bare:
            continue
        if _BARE_HEADING.match(bare):
            return _HeadingSignal(decisive=bare)
        offset = normalised.find(bare)
        for pattern in (_STATEMENTS, _CODES):
            for match in pattern.finditer(bare):
                quoted = any(a <= offset + match.start() < b for a, b in quoted_spans)
                if not quoted and len(match.group(0)) / len(bare) >= _DOMINANT_SHARE:
                    return _HeadingSignal(decisive=match.group(0))
                mention = True
        weak = weak or bool(_WEAK.search(bare))
    return _HeadingSignal(mention=mention, weak=weak)


def _body_score(unquoted: str, words: int) -> tuple[float, str | None]:
    """Error statements in the running text (quotes removed), weighed by how short it is.

    A short text (≤ 80 words) that states the error is an error page; in a medium
    text it takes two statements; a long text is an article and never decides alone.
    """
    statements = [m.group(0) for m in _STATEMENTS.finditer(unquoted)]
    codes = [m.group(0) for m in _CODES.finditer(unquoted)]
    weak = min(0.5, 0.25 * len(_WEAK.findall(unquoted)))
    phrase = (statements or codes or [None])[0]
    if words <= _SHORT_WORDS:
        strong = 3.0 if statements else 2.0 if codes else 0.0
        return strong + weak, phrase
    if words <= _LONG_WORDS:
        strong = min(3.0, 1.5 * len(statements)) + min(1.0, 0.5 * len(codes))
        return strong + weak, phrase
    strong = min(1.0, 0.5 * len(statements)) + min(0.5, 0.25 * len(codes))
    return min(_LONG_TEXT_CAP, strong + weak), phrase


def error_page_reason(parts: PageText) -> str | None:
    """ "Fehlerseite trotz Status 2xx („seite nicht gefunden“ in Titel)", or None.

    A heading whose message is the error decides at once. Otherwise the body is
    scored (see `_body_score`), halved when a heading merely mentions the topic
    (then the page is about error pages, not one of them); weak hints ("404",
    "nicht gefunden") add at most a little. Score ≥ 3 decides.
    """
    signals = [("Titel", _heading_signal(parts.title, is_title=True))]
    signals += [("Überschrift", _heading_signal(h, is_title=False)) for h in parts.headings]
    for (where, signal), source in zip(signals, (parts.title, *parts.headings), strict=True):
        if signal.decisive:
            phrase = _as_written(signal.decisive, source)[:60]
            return f"Fehlerseite trotz Status 2xx („{phrase}“ in {where})"
    if not parts.may_hold(_ERROR_WORDS):
        return None  # no statement and no code can be in the text: no phrase to score
    body = _normalise_phrase_text(parts.main_text)
    for heading in parts.headings:  # the h1 is part of the main text: count it once
        body = body.replace(_normalise_phrase_text(heading), " ")
    unquoted = _QUOTED.sub(" ", body)
    words = len(unquoted.split())
    if words > _LONG_WORDS and _LONG_TEXT_CAP + _HEADING_WEAK_CAP < _PHRASE_THRESHOLD:
        return None  # an article cannot reach the threshold: skip the pattern search
    score, phrase = _body_score(unquoted, words)
    if any(signal.mention for _, signal in signals):
        score *= 0.5
    score += min(_HEADING_WEAK_CAP, 0.25 * sum(signal.weak for _, signal in signals))
    if score < _PHRASE_THRESHOLD or phrase is None:
        return None
    return f"Fehlerseite trotz Status 2xx („{_as_written(phrase, parts.main_text)[:60]}“ im Text)"


# --------------------------------------------------------------------------- host probe


_APP_ROOT = re.compile(r"""id\s*=\s*["'](?:root|app|__next|__nuxt|q-app)["']""", re.IGNORECASE)
_APP_SHELL_WORDS = 20


def needs_probe(result: FetchResult) -> bool:
    """Whether the soft-404 probe can tell anything: a 2xx answer for a deep link."""
    if result.error is not None or result.status is None or not 200 <= result.status < 300:
        return False
    return not is_site_root(requested_url(result))


def probe_reason(result: FetchResult, page_fingerprint: str, parts: PageText | None) -> str | None:
    """Does the host answer a made-up address just like this link? Reason, or None."""
    probe: HostProbe | None = result.probe
    if probe is None or probe.status is None or not 200 <= probe.status < 300:
        return None  # no probe, or the host said 404 to nonsense: it is honest
    if not needs_probe(result):
        return None
    final = result.final_url or result.url
    if result.hops and probe.redirected and _same_url(probe.final_url, final):
        return (
            "Server antwortet auf jede Adresse mit derselben Seite "
            f"(auch eine erfundene Adresse landet bei {final})"
        )
    if not page_fingerprint or not probe.text:
        return None
    if (
        parts is not None
        and parts.has_fewer_words(_APP_SHELL_WORDS)
        and _APP_ROOT.search(parts.html)
    ):
        return None  # a JavaScript app shell: the server cannot show us the difference
    similarity = text_similarity(page_fingerprint, probe.text)
    if similarity >= SIMILARITY_THRESHOLD:
        return (
            "Server antwortet auf jede Adresse mit derselben Seite "
            f"(Inhalt zu {similarity:.0%} gleich der Antwort auf eine erfundene Adresse)"
        )
    return None


def page_echoes(url: str) -> tuple[str, ...]:
    """Parts of a URL an error page may repeat: the path with query, and the last segment."""
    parts = _split(url)
    if parts is None:
        return ()
    path = parts.path or "/"
    full = f"{path}?{parts.query}" if parts.query else path
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return tuple(echo for echo in (url, full, path, last) if len(echo) >= _MIN_ECHO_CHARS)


# --------------------------------------------------------------------------- the cascade


def soft_404_reason(result: FetchResult) -> str | None:
    """Why this 2xx answer is no real page (German, short), or None when it is one."""
    if result.error is not None or result.status is None or not 200 <= result.status < 300:
        return None
    final = result.final_url or result.url
    parts = page_text(result.body, result.header("content-type")) if result.body else None
    if parts is not None:
        parked = parked_domain_reason(parts)
        if parked:
            return parked
    if result.hops:
        moved_away = redirect_target_reason(requested_url(result), final)
        if moved_away:
            return moved_away
    if parts is not None and parts.is_html:
        error_page = error_page_reason(parts)
        if error_page:
            return error_page
    fingerprint = ""
    probe = result.probe
    # Only a probe answered with 2xx can unmask a page; an honest 404 needs no comparison.
    if (
        parts is not None
        and probe is not None
        and probe.text
        and probe.status is not None
        and 200 <= probe.status < 300
    ):
        echoes = page_echoes(requested_url(result)) + page_echoes(final)
        fingerprint = normalise_for_comparison(f"{parts.title} {parts.main_text}", echoes)
    return probe_reason(result, fingerprint, parts)
