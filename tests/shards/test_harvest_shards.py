"""Sharding keeps every host in exactly one shard, so per-host politeness lives in one place."""

from __future__ import annotations

from flows.shards.check import shard_by_host


def test_every_host_lands_in_exactly_one_shard():
    urls = [f"https://host{h}.example/page{p}" for h in range(50) for p in range(7)]
    shards = shard_by_host(urls, shard_size=40)
    assert len(shards) > 1
    assert sorted(u for shard in shards for u in shard) == sorted(urls)
    owner: dict[str, int] = {}
    for index, shard in enumerate(shards):
        for url in shard:
            host = url.split("/")[2]
            assert owner.setdefault(host, index) == index


def test_shards_do_not_depend_on_catalogue_order():
    urls = [f"https://host{h}.example/{p}" for h in range(30) for p in range(3)]
    forward = {frozenset(s) for s in shard_by_host(urls, shard_size=20)}
    backward = {frozenset(s) for s in shard_by_host(list(reversed(urls)), shard_size=20)}
    assert forward == backward


def test_unparseable_urls_still_get_a_shard():
    shards = shard_by_host(["http://[::1", "ftp://x", "https://a.example/"], shard_size=10)
    assert sum(len(s) for s in shards) == 3
