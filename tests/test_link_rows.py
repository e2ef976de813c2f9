"""History and staleness rules of one link row, with plain records and a passed-in run date."""

from __future__ import annotations

import dataclasses
import datetime as dt

from extractors.link_rows import Observation, StalenessPolicy, build_link_row
from extractors.records import (
    CatalogEntry,
    DateClaim,
    FetchResult,
    Health,
    Hop,
    LinkHealth,
    PageFacts,
)

NIGHT1 = dt.date(2026, 11, 24)
NIGHT2 = dt.date(2026, 11, 25)
NIGHT3 = dt.date(2026, 11, 26)
POLICY = StalenessPolicy(stale_after_days=730, confirm_after_nights=2)
ENTRY = CatalogEntry(
    line=2,
    entry_id="monheim-gesundheitskarte",
    provider="Stadt Monheim am Rhein",
    title="Gesundheitskarte",
    link_label="Weitere Informationen",
    url="https://www.monheim.de/x",
)


def good(content_date: dt.date | None = None, text_hash: str = "h1") -> Observation:
    claim = DateClaim(content_date, "visible_text", 0.8) if content_date else None
    return Observation(
        FetchResult(url=ENTRY.url, final_url=ENTRY.url, status=200, body=b"x" * 10, elapsed_s=0.25),
        LinkHealth(Health.OK, 200, ENTRY.url),
        PageFacts(title="Gesundheitskarte", modified=claim, content_hash=text_hash),
        bytes_read=10,
    )


def dead() -> Observation:
    return Observation(
        FetchResult(url=ENTRY.url, status=404, hops=(Hop(ENTRY.url, 404),)),
        LinkHealth(Health.NOT_FOUND, 404, ENTRY.url, "HTTP 404"),
        PageFacts(),
    )


def blocked() -> Observation:
    return Observation(
        FetchResult(url=ENTRY.url, status=403),
        LinkHealth(Health.BLOCKED, 403, ENTRY.url, "HTTP 403"),
        PageFacts(),
    )


def row(observation, previous, night):
    return build_link_row(ENTRY, observation, previous, run_date=night, policy=POLICY)


def test_first_good_night_sets_first_seen_and_last_ok():
    first = row(good(dt.date(2025, 1, 1)), None, NIGHT1)
    assert first.first_seen == NIGHT1
    assert first.last_ok == NIGHT1
    assert first.health is Health.OK
    assert first.content_date == dt.date(2025, 1, 1)
    assert first.date_source == "visible_text"
    assert first.age_days == (NIGHT1 - dt.date(2025, 1, 1)).days
    assert first.stale is False
    assert first.elapsed_ms == 250
    assert first.bytes_read == 10
    assert first.last_changed is None


def test_old_content_is_stale_and_undated_is_unknown_not_fresh():
    assert row(good(dt.date(2015, 11, 3)), None, NIGHT1).stale is True
    undated = row(good(None), None, NIGHT1)
    assert undated.stale is None
    assert undated.age_days is None


def test_entry_threshold_beats_global_default():
    entry = dataclasses.replace(ENTRY, max_age_days=30)
    observed = build_link_row(
        entry, good(dt.date(2026, 9, 1)), None, run_date=NIGHT1, policy=POLICY
    )
    assert observed.stale is True


def test_failure_is_confirmed_only_on_the_second_consecutive_night():
    first = row(dead(), row(good(), None, NIGHT1), NIGHT2)
    assert first.consecutive_failures == 1
    assert first.failing_since == NIGHT2
    assert first.confirmed_broken is False
    assert first.last_ok == NIGHT1
    second = row(dead(), first, NIGHT3)
    assert second.consecutive_failures == 2
    assert second.failing_since == NIGHT2
    assert second.confirmed_broken is True


def test_rerunning_the_same_night_does_not_count_twice():
    first = row(dead(), None, NIGHT1)
    again = row(dead(), first, NIGHT1)
    assert again.consecutive_failures == 1
    assert again.failing_since == NIGHT1
    assert again.confirmed_broken is False


def test_recovery_resets_the_failure_count():
    failing = row(dead(), row(dead(), None, NIGHT1), NIGHT2)
    recovered = row(good(), failing, NIGHT3)
    assert recovered.consecutive_failures == 0
    assert recovered.failing_since is None
    assert recovered.confirmed_broken is False
    assert recovered.first_seen == NIGHT1


def test_blocked_neither_confirms_nor_forgets_a_failure():
    failing = row(dead(), None, NIGHT1)
    unverifiable = row(blocked(), failing, NIGHT2)
    assert unverifiable.consecutive_failures == 1
    assert unverifiable.failing_since == NIGHT1
    assert unverifiable.confirmed_broken is False


def test_changed_main_text_sets_last_changed():
    first = row(good(text_hash="aaa"), None, NIGHT1)
    same = row(good(text_hash="aaa"), first, NIGHT2)
    assert same.last_changed is None
    changed = row(good(text_hash="bbb"), same, NIGHT3)
    assert changed.last_changed == NIGHT3


def test_link_without_target_is_a_row_without_health():
    entry = dataclasses.replace(ENTRY, url="", link_label="Twitter")
    missing = build_link_row(entry, None, None, run_date=NIGHT1, policy=POLICY)
    assert missing.url is None
    assert missing.health is None
    assert missing.link_label == "Twitter"
    assert missing.first_seen == NIGHT1
    assert missing.confirmed_broken is False


def test_facts_of_a_dead_page_are_not_reported():
    observation = Observation(
        dead().fetch,
        dead().health,
        PageFacts(title="Seite nicht gefunden", modified=DateClaim(NIGHT1, "meta", 0.9)),
    )
    dead_row = row(observation, None, NIGHT1)
    assert dead_row.title is None
    assert dead_row.content_date is None
    assert dead_row.stale is None
