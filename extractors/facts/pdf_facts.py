"""Title, summary, language, dates and content hash of one PDF.

pypdf reads the document information dictionary (/Title, /CreationDate, /ModDate), the XMP
packet (xmp:CreateDate / xmp:ModifyDate) and the text of the first pages. PDFs in the wild are
often broken, so every step may fail on its own and only costs its own fact.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import warnings

from pypdf import PdfReader
from pypdf.errors import PdfReadWarning

from extractors.dates.claims import SOURCE_DOCUMENT_INFO, make_claim
from extractors.dates.cues import find_text_dates
from extractors.dates.grammar import ParsedDate, is_plausible, parse_machine_date
from extractors.dates.page_dates import reconcile
from extractors.dates.url_dates import claim_from_http_header
from extractors.facts.html_facts import MAX_TITLE_CHARS
from extractors.records import DateClaim, PageFacts
from extractors.text.fingerprint import simhash_text
from extractors.text.summary import guess_language, hash_text, summarise_text

# pypdf reports every repaired xref table and odd object at WARNING; for a nightly batch of
# public-sector PDFs that is thousands of lines saying "this PDF is slightly broken".
logging.getLogger("pypdf").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore", category=PdfReadWarning)

# Authoring tools write these automatically: good for "when was this file made".
PDF_METADATA_CONFIDENCE = 0.8
# An as-of statement counts on the first pages (title page, imprint on page 2).
_AS_OF_PAGES = 2
# Text for the content hash: enough pages to notice a new version, bounded for big reports.
MAX_HASH_PAGES = 20

# "D:YYYYMMDDHHmmSS…" with everything after the year optional; "2015-11-03" is left to the
# ISO parser (hence no separator after the digits).
_PDF_DATE = re.compile(r"^\s*(?:D\s*:)?\s*((?:19|20)\d{2})(\d{2})?(\d{2})?(?![-/.])")
_XMP_DATE = {
    "published": re.compile(r"xmp:CreateDate\s*(?:=\s*[\"']|>)\s*([^\"'<]{4,40})", re.IGNORECASE),
    "modified": re.compile(r"xmp:ModifyDate\s*(?:=\s*[\"']|>)\s*([^\"'<]{4,40})", re.IGNORECASE),
}
_WORD_PROCESSOR_PREFIX = re.compile(
    r"^\s*(?:microsoft\s+(?:word|powerpoint|excel|office\s+word)|word|powerpoint)\s*[-–:]\s*",
    re.IGNORECASE,
)
_FILE_EXTENSION = re.compile(
    r"\.(?:docx?|dotx?|pdf|odt|ods|odp|rtf|pptx?|xlsx?|indd|qxd|txt|tmp|html?)$", re.IGNORECASE
)
_JUNK_TITLE = re.compile(
    r"^(?:untitled|unbenannt|ohne\s+titel|titel|title|dokument|document|doc|folie|slide"
    r"|präsentation|presentation|microsoft\s+word|vorlage|template|druck|print|scan"
    r"|pdf|layout|entwurf|neu)\s*[\d\s._-]*$",
    re.IGNORECASE,
)
_HYPHENATED_BREAK = re.compile(r"(\w)-\n(?=[a-zäöüß])")


def extract_pdf_facts(body: bytes, *, run_date: dt.date, last_modified: str | None) -> PageFacts:
    """Everything a PDF says about itself; missing facts are None, broken PDFs give Nones."""
    reader = _open(body)
    if reader is None:
        return PageFacts()

    pages_text = _pages_text(reader)
    first_page = next((text for text in pages_text if text.strip()), "")
    info = _info(reader)
    xmp = _xmp_packet(reader)

    # What the first pages say ("Stand: 03.11.2015") decides; the file's own properties count
    # where they do not contradict it (a PDF re-exported in 2019 of a 2015 flyer is from 2015).
    opening = "\n".join([text for text in pages_text if text.strip()][:_AS_OF_PAGES])
    shown_published, shown_modified = find_text_dates(opening, run_date=run_date)
    shown = [claim.value for claim in (shown_published, shown_modified) if claim]

    def unless_younger_than_shown(claim: DateClaim | None) -> DateClaim | None:
        return claim if claim and (not shown or claim.value <= max(shown)) else None

    published = shown_published or unless_younger_than_shown(
        _metadata_claim(info.get("/CreationDate"), run_date)
        or _xmp_claim(xmp, "published", run_date)
    )
    modified = shown_modified or unless_younger_than_shown(
        _metadata_claim(info.get("/ModDate"), run_date) or _xmp_claim(xmp, "modified", run_date)
    )
    if modified is None and last_modified:
        modified = unless_younger_than_shown(claim_from_http_header(last_modified, run_date))
    published, modified = reconcile(published, modified)

    title = document_title(info.get("/Title"), first_page)
    full_text = "\n".join(pages_text)
    return PageFacts(
        title=title,
        summary=summarise_text(first_page, title=title),
        language=_declared_language(reader) or guess_language(full_text),
        published=published,
        modified=modified,
        content_hash=hash_text(full_text),
        text_fingerprint=simhash_text(full_text),
    )


def parse_pdf_date(raw: str | None, *, run_date: dt.date) -> ParsedDate | None:
    """A PDF date string ("D:20151103120000+01'00'", partial "D:201511", …) as written.

    The time zone is ignored on purpose: the calendar day the author's machine wrote is the
    day we report. Non-standard strings from odd producers are tried as ordinary dates.
    """
    if not raw:
        return None
    text = str(raw).strip()
    match = _PDF_DATE.match(text)
    if match:
        year, month, day = match.group(1), match.group(2), match.group(3)
        precision = "day" if day else "month" if month else "year"
        try:
            value = dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            return None
        return ParsedDate(value, precision) if is_plausible(value, run_date) else None
    return parse_machine_date(text, run_date=run_date)


# ---------------------------------------------------------------------------------------------
# Reading, each step failing on its own


def _open(body: bytes) -> PdfReader | None:
    if not body:
        return None
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            # Most "encrypted" public PDFs only restrict printing: the user password is empty.
            reader.decrypt("")
        _ = len(reader.pages)  # forces the page tree: a PDF without one is no use
    except Exception:  # pypdf raises many kinds of errors on broken files
        return None
    return reader


def _pages_text(reader: PdfReader) -> list[str]:
    texts: list[str] = []
    try:
        pages = list(reader.pages[:MAX_HASH_PAGES])
    except Exception:
        return texts
    for page in pages:
        try:
            text = page.extract_text() or ""
        except Exception:
            text = ""
        texts.append(_HYPHENATED_BREAK.sub(r"\1", text))
    return texts


def _info(reader: PdfReader) -> dict[str, str]:
    try:
        metadata = reader.metadata
        if metadata is None:
            return {}
        return {str(key): str(value) for key, value in metadata.items() if value is not None}
    except Exception:
        return {}


def _xmp_packet(reader: PdfReader) -> str:
    """The raw XMP XML (read as text: the pypdf accessors convert dates to UTC)."""
    try:
        root = reader.trailer["/Root"]
        stream = root.get("/Metadata")
        if stream is None:
            return ""
        return stream.get_object().get_data()[:200_000].decode("utf-8", errors="replace")
    except Exception:
        return ""


def _declared_language(reader: PdfReader) -> str | None:
    try:
        raw = str(reader.trailer["/Root"].get("/Lang") or "")
    except Exception:
        return None
    match = re.match(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*\s*$", raw)
    return match.group(1).lower() if match else None


# ---------------------------------------------------------------------------------------------
# Facts


def _metadata_claim(raw: str | None, run_date: dt.date) -> DateClaim | None:
    parsed = parse_pdf_date(raw, run_date=run_date)
    return make_claim(parsed, SOURCE_DOCUMENT_INFO, PDF_METADATA_CONFIDENCE) if parsed else None


def _xmp_claim(xmp: str, kind: str, run_date: dt.date) -> DateClaim | None:
    match = _XMP_DATE[kind].search(xmp) if xmp else None
    if match is None:
        return None
    parsed = parse_machine_date(match.group(1), run_date=run_date)
    return make_claim(parsed, SOURCE_DOCUMENT_INFO, PDF_METADATA_CONFIDENCE) if parsed else None


def document_title(raw: str | None, first_page: str) -> str | None:
    """/Title unless it is a file name or tool junk; else the first heading-like line."""
    title = _clean_metadata_title(raw)
    if title:
        return title
    for line in first_page.splitlines()[:15]:
        line = " ".join(line.split())
        words = line.split()
        if 2 <= len(words) <= 20 and sum(ch.isalpha() for ch in line) >= 0.6 * len(line):
            return line[:MAX_TITLE_CHARS]
    return None


def _clean_metadata_title(raw: str | None) -> str | None:
    if not raw:
        return None
    title = " ".join(str(raw).replace("\x00", "").split())
    title = _WORD_PROCESSOR_PREFIX.sub("", title)
    title = _FILE_EXTENSION.sub("", title).strip(" -_")
    if len(title) < 3 or _JUNK_TITLE.match(title):
        return None
    if " " not in title and (re.search(r"[_\\/]|\d{4,}", title) or len(title) > 40):
        return None  # a file name or path such as "2015_11_03_Flyer_final"
    if sum(ch.isalpha() for ch in title) < 3:
        return None
    return title[:MAX_TITLE_CHARS]
