"""Title, summary, language, dates and content hash of one Office document: Word, Excel and
PowerPoint (docx, xlsx, pptx; OOXML) and OpenDocument (odt, ods, odp).

Both formats are zip archives of XML. OOXML keeps its core properties in `docProps/core.xml`
(dc:title, dcterms:created, dcterms:modified), OpenDocument in `meta.xml` (dc:title,
meta:creation-date, dc:date). The text comes from `word/document.xml`, the slides, a workbook's
shared strings or `content.xml`. The old binary formats (.doc, .xls, .ppt) are not read.

Why bounded: the bytes come from the internet and are hostile until proven otherwise. A zip
bomb declares a small size and inflates to gigabytes; an XML part may declare external
entities (XXE) or entities that expand exponentially (billion laughs). So only named members
are read, in memory, in chunks and never past a hard cap whatever the header declares; few
members are looked at; encrypted members are skipped; XML is parsed without DTDs, entities or
network, and a part that declares a DTD at all is refused (real Office parts never do).
Nothing is written to disk and nothing is executed: macros are never even read. Every step
may fail on its own and only costs its own fact; a broken file gives `PageFacts()`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from lxml import etree

from extractors.dates.claims import SOURCE_DOCUMENT_INFO, make_claim
from extractors.dates.cues import find_text_dates
from extractors.dates.grammar import parse_machine_date
from extractors.dates.page_dates import reconcile
from extractors.dates.url_dates import claim_from_http_header
from extractors.facts.pdf_facts import (
    PDF_METADATA_CONFIDENCE,
    document_title,  # same junk-title rules as PDFs
)
from extractors.records import DateClaim, PageFacts
from extractors.text.fingerprint import simhash_text
from extractors.text.summary import guess_language, hash_text, summarise_text

# Written by the authoring tool, like a PDF's info dictionary: trusted as much.
OFFICE_METADATA_CONFIDENCE = PDF_METADATA_CONFIDENCE
ZIP_MAGIC = b"PK\x03\x04"
# No text part of a flyer or form comes near this; a bigger one is refused, not truncated.
MAX_MEMBER_BYTES = 5_000_000
# Over all members of one document, so 20 slides of 5 MB cannot add up to 100 MB.
MAX_TOTAL_BYTES = 16_000_000
# Members read per document (properties, text parts, up to MAX_SLIDES slides).
MAX_MEMBERS_READ = 30
# Real documents have tens to hundreds of members; this many is an attack or not a document.
MAX_MEMBERS = 5_000
MAX_SLIDES = 20
# Text kept for hash and fingerprint: enough to notice a new version, bounded for big files.
MAX_TEXT_CHARS = 500_000
# An as-of statement counts in the first part of the text (title page, first slides).
AS_OF_CHARS = 4_000
_CHUNK = 64 * 1024

_ODF_MIMETYPE_PREFIX = b"application/vnd.oasis.opendocument"
_ODF_KINDS = frozenset({"odt", "ods", "odp", "odf"})
_END_OF_DIRECTORY = b"PK\x05\x06"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_ODF_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_SLIDE = re.compile(r"^ppt/slides/slide(\d{1,4})\.xml$")
# The parts that hold a document's text; slides are found by name.
_TEXT_PARTS = {
    "docx": ["word/document.xml"],
    "xlsx": ["xl/sharedStrings.xml"],  # every text cell of every sheet, each string once
    **{kind: ["content.xml"] for kind in _ODF_KINDS},
}
# Elements by local name, so ISO "strict" OOXML namespaces count too. Paragraphs: w:p, a:p,
# a shared string (si); ODF's text:p and text:h.
_OOXML_PARAGRAPHS = frozenset({"p", "si"})
_ODF_PARAGRAPHS = frozenset({"p", "h"})
_BLANKS = frozenset({"tab", "br", "s", "line-break"})  # w:tab, w:br, text:s, text:line-break
# No entities, no DTD, no network, libxml2's limits on depth and node size (no huge_tree).
_SAFE_XML = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def extract_office_facts(body: bytes, *, run_date: dt.date, last_modified: str | None) -> PageFacts:
    """Everything an Office document says about itself; never raises, misses are None."""
    try:
        return _extract(body, run_date=run_date, last_modified=last_modified)
    except Exception:  # zipfile and lxml raise many kinds of errors on hostile bytes
        return PageFacts()


def looks_like_office(body: bytes) -> bool:
    """A zip with `[Content_Types].xml` (OOXML) or an OpenDocument `mimetype` member."""
    if not body.startswith(ZIP_MAGIC):
        return False
    try:
        return _kind(_Archive(body)) is not None
    except Exception:
        return False


# ---------------------------------------------------------------------------------------------
# Reading, bounded


class _Archive:
    """A zip in memory that hands out named members within the caps, or None."""

    def __init__(self, body: bytes) -> None:
        # zipfile builds an object per member before we can count them: read the count the
        # end-of-directory record declares first (0xFFFF means zip64: counted after opening).
        end = body.rfind(_END_OF_DIRECTORY, max(0, len(body) - 65_557))
        if end >= 0 and MAX_MEMBERS < int.from_bytes(body[end + 10 : end + 12], "little") < 0xFFFF:
            raise zipfile.BadZipFile("too many members")
        self.zip = zipfile.ZipFile(io.BytesIO(body))
        if len(self.zip.infolist()) > MAX_MEMBERS:
            raise zipfile.BadZipFile("too many members")
        self.names = frozenset(self.zip.namelist())
        self.members_read = 0
        self.bytes_read = 0

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str, cap: int = MAX_MEMBER_BYTES) -> bytes | None:
        if name not in self.names:
            return None
        info = self.zip.getinfo(name)
        if info.flag_bits & 0x1:  # encrypted: we have no password, and want none
            return None
        cap = min(cap, MAX_TOTAL_BYTES - self.bytes_read)
        if info.file_size > cap or self.members_read >= MAX_MEMBERS_READ:
            return None
        self.members_read += 1
        chunks: list[bytes] = []
        size = 0
        try:
            with self.zip.open(info) as stream:
                # The declared size may lie: count what actually comes out and stop at the cap.
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    self.bytes_read += len(chunk)
                    if size > cap:
                        return None
                    chunks.append(chunk)
        except Exception:  # bad CRC, unsupported compression, truncated data …
            return None
        return b"".join(chunks)

    def xml(self, name: str) -> etree._Element | None:
        data = self.read(name)
        if not data:
            return None
        try:
            # A parser per call: lxml parsers must not be shared between threads.
            root = etree.fromstring(data, etree.XMLParser(**_SAFE_XML))
        except Exception:
            return None
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            return None  # OPC forbids DTDs in parts, ODF writers write none: this is an attack
        return root


def _kind(archive: _Archive) -> str | None:
    """The sort of document: docx, pptx, xlsx, ooxml (other), odt, ods, odp, odf or None."""
    if archive.has("[Content_Types].xml"):
        if archive.has("word/document.xml"):
            return "docx"
        if archive.has("xl/workbook.xml"):
            return "xlsx"
        if archive.has("ppt/presentation.xml"):
            return "pptx"
        return "ooxml"
    mimetype = (archive.read("mimetype", cap=200) or b"").strip()
    if mimetype.startswith(_ODF_MIMETYPE_PREFIX):
        sort = mimetype[len(_ODF_MIMETYPE_PREFIX) :].lstrip(b".")
        return {b"text": "odt", b"spreadsheet": "ods", b"presentation": "odp"}.get(sort, "odf")
    return None


# ---------------------------------------------------------------------------------------------
# Facts


def _extract(body: bytes, *, run_date: dt.date, last_modified: str | None) -> PageFacts:
    if not body.startswith(ZIP_MAGIC):
        return PageFacts()
    archive = _Archive(body)
    kind = _kind(archive)
    if kind is None:
        return PageFacts()
    odf = kind in _ODF_KINDS
    props = _properties(archive.xml("meta.xml" if odf else "docProps/core.xml"), odf=odf)
    text = _text(archive, kind)

    # What the document shows ("Stand: 03.11.2015") decides; its properties count where they
    # do not contradict it (a 2015 flyer re-saved in 2019 is from 2015), as for PDFs.
    shown_published, shown_modified = find_text_dates(text[:AS_OF_CHARS], run_date=run_date)
    shown = [claim.value for claim in (shown_published, shown_modified) if claim]

    def unless_younger_than_shown(claim: DateClaim | None) -> DateClaim | None:
        return claim if claim and (not shown or claim.value <= max(shown)) else None

    published = shown_published or unless_younger_than_shown(
        _property_claim(props.get("created"), run_date)
    )
    modified = shown_modified or unless_younger_than_shown(
        _property_claim(props.get("modified"), run_date)
    )
    if modified is None and last_modified:
        modified = unless_younger_than_shown(claim_from_http_header(last_modified, run_date))
    published, modified = reconcile(published, modified)

    # A spreadsheet's first string is a column heading more often than a title.
    title = document_title(props.get("title"), "" if kind in {"xlsx", "ods"} else text)
    return PageFacts(
        title=title,
        summary=summarise_text(text, title=title),
        language=_declared_language(props.get("language")) or guess_language(text),
        published=published,
        modified=modified,
        content_hash=hash_text(text),
        text_fingerprint=simhash_text(text),
    )


def _properties(root: etree._Element | None, *, odf: bool) -> dict[str, str]:
    """title, created, modified, language from core.xml (OOXML) or meta.xml (ODF)."""
    if root is None:
        return {}
    tags = {
        "title": _DC + "title",
        "language": _DC + "language",
        "created": _ODF_META + "creation-date" if odf else _DCTERMS + "created",
        "modified": _DC + "date" if odf else _DCTERMS + "modified",
    }
    found: dict[str, str] = {}
    for key, tag in tags.items():
        element = next(root.iter(tag), None)
        value = " ".join("".join(element.itertext()).split()) if element is not None else ""
        if value:
            found[key] = value[:1000]
    return found


def _property_claim(raw: str | None, run_date: dt.date) -> DateClaim | None:
    # "2015-12-31T23:30:00-05:00" is 31.12.2015: the calendar day at the stamp's own offset.
    parsed = parse_machine_date(raw, run_date=run_date) if raw else None
    return make_claim(parsed, SOURCE_DOCUMENT_INFO, OFFICE_METADATA_CONFIDENCE) if parsed else None


def _declared_language(raw: str | None) -> str | None:
    match = re.match(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*\s*$", raw or "")
    return match.group(1).lower() if match else None


def _text(archive: _Archive, kind: str) -> str:
    """The document's text, one paragraph a line, at most MAX_TEXT_CHARS."""
    parts = _TEXT_PARTS.get(kind, [])
    if kind == "pptx":  # slide numbers follow creation order: close enough to the show's order
        found = (_SLIDE.match(name) for name in archive.names)
        slides = sorted((int(match.group(1)), match.group(0)) for match in found if match)
        parts = [name for _, name in slides[:MAX_SLIDES]]
    lines: list[str] = []
    size = 0
    for part in parts:
        root = archive.xml(part)
        try:
            part_lines = _lines(root, odf=kind in _ODF_KINDS) if root is not None else []
        except Exception:  # a missing, refused or odd part costs only its own text
            part_lines = []
        for line in part_lines:
            lines.append(line)
            size += len(line) + 1
            if size > MAX_TEXT_CHARS:
                return "\n".join(lines)[:MAX_TEXT_CHARS]
    return "\n".join(lines)


def _lines(root: etree._Element, *, odf: bool) -> list[str]:
    """One line per paragraph: OOXML's text lives in <w:t>/<a:t>/<t> elements, ODF's is the
    mixed content of <text:p>/<text:h> and their spans."""
    paragraph_tags = _ODF_PARAGRAPHS if odf else _OOXML_PARAGRAPHS
    lines: list[str] = []
    current: list[str] = []
    depth = 0  # inside how many paragraphs (notes and text boxes nest them)

    def flush() -> None:
        line = " ".join("".join(current).split())
        if line:
            lines.append(line)
        current.clear()

    for event, element in etree.iterwalk(root, events=("start", "end")):
        name = etree.QName(element).localname
        if event == "start":
            if name in paragraph_tags:
                flush()
                depth += 1
            elif name in _BLANKS:
                current.append(" ")
            if element.text and (depth > 0 if odf else name == "t"):
                current.append(element.text)
        else:
            if name in paragraph_tags:
                flush()
                depth -= 1
            if odf and depth > 0 and element.tail:
                current.append(element.tail)
    flush()
    return lines
