"""extract_office_facts: core properties and text of docx/xlsx/pptx/odt; hostile files are
bounded (zip bombs, XXE, billion laughs) and broken ones give Nones.

The documents are built here with `zipfile`, shaped like what Word and LibreOffice write, so
the tests need no fixture files and no Office-writing library.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import time
import tracemalloc
import zipfile

import pytest

from extractors.facts.office_facts import (
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    _Archive,
    extract_office_facts,
    looks_like_office,
)
from extractors.facts.page_facts import extract_facts
from extractors.records import DateClaim, PageFacts

RUN_DATE = dt.date(2026, 11, 26)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PARAGRAPHS = [
    "Merkblatt Gesundheitskarte",
    "Flüchtlinge in Monheim am Rhein erhalten seit dem 1. November 2015 eine elektronische "
    "Gesundheitskarte. Damit können sie direkt eine Ärztin oder einen Arzt aufsuchen.",
    "Die Karte gilt bundesweit. Die Kosten trägt weiterhin die Stadt.",
]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
)


def core_xml(
    title: str = "Merkblatt Gesundheitskarte für Flüchtlinge",
    created: str = "2015-11-03T12:00:00Z",
    modified: str = "2016-02-10T09:30:00Z",
    *,
    doctype: str = "",
    language: str = "de-DE",
) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + doctype
        + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{title}</dc:title><dc:creator>Amt 50</dc:creator>"
        f"<dc:language>{language}</dc:language>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{modified}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def document_xml(paragraphs: list[str]) -> str:
    # Word splits a paragraph into runs wherever formatting or spell-checking changes.
    body = "".join(
        f'<w:p><w:pPr><w:pStyle w:val="Standard"/></w:pPr><w:r><w:t>{p[:10]}</w:t></w:r>'
        f'<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{p[10:]}</w:t></w:r></w:p>'
        for p in paragraphs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{W}"><w:body>{body}<w:sectPr/></w:body></w:document>'
    )


def make_zip(members: dict[str, str | bytes], *, stored: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


def docx_members(**core: str) -> dict[str, str | bytes]:
    return {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": RELS,
        "word/document.xml": document_xml(PARAGRAPHS),
        "docProps/core.xml": core_xml(**core),
    }


def make_docx(**core: str) -> bytes:
    return make_zip(docx_members(**core))


def without(members: dict[str, str | bytes], name: str) -> dict[str, str | bytes]:
    return {key: value for key, value in members.items() if key != name}


def make_xlsx() -> bytes:
    strings = ["Name", "Anschrift", "Anmeldung zur Ferienfreizeit 2016 im Jugendzentrum"]
    shared = "".join(f"<si><t>{s}</t></si>" for s in strings)
    shared += "<si><r><t>Bitte bis zum </t></r><r><rPr><b/></rPr><t>30. Juni</t></r></si>"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return make_zip(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": RELS,
            "xl/workbook.xml": f'<workbook xmlns="{main}"><sheets/></workbook>',
            "xl/sharedStrings.xml": f'<sst xmlns="{main}" count="4">{shared}</sst>',
            "docProps/core.xml": core_xml(title="Anmeldeformular Ferienfreizeit"),
        }
    )


ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"


def make_odt(*, modified: str = "2016-02-10T09:30:00.12", content: str | None = None) -> bytes:
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="{ODF_OFFICE}"'
        f' xmlns:meta="{ODF_META}" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>'
        "<dc:title>Satzung über die Benutzung der Stadtbücherei</dc:title>"
        "<meta:creation-date>2015-11-03T10:15:00</meta:creation-date>"
        f"<dc:date>{modified}</dc:date><meta:print-date>2025-01-02T08:00:00</meta:print-date>"
        "</office:meta></office:document-meta>"
    )
    content = content or (
        "<text:h>Satzung der Stadtbücherei</text:h><text:p>Die Stadtbücherei steht allen "
        'Einwohnerinnen und <text:span text:style-name="T1">Einwohnern</text:span> offen.'
        "<text:s/>Die Ausleihe ist für Kinder kostenlos.</text:p>"
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        f'xmlns:office="{ODF_OFFICE}" xmlns:text="{ODF_TEXT}"><office:body><office:text>'
        f"{content}</office:text></office:body></office:document-content>"
    )
    return make_zip(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "META-INF/manifest.xml": "<manifest/>",
            "meta.xml": meta,
            "content.xml": body,
        },
        stored=("mimetype",),
    )


def facts_of(body: bytes, *, last_modified: str | None = None) -> PageFacts:
    return extract_office_facts(body, run_date=RUN_DATE, last_modified=last_modified)


def through_page_facts(body: bytes, content_type: str | None, url: str = "") -> PageFacts:
    return extract_facts(
        body,
        url=url or "https://www.monheim.de/fileadmin/merkblatt.docx",
        content_type=content_type,
        last_modified=None,
        run_date=RUN_DATE,
    )


def patch_member(body: bytes, name: str, *, size: int | None = None, flags: int = 0) -> bytes:
    """Rewrite a member's declared uncompressed size and OR `flags` into its flag bits, in
    both its local header and the central directory (what a hostile file would do)."""
    data = bytearray(body)
    encoded = name.encode()
    for signature, flag_at, size_at, name_at in (
        (b"PK\x03\x04", 6, 22, 30),
        (b"PK\x01\x02", 8, 24, 46),
    ):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at : at + name_at + len(encoded)] == encoded:
                (old_flags,) = struct.unpack_from("<H", data, at + flag_at)
                struct.pack_into("<H", data, at + flag_at, old_flags | flags)
                if size is not None:
                    struct.pack_into("<I", data, at + size_at, size)
            at = data.find(signature, at + 4)
    return bytes(data)


DOCX = make_docx()


# ---------------------------------------------------------------------------------------------
# Facts


def test_docx_title_dates_summary_language_hash() -> None:
    facts = facts_of(DOCX)
    assert facts.title == "Merkblatt Gesundheitskarte für Flüchtlinge"
    assert facts.published == DateClaim(dt.date(2015, 11, 3), "document_info", 0.8)
    assert facts.modified == DateClaim(dt.date(2016, 2, 10), "document_info", 0.8)
    assert facts.published.evidence == "document_info"
    assert facts.modified.evidence == "document_info"
    assert facts.language == "de"
    assert facts.summary is not None
    assert facts.summary.startswith("Flüchtlinge in Monheim am Rhein erhalten")  # runs joined
    assert "Merkblatt Gesundheitskarte" not in facts.summary  # the heading line is skipped
    assert facts.content_hash is not None and len(facts.content_hash) == 64
    assert facts.text_fingerprint is not None and len(facts.text_fingerprint) == 64


def test_same_text_other_properties_same_hash() -> None:
    resaved = facts_of(make_docx(title="Anderer Titel", modified="2020-01-01T00:00:00Z"))
    assert resaved.content_hash == facts_of(DOCX).content_hash


@pytest.mark.parametrize(
    ("created", "modified", "published_day", "modified_day"),
    [
        # 04:30 on 1 January in UTC, still New Year's Eve where it was written
        ("2015-12-31T23:30:00-05:00", "2016-01-05T10:00:00Z", dt.date(2015, 12, 31), None),
        # 23:30 on 31 December in UTC, already New Year's Day in Berlin
        ("2015-11-03T12:00:00Z", "2016-01-01T00:30:00+01:00", None, dt.date(2016, 1, 1)),
    ],
)
def test_a_stamp_is_the_calendar_day_at_its_own_offset(
    created: str, modified: str, published_day: dt.date | None, modified_day: dt.date | None
) -> None:
    facts = facts_of(make_docx(created=created, modified=modified))
    if published_day:
        assert facts.published is not None and facts.published.value == published_day
    if modified_day:
        assert facts.modified is not None and facts.modified.value == modified_day


def test_a_shown_as_of_date_beats_younger_properties() -> None:
    members = docx_members(created="2015-10-01T08:00:00Z", modified="2019-05-02T11:00:00Z")
    members["word/document.xml"] = document_xml([*PARAGRAPHS[:2], "Stand: 03.11.2015"])
    facts = facts_of(make_zip(members))
    assert facts.modified is not None
    assert (facts.modified.value, facts.modified.source) == (dt.date(2015, 11, 3), "visible_text")
    assert facts.modified.evidence == "visible"
    # Older than what the document shows: the property still counts.
    assert facts.published == DateClaim(dt.date(2015, 10, 1), "document_info", 0.8)


def test_a_creation_property_younger_than_the_shown_date_is_dropped() -> None:
    members = docx_members(created="2019-05-01T08:00:00Z", modified="2019-05-02T11:00:00Z")
    members["word/document.xml"] = document_xml([*PARAGRAPHS[:2], "Stand: 03.11.2015"])
    facts = facts_of(make_zip(members))
    assert facts.published is None
    assert facts.modified is not None and facts.modified.value == dt.date(2015, 11, 3)


def test_last_modified_header_as_last_resort() -> None:
    body = make_zip(without(docx_members(), "docProps/core.xml"))
    facts = facts_of(body, last_modified="Tue, 03 Nov 2015 12:00:00 GMT")
    assert facts.modified == DateClaim(dt.date(2015, 11, 3), "http_header", 0.2)
    assert facts.title == "Merkblatt Gesundheitskarte"  # no properties: the first heading line


def test_xlsx_shared_strings_and_no_cell_as_title() -> None:
    facts = facts_of(make_xlsx())
    assert facts.title == "Anmeldeformular Ferienfreizeit"
    assert facts.summary is not None
    assert "Anmeldung zur Ferienfreizeit 2016 im Jugendzentrum" in facts.summary
    assert "Bitte bis zum 30. Juni" in facts.summary  # rich-text runs form one string
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "xl/workbook.xml": "<workbook/>",
        "xl/sharedStrings.xml": "<sst><si><t>Name Vorname</t></si></sst>",
    }
    assert facts_of(make_zip(members)).title is None  # a column heading is no title


def test_pptx_slides_in_number_order() -> None:
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    slides = {
        f"ppt/slides/slide{n}.xml": f'<p:sld xmlns:p="p" xmlns:a="{a}"><a:p><a:r>'
        f"<a:t>Folie {n} über die Sprechstunde im Bürgerbüro</a:t></a:r></a:p></p:sld>"
        for n in (10, 2, 1)
    }
    body = make_zip(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "ppt/presentation.xml": "<presentation/>",
            "ppt/slides/_rels/slide1.xml.rels": "<Relationships/>",
            **slides,
        }
    )
    facts = facts_of(body)
    assert facts.title == "Folie 1 über die Sprechstunde im Bürgerbüro"
    assert facts.summary is not None
    assert facts.summary.index("Folie 2 ") < facts.summary.index("Folie 10 ")


def test_odt_meta_and_content() -> None:
    facts = facts_of(make_odt())
    assert facts.title == "Satzung über die Benutzung der Stadtbücherei"
    assert facts.published == DateClaim(dt.date(2015, 11, 3), "document_info", 0.8)
    assert facts.modified == DateClaim(dt.date(2016, 2, 10), "document_info", 0.8)
    assert facts.modified.evidence == "document_info"
    assert facts.summary == (
        "Die Stadtbücherei steht allen Einwohnerinnen und Einwohnern offen. "
        "Die Ausleihe ist für Kinder kostenlos."
    )
    assert facts.language == "de"


# ---------------------------------------------------------------------------------------------
# Dispatch


@pytest.mark.parametrize(
    "content_type",
    [
        DOCX_TYPE,
        "application/octet-stream",
        None,
        "application/zip",
        "application/vnd.ms-word.document.macroEnabled.12",
    ],
)
def test_dispatch_docx_by_media_type_and_by_magic(content_type: str | None) -> None:
    facts = through_page_facts(DOCX, content_type)
    assert facts.title == "Merkblatt Gesundheitskarte für Flüchtlinge"
    assert facts.modified == DateClaim(dt.date(2016, 2, 10), "document_info", 0.8)


@pytest.mark.parametrize(
    "content_type", ["application/vnd.oasis.opendocument.text", "binary/octet-stream", ""]
)
def test_dispatch_odt_by_media_type_and_by_magic(content_type: str) -> None:
    facts = through_page_facts(make_odt(), content_type)
    assert facts.title == "Satzung über die Benutzung der Stadtbücherei"


def test_other_bodies_are_not_taken_for_office_documents() -> None:
    plain_zip = make_zip({"readme.txt": "Hallo", "data.xml": "<x/>"})
    old_word = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)  # binary .doc (OLE2)
    odf_lookalike = make_zip({"mimetype": "application/epub+zip"}, stored=("mimetype",))
    for body in (plain_zip, old_word, odf_lookalike):
        assert not looks_like_office(body)
        assert through_page_facts(body, "application/octet-stream") == PageFacts()
    assert through_page_facts(old_word, "application/msword") == PageFacts()
    assert looks_like_office(DOCX) and looks_like_office(make_odt())


def test_url_date_for_an_office_file_without_dates() -> None:
    body = make_zip(without(docx_members(), "docProps/core.xml"))
    facts = through_page_facts(body, DOCX_TYPE, "https://www.stadt.de/2015/11/03/flyer.docx")
    assert facts.published is not None
    assert (facts.published.value, facts.published.source) == (dt.date(2015, 11, 3), "url")


# ---------------------------------------------------------------------------------------------
# Hostile and broken files


@pytest.fixture(scope="module")
def bomb_docx() -> bytes:
    """A docx whose document.xml inflates to 200 MB of zeros (about 200 KB compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in without(docx_members(), "word/document.xml").items():
            archive.writestr(name, data)
        with archive.open("word/document.xml", "w") as member:
            chunk = bytes(1 << 20)
            for _ in range(200):
                member.write(chunk)
    body = buffer.getvalue()
    assert len(body) < 1_000_000
    return body


@pytest.mark.parametrize("declared", [200 * (1 << 20), 4_000_000, 1_000])
def test_zip_bomb_is_bounded(bomb_docx: bytes, declared: int) -> None:
    # Honest (200 MB: refused unread), lying under the cap (4 MB) and lying small (1 KB).
    body = patch_member(bomb_docx, "word/document.xml", size=declared)
    started = time.perf_counter()
    facts = facts_of(body)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    tracemalloc.start()
    try:
        facts_of(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000
    assert facts.summary is None and facts.content_hash is None  # the bomb costs only its text
    assert facts.title == "Merkblatt Gesundheitskarte für Flüchtlinge"
    assert facts.modified == DateClaim(dt.date(2016, 2, 10), "document_info", 0.8)


def test_member_read_stops_at_the_cap_whatever_comes_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # zipfile itself stops at the declared size today; the cap must not rely on that.
    archive = _Archive(DOCX)
    more_than_declared = MAX_MEMBER_BYTES + (1 << 20)
    monkeypatch.setattr(archive.zip, "open", lambda *_: io.BytesIO(bytes(more_than_declared)))
    assert archive.read("word/document.xml") is None
    assert archive.bytes_read <= MAX_MEMBER_BYTES + 64 * 1024


def test_too_many_members_are_refused() -> None:
    members = docx_members()
    members.update({f"customXml/item{n}.xml": "" for n in range(MAX_MEMBERS + 1)})
    assert facts_of(make_zip(members)) == PageFacts()


def test_xxe_is_not_resolved() -> None:
    doctype = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    members = docx_members(title="&e;", doctype=doctype)
    facts = facts_of(make_zip(members))
    assert "root:" not in repr(facts) and "&e;" not in repr(facts)
    # A part that declares a DTD is refused as a whole; the text still gives title and summary.
    assert facts.title == "Merkblatt Gesundheitskarte"
    assert facts.published is None and facts.modified is None
    assert facts.summary is not None and facts.summary.startswith("Flüchtlinge in Monheim")


def test_billion_laughs_is_bounded() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    members = docx_members(title="&lol9;", doctype=f"<!DOCTYPE lolz [{entities}]>")
    started = time.perf_counter()
    facts = facts_of(make_zip(members))
    assert time.perf_counter() - started < 1.0
    assert facts.title == "Merkblatt Gesundheitskarte"
    assert "lol" not in repr(facts)
    assert facts.content_hash == facts_of(DOCX).content_hash


@pytest.mark.parametrize(
    "body",
    [
        DOCX[: len(DOCX) // 2],  # truncated: no central directory
        DOCX[:30],
        DOCX[:-10],  # end-of-directory record cut
        b"PK\x03\x04" + bytes(range(256)) * 20,
        b"PK\x05\x06" + bytes(18),  # an empty zip
        bytes(range(256)),
        b"",
    ],
    ids=["half", "30-bytes", "no-end-record", "junk", "empty-zip", "no-zip", "nothing"],
)
def test_corrupt_zip_gives_nones(body: bytes) -> None:
    assert facts_of(body) == PageFacts()
    assert through_page_facts(body, DOCX_TYPE) == PageFacts()


def test_an_encrypted_member_costs_only_its_own_facts() -> None:
    body = patch_member(DOCX, "word/document.xml", flags=0x1)
    facts = facts_of(body)
    assert facts.summary is None and facts.content_hash is None
    assert facts.title == "Merkblatt Gesundheitskarte für Flüchtlinge"
    assert facts.published == DateClaim(dt.date(2015, 11, 3), "document_info", 0.8)


def test_a_missing_or_broken_member_costs_only_its_own_facts() -> None:
    no_text = facts_of(make_zip(without(docx_members(), "word/document.xml")))
    assert no_text.title == "Merkblatt Gesundheitskarte für Flüchtlinge"
    assert no_text.modified == DateClaim(dt.date(2016, 2, 10), "document_info", 0.8)
    assert no_text.summary is None
    members = docx_members()
    members["docProps/core.xml"] = "<cp:coreProperties><dc:title>kaputt"
    broken_core = facts_of(make_zip(members))
    assert broken_core.title == "Merkblatt Gesundheitskarte"
    assert broken_core.published is None and broken_core.modified is None
    assert broken_core.content_hash == facts_of(DOCX).content_hash
