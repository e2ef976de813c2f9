"""The new location of a lost page found on a real local web server: sitemaps read politely
and within bounds, candidates verified and the decoys never proposed."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import time

from local_web import LocalWeb, Reply

from extractors.facts.page_facts import extract_facts
from extractors.health.link_health import classify
from extractors.records import Health
from extractors.relocation.ranking import PROPOSAL_THRESHOLD, LostPage, Relocation
from extractors.relocation.url_patterns import pattern_candidates
from flows.fetch.engine import fetch_all
from flows.fetch.settings import FetchSettings
from flows.relocation.candidates import find_new_location, verified_page
from flows.relocation.sitemap_fetch import host_sitemap_urls

SETTINGS = FetchSettings(
    allow_private_addresses=True, per_host_interval=0.01, timeout=5, retries=0, backoff_base=0
)
RUN_DATE = dt.date(2024, 6, 1)
TITLE = "Sprachkurse für Geflüchtete"
TEXT = (
    "Die Stadt Musterstadt bietet geflüchteten Menschen kostenlose Sprachkurse an. Die Kurse "
    "finden dienstags, mittwochs und donnerstags im Bürgerhaus am Marktplatz statt und werden "
    "von ehrenamtlichen Lehrkräften aus der Nachbarschaft begleitet.",
    "Kinderbetreuung wird während der Kurse angeboten, damit auch Eltern mit kleinen Kindern "
    "teilnehmen können. Die Anmeldung erfolgt persönlich im Integrationsbüro im Rathaus.",
    "Fragen beantwortet das Team des Integrationsbüros gern telefonisch oder per E-Mail; "
    "Lernmaterial wird von der Volkshochschule gestellt und kann behalten werden.",
)
OTHER_TEXT = (
    "Geflüchtete Kinder im Schulalter erhalten in den Sommerferien einen Sprachkurs an der "
    "Gesamtschule. Der Kurs verbindet Spiele, Ausflüge und Unterricht in kleinen Gruppen.",
    "Die Schulsozialarbeit wählt die Kinder gemeinsam mit den Lehrkräften aus und informiert "
    "die Familien schriftlich über Zeiten, Treffpunkt und die Busfahrkarte für die Ferien.",
)
GZIP = (("Content-Type", "application/gzip"),)
XML = (("Content-Type", "application/xml"),)


def page(title: str, paragraphs: tuple[str, ...]) -> Reply:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return Reply.html(
        f"<!doctype html><html lang='de'><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Startseite</a> <a href='/suche'>Suche</a></nav>"
        f"<main><h1>{title}</h1>{body}</main><footer>Stadt Musterstadt</footer></body></html>"
    )


def urlset(*entries: tuple[str, str | None]) -> bytes:
    urls = "".join(
        f"<url><loc>{loc}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</url>"
        for loc, lastmod in entries
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def index(*children: str) -> bytes:
    items = "".join(f"<sitemap><loc>{child}</loc></sitemap>" for child in children)
    return f"<sitemapindex>{items}</sitemapindex>".encode()


def lost_page(web: LocalWeb, path: str) -> LostPage:
    """What last night's run knew of the page, extracted from its last good body."""
    old = page(TITLE, TEXT)
    facts = extract_facts(
        old.body, url=web.url(path), content_type="text/html", last_modified=None, run_date=RUN_DATE
    )
    return LostPage(
        url=web.url(path),
        last_title=facts.title,
        last_summary=facts.summary,
        last_fingerprint=facts.text_fingerprint,
        last_good=dt.date(2024, 2, 1),
    )


def find(web: LocalWeb, lost: LostPage, **options: object) -> Relocation | None:
    entries = asyncio.run(host_sitemap_urls(web.base_url, SETTINGS))
    return asyncio.run(
        find_new_location(
            lost,
            SETTINGS,
            sitemap_urls=entries,
            run_date=RUN_DATE,
            **options,  # type: ignore[arg-type]
        )
    )


def provider_site(web: LocalWeb) -> None:
    """robots.txt → gzipped index (naming itself too) → two sitemaps; a disallowed third."""
    base = web.base_url
    web.route(
        "/robots.txt",
        Reply.html(
            "User-agent: *\nDisallow: /intern/\n"
            f"Sitemap: {base}/sitemap_index.xml.gz\nSitemap: {base}/intern/sitemap-geheim.xml\n"
        ),
    )
    web.route(
        "/sitemap_index.xml.gz",
        Reply(
            body=gzip.compress(
                index(
                    f"{base}/sitemap_index.xml.gz",
                    f"{base}/sitemap-seiten.xml",
                    f"{base}/sitemap-presse.xml.gz",
                )
            ),
            headers=GZIP,
        ),
    )
    web.route(
        "/sitemap-seiten.xml",
        Reply(
            body=urlset(
                (f"{base}/", None),
                (f"{base}/suche?q=sprachkurse-fuer-gefluechtete", None),
                (f"{base}/leben/sprachkurse-fuer-gefluechtete", "2024-03-05"),
                (f"{base}/leben/sprachkurse-fuer-gefluechtete-kinder", "2024-04-01"),
            ),
            headers=XML,
        ),
    )
    web.route(
        "/sitemap-presse.xml.gz",
        Reply(
            body=gzip.compress(
                urlset(
                    (f"{base}/presse/sprachkurse-fuer-gefluechtete-2017", None),
                    (f"{base}/presse/abfallkalender", None),
                )
            ),
            headers=GZIP,
        ),
    )
    web.route("/intern/sitemap-geheim.xml", Reply(body=urlset((f"{base}/intern/x", None))))
    web.route("/", page(TITLE, TEXT[:1]))
    web.route("/suche", page(TITLE, TEXT[:1]))
    web.route("/leben/sprachkurse-fuer-gefluechtete", page(TITLE, TEXT))
    web.route(
        "/leben/sprachkurse-fuer-gefluechtete-kinder",
        page("Sprachkurse für geflüchtete Kinder", OTHER_TEXT),
    )
    web.route(
        "/presse/sprachkurse-fuer-gefluechtete-2017",
        page("Seite nicht gefunden", ("Die angeforderte Seite wurde leider nicht gefunden.",)),
    )


def test_sitemaps_are_read_through_a_gzipped_index_and_robots_is_obeyed() -> None:
    with LocalWeb() as web:
        provider_site(web)
        entries = asyncio.run(host_sitemap_urls(web.base_url, SETTINGS))
        assert dict(entries)[web.url("/leben/sprachkurse-fuer-gefluechtete")] == "2024-03-05"
        assert web.url("/presse/abfallkalender") in dict(entries)
        assert len(entries) == 6
        assert web.count("/intern/sitemap-geheim.xml") == 0  # robots.txt disallows it
        assert web.count("/sitemap_index.xml.gz") == 1  # the index names itself: read once
        assert web.count("/robots.txt") == 2  # once for the rules, once for its Sitemap lines


def test_the_moved_page_is_proposed_and_no_decoy() -> None:
    with LocalWeb() as web:
        provider_site(web)
        lost = lost_page(web, "/aktuelles/2016/sprachkurse-fuer-gefluechtete.html")
        proposal = find(web, lost, pattern_candidates=[], top=6)
        assert proposal is not None
        assert proposal.url == web.url("/leben/sprachkurse-fuer-gefluechtete")
        assert proposal.source == "sitemap"
        assert proposal.score >= PROPOSAL_THRESHOLD
        assert proposal.evidence.startswith("Titel stimmt überein; Text nahezu gleich")
        assert "in der Sitemap seit 03.2024" in proposal.evidence
        # The similar-topic page and the soft 404 were fetched and judged; home and search
        # pages are never even asked for.
        assert web.count("/leben/sprachkurse-fuer-gefluechtete-kinder") == 1
        assert web.count("/presse/sprachkurse-fuer-gefluechtete-2017") == 1
        assert web.count("/") == 0
        assert web.count_prefix("/suche") == 0


def test_a_soft_404_with_the_right_title_is_not_proposed() -> None:
    with LocalWeb() as web:
        base = web.base_url
        web.route("/sitemap.xml", Reply(body=urlset((f"{base}/neu/sprachkurse", None))))
        web.route(
            "/neu/sprachkurse",
            page(TITLE, ("Seite nicht gefunden. Die angeforderte Seite existiert nicht mehr.",)),
        )
        lost = lost_page(web, "/alt/sprachkurse.html")
        assert find(web, lost, pattern_candidates=[]) is None
        assert web.count("/neu/sprachkurse") == 1
        # Dropped as a soft 404 when verified, before any score.
        answer = asyncio.run(fetch_all([web.url("/neu/sprachkurse")], SETTINGS))
        assert classify(answer[web.url("/neu/sprachkurse")]).health is Health.SOFT_404
        assert verified_page(lost.url, answer[web.url("/neu/sprachkurse")], RUN_DATE) is None


def test_two_pages_with_the_same_title_and_text_are_ambiguous() -> None:
    with LocalWeb() as web:
        base = web.base_url
        twins = ("/leben/sprachkurse-fuer-gefluechtete", "/bildung/sprachkurse-fuer-gefluechtete")
        web.route("/sitemap.xml", Reply(body=urlset(*((base + path, None) for path in twins))))
        for path in twins:
            web.route(path, page(TITLE, TEXT))
        lost = lost_page(web, "/aktuelles/2016/sprachkurse-fuer-gefluechtete.html")
        assert find(web, lost, pattern_candidates=[]) is None
        assert [web.count(path) for path in twins] == [1, 1]
        # Either twin alone would be proposed: the tie is what withholds the proposal.
        alone = asyncio.run(
            find_new_location(
                lost, SETTINGS, sitemap_urls=[(base + twins[1], None)], pattern_candidates=[]
            )
        )
        assert alone is not None and alone.url == base + twins[1]


def test_a_moved_sibling_teaches_the_url_pattern() -> None:
    with LocalWeb() as web:
        web.route("/presse/sprachkurse-fuer-gefluechtete", page(TITLE, TEXT))
        lost = lost_page(web, "/aktuelles/2016/sprachkurse-fuer-gefluechtete.html")
        moves = [(web.url("/aktuelles/2016/sprachcafe.html"), web.url("/presse/sprachcafe"))]
        candidates = pattern_candidates(moves, lost.url)
        assert candidates == [web.url("/presse/sprachkurse-fuer-gefluechtete")]
        proposal = asyncio.run(
            find_new_location(
                lost, SETTINGS, sitemap_urls=[], pattern_candidates=candidates, run_date=RUN_DATE
            )
        )
        assert proposal is not None
        assert (proposal.url, proposal.source) == (candidates[0], "url_pattern")
        assert proposal.score >= PROPOSAL_THRESHOLD


def test_a_gzip_bomb_sitemap_is_bounded() -> None:
    bomb = gzip.compress(b"\x00" * 100_000_000)
    with LocalWeb() as web:
        web.route(
            "/robots.txt",
            Reply.html(f"Sitemap: {web.url('/bomb.xml.gz')}\nSitemap: {web.url('/bomb.xml')}\n"),
        )
        web.route("/bomb.xml.gz", Reply(body=bomb, headers=GZIP))
        web.route("/bomb.xml", Reply(body=bomb, headers=(*XML, ("Content-Encoding", "gzip"))))
        started = time.perf_counter()
        entries = asyncio.run(host_sitemap_urls(web.base_url, SETTINGS, max_bytes=20_000_000))
        assert entries == []
        assert time.perf_counter() - started < 5
        assert web.count("/bomb.xml.gz") == web.count("/bomb.xml") == 1


def test_index_loops_and_the_file_cap_bound_the_walk() -> None:
    with LocalWeb() as web:
        base = web.base_url
        children = [f"{base}/teil-{number}.xml" for number in range(30)]
        web.route("/sitemap.xml", Reply(body=index(f"{base}/sitemap.xml", *children)))
        web.fallback(Reply(body=index(f"{base}/sitemap.xml", *children)))  # each loops back
        entries = asyncio.run(host_sitemap_urls(base, SETTINGS, max_files=5))
        assert entries == []
        assert web.count("/sitemap.xml") == 1
        assert web.count_prefix("/teil-") == 4  # five files in all


def test_a_sitemap_over_the_byte_cap_gives_the_entries_read_so_far() -> None:
    with LocalWeb() as web:
        base = web.base_url
        many = urlset(*((f"{base}/seite-{number}", None) for number in range(1000)))
        web.route("/sitemap.xml", Reply(body=many, headers=XML))
        cap = len(many) // 2
        entries = asyncio.run(host_sitemap_urls(base, SETTINGS, max_bytes=cap))
        # Every entry complete before the cut, none half-read ("…/seite-5" of "…/seite-517").
        assert len(entries) == many[:cap].count(b"</url>")
        assert [loc for loc, _ in entries] == [f"{base}/seite-{n}" for n in range(len(entries))]
