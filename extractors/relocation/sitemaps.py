"""Sitemap files read: a urlset's `(loc, lastmod)` entries or an index's child sitemaps.

The sitemaps protocol (sitemaps.org) allows 50,000 URLs and 50 MB (uncompressed) per file;
more is not read. Files come from any web server, so parsing is defensive: lxml without
entity resolution, network or DTD loading, and a file that declares a DTD is refused outright
(no sitemap needs one, and entity expansion is how an XML bomb works). Broken XML is read as
far as lxml's recovery gets. A plain-text sitemap (one URL per line) is read too.

Gzip is undone by the caller, with `gunzip_bounded`, so a compression bomb stops at a cap.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zlib
from dataclasses import dataclass

from lxml import etree

# The sitemaps protocol's limits per file.
MAX_SITEMAP_ENTRIES = 50_000
MAX_SITEMAP_BYTES = 50_000_000
GZIP_MAGIC = b"\x1f\x8b"
# A DTD must come before the root element; no real sitemap has a prolog this long.
_PROLOG_WINDOW = 65_536
_DOCTYPE = re.compile(rb"<!doctype", re.IGNORECASE)
_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE)
# The closing tag of an entry; searched for in the last MiB of a cut file (no entry is longer).
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:url|sitemap)\s*>", re.IGNORECASE)
_ENTRY_TAIL_WINDOW = 1 << 20
# A text sitemap's lines are URLs; longer lines are skipped, NUL bytes mean binary data.
_MAX_URL_BYTES = 8192
_BINARY_WINDOW = 1024
# Compressed input handed to zlib per step: output is bounded by max_length anyway.
_GUNZIP_STEP = 64 * 1024


@dataclass(frozen=True, slots=True)
class SitemapFile:
    """One sitemap file read: page entries `(loc, lastmod)` and/or child sitemap URLs.

    `lastmod` is the W3C datetime as written (None when absent). `truncated` says that the
    entry cap was reached; `refused` says why nothing was read (a DTD), else None.
    """

    entries: tuple[tuple[str, str | None], ...] = ()
    children: tuple[str, ...] = ()
    truncated: bool = False
    refused: str | None = None


def read_sitemap(data: bytes, *, cut: bool = False) -> SitemapFile:
    """A sitemap's entries or child sitemaps (XML urlset / sitemapindex, or plain text).

    `cut` says the file was cut at a byte cap: only complete entries are read then (lxml's
    recovery would turn a half-read `<loc>` into a wrong URL), and `truncated` is set.
    """
    cut = cut or len(data) > MAX_SITEMAP_BYTES
    data = data[:MAX_SITEMAP_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not data:
        return SitemapFile(truncated=cut)
    if not data.startswith(b"<"):
        read = _read_text_sitemap(data[: data.rfind(b"\n") + 1] if cut else data)
    elif _DOCTYPE.search(data[:_PROLOG_WINDOW]):
        return SitemapFile(refused="DTD im Sitemap-XML abgelehnt")
    else:
        read = _read_xml_sitemap(_complete_entries(data) if cut else data)
    return dataclasses.replace(read, truncated=True) if cut else read


def _complete_entries(data: bytes) -> bytes:
    """The XML up to the end of its last complete `</url>` or `</sitemap>`."""
    tail_start = max(0, len(data) - _ENTRY_TAIL_WINDOW)
    ends = list(_ENTRY_END.finditer(data, tail_start))
    return data[: ends[-1].end()] if ends else b""


def _read_text_sitemap(data: bytes) -> SitemapFile:
    if b"\x00" in data[:_BINARY_WINDOW]:
        return SitemapFile(refused="keine Sitemap (Binärdaten)")
    entries: list[tuple[str, str | None]] = []
    stream = io.BytesIO(data)
    # Lines read at most a URL's length at a time: a 50 MB "line" never becomes one string.
    while line := stream.readline(_MAX_URL_BYTES):
        if not line.endswith(b"\n") and len(line) == _MAX_URL_BYTES:
            while (rest := stream.readline(_MAX_URL_BYTES)) and not rest.endswith(b"\n"):
                pass  # skip the rest of an overlong line
            continue
        url = line.decode("utf-8", errors="replace").strip()
        if url.startswith(("http://", "https://")) and " " not in url:
            if len(entries) == MAX_SITEMAP_ENTRIES:
                return SitemapFile(entries=tuple(entries), truncated=True)
            entries.append((url, None))
    return SitemapFile(entries=tuple(entries))


def _read_xml_sitemap(data: bytes) -> SitemapFile:
    entries: list[tuple[str, str | None]] = []
    children: list[str] = []
    events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
    )
    try:
        for _, element in events:
            name = _local_name(element)
            if name not in {"url", "sitemap"}:
                continue
            loc = _child_text(element, "loc")
            if loc and name == "url":
                if len(entries) == MAX_SITEMAP_ENTRIES:
                    return SitemapFile(tuple(entries), tuple(children), truncated=True)
                entries.append((loc, _child_text(element, "lastmod")))
            elif loc:
                if len(children) == MAX_SITEMAP_ENTRIES:
                    return SitemapFile(tuple(entries), tuple(children), truncated=True)
                children.append(loc)
            # Done with this entry: free it and its finished siblings (memory stays flat).
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError:
        pass  # beyond recovery: keep what was read
    return SitemapFile(tuple(entries), tuple(children))


def _local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _local_name(child) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def gunzip_bounded(data: bytes, max_bytes: int = MAX_SITEMAP_BYTES) -> tuple[bytes, bool]:
    """Gzip undone, at most `max_bytes` of output; (bytes, cut). Corrupt data: what decoded.

    `max_length` bounds every step's output, so a bomb (100 MB of zeros in 100 KB) costs
    `max_bytes` of memory and stops there instead of expanding in full.
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = memoryview(data)
    try:
        while len(out) < max_bytes:
            if inflater.unconsumed_tail:
                chunk = inflater.unconsumed_tail
            elif pending:
                chunk, pending = bytes(pending[:_GUNZIP_STEP]), pending[_GUNZIP_STEP:]
            else:
                break
            out += inflater.decompress(chunk, max_bytes - len(out))
            if inflater.eof:
                return bytes(out), False
    except zlib.error:
        return bytes(out), True
    cut = len(out) >= max_bytes and bool(inflater.unconsumed_tail or pending)
    return bytes(out), cut


def sitemap_urls_from_robots(robots_txt: str) -> list[str]:
    """The `Sitemap:` URLs a robots.txt names (any group, any case), first mention first."""
    found: list[str] = []
    for line in robots_txt.splitlines():
        match = _ROBOTS_SITEMAP.match(line.split("#", 1)[0])
        if match and match.group(1).startswith(("http://", "https://")):
            found.append(match.group(1))
    return list(dict.fromkeys(found))
