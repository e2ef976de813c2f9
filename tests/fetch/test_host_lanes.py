"""HostLanes: a crew sized by hosts, per-host width held, workers move to the longest lane."""

from __future__ import annotations

import collections

from flows.fetch.host_lanes import HostLanes


def host(url: str) -> str:
    return url.split("/")[2]


def urls(name: str, count: int) -> list[str]:
    return [f"http://{name}/{n}" for n in range(count)]


def test_crew_gives_every_host_a_worker_before_any_gets_a_second() -> None:
    lanes = HostLanes(urls("big", 50) + urls("mid", 5) + urls("one", 1), host, width=3)
    assert lanes.crew(4) == ["big", "mid", "one", "big"]
    lanes = HostLanes(urls("big", 50) + urls("mid", 5) + urls("one", 1), host, width=3)
    # never more workers on a host than its width, nor than it has URLs
    assert collections.Counter(lanes.crew(100)) == {"big": 3, "mid": 3, "one": 1}


def test_every_url_is_handed_out_once_and_width_is_never_exceeded() -> None:
    given = urls("a", 40) + urls("b", 3) + urls("c", 7)
    lanes = HostLanes(given, host, width=2)
    workers = lanes.crew(4)  # a, b, c, a
    taken: list[str] = []
    busy: collections.Counter[str] = collections.Counter(workers)
    active = list(workers)
    # Step the workers round-robin, as the event loop would interleave them.
    while active:
        still = []
        for index, on in enumerate(active):
            job = lanes.take(on)
            busy[on] -= 1
            if job is None:
                continue
            on, url = job
            busy[on] += 1
            assert busy[on] <= 2, f"{on} has {busy[on]} workers"
            taken.append(url)
            still.append(on)
            active[index] = on
        active = still
    assert sorted(taken) == sorted(given)


def test_a_worker_whose_lane_is_done_helps_the_longest_lane() -> None:
    lanes = HostLanes(urls("long", 10) + urls("short", 1) + urls("middle", 4), host, width=2)
    assert lanes.crew(3) == ["long", "middle", "short"]
    assert lanes.take("short") == ("short", "http://short/0")
    moved = lanes.take("short")  # short is done: this worker joins the longest lane with room
    assert moved is not None and moved[0] == "long"
    assert lanes.take("long") is not None
    # long now has two workers (its width): a third dry worker goes to middle instead
    for _ in range(3):
        lanes.take("middle")
    job = lanes.take("middle")
    assert job is not None and job[0] == "middle"  # middle still had a URL left
    job = lanes.take("middle")
    assert job is None  # middle done and long is at its width: this worker stops
