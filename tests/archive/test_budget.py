"""The run's archive budget, on a fake clock: rate, one request at a time, 429 pauses, time."""

from __future__ import annotations

import asyncio

import pytest
from archive_double import FakeClock

from flows.archive.budget import ArchiveBudget, BudgetExhausted


def budget_on(clock: FakeClock, **kwargs: float) -> ArchiveBudget:
    return ArchiveBudget(clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


async def send_times(budget: ArchiveBudget, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        async with budget.request():
            times.append(clock.now)
    return times


def test_at_most_24_requests_in_any_minute() -> None:
    clock = FakeClock()
    budget = budget_on(clock, min_interval=0.0, time_budget=3600.0)
    times = asyncio.run(send_times(budget, clock, 72))
    assert times[:24] == [1000.0] * 24  # a window's worth at once, then one as each ages out
    assert all(times[i + 24] - times[i] >= 60.0 for i in range(len(times) - 24))
    assert times[-1] == pytest.approx(1000.0 + 120.0)  # three windows' worth, no slower
    assert budget.summary().requests_sent == 72


def test_requests_are_spaced_by_the_minimum_interval() -> None:
    clock = FakeClock()
    budget = budget_on(clock, min_interval=2.5)
    times = asyncio.run(send_times(budget, clock, 4))
    assert [t - times[0] for t in times] == [0.0, 2.5, 5.0, 7.5]


def test_only_one_request_is_in_flight() -> None:
    clock = FakeClock()
    budget = budget_on(clock, min_interval=0.0)
    in_flight = 0
    most = 0

    async def one() -> None:
        nonlocal in_flight, most
        async with budget.request():
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.001)  # the answer takes a while; others must wait
            in_flight -= 1

    async def many() -> None:
        await asyncio.gather(*(one() for _ in range(10)))

    asyncio.run(many())
    assert most == 1
    assert budget.summary().requests_sent == 10


def test_a_429_pauses_every_request_a_minute_and_a_second_doubles_the_pause() -> None:
    clock = FakeClock()
    budget = budget_on(clock, min_interval=0.0)

    async def scenario() -> list[float]:
        times = []
        for status in (429, 429, 200, 200):
            async with budget.request():
                times.append(clock.now)
            budget.record_status(status)
        return times

    times = asyncio.run(scenario())
    assert times[1] - times[0] >= 60.0
    assert times[2] - times[1] >= 120.0
    assert times[3] - times[2] < 60.0  # a good answer does not pause
    summary = budget.summary()
    assert (summary.rate_limited, summary.last_pause_seconds) == (2, 120.0)


def test_nobody_sends_while_paused() -> None:
    clock = FakeClock()
    budget = budget_on(clock, min_interval=0.0)
    budget.record_status(429)
    assert budget.paused
    clock.now += 59.0
    assert budget.paused
    times = asyncio.run(send_times(budget, clock, 1))
    assert times == [1060.0]
    assert not budget.paused


def test_a_pause_shorter_than_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 60"):
        ArchiveBudget(first_pause=30.0)


def test_after_the_time_budget_nothing_is_sent() -> None:
    clock = FakeClock()
    budget = budget_on(clock, time_budget=100.0)
    sent: list[float] = []

    async def scenario() -> None:
        async with budget.request():
            sent.append(clock.now)
        clock.now += 100.0
        with pytest.raises(BudgetExhausted):
            async with budget.request():
                sent.append(clock.now)

    asyncio.run(scenario())
    assert sent == [1000.0]
    assert budget.exhausted
    assert budget.summary().requests_sent == 1


def test_a_wait_that_would_outlast_the_time_budget_is_refused_at_once() -> None:
    clock = FakeClock()
    budget = budget_on(clock, time_budget=50.0)

    async def scenario() -> None:
        async with budget.request():
            pass
        budget.record_status(429)  # pause until 1060, the budget ends at 1050
        clock.now += 10.0
        async with budget.request():
            pytest.fail("sent while paused")

    with pytest.raises(BudgetExhausted, match="Zeitbudget"):
        asyncio.run(scenario())
    assert clock.sleeps == []  # refused without waiting
    assert budget.summary().requests_sent == 1


def test_the_time_budget_starts_with_the_first_request() -> None:
    clock = FakeClock()
    budget = budget_on(clock, time_budget=10.0)
    clock.now += 1000.0  # the harvest took a while before the archive stage
    assert not budget.exhausted
    assert asyncio.run(send_times(budget, clock, 1)) == [2000.0]


def test_counters_for_the_run_summary() -> None:
    budget = ArchiveBudget()
    budget.record_cache_hit()
    budget.record_cache_hit()
    budget.record_skipped()
    budget.record_status(200)
    summary = budget.summary()
    assert (summary.cache_hits, summary.lookups_skipped, summary.rate_limited) == (2, 1, 0)
    assert summary.requests_sent == 0
