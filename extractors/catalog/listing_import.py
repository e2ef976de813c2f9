"""Turning a saved listing (plain text or HTML bytes) into catalogue rows and warnings.

A listing is an intro followed by entries; each entry is a "Provider: Title" headline, a
short description and one or more links. `import_listing` picks the form (file extension,
else sniffing for HTML tags), decodes the bytes and hands the text to
`extractors.catalog.listing_text` (the plain-text form: only link labels, so rows have an
empty `url`, "target unknown") or `extractors.catalog.listing_html` (the HTML form: the
targets too); what both share is in `extractors.catalog.listing_entries`.
`extractors.catalog.writer.catalog_csv` writes the rows as a catalogue.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import urlsplit

from extractors.catalog.listing_html import parse_listing_html
from extractors.catalog.listing_text import parse_listing_text
from extractors.records import CatalogEntry

_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp", ".dot")
_TEXT_SUFFIXES = (".txt", ".text", ".md")
# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "@")


def import_listing(
    data: bytes, filename: str, *, base_url: str | None = None
) -> tuple[list[CatalogEntry], list[str]]:
    """Catalogue rows from a saved listing (HTML or plain text), and warnings for the user.

    The form is chosen by the file extension, else by sniffing for HTML tags. Bytes are
    read as UTF-8 (with or without BOM), else as the charset an HTML page declares, else
    as Windows-1252.
    """
    warnings: list[str] = []
    is_html = _looks_like_html(data, filename)
    text, encoding = _decode_listing(data, is_html)
    if encoding not in ("utf-8", "utf-8-sig"):
        warnings.append(f"{filename}: not UTF-8, read as {encoding}")
    entries = parse_listing_html(text, base_url) if is_html else parse_listing_text(text)
    if not entries:
        warnings.append(f"{filename}: no entries found (expected 'Provider: Title' headlines)")
        return entries, warnings

    entry_count = len({entry.entry_id for entry in entries})
    missing = [entry for entry in entries if not entry.url]
    if not is_html:
        warnings.append(
            f"{filename}: plain text carries no link targets — all {len(entries)} rows of "
            f"{entry_count} entries have an empty url; fill them in or import the HTML page"
        )
    elif missing:
        ids = ", ".join(sorted({entry.entry_id for entry in missing}))
        warnings.append(f"{filename}: entries without any link: {ids}")
    relative = [entry for entry in entries if entry.url and not urlsplit(entry.url).scheme]
    if relative:
        warnings.append(
            f"{filename}: {len(relative)} relative link(s) kept as written (no base URL known)"
        )
    no_description = sorted({entry.entry_id for entry in entries if not entry.description})
    if no_description:
        warnings.append(f"{filename}: entries without a description: {', '.join(no_description)}")
    formulas = sorted(
        {
            entry.entry_id
            for entry in entries
            for value in (entry.provider, entry.title, entry.description, entry.link_label)
            if value.startswith(_FORMULA_STARTS)
        }
    )
    if formulas:
        warnings.append(
            f"{filename}: values starting with =, + or @ (a spreadsheet may run them as "
            f"formulas): {', '.join(formulas)}"
        )
    return entries, warnings


def _looks_like_html(data: bytes, filename: str) -> bool:
    suffix = filename.lower().rsplit("/", 1)[-1]
    if suffix.endswith(_HTML_SUFFIXES):
        return True
    if suffix.endswith(_TEXT_SUFFIXES):
        return False
    head = data[:4096].lower()
    return bool(re.search(rb"<!doctype html|<html|<body|<p[\s>]|<a\s[^>]*href|<h[1-6][\s>]", head))


def _decode_listing(data: bytes, is_html: bool) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if is_html:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", data[:4096], re.I)
        if declared:
            encoding = declared.group(1).decode("ascii").lower()
            try:
                codecs.lookup(encoding)
                return data.decode(encoding, errors="replace"), encoding
            except LookupError:
                pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1"), "latin-1"
