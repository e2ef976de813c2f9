"""Error phrasing on a 2xx page: "Seite nicht gefunden", "Fehler 404", "Page not found" …

Pure: a `PageText` in, "Fehlerseite trotz Status 2xx (…)" or None out. The phrase is
weighed by WHERE it stands and how SHORT the page is. A heading (title segment or h1) that
mostly consists of the phrase is decisive; a phrase that is only part of a longer headline,
is quoted („Seite nicht gefunden“), or sits in a long text is a mention, and mentions alone
never add up to a verdict. Bare "404" and "nicht gefunden" count weakly everywhere, so a bus
line 404 or a lost-property office stays `ok`.

Only a statement counts, in a heading and in the text alike: a phrase in a question
(„Gegenstand verloren oder nicht gefunden?“), after a word that opens a question or a
supposition in its clause („Was tun, wenn die Seite nicht gefunden wird“) or, in a heading,
as the topic before a colon („Seite nicht gefunden: Ursachen und Lösungen“) is a mention.
In the text, a sentence ends at its block (paragraph, list item) at the latest.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from extractors.health.page_text import PageText, as_written, normalise_phrase_text

_PHRASE_THRESHOLD = 3.0

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
_SENTENCE_END = re.compile(r"[.!?]+")
# Where a clause begins: after a comma, semicolon, colon, bracket, dash or a sentence's end.
_CLAUSE_BREAK = re.compile(r"[,;:(\[]|\s-\s|[.!?]+\s")
# Words that open a question or a supposition: a phrase after one of them in its clause
# ("Was tun, wenn die Seite nicht gefunden wird", "Warum die Seite nicht gefunden wurde") talks
# about the error, it does not report it.
_SUPPOSING = re.compile(
    r"\b(?:wenn|falls|sobald|sofern|ob|warum|wieso|weshalb|weswegen|wann|wie|was tun"
    r"|was passiert|was bedeutet|was heißt|was ist|if|when|whenever|why|how|what|whether"
    r"|unless|in case)\b"
)
_HEADING_PUNCTUATION = " .!?:;-()[]"
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


def _is_stated(text: str, start: int, end: int, lo: int, hi: int) -> bool:
    """Whether the phrase at text[start:end] (in the block or sentence text[lo:hi]) is stated.

    Not when it is asked (the sentence ends with "?": „Wohnung nicht gefunden?“) or supposed
    (a word like "wenn", "falls", "warum", "if" opens its clause before it: „Was tun, wenn
    die Seite nicht gefunden wird“).
    """
    sentence_end = _SENTENCE_END.search(text, end, hi)
    if sentence_end and "?" in sentence_end.group(0):
        return False
    clause = lo
    for brk in _CLAUSE_BREAK.finditer(text, lo, start):
        clause = brk.end()
    return not _SUPPOSING.search(text, clause, start)


def _is_topic(bare: str, end: int) -> bool:
    """Whether the phrase ending at `end` is a headline's topic: a colon follows it in its
    sentence, and after the colon something that is no error phrase („Seite nicht gefunden:
    Ursachen und Lösungen“, but not „Seite nicht gefunden: 404“)."""
    sentence_end = _SENTENCE_END.search(bare, end)
    colon = bare.find(":", end, sentence_end.start() if sentence_end else len(bare))
    if colon < 0:
        return False
    rest = bare[colon + 1 : sentence_end.start() if sentence_end else len(bare)]
    rest = rest.strip(_HEADING_PUNCTUATION)
    return bool(rest) and not (
        _BARE_HEADING.match(rest) or _STATEMENTS.search(rest) or _CODES.search(rest)
    )


def _heading_signal(text: str, *, is_title: bool) -> _HeadingSignal:
    """Judge one heading: the phrase must be the message of a title segment (or the h1).

    It is when it fills most of the segment, is not quoted, not asked, not supposed (see
    `_is_stated`) and not the topic before a colon (see `_is_topic`). "Seite nicht gefunden –
    Stadt X", „Hoppla! Die Seite wurde nicht gefunden“ and „Fehler 404: Seite nicht gefunden“
    are decisive; "Seite nicht gefunden: So gestalten Kommunen gute Fehlerseiten", a quoted
    „Seite nicht gefunden“, „Nicht gefunden? – Fundbüro“ and „Was tun, wenn die Seite nicht
    gefunden wird?“ only mention it.
    """
    normalised = normalise_phrase_text(text)
    if not normalised:
        return _HeadingSignal()
    quoted_spans = [m.span() for m in _QUOTED.finditer(normalised)]
    mention = weak = False
    segments = [(0, len(normalised))]
    if is_title:
        segments = _spans(normalised, _TITLE_SEPARATORS)
    for start, end in segments:
        segment = normalised[start:end]
        bare = segment.strip(_HEADING_PUNCTUATION)
        if not bare:
            continue
        offset = start + len(segment) - len(segment.lstrip(_HEADING_PUNCTUATION))
        if _BARE_HEADING.match(bare):
            if _is_stated(normalised, offset, offset + len(bare), start, end):
                return _HeadingSignal(decisive=bare)
            mention = True
        for pattern in (_STATEMENTS, _CODES):
            for match in pattern.finditer(bare):
                at, until = offset + match.start(), offset + match.end()
                if (
                    len(match.group(0)) / len(bare) >= _DOMINANT_SHARE
                    and not any(a <= at < b for a, b in quoted_spans)
                    and _is_stated(normalised, at, until, start, end)
                    and not _is_topic(bare, match.end())
                ):
                    return _HeadingSignal(decisive=match.group(0))
                mention = True
        weak = weak or bool(_WEAK.search(bare))
    return _HeadingSignal(mention=mention, weak=weak)


def _spans(text: str, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """The (start, end) of the pieces of `text` between matches of `separator`."""
    spans = []
    start = 0
    for match in separator.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _stated(pattern: re.Pattern[str], text: str, blocks: list[int]) -> list[str]:
    """The matches of `pattern` in `text` that are stated (see `_is_stated`) in their block;
    `blocks`: where each block of the text starts."""
    found = []
    for match in pattern.finditer(text):
        index = bisect.bisect_right(blocks, match.start()) - 1
        lo = blocks[index]
        hi = blocks[index + 1] if index + 1 < len(blocks) else len(text)
        if _is_stated(text, match.start(), match.end(), lo, hi):
            found.append(match.group(0))
    return found


def _body_score(unquoted: str, words: int, blocks: list[int]) -> tuple[float, str | None]:
    """Error statements in the running text (quotes removed), weighed by how short it is.

    A short text (≤ 80 words) that states the error is an error page; in a medium
    text it takes two statements; a long text is an article and never decides alone.
    A phrase that is asked or supposed (see `_is_stated`) is no statement: only a weak hint.
    """
    statements = _stated(_STATEMENTS, unquoted, blocks)
    codes = _stated(_CODES, unquoted, blocks)
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


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


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
            phrase = as_written(signal.decisive, source)[:60]
            return f"Fehlerseite trotz Status 2xx („{phrase}“ in {where})"
    if not parts.may_hold(_ERROR_WORDS):
        return None  # no statement and no code can be in the text: no phrase to score
    # One block a line (a paragraph, a list item …): a question mark in the next block does
    # not make a statement a question. Headings and quotes are blanked, not cut, so that the
    # blocks keep their offsets.
    blocks = [line for line in map(normalise_phrase_text, parts.main_text.splitlines()) if line]
    starts = list(itertools.accumulate((len(line) + 1 for line in blocks[:-1]), initial=0))
    body = " ".join(blocks)
    for heading in parts.headings:  # the h1 is part of the main text: count it once
        heading_text = normalise_phrase_text(heading)
        body = body.replace(heading_text, " " * len(heading_text))
    unquoted = _QUOTED.sub(_blank, body)
    words = len(unquoted.split())
    if words > _LONG_WORDS and _LONG_TEXT_CAP + _HEADING_WEAK_CAP < _PHRASE_THRESHOLD:
        return None  # an article cannot reach the threshold: skip the pattern search
    score, phrase = _body_score(unquoted, words, starts)
    if any(signal.mention for _, signal in signals):
        score *= 0.5
    score += min(_HEADING_WEAK_CAP, 0.25 * sum(signal.weak for _, signal in signals))
    if score < _PHRASE_THRESHOLD or phrase is None:
        return None
    return f"Fehlerseite trotz Status 2xx („{as_written(phrase, parts.main_text)[:60]}“ im Text)"
