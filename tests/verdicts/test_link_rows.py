"""History and staleness rules of one link row, with plain records and a passed-in run date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from extractors.records import (
    CatalogEntry,
    DateClaim,
    FetchResult,
    Health,
    Hop,
    LinkHealth,
    PageFacts,
)
from extractors.text.fingerprint import simhash_text, substantially_changed
from extractors.text.summary import hash_text
from extractors.verdicts.link_rows import Observation, StalenessPolicy, build_link_row

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


def test_changed_hash_sets_last_changed_when_there_is_no_fingerprint():
    # Facts without a fingerprint (and rows of a dataset from before it): any change counts.
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


# --- "changed" means "changed substantially" (extractors.text.fingerprint) ----------------

_TEXT = (
    "die stadt fördert seit dem jahr projekte im quartier bürger können anträge online stellen "
    "das sozialamt berät kostenlos zu wohnung miete und zuschuss die karte gilt bundesweit und "
    "die kosten trägt weiterhin die gemeinde kinder und eltern erhalten betreuung in der schule "
    "vereine und ehrenamt gestalten den park den markt und die bibliothek gemeinsam neu"
)
WORDS = _TEXT.split()


def prose(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(WORDS) for _ in range(count)]


def page(words: list[str]) -> Observation:
    """A good night whose main text is `words`, with hash and fingerprint as extractors give."""
    text = " ".join(words)
    observation = good()
    facts = dataclasses.replace(
        observation.facts, content_hash=hash_text(text), text_fingerprint=simhash_text(text)
    )
    return dataclasses.replace(observation, facts=facts)


def nights(count: int) -> list[dt.date]:
    return [NIGHT1 + dt.timedelta(days=offset) for offset in range(count)]


def test_trivial_change_keeps_last_changed():
    words = prose(300, seed=1)
    first = row(page([*words, "stand", "24.11.2026"]), None, NIGHT1)
    edited = [*words[:150], "gemeinsam", *words[151:], "stand", "25.11.2026"]
    second = row(page(edited), first, NIGHT2)
    assert second.content_hash != first.content_hash
    assert second.last_changed is None
    assert second.text_fingerprint == simhash_text(" ".join(edited))
    assert second.baseline_fingerprint == first.text_fingerprint


def test_substantial_change_sets_last_changed_and_moves_the_baseline():
    words = prose(300, seed=2)
    first = row(page(words), None, NIGHT1)
    assert first.baseline_fingerprint == first.text_fingerprint
    rewritten = words[:150] + prose(150, seed=3)
    second = row(page(rewritten), first, NIGHT2)
    assert second.last_changed == NIGHT2
    assert (
        second.baseline_fingerprint == second.text_fingerprint == simhash_text(" ".join(rewritten))
    )
    third = row(page(rewritten), second, NIGHT3)
    assert third.last_changed == NIGHT2


def test_slow_drift_is_caught_against_the_baseline():
    words = prose(400, seed=4)
    previous = row(page(words), None, NIGHT1)
    changed_on, nightly = [], []
    for night, seed in zip(nights(12)[1:], range(10, 21), strict=True):
        start = (seed - 10) * 20  # 5 % of the text, a different block each night
        words = words[:start] + prose(20, seed) + words[start + 20 :]
        current = row(page(words), previous, night)
        nightly.append(substantially_changed(previous.text_fingerprint, current.text_fingerprint))
        if current.last_changed != previous.last_changed:
            changed_on.append(night)
        previous = current
    # No single night is a substantial change, yet the edits add up to one.
    assert not any(nightly)
    assert changed_on and changed_on[0] <= NIGHT1 + dt.timedelta(days=8)
    assert previous.last_changed == changed_on[-1]


def test_previous_row_without_fingerprint_falls_back_to_the_hash_for_one_night():
    words = prose(300, seed=5)
    old = dataclasses.replace(
        row(page(words), None, NIGHT1), text_fingerprint=None, baseline_fingerprint=None
    )
    unchanged = row(page(words), old, NIGHT2)
    assert unchanged.last_changed is None
    assert unchanged.baseline_fingerprint == unchanged.text_fingerprint is not None

    edited = [*words[:150], "gemeinsam", *words[151:]]
    changed = row(page(edited), old, NIGHT2)
    assert changed.last_changed == NIGHT2  # the hash rule: any change
    assert changed.baseline_fingerprint == changed.text_fingerprint
    # From the next night on the fingerprint decides: the same trivial edit no longer counts.
    again = row(page(words), changed, NIGHT3)
    assert again.last_changed == NIGHT2


def test_not_modified_keeps_fingerprints_and_last_changed():
    words = prose(300, seed=6)
    first = row(page(words), None, NIGHT1)
    second = row(page(words[:150] + prose(150, seed=7)), first, NIGHT2)
    not_modified = Observation(
        FetchResult(url=ENTRY.url, final_url=ENTRY.url, status=304, conditional=True),
        LinkHealth(Health.OK, 304, ENTRY.url),
        PageFacts(),
    )
    third = row(not_modified, second, NIGHT3)
    assert third.content_hash == second.content_hash
    assert third.text_fingerprint == second.text_fingerprint
    assert third.baseline_fingerprint == second.baseline_fingerprint
    assert third.last_changed == NIGHT2


def test_change_across_an_outage_is_measured_against_the_baseline():
    words = prose(300, seed=8)
    first = row(page(words), None, NIGHT1)
    down = row(dead(), first, NIGHT2)
    assert down.text_fingerprint == first.text_fingerprint
    assert down.baseline_fingerprint == first.baseline_fingerprint
    back = row(page(words[:150] + prose(150, seed=9)), down, NIGHT3)
    assert back.last_changed == NIGHT3
