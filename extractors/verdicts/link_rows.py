"""Turn tonight's observation of one catalogue link, plus last night's row, into its new LinkRow.

History lives here, not in the flow: first_seen, last_ok, last_changed, failing_since and
consecutive_failures are derived from the previous row and tonight's health only, so the
rules are testable with plain records and a run date.

`last_changed` means "the main text changed substantially" (extractors.text.fingerprint):
tonight's fingerprint is compared with the baseline, the fingerprint as of the last such
change (or the first night seen), not with last night's, so small edits night after night
add up until they count. A previous row without a fingerprint (a dataset from before the
fingerprint) falls back to "content_hash differs" for that one night.

An archived copy (`archived_url`, `archived_at`, `archive_note`) is found by the run after
the rows are built (`flows.archived_copies`); here it is only carried: it stays with the
link from night to night until the link is good again (`ok` or `redirected`), so a night
on which the archive cannot be asked keeps last night's copy. A moved link's suggested
address is its permanent redirect's target (source `redirect`, score 1.0). A new location
found on the provider's site (`flows.new_locations`: `sitemap`, `url_pattern`) is carried
the same way, also on a row without target, until the night's lookup replaces or clears it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from extractors.records import (
    FAILING_HEALTH,
    GOOD_HEALTH,
    CatalogEntry,
    FetchResult,
    Health,
    LinkHealth,
    LinkRow,
    PageFacts,
)
from extractors.text.fingerprint import substantially_changed


@dataclass(frozen=True, slots=True)
class Observation:
    """What one night learnt about one URL: the fetch, its health, and the page's facts."""

    fetch: FetchResult
    health: LinkHealth
    facts: PageFacts
    bytes_read: int = 0  # the body itself is dropped once its facts are extracted


@dataclass(frozen=True, slots=True)
class StalenessPolicy:
    stale_after_days: int
    confirm_after_nights: int


def _prior_failures(previous: LinkRow | None, run_date: dt.date) -> tuple[int, dt.date | None]:
    """Failures counted before tonight; a re-run of the same night must not count twice."""
    if previous is None:
        return 0, None
    count, since = previous.consecutive_failures, previous.failing_since
    if previous.run_date == run_date and previous.health in FAILING_HEALTH:
        count -= 1
        if count == 0:
            since = None
    return count, since


def build_link_row(
    entry: CatalogEntry,
    observation: Observation | None,
    previous: LinkRow | None,
    *,
    run_date: dt.date,
    policy: StalenessPolicy,
) -> LinkRow:
    """`observation` is None for a link whose target the catalogue does not know."""
    first_seen = previous.first_seen if previous else run_date
    found = _found_suggestion(previous)
    if observation is None:
        return LinkRow(
            entry_id=entry.entry_id,
            link_label=entry.link_label,
            url=None,
            run_date=run_date,
            checked_at=None,
            health=None,
            http_status=None,
            final_url=None,
            redirect_chain=(),
            error_detail="Kein Link-Ziel im Katalog",
            content_type=None,
            title=None,
            summary=None,
            language=None,
            published=None,
            modified=None,
            date_source=None,
            content_date=None,
            age_days=None,
            stale=None,
            content_hash=None,
            first_seen=first_seen,
            last_ok=None,
            last_changed=None,
            failing_since=None,
            consecutive_failures=0,
            confirmed_broken=False,
            suggested_url=found.suggested_url if found else None,
            suggestion_source=found.suggestion_source if found else None,
            suggestion_score=found.suggestion_score if found else None,
        )

    fetch, health, facts = observation.fetch, observation.health, observation.facts
    good = health.health in GOOD_HEALTH
    failing = health.health in FAILING_HEALTH
    prior_count, prior_since = _prior_failures(previous, run_date)
    if failing:
        consecutive = prior_count + 1
        failing_since = prior_since if prior_count else run_date
    elif good:
        consecutive, failing_since = 0, None
    else:
        # blocked / TLS: we learnt nothing about the page, so the count neither grows nor resets.
        consecutive, failing_since = prior_count, prior_since

    # A 304 to our conditional request: the page is last night's page, facts and all.
    unchanged = fetch.status == 304 and fetch.conditional and previous is not None
    page = _carried_page(previous) if unchanged and previous else _page(facts, fetch, good)
    content_date = page.content_date
    age_days = (run_date - content_date).days if content_date else None
    max_age = entry.max_age_days or policy.stale_after_days
    stale = (age_days > max_age) if age_days is not None else None

    # A night without content keeps the last known text, so a change across an outage shows.
    if page.content_hash or previous is None:
        content_hash, fingerprint = page.content_hash, page.text_fingerprint
    else:
        content_hash, fingerprint = previous.content_hash, previous.text_fingerprint
    baseline = (previous.baseline_fingerprint or previous.text_fingerprint) if previous else None
    last_changed = previous.last_changed if previous else None
    if (
        previous is not None
        and previous.run_date != run_date
        and good
        and not unchanged
        and page.content_hash
        and previous.content_hash
        and _text_changed(page, previous, baseline)
    ):
        last_changed, baseline = run_date, fingerprint
    baseline = baseline or fingerprint
    # A working link needs no archived copy; any other night keeps the one found before.
    carried = previous if previous is not None and health.health not in _COPY_NOT_NEEDED else None
    moved = health.health is Health.MOVED and health.final_url is not None
    found = found if carried is not None and not moved else None

    return LinkRow(
        entry_id=entry.entry_id,
        link_label=entry.link_label,
        url=entry.url,
        run_date=run_date,
        checked_at=fetch.checked_at,
        health=health.health,
        http_status=health.http_status,
        final_url=health.final_url,
        redirect_chain=fetch.hops,
        error_detail=health.detail,
        content_type=page.content_type,
        title=page.title,
        summary=page.summary,
        language=page.language,
        published=page.published,
        modified=page.modified,
        date_source=page.date_source,
        content_date=content_date,
        age_days=age_days,
        stale=stale,
        content_hash=content_hash,
        first_seen=first_seen,
        last_ok=run_date if good else (previous.last_ok if previous else None),
        last_changed=last_changed,
        failing_since=failing_since,
        consecutive_failures=consecutive,
        confirmed_broken=failing and consecutive >= policy.confirm_after_nights,
        attempts=fetch.attempts,
        elapsed_ms=round(fetch.elapsed_s * 1000),
        bytes_read=observation.bytes_read,
        etag=page.etag,
        http_last_modified=page.http_last_modified,
        text_fingerprint=fingerprint,
        baseline_fingerprint=baseline,
        date_evidence=page.date_evidence,
        archived_url=carried.archived_url if carried else None,
        archived_at=carried.archived_at if carried else None,
        archive_note=carried.archive_note if carried else None,
        suggested_url=health.final_url if moved else (found.suggested_url if found else None),
        suggestion_source="redirect" if moved else (found.suggestion_source if found else None),
        suggestion_score=1.0 if moved else (found.suggestion_score if found else None),
    )


def _found_suggestion(previous: LinkRow | None) -> LinkRow | None:
    """Last night's row when it carries a new location found on the site (not a redirect)."""
    if previous is None or previous.suggestion_source in (None, "redirect"):
        return None
    return previous


# Health values after which an archived copy is no longer carried: the page works again.
_COPY_NOT_NEEDED = frozenset({Health.OK, Health.REDIRECTED})


def _text_changed(page: _Page, previous: LinkRow, baseline: str | None) -> bool:
    """A substantial change against the baseline; without fingerprints, any change of the hash."""
    if baseline and page.text_fingerprint:
        return substantially_changed(baseline, page.text_fingerprint)
    return page.content_hash != previous.content_hash


@dataclass(frozen=True, slots=True)
class _Page:
    """The facts a row reports about the page behind a link."""

    content_type: str | None = None
    title: str | None = None
    summary: str | None = None
    language: str | None = None
    published: dt.date | None = None
    modified: dt.date | None = None
    date_source: str | None = None
    content_hash: str | None = None
    text_fingerprint: str | None = None
    etag: str | None = None
    http_last_modified: str | None = None
    # Set only when neither published nor modified is: what the metadata alone records.
    metadata_date: dt.date | None = None
    date_evidence: str | None = None

    @property
    def content_date(self) -> dt.date | None:
        return self.modified or self.published or self.metadata_date


def _page(facts: PageFacts, fetch: FetchResult, good: bool) -> _Page:
    if not good:
        return _Page(content_type=fetch.content_type)
    claim = facts.content_date
    # Validators only for a direct answer: tomorrow's request goes to the catalogue URL.
    direct = not fetch.hops
    return _Page(
        content_type=fetch.content_type,
        title=facts.title,
        summary=facts.summary,
        language=facts.language,
        published=facts.published.value if facts.published else None,
        modified=facts.modified.value if facts.modified else None,
        date_source=claim.source if claim else None,
        metadata_date=facts.metadata_date.value if facts.metadata_date else None,
        date_evidence=claim.evidence if claim else None,
        content_hash=facts.content_hash,
        text_fingerprint=facts.text_fingerprint,
        etag=fetch.header("etag") if direct else None,
        http_last_modified=fetch.header("last-modified") if direct else None,
    )


def _carried_page(previous: LinkRow) -> _Page:
    return _Page(
        content_type=previous.content_type,
        title=previous.title,
        summary=previous.summary,
        language=previous.language,
        published=previous.published,
        modified=previous.modified,
        date_source=previous.date_source,
        metadata_date=(None if previous.published or previous.modified else previous.content_date),
        date_evidence=previous.date_evidence,
        content_hash=previous.content_hash,
        text_fingerprint=previous.text_fingerprint,
        etag=previous.etag,
        http_last_modified=previous.http_last_modified,
    )
