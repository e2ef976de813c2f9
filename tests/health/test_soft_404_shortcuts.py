"""The shortcuts that spare `extractors.health.soft_404` work on ordinary pages never change a
verdict.

Each shortcut is exact by construction (see the comments where it is used); these tests hold it
to pages where a cheap test is easiest to fool: other encodings, entities, upper case, words cut
by markup, boxes the main text leaves out, parking markers in odd spellings.
"""

from __future__ import annotations

import re
import sys

import pytest

from extractors.health import error_phrasing, parked_domain
from extractors.health import page_text as page_text_module
from extractors.health.page_text import PageText, page_text
from extractors.health.soft_404 import soft_404_reason
from extractors.records import FetchResult

URL = "https://www.musterstadt.de/integration/sprachcafe"
_FILLER = "<p>" + "Die Stadt berät Zugewanderte im Rathaus und in den Stadtteilen. " * 2 + "</p>"


def _answer(body: bytes, content_type: str = "text/html; charset=utf-8") -> FetchResult:
    return FetchResult(URL, URL, 200, (), (("Content-Type", content_type),), body)


def _page(content: str) -> str:
    return (
        "<!doctype html><html><head><title>Stadt Musterstadt</title></head><body>"
        f"<nav><a href='/'>Start</a></nav>{content}</body></html>"
    )


# Phrases as pages spell them, each inside a plain region (the bound's shortcut) and inside a
# classed box (the walk, after the look at the raw bytes).
_ERROR_SPELLINGS = (
    "Die Seite ist leider nicht mehr verf&uuml;gbar.",
    "Die Seite ist leider nicht mehr VERFÜGBAR.",
    "Seite&#160;nicht&nbsp;gefunden",
    "&#83;eite nicht &#x67;efunden",
    "SEITE NICHT GEFUNDEN",
    "Fehler&#x20;404 &ndash; Seite nicht gefunden",
    "Seite nicht gef<b>un</b>den",
    "Seite nicht ge<span class='x'></span>funden",
    "Die Seite <em>existiert</em> leider nicht mehr.",
    "Page not <i>found</i>",
)
_CONTAINERS = ("<main>{}</main>", "<main><div class='inhalt'>{}</div></main>", "<div>{}</div>")


@pytest.mark.parametrize("phrase", _ERROR_SPELLINGS)
@pytest.mark.parametrize("container", _CONTAINERS)
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_error_phrase_is_found_whatever_the_spelling(
    phrase: str, container: str, encoding: str
) -> None:
    html = _page(container.format(f"<p>{phrase}</p>{_FILLER}"))
    if encoding == "utf-16":
        body, content_type = html.encode("utf-16"), "text/html"  # with a byte-order mark
    else:
        body, content_type = html.encode(encoding), f"text/html; charset={encoding}"
    reason = soft_404_reason(_answer(body, content_type))
    assert reason is not None and reason.startswith("Fehlerseite"), (phrase, container, reason)


@pytest.mark.parametrize("container", _CONTAINERS)
def test_ordinary_page_stays_ok(container: str) -> None:
    html = _page(container.format(f"<h1>Sprachcafé</h1>{_FILLER}"))
    assert soft_404_reason(_answer(html.encode())) is None


def test_plain_page_without_phrase_words_is_judged_without_extraction() -> None:
    parts = page_text(_page(f"<main><h1>Sprachcafé</h1>{_FILLER}</main>").encode(), "text/html")
    assert parts is not None
    assert not parts.may_hold(error_phrasing._ERROR_WORDS)
    assert not parts.may_hold(parked_domain._PARKED_WORDS)
    assert not parts.has_main_text


def test_may_hold_agrees_with_the_main_text_on_every_set() -> None:
    # Words present in the main text must always be reported; absent ones may be "maybe".
    html = _page(
        f"<main><h1>Hinweis</h1><p>Die Seite gibt es nicht. 404 page you</p>{_FILLER}</main>"
    )
    parts = page_text(html.encode(), "text/html")
    assert parts is not None
    word_sets = error_phrasing._ERROR_WORDS + parked_domain._PARKED_WORDS
    answers = [parts.may_hold((words,)) for words in word_sets]
    text = parts.main_text.lower()
    for words, answer in zip(word_sets, answers, strict=True):
        if all(word in text for word in words):
            assert answer, words
    assert not parts.may_hold((("domain",),))


def test_marker_endings_pattern_sees_every_spelling_of_com_and_net() -> None:
    assert all(marker.endswith((".com", ".net")) for marker in parked_domain._PARKING_MARKERS)
    # Which characters lower-case to one of ".comnet"? Only their ASCII spellings.
    letters = set(".comnet")
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if letters & set(char.lower()):
            assert char in ".comnetCOMNET", hex(code)
    for text in ("x.com", "X.COM", "y.Net", "a.cOm/", ".nEt"):
        assert parked_domain._MARKER_ENDINGS.search(text), text
    for text in ("x.co", "com", "x-com", "x.ne t", ".c0m"):
        assert not parked_domain._MARKER_ENDINGS.search(text), text


@pytest.mark.parametrize(
    "head",
    [
        "<script src='//IMG.SEDOPARKING.COM/p.js'></script>",
        "<link rel='preconnect' href='https://Sedo.Com'>",
        "<script src='//dan.net/x.js'></script><script src='/x.js'>var a='bodis.com';</script>",
    ],
)
def test_parking_marker_in_any_case_is_found(head: str) -> None:
    body = f"<html><head>{head}</head><body><h2>Related Links</h2></body></html>"
    reason = soft_404_reason(_answer(body.encode()))
    assert reason is not None and "Parking-Dienst" in reason, reason


def test_long_page_with_marker_is_no_parked_domain_whatever_was_extracted_first() -> None:
    text = "<p>" + "Registrare und Werbenetzwerke verdienen an Domains wie sedo.com. " * 30 + "</p>"
    body = _page(f"<main class='c'>{text}</main>").encode()
    assert soft_404_reason(_answer(body)) is None
    parts = page_text(body, "text/html")
    assert parts is not None and parts.words > 150
    assert parked_domain.parked_domain_reason(parts) is None


def _pages() -> list[tuple[bytes, str]]:
    pages = []
    for phrase in (*_ERROR_SPELLINGS, "Diese Domain steht zum Verkauf", "sedo.com", "Hallo"):
        for container in _CONTAINERS:
            for filler in ("", _FILLER, _FILLER * 20):
                html = _page(container.format(f"<p>{phrase}</p>{filler}"))
                pages.append((html.encode(), "text/html; charset=utf-8"))
                pages.append((html.encode("cp1252"), "text/html"))
    return pages


def test_verdicts_equal_those_without_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = _pages()
    fast = [soft_404_reason(_answer(body, content_type)) for body, content_type in pages]
    # Without shortcuts: every phrase check runs on the extracted main text.
    monkeypatch.setattr(PageText, "may_hold", lambda self, word_sets: True)
    monkeypatch.setattr(PageText, "has_main_text", property(lambda self: False))
    monkeypatch.setattr(parked_domain, "_MARKER_ENDINGS", re.compile(""))
    slow = [soft_404_reason(_answer(body, content_type)) for body, content_type in pages]
    assert fast == slow
    assert sum(reason is not None for reason in fast) > len(pages) // 2


@pytest.mark.parametrize("count", range(0, 25))
def test_has_fewer_words_equals_the_word_count_test(count: int) -> None:
    for text in ("", " ", "eins", "a b  c\n d\te ", " ".join(["wort"] * 19), " ".join(["w"] * 21)):
        html = f"<main><p>{text}</p><p>{text}</p></main>"
        parts = page_text(_page(html).encode(), "text/html")
        assert parts is not None
        assert parts.has_fewer_words(count) == (len(parts.main_text.split()) < count), text
        assert parts.has_fewer_words(count) == (parts.words < count), text  # now from the count


@pytest.mark.parametrize("count", [1, 2, 5, 20, 21])
def test_shows_fewer_chars_equals_counting_all_visible_text(count: int) -> None:
    # The count stops early; it must answer as if it had counted every visible character.
    for html in (
        _page(""),
        _page("<main> \n&nbsp; </main>"),
        _page(f"<main><p>{'x' * 20}</p></main>"),
        _page("<main><p>a <b>b</b> c<script>var ignored = 1;</script> d</p></main>"),
        _page("<style>p {}</style><noscript>ohne JS</noscript><template><p>später</p></template>"),
        _page("<main><p>Eins</p>zwei<div>drei<span>vier</span>fünf</div>sechs</main>"),
        "<html><head><title>Nur ein Titel</title></head></html>",
    ):
        parts = page_text(html.encode(), "text/html")
        assert parts is not None and parts.root is not None
        shown = "".join("".join(page_text_module._VISIBLE_TEXT(parts.root)).split())
        assert parts.shows_fewer_chars(count) == (len(shown) < count), (html, count)
