"""`extractors.main_text_bound`: the words a main text can hold, without extracting it.

The bound is only sound while `html_tree.readable_text` keeps what it assumes kept and breaks
lines where it assumes breaks; the first two tests hold `readable_text` to that.
"""

from __future__ import annotations

import lxml.html
import pytest

from extractors.html_tree import parse_html, readable_text
from extractors.main_text_bound import LINE_TAGS, PLAIN_TAGS, main_text_bound

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
        f"<main>{_FILLER}<p>Seite nicht gef<b>un</b>den</p></main>",
        f"<main>{_FILLER}<p>Fehler 40<span class='cookie'>x</span>4</p></main>",
        f"<main>{_FILLER}<p>Seite nicht <span hidden>x</span>gefunden</p></main>",
    ],
)
def test_word_across_nodes_gives_up(html: str) -> None:
    bound = main_text_bound(_root(html))
    assert not bound.exact_words and bound.may_contain("gefunden") and bound.may_contain("404")


def test_region_that_may_be_empty_gives_up() -> None:
    # readable_text may yield nothing here and then falls back to all visible text.
    root = _root("<div class='box'>Diese Seite wurde nicht gefunden</div>")
    assert not main_text_bound(root).exact_words
