"""Turn fetched HTML bytes into text, the way a browser would, but forgiving.

Order of evidence (WHATWG "encoding sniffing", simplified):
1. a byte-order mark (it beats the HTTP header in browsers too),
2. the `charset` parameter of the HTTP Content-Type header,
3. `<meta charset>` / `<meta http-equiv="Content-Type">` / an XML declaration in the first bytes,
4. charset-normalizer's guess,
5. windows-1252, the historical default of the German web.

Labels are mapped the WHATWG way: "iso-8859-1", "latin1" and "us-ascii" mean windows-1252, so
the „smart quotes“ and € that Word users paste into CMSes decode correctly.

One deliberate deviation from browsers: a declared single-byte charset is overruled when the
bytes are valid UTF-8 with multi-byte sequences (servers that label everything ISO-8859-1 while
the CMS writes UTF-8 are common; decoding those as cp1252 yields "FlÃ¼chtlinge").
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# WHATWG Encoding Standard: these labels are decoded as their Windows superset.
_WHATWG_SUPERSETS = {
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    # A page cannot declare UTF-16 from inside itself (WHATWG); such meta tags lie.
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Meta/XML declarations are looked for in the first bytes only (browsers use 1024; CMS
# templates often put a long comment or script first, so a little more is allowed).
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_XML_DECLARATION = re.compile(
    rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
# A non-ASCII UTF-8 sequence: proof that "valid UTF-8" is not just plain ASCII.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
# Enough text for charset-normalizer to decide; a full page costs time and adds nothing.
_DETECTION_BYTES = 64 * 1024


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode an HTML body to text. Never raises; undecodable bytes become U+FFFD."""
    try:
        return _decode(body, content_type)
    except Exception:  # a decoder bug must not cost us the page
        return body.decode("utf-8", errors="replace")


def normalise_charset_label(label: str | None) -> str | None:
    """Python codec name for a charset label, with WHATWG supersets; None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except (LookupError, ValueError):
        return None
    return _WHATWG_SUPERSETS.get(name, name)


def _decode(body: bytes, content_type: str | None) -> str:
    if not body:
        return ""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")

    declared = _charset_from_header(content_type) or _charset_from_markup(body)
    if declared:
        text = _try_declared(body, declared)
        if text is not None:
            return text

    if body.isascii():
        return body.decode("ascii")
    text = _utf8_text(body)
    if text is not None:
        return text
    guess = _guess_charset(body)
    if guess:
        return body.decode(guess, errors="replace")
    return body.decode("cp1252", errors="replace")


def _try_declared(body: bytes, encoding: str) -> str | None:
    """Decode with the declared charset, or None when the bytes clearly say otherwise."""
    if encoding == "utf-8":
        # Declared UTF-8 but is not: typical for old Latin-1 pages behind a new server.
        # (A body cut by the byte cap that ends mid-character still counts as UTF-8.)
        return _utf8_text(body)
    if _is_single_byte(encoding) and _UTF8_MULTIBYTE.search(body):
        text = _utf8_text(body)
        if text is not None:
            return text
    return body.decode(encoding, errors="replace")


def _charset_from_header(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return normalise_charset_label(match.group(1)) if match else None


def _charset_from_markup(body: bytes) -> str | None:
    head = body[:_PRESCAN_BYTES]
    for pattern in (_XML_DECLARATION, _META_CHARSET):
        match = pattern.search(head)
        if match:
            label = match.group(1).decode("ascii", errors="ignore")
            encoding = normalise_charset_label(label)
            if encoding:
                return encoding
    return None


def _utf8_text(body: bytes) -> str | None:
    """The body as UTF-8, or None when it is not valid UTF-8. An incomplete character at the
    end (a body cut by the byte cap) is allowed and becomes U+FFFD, as
    `body.decode("utf-8", errors="replace")` would make it. One pass over the bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(body, final=False)
    except UnicodeDecodeError:
        return None
    rest = decoder.getstate()[0]  # the bytes of the incomplete last character, if any
    return text + rest.decode("utf-8", errors="replace") if rest else text


def _is_single_byte(encoding: str) -> bool:
    return encoding.startswith(("cp12", "iso8859", "latin", "cp8", "koi8", "mac"))


def _guess_charset(body: bytes) -> str | None:
    try:
        best = charset_normalizer.from_bytes(body[:_DETECTION_BYTES]).best()
    except Exception:
        return None
    if best is None:
        return None
    return normalise_charset_label(best.encoding)
