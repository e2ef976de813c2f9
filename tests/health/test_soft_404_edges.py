"""Soft-404 edges found by trying municipal pages as a user would: pages that only mention „nicht
gefunden“ (a question, a help text, a headline about error pages) stay `ok`; a deep link answered
with an empty page is `soft_404` („leere Seite“), but frames, images, scripts, refreshes, other
media, 204s and the site root are not empty pages.

Every page is shaped like a real one (head, cookie banner, navigation, footer) and goes through
`classify`, as in a nightly run.
"""

from __future__ import annotations

import pytest

from extractors.health.error_phrasing import error_page_reason
from extractors.health.link_health import classify
from extractors.health.page_text import normalise_phrase_text, page_text
from extractors.records import FetchResult, Health, LinkHealth

SITE = "https://www.musterstadt.de"
DEEP = SITE + "/buergerservice/fundbuero"
HTML = "text/html; charset=utf-8"

HEAD = """<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/typo3temp/assets/css/main.css"><link rel="canonical" href="{url}">
<script type="application/ld+json">{{"@context": "https://schema.org",
"@type": "GovernmentOrganization", "name": "Stadt Musterstadt"}}</script>"""
COOKIE_BANNER = """<div class="cookie-banner" role="dialog" aria-label="Cookie-Hinweis">
<p>Wir verwenden Cookies, um unsere Website für Sie zu verbessern.
<a href="/datenschutz">Mehr erfahren</a></p>
<button type="button">Alle akzeptieren</button> <button type="button">Nur notwendige</button>
</div><script src="/typo3conf/ext/consent/consent.js" defer></script>"""
NAV = """<header><a href="/" class="logo">Stadt Musterstadt</a><nav aria-label="Hauptmenü"><ul>
<li><a href="/buergerservice">Bürgerservice</a></li>
<li><a href="/rathaus">Rathaus &amp; Politik</a></li>
<li><a href="/leben">Leben in Musterstadt</a></li>
<li><a href="/suche">Suche</a></li></ul></nav></header>"""
FOOTER = """<footer><p>© 2026 Stadt Musterstadt · Marktplatz 1 · 12345 Musterstadt</p>
<p><a href="/impressum">Impressum</a> · <a href="/datenschutz">Datenschutz</a> ·
<a href="/barrierefreiheit">Barrierefreiheit</a></p></footer>"""


def page(title: str, main: str, *, url: str = DEEP) -> bytes:
    """A page of the municipal CMS: head, cookie banner, navigation, content, footer."""
    return (
        f'<!DOCTYPE html><html lang="de"><head><title>{title}</title>{HEAD.format(url=url)}'
        f"</head><body>{COOKIE_BANNER}{NAV}<main id='inhalt'>{main}</main>{FOOTER}</body></html>"
    ).encode()


def judge(
    body: bytes,
    *,
    url: str = DEEP,
    status: int = 200,
    content_type: str | None = HTML,
    headers: tuple[tuple[str, str], ...] = (),
) -> LinkHealth:
    sent = ((("Content-Type", content_type),) if content_type else ()) + headers
    return classify(FetchResult(url=url, final_url=url, status=status, headers=sent, body=body))


def assert_ok(judged: LinkHealth) -> None:
    assert (judged.health, judged.detail) == (Health.OK, None), judged


def assert_soft_404(judged: LinkHealth, *words: str) -> None:
    assert judged.health is Health.SOFT_404, judged
    assert judged.detail is not None
    for word in words:
        assert word in judged.detail, (word, judged.detail)


# --------------------------------------------------------------------------- mentions, not errors

FUNDBUERO = """<h1>Gegenstand verloren oder nicht gefunden?</h1>
<p>Im Fundbüro werden Fundsachen aus dem Stadtgebiet sechs Monate lang aufbewahrt. Wer etwas
verloren hat, kann persönlich, telefonisch oder online nachfragen.</p>
<h2>Öffnungszeiten</h2><ul><li>Montag bis Freitag 8–12 Uhr</li><li>Donnerstag 14–18 Uhr</li></ul>
<h2>Anschrift</h2><p>Bürgeramt, Fundbüro, Marktplatz 1, 12345 Musterstadt, Zimmer 12<br>
Telefon 01234 56-789</p>"""
WOHNUNG = """<h1>Wohnung nicht gefunden? Beratung für Geflüchtete</h1>
<p>Die Wohnraumberatung hilft Geflüchteten und Zugewanderten bei der Suche nach einer Wohnung:
Anzeigen lesen, Besichtigungen vorbereiten, Mietverträge verstehen.</p>
<p>Sprechzeiten: Dienstag 9–12 Uhr im Sozialamt, Zimmer 204, ohne Termin.</p>"""
HILFE = """<h1>Hilfe zur Website</h1>
<h2>Was tun, wenn die Seite nicht gefunden wird?</h2>
<p>Prüfen Sie die Schreibweise der Adresse. Nutzen Sie die Suche oben rechts oder schreiben Sie
der Webredaktion.</p>
<h2>Wie kann ich die Schrift vergrößern?</h2><p>Mit Strg und + in Ihrem Browser.</p>"""
URSACHEN = """<h1>Seite nicht gefunden: Ursachen und Lösungen</h1>
<p>Wer einen alten Link aus einem Flyer anklickt, landet manchmal auf einer Fehlerseite. Meist
wurde der Inhalt beim Umbau der Website verschoben.</p>
<p>Unsere Webredaktion leitet alte Adressen deshalb auf die neuen Seiten um.</p>"""

CITY = " | Stadt Musterstadt"
# (case id, title, main content); each was judged soft_404 by some version of the rules or is
# the example that found the edge.
MENTIONS = [
    (
        "lost property question",
        "Gegenstand verloren oder nicht gefunden? – Fundbüro" + CITY,
        FUNDBUERO,
    ),
    (
        "lost property short question",
        "Nicht gefunden? – Fundbüro" + CITY,
        FUNDBUERO.replace("Gegenstand verloren oder nicht gefunden?", "Nicht gefunden?"),
    ),
    ("housing question", "Wohnung nicht gefunden? Beratung für Geflüchtete" + CITY, WOHNUNG),
    ("help text question in a h2", "Hilfe" + CITY, HILFE),
    ("help question as title", "Was tun, wenn die Seite nicht gefunden wird?" + CITY, HILFE),
    ("headline about error pages", "Seite nicht gefunden: Ursachen und Lösungen" + CITY, URSACHEN),
]


@pytest.mark.parametrize(("title", "main"), [c[1:] for c in MENTIONS], ids=[c[0] for c in MENTIONS])
def test_a_page_that_mentions_nicht_gefunden_is_ok(title: str, main: str) -> None:
    assert_ok(judge(page(title, main)))


# --------------------------------------------------------------------------- true error pages

ERRORS = [
    (
        "title and h1",
        "Seite nicht gefunden – Stadt Musterstadt",
        "<h1>Seite nicht gefunden</h1><p>Vielleicht hilft Ihnen unsere Suche weiter.</p>",
        ["„Seite nicht gefunden“ in Titel"],
    ),
    (
        "code and phrase in the title",
        "404 – Seite nicht gefunden | Stadt Musterstadt",
        "<h1>Hoppla!</h1><p>Zur <a href='/'>Startseite</a>.</p>",
        ["„404“ in Titel"],
    ),
    (
        "error sentence in the text of a generic page",
        "Stadt Musterstadt",
        "<p>Die angeforderte Seite wurde nicht gefunden.</p><p>Zur <a href='/'>Startseite</a></p>",
        ["„Seite wurde nicht gefunden“ im Text"],
    ),
    (
        "code, colon, phrase",
        "Fehler 404: Seite nicht gefunden | Stadt X",
        "<p>Bitte prüfen Sie die Adresse.</p>",
        ["„Seite nicht gefunden“ in Titel"],
    ),
    ("not found", "Not Found", "<p>The requested URL was not found.</p>", ["„Not Found“ in Titel"]),
    (
        "page not found",
        "Page not found | City of Musterstadt",
        "<p>Try the search.</p>",
        ["„Page not found“ in Titel"],
    ),
    (
        "exclamation before the sentence in the h1",
        "Stadt Musterstadt",
        "<h1>Hoppla! Die Seite wurde nicht gefunden</h1><p>Zur <a href='/'>Startseite</a></p>",
        ["„Seite wurde nicht gefunden“ in Überschrift"],
    ),
    (
        "statement without a full stop, a question in the next block",
        "Hinweis – Stadt Musterstadt",
        "<h1>Hinweis</h1><p>Die angeforderte Seite existiert leider nicht mehr</p>"
        "<p>Haben Sie Fragen? Schreiben Sie uns.</p>",
        ["„Seite existiert leider nicht“ im Text"],
    ),
]


@pytest.mark.parametrize(
    ("title", "main", "words"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS]
)
def test_a_true_error_page_stays_soft_404(title: str, main: str, words: list[str]) -> None:
    assert_soft_404(judge(page(title, main)), "Fehlerseite trotz Status 2xx", *words)


def test_body_blocks_keep_the_text_the_patterns_read() -> None:
    # The error check keeps one block a line to see where a sentence ends; joined, the blocks
    # must be the text it always matched on.
    for main in (FUNDBUERO, HILFE, URSACHEN, "<p>Seite nicht<br>gefunden</p>"):
        parts = page_text(page("Stadt Musterstadt", main), HTML)
        assert parts is not None
        blocks = [line for line in map(normalise_phrase_text, parts.main_text.splitlines()) if line]
        assert " ".join(blocks) == normalise_phrase_text(parts.main_text)
    cut = page_text(
        page("Stadt Musterstadt", "<p>Die Seite wurde leider<br>nicht gefunden</p>"), HTML
    )
    assert cut is not None and error_page_reason(cut) is not None  # a <br> cuts no statement


# --------------------------------------------------------------------------- empty pages

EMPTY_DOCUMENT = f"""<!DOCTYPE html><html lang="de"><head>
<title>Sprachcafé – Stadt Musterstadt</title>{HEAD.format(url=DEEP)}</head><body class="page-412">
<div class="container"><div class="row"></div></div>
</body></html>""".encode()


@pytest.mark.parametrize(
    ("body", "headers", "word"),
    [
        (b"", (("Content-Length", "0"),), "0 Bytes"),
        (b"\n\n   \r\n\t\n", (), "nur Leerraum"),
        (b"<html><body></body></html>", (), "kein sichtbarer Text"),
        (EMPTY_DOCUMENT, (), "kein sichtbarer Text"),
        (EMPTY_DOCUMENT.replace(b'<div class="row">', b'<div class="row">&nbsp;'), (), "kein"),
    ],
    ids=["0 bytes", "whitespace", "empty skeleton", "head and empty body", "only a no-break space"],
)
def test_an_empty_deep_page_is_soft_404(
    body: bytes, headers: tuple[tuple[str, str], ...], word: str
) -> None:
    assert_soft_404(judge(body, headers=headers), "leere Seite", word)


def _empty_with(head: str = "", body: str = "") -> bytes:
    return EMPTY_DOCUMENT.replace(b"</head>", head.encode() + b"</head>").replace(
        b'<div class="row"></div>', body.encode()
    )


NOT_EMPTY = [
    (
        "frameset",
        b"<!DOCTYPE html><html><head><title>Ratsinformationssystem</title></head><frameset"
        b" cols='25%,75%'><frame src='/ris/menu'><frame src='/ris/start'></frameset></html>",
    ),
    (
        "a single iframe",
        _empty_with(body="<iframe src='https://termine.musterstadt.de/buchen'></iframe>"),
    ),
    (
        "image map",
        _empty_with(
            body="<img src='/fileadmin/stadtplan.png' usemap='#plan' alt=''><map name='plan'>"
            "<area shape='rect' coords='0,0,80,80' href='/rathaus' alt=''></map>"
        ),
    ),
    ("slow meta refresh", _empty_with(head="<meta http-equiv='refresh' content='30; url=/neu'>")),
    (
        "app shell",
        _empty_with(
            head="<script type='module' src='/assets/app.js'></script>", body="<div id='app'></div>"
        ),
    ),
    ("script redirect", _empty_with(body="<script>window.location.replace('/neu')</script>")),
    ("document cut in its head", b"<!DOCTYPE html><html lang='de'><head><title>Sprachcaf\xc3\xa9"),
    ("one word is content", _empty_with(body="<p>Hallo</p>")),
    (
        "one link is content",
        _empty_with(body="<p><a href='/fileadmin/antrag.pdf'>Antrag (PDF)</a></p>"),
    ),
]


@pytest.mark.parametrize("body", [c[1] for c in NOT_EMPTY], ids=[c[0] for c in NOT_EMPTY])
def test_a_page_whose_content_is_not_text_or_not_here_is_ok(body: bytes) -> None:
    assert_ok(judge(body))


@pytest.mark.parametrize(
    ("url", "status", "content_type", "body", "headers"),
    [
        (SITE + "/", 200, HTML, b"<html><body></body></html>", ()),
        (SITE + "/index.html", 200, HTML, b"", (("Content-Length", "0"),)),
        (DEEP, 204, None, b"", ()),
        (DEEP, 204, HTML, b"", (("Content-Length", "0"),)),
        (DEEP + ".pdf", 200, "application/pdf", b"", (("Content-Length", "0"),)),
        (DEEP + ".txt", 200, "text/plain; charset=utf-8", b"  \n", ()),
        (DEEP, 200, HTML, b"", ()),  # no Content-Length: the body may have been dropped
        (DEEP, 200, HTML, b"<html><body></body></html>", (("Refresh", "5"),)),
    ],
    ids=[
        "site root",
        "index page",
        "204",
        "204 declared html",
        "pdf",
        "plain text",
        "0 bytes not declared",
        "refresh header",
    ],
)
def test_what_is_never_judged_an_empty_page(
    url: str,
    status: int,
    content_type: str | None,
    body: bytes,
    headers: tuple[tuple[str, str], ...],
) -> None:
    assert_ok(judge(body, url=url, status=status, content_type=content_type, headers=headers))
