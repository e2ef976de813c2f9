"""Minimal valid PDFs built byte by byte for tests: no fixture files, no PDF-writing library.

One page, a Helvetica text stream, an optional info dictionary, XMP packet and /Lang.
"""

from __future__ import annotations


def _pdf_string(text: str) -> bytes:
    data = text.encode("cp1252")  # WinAnsiEncoding
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(
    lines: list[str],
    *,
    info: dict[str, str] | None = None,
    xmp: str | None = None,
    lang: str | None = None,
) -> bytes:
    """A minimal valid one-page PDF 1.4 with a correct xref table."""
    text_ops = b"".join(_pdf_string(line) + b" Tj T*\n" for line in lines)
    content = b"BT /F1 11 Tf 72 760 Td 14 TL\n" + text_ops + b"ET"
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    if xmp is not None:
        catalog += b" /Metadata 6 0 R"
    if lang:
        catalog += b" /Lang " + _pdf_string(lang)
    objects = [
        catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    if xmp is not None:
        packet = xmp.encode()
        objects.append(
            b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(packet)
            + packet
            + b"\nendstream"
        )
    info_ref = b""
    if info:
        entries = b" ".join(b"/" + k.encode() + b" " + _pdf_string(v) for k, v in info.items())
        objects.append(b"<< " + entries + b" >>")
        info_ref = b" /Info %d 0 R" % len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1) + info_ref
    out += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
