"""The new location of a lost page: candidates shortlisted, fetched, verified and scored.

Only the shortlist's top few are fetched, with `fetch_all` and the run's settings (per-host
politeness, robots.txt, the SSRF guard, the soft-404 probe). A candidate counts only when it
is a live page: health ok, or a redirect to a page that is neither a home, search, login nor
index page (a permanent redirect's target is then the address proposed); a soft 404 („Seite nicht
gefunden“ with 200) or a failure drops it. Verified pages are scored and one proposal is
picked by `extractors.relocation.ranking` — or none, when nothing is sure and unambiguous.

`consider_new_locations` also returns every candidate it fetched, ranked, with its score,
evidence and health (a dropped one with score 0 and why), for `suggestions.parquet`;
`find_new_location` is it without the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from extractors.facts.page_facts import extract_facts
from extractors.health.link_health import classify
from extractors.records import GOOD_HEALTH, FetchResult, Health
from extractors.relocation.ranking import (
    CandidatePage,
    LostPage,
    Relocation,
    is_site_name_only,
    pick_proposal,
    rejection_reason,
    score_candidate,
)
from extractors.relocation.shortlist import shortlist
from flows.fetch.engine import fetch_all
from flows.fetch.settings import FetchSettings


@dataclass(frozen=True, slots=True)
class ConsideredCandidate:
    """A candidate fetched for a lost page: the address it would propose, where it came from,
    its score (0 when dropped), German evidence (or why it was dropped), the health found."""

    url: str
    source: str
    score: float
    evidence: str
    health: str | None


async def find_new_location(
    lost: LostPage,
    settings: FetchSettings,
    *,
    sitemap_urls: Sequence[tuple[str, str | None]],
    pattern_candidates: Sequence[str],
    top: int = 3,
    site_name: str | None = None,
    run_date: dt.date | None = None,
) -> Relocation | None:
    """The proposed new address of `lost`, or None when no candidate is sure enough.

    `sitemap_urls` are the host's `(loc, lastmod)` entries (`host_sitemap_urls`),
    `pattern_candidates` the URLs the provider's rewrite rules give (`pattern_candidates` in
    `extractors.relocation.url_patterns`). `site_name`, when known, rejects a page titled only
    with it. `run_date` dates URL claims in the facts (default: the day each was fetched).
    """
    proposal, _ = await consider_new_locations(
        lost,
        settings,
        sitemap_urls=sitemap_urls,
        pattern_candidates=pattern_candidates,
        top=top,
        site_name=site_name,
        run_date=run_date,
    )
    return proposal


async def consider_new_locations(
    lost: LostPage,
    settings: FetchSettings,
    *,
    sitemap_urls: Sequence[tuple[str, str | None]],
    pattern_candidates: Sequence[str],
    top: int = 3,
    site_name: str | None = None,
    run_date: dt.date | None = None,
    archive_urls: Sequence[tuple[str, str | None]] = (),
) -> tuple[Relocation | None, list[ConsideredCandidate]]:
    """`find_new_location`'s proposal and every candidate fetched for it, best score first.
    `archive_urls`: the host's addresses the archive captured after the break."""
    candidates = shortlist(lost, sitemap_urls, pattern_candidates, top, archive_urls)
    if not candidates:
        return None, []
    results = await fetch_all([candidate.url for candidate in candidates], settings)
    scored: list[Relocation] = []
    considered: list[ConsideredCandidate] = []
    for candidate in candidates:
        result = results[candidate.url]
        checked = classify(result).health
        health = checked.value
        verified = verified_page(lost.url, result, run_date)
        if verified is None:
            why = "keine erreichbare Seite" if checked not in GOOD_HEALTH else "ungeeignetes Ziel"
            considered.append(
                ConsideredCandidate(candidate.url, candidate.source, 0.0, why, health)
            )
            continue
        address, page = verified
        if is_site_name_only(page.title, address, site_name):
            why = "Titel nennt nur die Website"
            considered.append(ConsideredCandidate(address, candidate.source, 0.0, why, health))
            continue
        score, evidence = score_candidate(lost, candidate, page)
        scored.append(Relocation(address, score, candidate.source, evidence))
        considered.append(ConsideredCandidate(address, candidate.source, score, evidence, health))
    considered.sort(key=lambda item: item.score, reverse=True)
    return pick_proposal(scored), considered


def verified_page(
    lost_url: str, result: FetchResult, run_date: dt.date | None
) -> tuple[str, CandidatePage] | None:
    """(the live page's address, what it says) — None for a failure, soft 404 or bad target."""
    health = classify(result)
    if health.health not in GOOD_HEALTH or not result.body:
        return None
    final = result.final_url or result.url
    if health.health is not Health.OK and rejection_reason(lost_url, final) is not None:
        return None
    # A permanent move names the page's address; a temporary redirect keeps the one asked.
    address = final if health.health is Health.MOVED else result.url
    checked = result.checked_at.date() if result.checked_at else dt.date(1970, 1, 1)
    facts = extract_facts(
        result.body,
        url=result.final_url or result.url,
        content_type=result.header("content-type"),
        last_modified=result.header("last-modified"),
        run_date=run_date or checked,
    )
    return address, CandidatePage(facts.title, facts.summary, facts.text_fingerprint)
