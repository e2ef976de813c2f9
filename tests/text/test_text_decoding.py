"""decode_html: charset from header, BOM, meta, detection; WHATWG label mapping; never raises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractors.text.decoding import decode_html

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
CP1252_PAGE = (PAGES / "gemeinde-kleiderkammer-cp1252.html").read_bytes()
BOM_PAGE = (PAGES / "kreis-sprachcafe-utf8-bom.html").read_bytes()

# What the windows-1252 fixture must decode to: euro sign, German quotes, umlauts, ß.
CP1252_MUST_CONTAIN = (
    "1 €",
    "„Willkommen in Schöppingen“",
    "Geflüchtete",
    "Großen Straße",
    "Kleiderkammer für Flüchtlinge",
)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=ISO-8859-1",  # the header, labelled like the server does
        'text/html;charset="iso-8859-1"',
        "text/html",  # only the <meta http-equiv> in the page
        None,
    ],
)
def test_latin1_label_decodes_cp1252_bytes(content_type: str | None) -> None:
    text = decode_html(CP1252_PAGE, content_type)
    for expected in CP1252_MUST_CONTAIN:
        assert expected in text
    assert "\ufffd" not in text
    assert "Ã" not in text  # no mojibake


def test_undeclared_cp1252_falls_back_to_detection() -> None:
    body = re.sub(rb"<meta http-equiv[^>]*>", b"", CP1252_PAGE)
    assert b"charset" not in body.lower()
    text = decode_html(body, "text/html")
    assert "1 €" in text
    assert "Flüchtlinge" in text


def test_utf8_bom_without_declaration() -> None:
    text = decode_html(BOM_PAGE, "text/html")
    assert not text.startswith("\ufeff")
    assert text.lstrip().startswith("<!DOCTYPE html>")
    assert "Sprachcafé für Geflüchtete" in text
    assert "Kreis Groß-Gerau" in text


def test_bom_beats_a_wrong_header() -> None:
    assert "Sprachcafé" in decode_html(BOM_PAGE, "text/html; charset=iso-8859-1")


def test_meta_charset_utf8() -> None:
    body = '<html><head><meta charset="utf-8"><title>Grüße aus Köln</title></head></html>'
    assert "Grüße aus Köln" in decode_html(body.encode("utf-8"), None)


def test_xml_declaration_encoding() -> None:
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><html><p>Gebühr: 5 €</p></html>'
    assert "Gebühr: 5 €" in decode_html(body.encode("cp1252"), "application/xhtml+xml")


def test_header_beats_meta() -> None:
    body = '<meta charset="utf-8"><p>Straße</p>'.encode("cp1252")
    assert "Straße" in decode_html(body, "text/html; charset=windows-1252")


def test_utf8_labelled_latin1_is_rescued() -> None:
    # Header and meta say UTF-8, but an old CMS wrote Latin-1 bytes.
    body = '<meta charset="utf-8"><p>Anmeldung für Flüchtlinge in Lünen, Gebühr 5 €</p>'
    text = decode_html(body.encode("cp1252"), "text/html; charset=utf-8")
    assert "Anmeldung für Flüchtlinge in Lünen" in text


def test_latin1_labelled_utf8_is_rescued() -> None:
    # The server labels everything ISO-8859-1 while the CMS writes UTF-8.
    body = "<p>Flüchtlingshilfe in Düsseldorf</p>".encode()
    text = decode_html(body, "text/html; charset=ISO-8859-1")
    assert "Flüchtlingshilfe in Düsseldorf" in text


def test_truncated_utf8_body_stays_utf8() -> None:
    body = "<p>Begrüßung für Geflüchtete – Übersicht</p>".encode()
    cut = body[: body.index("Ü".encode()) + 1]  # ends inside a two-byte character
    text = decode_html(cut, "text/html; charset=utf-8")
    assert "Begrüßung für Geflüchtete" in text


def test_meta_declaring_utf16_is_read_as_utf8() -> None:
    body = '<meta charset="utf-16"><p>Übersicht</p>'.encode()
    assert "Übersicht" in decode_html(body, None)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", None),
        (b"\x00\xff\xfe\x80\x81\x8d\x8f\x90\x9d" * 50, "text/html"),
        (b"<p>caf\xe9</p>", "text/html; charset=x-unknown-charset"),
        (b"<meta charset='bogus'><p>\xe4</p>", None),
        (bytes(range(256)) * 20, "text/html; charset=utf-8"),
    ],
)
def test_never_raises(body: bytes, content_type: str | None) -> None:
    assert isinstance(decode_html(body, content_type), str)


def test_unknown_label_falls_back_sensibly() -> None:
    assert "café" in decode_html(b"<p>caf\xe9 und mehr Text</p>", "text/html; charset=x-nope")
