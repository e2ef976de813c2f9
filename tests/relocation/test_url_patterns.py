"""URL rewrite rules learnt from a provider's moves and applied to its broken links."""

from __future__ import annotations

from extractors.relocation.url_patterns import (
    apply_rewrite_rules,
    learn_rewrite_rules,
    pattern_candidates,
)

MONHEIM = "https://www.monheim.de"


def test_year_directory_removed_and_html_dropped() -> None:
    moves = [(f"{MONHEIM}/aktuelles/2016/sprachcafe.html", f"{MONHEIM}/presse/sprachcafe")]
    assert pattern_candidates(moves, f"{MONHEIM}/aktuelles/2016/willkommensfest.html") == [
        f"{MONHEIM}/presse/willkommensfest"
    ]


def test_the_year_is_a_wildcard_and_carried_over_when_the_new_path_keeps_it() -> None:
    moves = [
        (
            "https://www.kreis-soest.de/pressemitteilungen/2017/fluechtlingshilfe.php",
            "https://www.kreis-soest.de/presse/2017/fluechtlingshilfe/",
        )
    ]
    assert pattern_candidates(
        moves, "http://kreis-soest.de/pressemitteilungen/2019/ehrenamt-lotsen.php"
    ) == ["https://www.kreis-soest.de/presse/2019/ehrenamt-lotsen/"]


def test_a_renamed_page_teaches_nothing() -> None:
    moves = [(f"{MONHEIM}/integration/kurse.html", f"{MONHEIM}/leben/sprachkurse")]
    assert learn_rewrite_rules(moves) == []


def test_another_host_or_another_directory_does_not_fit() -> None:
    rules = learn_rewrite_rules([(f"{MONHEIM}/aktuelles/2016/a.html", f"{MONHEIM}/presse/a")])
    assert apply_rewrite_rules(rules, "https://www.dormagen.de/aktuelles/2016/b.html") == []
    assert apply_rewrite_rules(rules, f"{MONHEIM}/soziales/2016/b.html") == []
    assert apply_rewrite_rules(rules, f"{MONHEIM}/aktuelles/2016/b.pdf") == []
    assert apply_rewrite_rules(rules, f"{MONHEIM}/aktuelles/2016/b.html?id=3") == []


def test_rules_seen_more_often_come_first() -> None:
    moves = [
        (f"{MONHEIM}/aktuelles/2016/a.html", f"{MONHEIM}/presse/a"),
        (f"{MONHEIM}/aktuelles/2016/b.html", f"{MONHEIM}/archiv/b"),
        (f"{MONHEIM}/aktuelles/2015/c.html", f"{MONHEIM}/presse/c"),
    ]
    assert pattern_candidates(moves, f"{MONHEIM}/aktuelles/2016/d.html") == [
        f"{MONHEIM}/presse/d",
        f"{MONHEIM}/archiv/d",
    ]


def test_the_broken_links_own_move_is_left_out() -> None:
    own = (f"{MONHEIM}/aktuelles/2016/a.html", f"{MONHEIM}/presse/a")
    assert pattern_candidates([own], own[0]) == []
