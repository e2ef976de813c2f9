"""`extractors.health.soft_404` on plain records: pages, redirects and host probes in, a reason out.

Golden tables in the htmldate/trafilatura manner: each case says which words the
reason must contain (or that there must be none), never the exact sentence.
"""

from __future__ import annotations

import re
from re import _parser as re_parser

import pytest

from extractors.health import error_phrasing, parked_domain
from extractors.health.error_phrasing import error_page_reason
from extractors.health.host_probe import (
    fingerprint_text,
    needs_probe,
    normalise_for_comparison,
    page_echoes,
    text_similarity,
)
from extractors.health.page_text import page_text
from extractors.health.redirect_targets import (
    is_homepage,
    is_login_page,
    is_search_page,
    is_site_root,
    redirect_target_reason,
)
from extractors.health.soft_404 import soft_404_reason
from extractors.records import FetchResult, Hop, HostProbe

SITE = "https://www.musterstadt.de"
HTML = (("Content-Type", "text/html; charset=utf-8"),)


def html_page(title: str, body: str, *, h1: str | None = None) -> bytes:
    heading = f"<h1>{h1}</h1>" if h1 else ""
    return (
        f"<!doctype html><html lang='de'><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Start</a> <a href='/rathaus'>Rathaus</a></nav>"
        f"<main>{heading}{body}</main><footer>© 2026 Stadt Musterstadt</footer></body></html>"
    ).encode()


def answer(
    body: bytes,
    *,
    url: str = SITE + "/integration/sprachcafe",
    hops: tuple[Hop, ...] = (),
    final: str | None = None,
    probe: HostProbe | None = None,
    headers: tuple[tuple[str, str], ...] = HTML,
    status: int = 200,
) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=final or url,
        status=status,
        hops=hops,
        headers=headers,
        body=body,
        probe=probe,
    )


LONG_ARTICLE = (
    "<p>Wenn eine Seite nicht gefunden wird, antwortet der Server mit dem Fehler 404. Eine gute "
    "Fehlerseite sagt, dass die angeforderte Seite leider nicht mehr existiert.</p>"
    + "<p>"
    + "Die Redaktion hat dazu Nutzerinnen befragt und die Navigation überarbeitet. " * 30
    + "</p>"
)
MEDIUM_NEWS = (
    "<p>Seit Dienstag meldete die Online-Terminvergabe bei manchen Buchungen einen Fehler 404. "
    "Der Dienstleister hat die Ursache gefunden und behoben.</p><p>"
    + "Termine im Bürgerbüro können wieder wie gewohnt online gebucht werden. " * 8
    + "</p>"
)

# (case id, title, h1, body, words the reason must contain – None: no soft 404)
PHRASE_CASES = [
    ("de title", "Seite nicht gefunden - Stadt Musterstadt", None, "<p>Suche</p>", ["Titel"]),
    ("de h1 404", "Stadt Musterstadt", "Fehler 404", "<p>Bitte die Suche nutzen.</p>", ["404"]),
    (
        "de body only",
        "Stadt Musterstadt",
        None,
        "<p>Die angeforderte Seite existiert leider nicht (mehr).</p>",
        ["im Text"],
    ),
    (
        "de oops h1",
        "Stadt Musterstadt",
        "Hoppla! Die Seite wurde nicht gefunden",
        "<p>Zur Startseite</p>",
        ["Überschrift"],
    ),
    ("en title", "404 – Not Found", None, "<p>nginx</p>", ["Titel"]),
    ("en bare title", "Not Found", None, "<p>The requested URL was not found.</p>", ["Titel"]),
    (
        "en statement",
        "Example City",
        None,
        "<p>The page you requested could not be found.</p>",
        ["im Text"],
    ),
    ("en h1", "Example City", "Page not found", "<p>Try the search.</p>", ["Page not found"]),
    (
        "medium page with two statements",
        "Stadt Musterstadt",
        None,
        "<p>Seite nicht gefunden. Die angeforderte Seite existiert leider nicht mehr.</p><p>"
        + "Sie finden viele Angebote über die Navigation und die Suche oben rechts. " * 8
        + "</p>",
        ["im Text"],
    ),
    # traps
    (
        "bus line 404",
        "Buslinie 404: Neue Haltestellen ab Montag - Stadtwerke",
        "Buslinie 404 fährt ab Montag über den Marktplatz",
        "<p>Die Linie 404 fährt über den Marktplatz. Wer seine Haltestelle nicht gefunden hat, "
        "fragt im Kundencenter.</p>",
        None,
    ),
    (
        "lost property",
        "Fundbüro - Stadt Musterstadt",
        "Fundbüro",
        "<p>Fundbüro: Was Sie verloren und nicht gefunden haben, wird oft bei uns abgegeben.</p>",
        None,
    ),
    (
        "article about error pages",
        "Seite nicht gefunden: So gestalten Kommunen gute Fehlerseiten",
        "Seite nicht gefunden: So gestalten Kommunen gute Fehlerseiten",
        LONG_ARTICLE,
        None,
    ),
    ("quoted in a heading", "Was tun bei „Seite nicht gefunden“?", None, "<p>Tipps.</p>", None),
    (
        "news about an error 404",
        "Fehler 404 bei der Online-Terminvergabe behoben - Stadt Musterstadt",
        "Fehler 404 bei der Online-Terminvergabe behoben",
        MEDIUM_NEWS,
        None,
    ),
    ("phone number with 404", "Bürgerbüro", None, "<p>Telefon 0211 404-0, Zimmer 404.</p>", None),
]


@pytest.mark.parametrize(
    ("title", "h1", "body", "words"),
    [case[1:] for case in PHRASE_CASES],
    ids=[case[0] for case in PHRASE_CASES],
)
def test_error_phrasing(title: str, h1: str | None, body: str, words: list[str] | None) -> None:
    reason = soft_404_reason(answer(html_page(title, body, h1=h1)))
    if words is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith("Fehlerseite")
        for word in words:
            assert word in reason


def test_error_page_reason_works_on_parts() -> None:
    parts = page_text(html_page("Seite nicht gefunden", "<p>x</p>"), "text/html")
    assert parts is not None and parts.title == "Seite nicht gefunden"
    assert error_page_reason(parts) is not None


# --------------------------------------------------------------------------- parked domains


@pytest.mark.parametrize(
    ("body", "word"),
    [
        (html_page("stadt-alt.de", "<p>Diese Domain steht zum Verkauf!</p>"), "zum Verkauf"),
        (html_page("example.org", "<h2>This domain is for sale</h2>"), "for sale"),
        (
            html_page("x.de", "<p>Hier entsteht eine neue Internetpräsenz.</p>"),
            "Internetpräsenz",
        ),
        (
            b"<html><head><script src='//img.sedoparking.com/p.js'></script></head>"
            b"<body><h2>Related Links</h2></body></html>",
            "sedoparking.com",
        ),
    ],
)
def test_parked_domains(body: bytes, word: str) -> None:
    reason = soft_404_reason(answer(body, url=SITE + "/"))  # the root too: parked is no content
    assert reason is not None and "Geparkte Domain" in reason and word in reason


def test_a_long_article_about_domain_parking_is_no_parked_domain() -> None:
    text = "<p>Domain parking ist ein Geschäftsmodell, das wir hier erklären.</p>" + (
        "<p>" + "Registrare, Werbenetzwerke und Domainhändler verdienen daran. " * 60 + "</p>"
    )
    assert soft_404_reason(answer(html_page("Domain-Parking erklärt", text))) is None


# --------------------------------------------------------------------------- redirect targets


@pytest.mark.parametrize(
    ("url", "root"),
    [
        (SITE, True),
        (SITE + "/", True),
        (SITE + "/index.html", True),
        (SITE + "/index.php", True),
        (SITE + "/de/", True),
        (SITE + "/en", True),
        (SITE + "/startseite", True),
        (SITE + "/de/startseite.html", True),
        (SITE + "/index.php?id=42", False),  # TYPO3: the query picks the page
        (SITE + "/?lang=de", False),
        (SITE + "/integration", False),
        (SITE + "/de/integration/", False),
    ],
)
def test_is_site_root(url: str, root: bool) -> None:
    assert is_site_root(url) is root


def test_homepage_forgives_harmless_query_keys() -> None:
    assert is_homepage(SITE + "/?lang=de&utm_source=x")
    assert is_homepage(SITE + "/?error=404")
    assert not is_homepage(SITE + "/?id=42")


@pytest.mark.parametrize(
    ("url", "search", "login"),
    [
        (SITE + "/suche?q=integration", True, False),
        (SITE + "/SiteGlobals/Forms/Suche/Expertensuche_Formular.html", True, False),
        (SITE + "/?s=sprachcafe", True, False),
        (SITE + "/search/results", True, False),
        (SITE + "/hausbesuche", False, False),  # "besuche" is no search
        (SITE + "/login?redirect=%2Fx", False, True),
        (SITE + "/user/login.php", False, True),
        (SITE + "/wp-login.php", False, True),
        (SITE + "/benutzer/anmelden", False, True),
        ("https://sso.musterstadt.de/auth/realms/buerger", False, True),
        (SITE + "/buergerservice/anmeldung-wohnsitz", False, False),  # registration, not login
        (SITE + "/integration/sprachcafe", False, False),
    ],
)
def test_search_and_login_pages(url: str, search: bool, login: bool) -> None:
    assert is_search_page(url) is search
    assert is_login_page(url) is login


@pytest.mark.parametrize(
    ("requested", "final", "word"),
    [
        (SITE + "/alt/projekt", SITE + "/", "Startseite"),
        (SITE + "/alt/projekt", SITE + "/index.php", "Startseite"),
        (SITE + "/alt/projekt", "https://neue-stadt.de/", "Startseite"),
        (SITE + "/index.php?id=42", SITE + "/", "Startseite"),
        (SITE + "/alt/projekt", SITE + "/suche?q=projekt", "Suchseite"),
        (SITE + "/alt/projekt", SITE + "/login?next=/alt/projekt", "Anmeldeseite"),
        (SITE + "/", SITE + "/de/", None),  # the root may go wherever it likes
        (SITE, SITE + "/startseite", None),
        (SITE + "/alt/projekt", SITE + "/neu/projekt", None),
        (SITE + "/suche?q=a", SITE + "/suche?q=a&page=1", None),  # search to search
        (SITE + "/login", SITE + "/sso/login", None),
    ],
)
def test_redirect_target_reason(requested: str, final: str, word: str | None) -> None:
    reason = redirect_target_reason(requested, final)
    if word is None:
        assert reason is None
    else:
        assert reason is not None and word in reason and final in reason


def test_a_301_to_the_homepage_is_soft_404_through_the_cascade() -> None:
    result = answer(
        html_page("Startseite", "<p>Willkommen</p>"),
        hops=(Hop(SITE + "/alt/projekt", 301, SITE + "/"),),
        url=SITE + "/alt/projekt",
        final=SITE + "/",
    )
    reason = soft_404_reason(result)
    assert reason is not None and "Startseite" in reason


# --------------------------------------------------------------------------- host probe


PAGE = html_page(
    "Sprachcafé - Stadt Musterstadt",
    "<p>Jeden Dienstag treffen sich Geflüchtete und Ehrenamtliche im Sprachcafé der Stadtteil"
    "bibliothek, um Deutsch zu üben. Kaffee und Kuchen gibt es gratis.</p>",
)
CATCH_ALL = html_page(
    "Landkreis Beispiel",
    "<p>Willkommen beim Landkreis Beispiel. Hier finden Sie Informationen zu Verwaltung, "
    "Kreistag und Bürgerservice. Nutzen Sie die Navigation.</p>",
)


def probe_of(body: bytes, *, status: int = 200, final: str | None = None) -> HostProbe:
    url = SITE + "/linkpflege-probe-0123456789abcdef"
    return HostProbe(
        url=url,
        status=status,
        final_url=final or url,
        redirected=final is not None,
        content_type="text/html",
        text=fingerprint_text(body, "text/html", echoes=page_echoes(url)),
    )


def test_same_content_as_the_probe_is_soft_404() -> None:
    reason = soft_404_reason(answer(CATCH_ALL, probe=probe_of(CATCH_ALL)))
    assert reason is not None and "jede Adresse" in reason and "100" in reason


def test_different_content_from_a_200_probe_is_ok() -> None:
    assert soft_404_reason(answer(PAGE, probe=probe_of(CATCH_ALL))) is None


def test_a_404_probe_proves_the_host_honest() -> None:
    assert soft_404_reason(answer(CATCH_ALL, probe=probe_of(CATCH_ALL, status=404))) is None


def test_the_site_root_is_never_judged_by_the_probe() -> None:
    assert soft_404_reason(answer(CATCH_ALL, url=SITE + "/", probe=probe_of(CATCH_ALL))) is None


def test_same_final_redirect_target_as_the_probe_is_soft_404() -> None:
    landing = SITE + "/hinweis"
    result = answer(
        PAGE,  # content plays no role: both addresses end at the same place
        url=SITE + "/alt/seite",
        hops=(Hop(SITE + "/alt/seite", 302, landing),),
        final=landing,
        probe=probe_of(CATCH_ALL, final=landing),
    )
    reason = soft_404_reason(result)
    assert reason is not None and "erfundene Adresse landet bei" in reason and landing in reason


def test_echoed_addresses_do_not_make_error_pages_differ() -> None:
    def echo_page(path: str) -> bytes:
        return html_page(
            "Hinweis",
            f"<p>Unter {SITE}{path} ist zurzeit nichts zu sehen. Die Redaktion arbeitet daran.</p>",
        )

    url = SITE + "/projekte/willkommen"
    probe_url = SITE + "/linkpflege-probe-0123456789abcdef"
    probe = HostProbe(
        url=probe_url,
        status=200,
        final_url=probe_url,
        text=fingerprint_text(
            echo_page("/linkpflege-probe-0123456789abcdef"),
            "text/html",
            echoes=page_echoes(probe_url),
        ),
    )
    reason = soft_404_reason(answer(echo_page("/projekte/willkommen"), url=url, probe=probe))
    assert reason is not None and "jede Adresse" in reason


def test_a_javascript_app_shell_is_not_judged_by_the_probe() -> None:
    shell = b"<html><head><title>App</title></head><body><div id='root'></div></body></html>"
    assert soft_404_reason(answer(shell, probe=probe_of(shell))) is None


def test_non_html_answers_are_not_parsed() -> None:
    pdf = answer(b"%PDF-1.7 Seite nicht gefunden", headers=(("Content-Type", "application/pdf"),))
    assert soft_404_reason(pdf) is None
    text = answer(b"Page not found", headers=(("Content-Type", "text/plain"),))
    assert soft_404_reason(text) is None  # no headings; plain text only feeds the probe


@pytest.mark.parametrize(
    ("result", "wanted"),
    [
        (answer(PAGE), True),
        (answer(PAGE, url=SITE + "/"), False),
        (answer(PAGE, status=404), False),
        (FetchResult(url=SITE + "/x", error=None), False),
    ],
)
def test_needs_probe_only_for_2xx_deep_links(result: FetchResult, wanted: bool) -> None:
    assert needs_probe(result) is wanted


def test_text_similarity() -> None:
    first = normalise_for_comparison("Willkommen beim Landkreis Beispiel, Stand 12.03.2025")
    second = normalise_for_comparison("Willkommen beim Landkreis Beispiel, Stand 01.01.2026")
    assert text_similarity(first, second) == 1.0  # digits are folded: dates and counters vary
    assert text_similarity("a b c d e f g h i j", "a b c d e f g h i x") == pytest.approx(0.9)
    assert text_similarity("sprachcafe dienstag", "kreistag verwaltung") < 0.5
    assert text_similarity("", "") == 1.0 and text_similarity("a", "") == 0.0


def test_echo_removal_keeps_ordinary_words() -> None:
    # A short path piece such as "/de" must not cut "deutsch" apart.
    assert "deutsch" in normalise_for_comparison("Deutsch lernen", page_echoes(SITE + "/de"))
    assert normalise_for_comparison("Die Seite /alt/xy fehlt", ("/alt/xy",)) == "die seite fehlt"


# --------------------------------------------------------------------------- skipping the main text


def _pattern_texts(pattern: re.Pattern[str]) -> list[str]:
    """Every text a pattern of literals, classes, alternatives and optional parts matches
    (`\\s*` / `\\s+` taken as none or one space, `\\b` as nothing)."""

    def expand(items: list) -> list[str]:  # type: ignore[type-arg]
        texts = [""]
        for op, value in items:
            if op is re_parser.LITERAL:
                options = [chr(value)]
            elif op is re_parser.IN:
                options = [
                    chr(item) if kind is re_parser.LITERAL else " "
                    for kind, item in value
                    if kind in (re_parser.LITERAL, re_parser.CATEGORY)
                ]
            elif op is re_parser.CATEGORY:
                options = [" "]
            elif op is re_parser.AT:
                options = [""]
            elif op is re_parser.BRANCH:
                options = [text for branch in value[1] for text in expand(list(branch))]
            elif op is re_parser.SUBPATTERN:
                options = expand(list(value[-1]))
            elif op is re_parser.MAX_REPEAT:
                low, high, body = value
                once = expand(list(body))
                options = ([""] if low == 0 else []) + once
                if high > 1:
                    options += [a + b for a in once for b in once]
            else:
                raise AssertionError(f"pattern element not expanded: {op}")
            texts = [text + option for text in texts for option in options]
        return texts

    return expand(list(re_parser.parse(pattern.pattern)))


def test_every_error_statement_contains_a_word_set() -> None:
    # Pages whose text holds none of these sets skip the main-text extraction: every phrase
    # the patterns can match must therefore contain one set completely.
    texts = _pattern_texts(error_phrasing._STATEMENTS) + _pattern_texts(error_phrasing._CODES)
    texts += _pattern_texts(error_phrasing._BARE_HEADING)
    assert len(texts) > 100
    for text in texts:
        assert (
            error_phrasing._STATEMENTS.fullmatch(text)
            or error_phrasing._CODES.fullmatch(text)
            or (error_phrasing._BARE_HEADING.fullmatch(text))
        ), text
        assert any(all(w in text for w in words) for words in error_phrasing._ERROR_WORDS), text


def test_every_parked_phrase_contains_a_word() -> None:
    for phrase in parked_domain._PARKED_PHRASES:
        assert any(all(w in phrase for w in words) for words in parked_domain._PARKED_WORDS), phrase


@pytest.mark.parametrize(
    "body",
    [
        "<p>Die Seite wurde nicht ge<span hidden> x </span>funden.</p>",
        "<p>Die Seite wurde leider nicht gef<span class='cookie'>x</span>unden.</p>",
        "<p>Seite nicht gef<b>un</b>den</p>",
        "<p>Seite nicht <span style='display:none'>Hinweis</span>gefunden</p>",
        "<p>Die Seite wurde leider nicht gefunden.</p><script>var x = 1;</script>",
    ],
)
def test_phrase_cut_by_markup_is_still_found(body: str) -> None:
    reason = soft_404_reason(answer(html_page("Stadt Musterstadt", body)))
    assert reason is not None and reason.startswith("Fehlerseite")


def test_parking_phrase_cut_by_hidden_box_is_still_found() -> None:
    body = "<p>This dom<span style='display:none'>x</span>ain is for sale</p>"
    reason = soft_404_reason(answer(html_page("example.org", body)))
    assert reason is not None and "for sale" in reason


def test_page_without_phrase_words_leaves_main_text_unextracted() -> None:
    parts = page_text(html_page("Sprachcafé", "<p>Jeden Dienstag im Rathaus.</p>"), "text/html")
    assert parts is not None
    assert not parts.may_hold(error_phrasing._ERROR_WORDS)
    assert not parts.may_hold(parked_domain._PARKED_WORDS)
    assert parts.main_text == "Jeden Dienstag im Rathaus."  # still there when asked for
    assert parts.words == 4
