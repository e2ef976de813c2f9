"""One entry point for "what does this fetched body say about itself?".

Dispatches on content type and magic bytes to the PDF, Office or HTML extractor, and guarantees
the contract the flow relies on: it never raises, whatever the bytes; misses are None.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from extractors.dates.page_dates import reconcile
from extractors.dates.url_dates import claim_from_url
from extractors.facts.html_facts import extract_html_facts
from extractors.facts.office_facts import (
    ZIP_MAGIC,
    extract_office_facts,
    looks_like_office,
)
from extractors.facts.pdf_facts import extract_pdf_facts
from extractors.records import PageFacts
from extractors.text.decoding import decode_html

_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/html"})
# Word, Excel, PowerPoint (docx, xlsx, pptx) and OpenDocument; application/msword and the other
# old binary formats are not among them (and are no zips, so the magic bytes skip them too).
_OFFICE_TYPE_PREFIXES = (
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
# Types servers send when they do not know better: the bytes decide.
_UNKNOWN_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "unknown"})
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta")
# Readers accept a PDF header anywhere in the first KiB (junk before it is common).
_PDF_MAGIC_WINDOW = 1024
# Share of control or replacement characters above which "HTML" is really binary data.
_MAX_GARBAGE_SHARE = 0.05


def extract_facts(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    last_modified: str | None,
    run_date: dt.date,
) -> PageFacts:
    """Facts from a fetched body. `content_type` is the full header value (may carry charset)."""
    try:
        return _extract(
            body,
            url=url,
            content_type=content_type,
            last_modified=last_modified,
            run_date=run_date,
        )
    except Exception:  # the contract: no input may crash a nightly run
        return PageFacts()


def _extract(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    last_modified: str | None,
    run_date: dt.date,
) -> PageFacts:
    if not body:
        return PageFacts()
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    # Before the PDF check: a zip may hold a PDF stored uncompressed in its first KiB. Also by
    # the bytes alone: servers send Office files as octet-stream, application/zip or the
    # macro-enabled types (application/vnd.ms-word.document.macroEnabled.12 …).
    if body.startswith(ZIP_MAGIC) and (
        media_type.startswith(_OFFICE_TYPE_PREFIXES)
        or (media_type not in _HTML_TYPES and looks_like_office(body))
    ):
        facts = extract_office_facts(body, run_date=run_date, last_modified=last_modified)
        return _with_url_date(facts, url, run_date)
    if media_type in _PDF_TYPES or _looks_like_pdf(body, media_type):
        facts = extract_pdf_facts(body, run_date=run_date, last_modified=last_modified)
        return _with_url_date(facts, url, run_date)
    if media_type in _HTML_TYPES or (media_type in _UNKNOWN_TYPES and _looks_like_html(body)):
        html = decode_html(body, content_type)
        if _looks_binary(html):
            return PageFacts()
        return extract_html_facts(html, url=url, last_modified=last_modified, run_date=run_date)
    return PageFacts()


def _looks_like_pdf(body: bytes, media_type: str) -> bool:
    if body[:_PDF_MAGIC_WINDOW].lstrip()[:5] == b"%PDF-":  # not body.lstrip(): copies it all
        return True
    # Junk before the header is tolerated unless the server said HTML (which may mention PDFs).
    return media_type not in _HTML_TYPES and b"%PDF-" in body[:_PDF_MAGIC_WINDOW]


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(marker in head for marker in _HTML_MARKERS)


_GARBAGE = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return True
    return len(_GARBAGE.findall(sample)) / len(sample) > _MAX_GARBAGE_SHARE


def _with_url_date(facts: PageFacts, url: str, run_date: dt.date) -> PageFacts:
    """Documents (PDF, Office) without a date of their own may still sit under /2015/11/03/."""
    if facts.published is not None or not url:
        return facts
    published, modified = reconcile(claim_from_url(url, run_date), facts.modified)
    return dataclasses.replace(facts, published=published, modified=modified)
