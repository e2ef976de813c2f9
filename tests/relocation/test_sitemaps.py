"""Sitemap files read: urlsets, indexes, text sitemaps, hostile XML, the caps, gzip bounds."""

from __future__ import annotations

import gzip
import time

from extractors.relocation.sitemaps import (
    MAX_SITEMAP_ENTRIES,
    gunzip_bounded,
    read_sitemap,
    sitemap_urls_from_robots,
)

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://www.kreis-soest.de/presse/integrationskurse</loc>
       <lastmod>2024-03-05T10:00:00+01:00</lastmod></url>
  <url><loc> https://www.kreis-soest.de/buergerservice/auslaenderamt </loc></url>
  <!-- ein Kommentar -->
</urlset>"""


def test_a_urlset_gives_its_locations_with_lastmod() -> None:
    sitemap = read_sitemap(URLSET)
    assert sitemap.entries == (
        ("https://www.kreis-soest.de/presse/integrationskurse", "2024-03-05T10:00:00+01:00"),
        ("https://www.kreis-soest.de/buergerservice/auslaenderamt", None),
    )
    assert sitemap.children == ()
    assert not sitemap.truncated


def test_an_index_gives_its_child_sitemaps() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://www.monheim.de/sitemap-seiten.xml</loc></sitemap>
      <sitemap><loc>https://www.monheim.de/sitemap-presse.xml.gz</loc>
               <lastmod>2024-01-01</lastmod></sitemap>
    </sitemapindex>"""
    sitemap = read_sitemap(index)
    assert sitemap.children == (
        "https://www.monheim.de/sitemap-seiten.xml",
        "https://www.monheim.de/sitemap-presse.xml.gz",
    )
    assert sitemap.entries == ()


def test_broken_xml_is_read_as_far_as_it_goes() -> None:
    broken = b"<urlset><url><loc>https://a.de/eins</loc></url><url><loc>https://a.de/zw"
    assert read_sitemap(broken).entries[0] == ("https://a.de/eins", None)


def test_a_dtd_is_refused_so_no_entity_is_ever_expanded() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<urlset><url><loc>https://a.de/&lol2;</loc></url></urlset>"""
    sitemap = read_sitemap(bomb)
    assert sitemap.entries == ()
    assert sitemap.refused == "DTD im Sitemap-XML abgelehnt"


def test_an_undeclared_entity_is_left_out_and_an_external_dtd_refused() -> None:
    sneaky = b"<urlset><url><loc>https://a.de/x&xxe;</loc></url></urlset>"
    assert read_sitemap(sneaky).entries == (("https://a.de/x", None),)
    external = b'<?xml version="1.0"?><!-- c --><!DOCTYPE u SYSTEM "file:///etc/passwd"><urlset/>'
    assert read_sitemap(external).refused == "DTD im Sitemap-XML abgelehnt"


def test_a_plain_text_sitemap_lists_one_url_per_line() -> None:
    text = b"https://www.dormagen.de/leben/integration\r\n\n# kein URL\nftp://x.de/a\nhttps://www.dormagen.de/b\n"
    assert [loc for loc, _ in read_sitemap(text).entries] == [
        "https://www.dormagen.de/leben/integration",
        "https://www.dormagen.de/b",
    ]


def test_entries_stop_at_the_protocols_50000() -> None:
    body = b"".join(b"<url><loc>https://a.de/s%d</loc></url>" % n for n in range(50_010))
    sitemap = read_sitemap(b"<urlset>" + body + b"</urlset>")
    assert len(sitemap.entries) == MAX_SITEMAP_ENTRIES
    assert sitemap.entries[-1][0] == "https://a.de/s49999"
    assert sitemap.truncated


def test_binary_junk_is_no_sitemap() -> None:
    assert read_sitemap(b"\x00" * 10_000).entries == ()


def test_gunzip_stops_at_the_cap_however_big_the_bomb() -> None:
    bomb = gzip.compress(b"\x00" * 20_000_000)
    started = time.perf_counter()
    body, cut = gunzip_bounded(bomb, 1_000_000)
    assert len(body) == 1_000_000
    assert cut
    assert time.perf_counter() - started < 2


def test_gunzip_gives_a_small_file_whole_and_corrupt_data_as_far_as_it_decoded() -> None:
    packed = gzip.compress(URLSET)
    assert gunzip_bounded(packed, 1_000_000) == (URLSET, False)
    body, cut = gunzip_bounded(packed[: len(packed) // 2] + b"\xff" * 50, 1_000_000)
    assert URLSET.startswith(body)
    assert cut


def test_robots_txt_sitemap_lines_in_any_group_and_case() -> None:
    robots = """User-agent: *
Disallow: /intern/
Sitemap: https://www.kreis-soest.de/sitemap_index.xml.gz  # Hauptindex
sitemap:https://www.kreis-soest.de/sitemap-news.xml

User-agent: Linkpflege
SITEMAP: https://www.kreis-soest.de/sitemap_index.xml.gz
Sitemap: /relativ.xml
"""
    assert sitemap_urls_from_robots(robots) == [
        "https://www.kreis-soest.de/sitemap_index.xml.gz",
        "https://www.kreis-soest.de/sitemap-news.xml",
    ]


def test_a_cut_file_gives_only_its_complete_entries() -> None:
    cut_xml = URLSET[: URLSET.index(b"auslaenderamt")]
    sitemap = read_sitemap(cut_xml, cut=True)
    assert [loc for loc, _ in sitemap.entries] == [
        "https://www.kreis-soest.de/presse/integrationskurse"
    ]
    assert sitemap.truncated
    assert read_sitemap(b"https://a.de/eins\nhttps://a.de/zw", cut=True).entries == (
        ("https://a.de/eins", None),
    )
