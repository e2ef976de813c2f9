"""What a shard is given, as Arrow and positions: each URL's catalogue rows in catalogue
order, last night's row of each (by entry id and masked URL), and the validators of
last night's good direct answers – the same as records and dictionaries would give."""

from __future__ import annotations

import datetime as dt

from record_factories import make_link_row

from extractors.records import CatalogEntry, FetchResult, Health, Hop, LinkHealth, PageFacts
from extractors.verdicts.link_rows import Observation, StalenessPolicy
from flows.dataset.store import links_table
from flows.shards.shard_inputs import EntriesByShard, ShardLinks, shard_entries_table

RUN_DATE = dt.date(2026, 11, 27)
POLICY = StalenessPolicy(stale_after_days=730, confirm_after_nights=2)
A, B, SECRET, NEW = (
    "https://a.example/1",
    "https://a.example/2",
    "https://user:geheim@b.example/intern",
    "https://c.example/neu",
)


def entry(line: int, entry_id: str, url: str, label: str = "Info") -> CatalogEntry:
    return CatalogEntry(line, entry_id, "Stadt", "T", link_label=label, url=url, max_age_days=line)


CATALOG = [
    entry(2, "x", B),
    entry(3, "y", A, "Flyer"),
    entry(4, "x", A),
    entry(5, "s", SECRET),
    entry(6, "n", NEW),
    entry(7, "ohne", ""),  # no target: never a shard's
]


def observed(url: str) -> Observation:
    fetch = FetchResult(url=url, final_url=url, status=200, checked_at=dt.datetime(2026, 11, 27))
    return Observation(fetch, LinkHealth(Health.OK, 200, url), PageFacts(title="Neu"))


def test_each_url_has_its_catalogue_rows_in_catalogue_order_and_last_nights_row_of_each():
    shard = (A, B, SECRET, NEW)
    last_night = links_table(
        [
            make_link_row(entry_id="x", url=A, first_seen=dt.date(2024, 1, 1)),
            make_link_row(entry_id="y", url=A, first_seen=dt.date(2024, 2, 2)),
            make_link_row(
                entry_id="s", url="https://***@b.example/intern", first_seen=dt.date(2024, 3, 3)
            ),
            make_link_row(entry_id="weg", url=B, first_seen=dt.date(2020, 1, 1)),  # other entry
        ]
    )
    links = ShardLinks(shard, shard_entries_table(CATALOG), last_night)
    assert [(e.entry_id, e.link_label, e.max_age_days) for e in links.entries_of(A)] == [
        ("y", "Flyer", 3),
        ("x", "Info", 4),
    ]
    assert links.entries_of("https://nicht.example/") == []
    rows = links.rows_of_url(A, observed(A), RUN_DATE, POLICY)
    assert [(r.entry_id, r.first_seen) for r in rows] == [
        ("y", dt.date(2024, 2, 2)),
        ("x", dt.date(2024, 1, 1)),
    ]
    (secret,) = links.rows_of_url(SECRET, observed(SECRET), RUN_DATE, POLICY)
    assert secret.url == "https://***@b.example/intern" and secret.first_seen == dt.date(2024, 3, 3)
    (b,) = links.rows_of_url(B, observed(B), RUN_DATE, POLICY)
    assert b.first_seen == RUN_DATE  # entry x never linked B before
    (new,) = ShardLinks(shard, shard_entries_table(CATALOG), None).rows_of_url(
        NEW, observed(NEW), RUN_DATE, POLICY
    )
    assert new.first_seen == RUN_DATE and new.title == "Neu"


def test_validators_are_those_of_last_nights_good_direct_answers():
    shard = (A, B, NEW, "https://d.example/", "https://e.example/", "https://f.example/")
    hop = Hop(url="https://f.example/", status=301, location="https://f.example/neu")
    last_night = links_table(
        [
            make_link_row(entry_id="x", url=A, etag='"alt"'),
            make_link_row(entry_id="y", url=A, etag='"neu"'),  # the later row counts
            make_link_row(entry_id="x", url=B, http_last_modified="Tue, 03 Nov 2026 10:00:00 GMT"),
            make_link_row(entry_id="z", url=NEW),  # neither validator
            make_link_row(
                entry_id="d", url="https://d.example/", etag='"e"', health=Health.NOT_FOUND
            ),
            make_link_row(
                entry_id="e",
                url="https://e.example/",
                etag='"e"',
                removed_since=dt.date(2026, 11, 20),
            ),
            make_link_row(
                entry_id="f", url="https://f.example/", etag='"e"', redirect_chain=(hop,)
            ),
            make_link_row(entry_id="g", url="https://g.example/", etag='"e"'),  # not this shard's
        ]
    )
    validators = ShardLinks(shard, shard_entries_table(CATALOG), last_night).validators
    assert dict(validators) == {
        A: ('"neu"', None),
        B: (None, "Tue, 03 Nov 2026 10:00:00 GMT"),
    }
    assert len(validators) == 2 and validators.get(NEW) is None
    assert validators.get("https://g.example/") is None


def test_the_catalogue_is_sorted_by_shard_once_in_url_order():
    shards = [(B, A), (NEW,), ("https://leer.example/",)]
    by_shard = EntriesByShard(CATALOG, shards)
    first = by_shard.entries_of(0)
    assert list(zip(first["url"].to_pylist(), first["entry_id"].to_pylist(), strict=True)) == [
        (B, "x"),
        (A, "y"),
        (A, "x"),
    ]
    assert by_shard.entries_of(1)["entry_id"].to_pylist() == ["n"]
    assert by_shard.entries_of(2).num_rows == 0
