"""Repair suggestions on a simulated set of lost links: new locations and archived copies.

    .venv/bin/python benchmarks/bench_repair_suggestions.py            # 4 sites, ~88 lost links
    .venv/bin/python benchmarks/bench_repair_suggestions.py --sites 8 --seed 7

Each simulated provider site (a local server on 127.0.0.1, from `tests/local_web.py`) has a
robots.txt with a `Sitemap:` line, a sitemap, a home page, a search page and ~40 pages, and
loses pages in four ways: **moved without redirect** (old path 404, the same page under a new
path in the sitemap), **moved by a pattern** (`/aktuelles/2016/x.html` → `/presse/x`, not in
the sitemap; two sibling moves with a 301 teach the pattern), **vanished** (404, nothing new;
a **decoy** on the same topic for another audience stands in the sitemap), and the sitemap
always lists the home and search pages. A local Wayback double (`tests/archive_double.py`)
holds captures for most lost links: a good capture before the break, for some an error-page
capture after it; the rest were never archived.

Measured: precision and recall of the top new-location proposal (`find_new_location`, as the
run calls it), proposals of a home, search or decoy page (must be 0); the share of lost links
with a verified archived copy and whether it is the capture before the break; archive
requests per lost link, and the most requests in any 60 s of the budget's clock (≤ 24); wall
time per lost link (archive pacing runs on a simulated clock: the real nightly cost adds
2.5 s per archive request at 24 a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' local web server and archive double

from archive_double import ArchiveDouble, ArchivedPage, FakeClock  # noqa: E402
from local_web import LocalWeb, Reply  # noqa: E402

from extractors.relocation.ranking import LostPage  # noqa: E402
from extractors.relocation.url_patterns import pattern_candidates  # noqa: E402
from extractors.text.fingerprint import simhash_text  # noqa: E402
from flows.archive.budget import ArchiveBudget  # noqa: E402
from flows.archive.budgeted_get import archive_client  # noqa: E402
from flows.archive.cache import CdxCache  # noqa: E402
from flows.archive.lookup import lookup_archived_copy  # noqa: E402
from flows.fetch.settings import FetchSettings  # noqa: E402
from flows.relocation.candidates import find_new_location  # noqa: E402
from flows.relocation.sitemap_fetch import host_sitemap_urls  # noqa: E402

TOPICS = (
    "Sprachkurse", "Integrationslotsen", "Wohnraumvermittlung", "Gesundheitskarte",
    "Ehrenamtsbörse", "Patenschaften", "Kita-Plätze", "Ausbildungsbörse", "Dolmetscherpool",
    "Rechtsberatung", "Sportangebote", "Willkommensfest", "Kleiderkammer", "Fahrradwerkstatt",
    "Hausaufgabenhilfe", "Jobcenter-Sprechstunde", "Traumaberatung", "Mentoring",
    "Frauencafé", "Sachspenden",
)  # fmt: skip
AUDIENCES = (
    "für Geflüchtete",
    "für Familien",
    "für Jugendliche",
    "für Frauen",
    "für Ehrenamtliche",
)
WORDS = [
    "Beratung",
    "Termin",
    "Kreishaus",
    "Antrag",
    "Unterlagen",
    "Sprechzeiten",
    "Ansprechpartnerin",
    "Landkreis",
    "Gemeinde",
    "Angebot",
    "Familien",
    "Kinder",
    "Sprache",
    "Arbeit",
    "Wohnung",
    "Schule",
    "Verein",
    "Ehrenamt",
    "Projekt",
    "Förderung",
    "Anmeldung",
    "kostenlos",
    "Treffpunkt",
    "Rathaus",
    "Quartier",
    "Nachbarschaft",
    "Integration",
]
TEACHERS = ("meldung-0", "meldung-1")
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# Politeness lifted: every host is a local server of this benchmark.
SETTINGS = FetchSettings(
    allow_private_addresses=True, per_host_interval=0.0, per_host=4, timeout=10.0
)
LAST_GOOD = dt.date(2026, 11, 20)
RUN_DATE = dt.date(2026, 11, 26)


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    text: str

    def html(self) -> str:
        paragraphs = "".join(f"<p>{s}</p>" for s in self.text.split(". "))
        return (
            f"<!doctype html><html lang='de'><head><title>{self.title} | Kreis Muster</title>"
            f"</head><body><main><h1>{self.title}</h1>{paragraphs}</main></body></html>"
        )


@dataclass(frozen=True)
class LostLink:
    url: str
    page: Page
    truth: str | None  # the new address, None when the page vanished
    kind: str


def text_for(rng: random.Random, title: str) -> str:
    sentences = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(8)]
    return f"{title} im Kreis Muster. " + ". ".join(sentences) + "."


def slug(title: str) -> str:
    return title.lower().replace(" ", "-").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")


class RecordingBudget(ArchiveBudget):
    """The run's archive budget, remembering when (by its clock) each request went out."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock, sleep=clock.sleep, time_budget=10_000)
        self.clock, self.granted = clock, []

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        async with super().request():
            self.granted.append(self.clock())
            yield


def html_reply(title: str, body: str) -> Reply:
    return Reply.html(f"<html><head><title>{title}</title></head><body>{body}</body></html>")


def build_site(web: LocalWeb, rng: random.Random, archive: ArchiveDouble) -> list[LostLink]:
    base = web.url("/")[:-1]
    titles = rng.sample([f"{t} {a}" for t in TOPICS for a in AUDIENCES], 40)
    pages = [Page(f"/themen/{slug(t)}", t, text_for(rng, t)) for t in titles]
    lost: list[LostLink] = []
    sitemap: list[str] = [f"{base}/", f"{base}/suche?q=fluechtlinge"]
    web.route("/", html_reply("Kreis Muster", "Start"))
    web.route("/suche", html_reply("Suche", "Suche"))
    for index, page in enumerate(pages):
        kind = ("moved", "moved", "pattern", "vanished", "stays")[index % 5]
        if kind == "pattern":
            new = Page(f"/presse/{slug(page.title)}", page.title, page.text)
            old_url = f"{base}/aktuelles/2016/{slug(page.title)}.html"
            web.route(new.path, Reply.html(new.html()))
            lost.append(LostLink(old_url, page, base + new.path, kind))
        elif kind == "moved":
            new = Page(f"/leben/integration/{slug(page.title)}", page.title, page.text)
            web.route(new.path, Reply.html(new.html()))
            sitemap.append(base + new.path)
            lost.append(LostLink(base + page.path, page, base + new.path, kind))
        elif kind == "vanished":
            topic = page.title.split(" ", 1)[0]
            other = next(a for a in AUDIENCES if a not in page.title)
            title = f"{topic} {other}"
            decoy = Page(f"/themen/{slug(title)}-neu", title, text_for(rng, title))
            web.route(decoy.path, Reply.html(decoy.html()))
            sitemap.append(base + decoy.path)
            lost.append(LostLink(base + page.path, page, None, kind))
        else:
            web.route(page.path, Reply.html(page.html()))
            sitemap.append(base + page.path)
    for name in TEACHERS:  # sibling moves the run saw as 301s: they teach the pattern
        web.route(f"/aktuelles/2016/{name}.html", Reply.redirect(f"{base}/presse/{name}", 301))
    entries = "".join(f"<url><loc>{u}</loc><lastmod>2026-11-22</lastmod></url>" for u in sitemap)
    xml = f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}">{entries}</urlset>'
    web.route("/sitemap.xml", Reply(body=xml.encode(), headers=(("Content-Type", "text/xml"),)))
    robots = f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n"
    web.route("/robots.txt", Reply(body=robots.encode()))
    for link in lost:  # 3 of 4 archived before the break, half of those with an error page after
        if rng.random() < 0.75:
            archive.add(ArchivedPage("20250304120000", link.url, link.page.html().encode()))
            if rng.random() < 0.5:
                archive.add(ArchivedPage.error_page("20261124080000", link.url))
    return lost


@dataclass
class Tally:
    lost: int = 0
    truth: int = 0
    right: int = 0
    wrong: int = 0
    copies: int = 0
    copies_before_break: int = 0
    seconds_relocation: float = 0.0
    seconds_archive: float = 0.0


async def relocate(web: LocalWeb, lost: list[LostLink], tally: Tally) -> None:
    base = web.url("/")[:-1]
    moves = [(f"{base}/aktuelles/2016/{n}.html", f"{base}/presse/{n}") for n in TEACHERS]
    started = time.perf_counter()
    sitemap = await host_sitemap_urls(base, SETTINGS)
    for link in lost:
        page = LostPage(
            link.url,
            last_title=link.page.title,
            last_summary=link.page.text[:200],
            last_fingerprint=simhash_text(link.page.text),
            last_good=LAST_GOOD,
        )
        proposal = await find_new_location(
            page,
            SETTINGS,
            sitemap_urls=sitemap,
            pattern_candidates=pattern_candidates(moves, link.url),
            run_date=RUN_DATE,
        )
        tally.truth += link.truth is not None
        if proposal is not None and proposal.url == link.truth:
            tally.right += 1
        elif proposal is not None:
            tally.wrong += 1
    tally.seconds_relocation += time.perf_counter() - started


async def look_up_copies(
    lost: list[LostLink],
    archive: ArchiveDouble,
    budget: ArchiveBudget,
    cache: CdxCache,
    tally: Tally,
) -> None:
    started = time.perf_counter()
    async with archive_client(SETTINGS) as client:
        for link in lost:
            outcome = await lookup_archived_copy(
                client,
                link.url,
                before=LAST_GOOD,
                last_title=link.page.title,
                budget=budget,
                cache=cache,
                archive_url=archive.base_url,
                timeout=10.0,
            )
            if outcome.copy is not None:
                tally.copies += 1
                tally.copies_before_break += outcome.copy.captured_at.date() <= LAST_GOOD
    tally.seconds_archive += time.perf_counter() - started


async def measure(sites: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    clock = FakeClock()
    tally = Tally()
    with contextlib.ExitStack() as stack:
        archive = stack.enter_context(ArchiveDouble(clock=clock))
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        budget = RecordingBudget(clock)
        cache = CdxCache(scratch / "cdx-cache.json", today=RUN_DATE)
        for _ in range(sites):
            web = stack.enter_context(LocalWeb())
            lost = build_site(web, rng, archive)
            tally.lost += len(lost)
            await relocate(web, lost, tally)
            await look_up_copies(lost, archive, budget, cache, tally)
        requests = len(archive.requests)
    granted = sorted(budget.granted)
    busiest = max((sum(1 for t in granted if s <= t < s + 60) for s in granted), default=0)
    proposals = tally.right + tally.wrong
    n = tally.lost
    return {
        "lost links": n,
        "with a new location (truth)": tally.truth,
        "proposals right / wrong": f"{tally.right} / {tally.wrong}",
        "precision of the top proposal": f"{tally.right / proposals:.3f}" if proposals else "–",
        "recall": f"{tally.right / tally.truth:.3f}" if tally.truth else "–",
        "wrong proposals (home, search, decoy or another page)": tally.wrong,
        "lost links with a verified archived copy": f"{tally.copies} ({tally.copies / n:.2f})",
        "… of them the capture before the break": tally.copies_before_break,
        "archive requests per lost link": f"{requests / n:.2f}",
        "most archive requests in any 60 s (budget clock; limit 24)": busiest,
        "wall time per lost link, new location": f"{tally.seconds_relocation / n * 1000:.0f} ms",
        "wall time per lost link, archive (pacing simulated)": (
            f"{tally.seconds_archive / n * 1000:.0f} ms"
        ),
        "archive pacing at 24 requests a minute, per lost link": f"{requests / n * 2.5:.1f} s",
    }


def whole_run(seed: int) -> dict[str, object]:
    """The nightly run's own cost of new-location lookups: one simulated site, two nights
    (the lost links fail on both, so night 2 confirms them broken and looks them up), night 2
    timed with the lookups on and off. The archive stays off here: its share is bounded by
    `archive_time_budget` (its pacing is 2.5 s a request), not by our code."""
    from local_run import local_run_settings

    from flows.harvest_flow import harvest

    timings: dict[bool, float] = {}
    with tempfile.TemporaryDirectory() as scratch, ArchiveDouble() as archive:
        for relocation in (False, True):
            rng = random.Random(seed)
            with LocalWeb() as web:
                lost = build_site(web, rng, archive)
                catalog = Path(scratch) / f"katalog-{relocation}.csv"
                lines = ["entry_id,provider,title,description,link_label,url"]
                lines += [
                    f"e{i},Kreis Muster,{link.page.title},,Weitere Informationen,{link.url}"
                    for i, link in enumerate(lost)
                ]
                catalog.write_text("\n".join(lines) + "\n", encoding="utf-8")
                data_dir = Path(scratch) / f"data-{relocation}"
                for night in ("2026-11-25", "2026-11-26"):
                    options = {"relocation": relocation, "archive": False, "timeout": 10}
                    settings = local_run_settings(catalog, data_dir, night, **options)
                    started = time.perf_counter()
                    harvest(settings)
                    timings[relocation] = time.perf_counter() - started
    added = timings[True] - timings[False]
    return {
        "lost links (one site)": len(lost),
        "night 2 without new-location lookups": f"{timings[False]:.1f} s",
        "night 2 with new-location lookups": f"{timings[True]:.1f} s",
        "added per lost link": f"{added / len(lost) * 1000:.0f} ms",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--whole-run", action="store_true", help="time the nightly flow with lookups on and off"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.whole_run:
        results = whole_run(args.seed)
    else:
        results = asyncio.run(measure(args.sites, args.seed))
    print("| metric | value |\n|---|---|")
    for name, value in results.items():
        print(f"| {name} | {value} |")
    what = "whole run, one site" if args.whole_run else f"{args.sites} sites"
    print(f"\n{what}, seed {args.seed}, {time.perf_counter() - started:.1f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
