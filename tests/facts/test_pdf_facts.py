"""extract_pdf_facts: metadata title and dates, first-page summary; broken PDFs give Nones.

The PDFs are built here byte by byte (one page, a Helvetica text stream, an optional info
dictionary and XMP packet), so the tests need no fixture files and no PDF-writing library.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pdf_documents import make_pdf

from extractors.facts.page_facts import extract_facts
from extractors.facts.pdf_facts import extract_pdf_facts, parse_pdf_date
from extractors.records import DateClaim, PageFacts

RUN_DATE = dt.date(2026, 11, 26)

PAGE_TEXT = [
    "Merkblatt Gesundheitskarte",
    "Flüchtlinge in Monheim am Rhein erhalten seit dem 1. November 2015 eine",
    "elektronische Gesundheitskarte. Damit können sie direkt eine Ärztin oder einen",
    "Arzt aufsuchen, ohne vorher einen Behandlungsschein im Sozialamt abzuholen.",
    "Die Karte gilt bundesweit. Die Kosten trägt weiterhin die Stadt.",
]
XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    'xmp:CreateDate="2015-11-03T12:00:00+01:00">'
    "<xmp:ModifyDate>2016-02-10T09:30:00+01:00</xmp:ModifyDate>"
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


FULL_PDF = make_pdf(
    PAGE_TEXT,
    info={
        "Title": "Merkblatt Gesundheitskarte für Flüchtlinge",
        "CreationDate": "D:20151103120000+01'00'",
        "ModDate": "D:20160210093000Z",
    },
    lang="de-DE",
)


def pdf_facts(body: bytes, *, last_modified: str | None = None) -> PageFacts:
    return extract_pdf_facts(body, run_date=RUN_DATE, last_modified=last_modified)


def test_title_dates_summary_language_hash() -> None:
    facts = pdf_facts(FULL_PDF)
    assert facts.title == "Merkblatt Gesundheitskarte für Flüchtlinge"
    assert facts.published == DateClaim(dt.date(2015, 11, 3), "document_info", 0.8)
    assert facts.modified == DateClaim(dt.date(2016, 2, 10), "document_info", 0.8)
    assert facts.language == "de"
    assert facts.summary is not None
    assert len(facts.summary) <= 300
    for expected in ("Flüchtlinge in Monheim am Rhein", "elektronische Gesundheitskarte"):
        assert expected in facts.summary
    assert "Merkblatt Gesundheitskarte" not in facts.summary  # the heading line is skipped
    assert facts.content_hash is not None and len(facts.content_hash) == 64


def test_dispatch_by_content_type_and_by_magic() -> None:
    for content_type in ("application/pdf", "application/octet-stream", None, "text/html"):
        facts = extract_facts(
            FULL_PDF,
            url="https://www.monheim.de/fileadmin/merkblatt.pdf",
            content_type=content_type,
            last_modified=None,
            run_date=RUN_DATE,
        )
        assert facts.title == "Merkblatt Gesundheitskarte für Flüchtlinge"


@pytest.mark.parametrize(
    ("raw_title", "expected"),
    [
        ("Microsoft Word - Merkblatt Gesundheitskarte.docx", "Merkblatt Gesundheitskarte"),
        ("Microsoft Word - 2015_11_03_Flyer_final.doc", "Merkblatt Gesundheitskarte"),
        ("Dokument1", "Merkblatt Gesundheitskarte"),
        ("untitled", "Merkblatt Gesundheitskarte"),
        ("C:\\Users\\amt50\\Desktop\\merkblatt.pdf", "Merkblatt Gesundheitskarte"),
        ("", "Merkblatt Gesundheitskarte"),
    ],
)
def test_junk_titles_fall_back(raw_title: str, expected: str) -> None:
    facts = pdf_facts(make_pdf(PAGE_TEXT, info={"Title": raw_title}))
    assert facts.title == expected


def test_xmp_dates_when_info_has_none() -> None:
    facts = pdf_facts(make_pdf(PAGE_TEXT, xmp=XMP))
    assert facts.published == DateClaim(dt.date(2015, 11, 3), "document_info", 0.8)
    assert facts.modified == DateClaim(dt.date(2016, 2, 10), "document_info", 0.8)


def test_dates_from_first_page_text() -> None:
    lines = [*PAGE_TEXT, "Stand: März 2016"]
    facts = pdf_facts(make_pdf(lines))
    assert facts.published is None
    assert facts.modified is not None
    assert facts.modified.value == dt.date(2016, 3, 1)
    assert facts.modified.source == "visible_text"


def test_last_modified_header_as_last_resort() -> None:
    facts = pdf_facts(make_pdf(PAGE_TEXT), last_modified="Tue, 03 Nov 2015 12:00:00 GMT")
    assert facts.modified == DateClaim(dt.date(2015, 11, 3), "http_header", 0.2)


def test_url_date_for_a_pdf_without_dates() -> None:
    facts = extract_facts(
        make_pdf(PAGE_TEXT),
        url="https://www.stadt.de/fileadmin/2015/11/03/merkblatt.pdf",
        content_type="application/pdf",
        last_modified=None,
        run_date=RUN_DATE,
    )
    assert facts.published is not None and facts.published.source == "url"


def test_future_and_implausible_metadata_dates_are_dropped() -> None:
    body = make_pdf(PAGE_TEXT, info={"CreationDate": "D:19800101", "ModDate": "D:20301103"})
    facts = pdf_facts(body)
    assert facts.published is None and facts.modified is None


def test_creation_after_modification_keeps_one() -> None:
    body = make_pdf(PAGE_TEXT, info={"CreationDate": "D:20170101", "ModDate": "D:20160101"})
    facts = pdf_facts(body)
    assert facts.published is not None and facts.modified is None


def test_english_pdf_language_from_text() -> None:
    lines = [
        "Information for refugees",
        "The city offers advice on housing and health care. This leaflet explains the",
        "most important steps after your arrival and where to find help in the city.",
    ]
    assert pdf_facts(make_pdf(lines)).language == "en"


@pytest.mark.parametrize(
    ("raw", "expected", "precision"),
    [
        ("D:20151103120000+01'00'", dt.date(2015, 11, 3), "day"),
        ("D:20151103", dt.date(2015, 11, 3), "day"),
        ("20151103120000Z", dt.date(2015, 11, 3), "day"),
        ("D:201511", dt.date(2015, 11, 1), "month"),
        ("D:2015", dt.date(2015, 1, 1), "year"),
        ("D: 20151103", dt.date(2015, 11, 3), "day"),
        ("2015-11-03T12:00:00+01:00", dt.date(2015, 11, 3), "day"),
        ("Tue Nov 3 2015", dt.date(2015, 11, 3), "day"),  # odd producers: read as a date
        ("D:20151340", None, None),
        ("D:00000000", None, None),
        ("D:20301103", None, None),
        ("D:1990", None, None),
        ("", None, None),
        ("\x00\xff garbage", None, None),
        (None, None, None),
    ],
)
def test_parse_pdf_date(raw: str | None, expected: dt.date | None, precision: str | None) -> None:
    parsed = parse_pdf_date(raw, run_date=RUN_DATE)
    assert (parsed.value if parsed else None) == expected
    assert (parsed.precision if parsed else None) == precision


@pytest.mark.parametrize(
    "body",
    [
        FULL_PDF[: len(FULL_PDF) // 2],  # truncated: no xref, no trailer
        FULL_PDF[:40],
        b"%PDF-1.4\n",
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
        b"%PDF-",
        b"",
    ],
)
def test_corrupt_pdf_gives_nones(body: bytes) -> None:
    assert pdf_facts(body) == PageFacts()
    facts = extract_facts(
        body, url="https://x.de/a.pdf", content_type="application/pdf", last_modified=None,
        run_date=RUN_DATE,
    )  # fmt: skip
    assert facts == PageFacts()


def test_pdf_logging_stays_quiet(caplog: pytest.LogCaptureFixture) -> None:
    broken = FULL_PDF.replace(b"startxref", b"startxrex")  # pypdf must repair the xref
    with caplog.at_level("WARNING"):
        pdf_facts(broken)
        pdf_facts(FULL_PDF[:300])
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
