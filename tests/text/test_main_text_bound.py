"""`extractors.text.main_text_bound`: the words a main text can hold, without extracting it.

The bound is only sound while `html_tree.readable_text` keeps what it assumes kept and breaks
lines where it assumes breaks; the first two tests hold `readable_text` to that.
"""

from __future__ import annotations

import sys

import lxml.html
import pytest

from extractors.text import main_text_bound as main_text_bound_module
from extractors.text.html_tree import content_region, parse_html, readable_text
from extractors.text.main_text_bound import (
    LINE_TAGS,
    PLAIN_TAGS,
    MainTextBound,
    main_text_bound,
    plain_region_bound,
    walked_region_bound,
)

_FILLER = "<p>" + "Die Stadt berät Zugewanderte im Rathaus und in den Stadtteilen. " * 3 + "</p>"


def _root(body: str) -> lxml.html.HtmlElement:
    root = parse_html(f"<!doctype html><html><head><title>T</title></head><body>{body}</body>")
    assert root is not None
    return root


@pytest.mark.parametrize("tag", sorted(PLAIN_TAGS - {"main", "body", "br"}))
def test_plain_tags_without_attributes_are_kept(tag: str) -> None:
    for container in ("main", "div"):  # inside an explicit region and inside <body>
        html = f"<{container}>{_FILLER}<{tag}>kennwort</{tag}></{container}>"
        assert "kennwort" in readable_text(_root(html)), (tag, container)


@pytest.mark.parametrize("tag", sorted(LINE_TAGS - {"main", "body", "br"}))
def test_line_tags_break_lines(tag: str) -> None:
    html = f"<main>{_FILLER}vorher<{tag}>mitte</{tag}>nachher</main>"
    lines = readable_text(_root(html)).split("\n")
    assert "mitte" in lines, tag


def test_clean_page_gives_exact_bound_holding_every_word() -> None:
    root = _root(
        "<nav><a href='/'>Start</a> <a href='/x'>Rathaus</a></nav>"
        f"<main><h1>Sprachcafé</h1>{_FILLER}<p>Jeden <b>Dienstag</b> um 18 Uhr.</p></main>"
        "<footer>© Stadt</footer>"
    )
    bound = main_text_bound(root)
    assert bound.exact_words
    for word in readable_text(root).lower().split():
        assert bound.may_contain(word)
    assert not bound.may_contain("gefunden")


@pytest.mark.parametrize(
    "html",
    [
        f"<main>{_FILLER}<p>Seite nicht ge<span hidden> x </span>funden</p></main>",
        f"<main>{_FILLER}<p>Fehler 40<span class='cookie'>x</span>4</p></main>",
        f"<main>{_FILLER}<p>Seite nicht <span hidden>x</span>gefunden</p></main>",
    ],
)
def test_word_across_nodes_gives_up(html: str) -> None:
    bound = main_text_bound(_root(html))
    assert not bound.exact_words and bound.may_contain("gefunden") and bound.may_contain("404")


@pytest.mark.parametrize(
    ("html", "word"),
    [
        # Nothing here may be left out but empty leaves: the region's text holds the word.
        (f"<main>{_FILLER}<p>Seite nicht gef<b>un</b>den</p></main>", "gefunden"),
        (f"<main>{_FILLER}<p>Fehler 40<span class='icon'></span>4</p></main>", "404"),
        (f"<main>{_FILLER}<p>Seite nicht ge<img src='x.png' alt='y'>funden</p></main>", "gefunden"),
        (f"<main>{_FILLER}<p>Seite <br class='x'>nicht gefunden</p></main>", "gefunden"),
    ],
)
def test_word_across_plain_markup_is_in_an_exact_bound(html: str, word: str) -> None:
    root = _root(html)
    bound = main_text_bound(root)
    assert bound.exact_words and bound.may_contain(word)
    assert word in readable_text(root).lower()


@pytest.mark.parametrize(
    "html",
    [
        f"<main>{_FILLER}<p>Jeden <b>Dienstag</b> um 18 Uhr.</p></main>",
        f"<main>{_FILLER}<p>Jeden <span class='x'></span>Dienstag.</p><p>Ort:<br>Amt</p></main>",
        f"<main id='inhalt'>{_FILLER}<h2>Termine</h2><ol><li>Montag</li></ol></main>",
        f"<p>Ohne Region.</p>{_FILLER}<p>Kontakt: <b>Amt</b>.<br></p><table><tr><td>A</td></tr>",
    ],
)
def test_plain_region_shortcut_agrees_with_the_walk(html: str) -> None:
    root = _root(html)
    region = content_region(root)
    plain = plain_region_bound(region[0])
    walked = walked_region_bound(region[0])
    assert plain is not None
    if walked.exact_words:
        assert plain.exact_words and plain.text == walked.text
    for word in readable_text(root).lower().split():
        assert plain.may_contain(word), word


@pytest.mark.parametrize(
    "html",
    [
        f"<main>{_FILLER}<div class='box'>Hinweis</div></main>",
        f"<main>{_FILLER}<section><p>Abschnitt</p></section></main>",
        f"<main>{_FILLER}<span class='x'><img src='a.png'></span></main>",
    ],
)
def test_region_with_droppable_content_is_not_plain(html: str) -> None:
    assert plain_region_bound(content_region(_root(html))[0]) is None


def test_only_listed_characters_lower_case_to_ascii_letters() -> None:
    # MainTextBound answers ASCII words from ASCII-folded bytes unless one of these is present.
    found = set()
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isascii() or 0xD800 <= code <= 0xDFFF:
            continue
        if any(c.isascii() for c in char.lower()):
            found.add(char)
    assert found == set(main_text_bound_module._LOWER_TO_ASCII)


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [
        ("SEITE NICHT GEFUNDEN", "gefunden", True),
        ("Die Seite ist nicht mehr VERFÜGBAR", "verfügbar", True),
        ("\u212aONTAKT", "kontakt", True),  # Kelvin sign: lower-cases to "k"
        ("D\u0130E SEITE", "seite", True),
        ("D\u0130E SEITE", "dies", False),
        ("Fehler 4O4", "404", False),
        ("Die Stadt existiert seit 1200", "existiert", True),
        ("Die Stadt besteht seit 1200", "existiert", False),
        ("Ümläute und „Zeichen“ – ﬁnden", "finden", False),  # the ligature is not "fi"
        ("Preis 5 € – SEITE NICHT GEFUNDEN", "gefunden", True),  # beyond Latin-1: UTF-8
        ("Preis 5 € – ÄRGER", "ärger", True),
        ("ÄRGER", "ärger", True),
        ("Ärger", "arger", False),
    ],
)
def test_may_contain_lower_cases_like_str_lower(text: str, word: str, expected: bool) -> None:
    bound = MainTextBound(text, exact_words=True)
    assert bound.may_contain(word) is expected
    assert (word in text.lower()) is expected


def test_region_that_may_be_empty_gives_up() -> None:
    # readable_text may yield nothing here and then falls back to all visible text.
    root = _root("<div class='box'>Diese Seite wurde nicht gefunden</div>")
    assert not main_text_bound(root).exact_words
