"""One run's allowance of archive requests, shared by every lookup of the run.

The Wayback CDX server allows about 30 requests a minute per client and blocks a client that
keeps sending after a 429 (which comes without Retry-After) for an hour, doubling each time.
A block would cost every later night too, so the budget stays well inside the limits:

- one request in flight at a time (an `asyncio.Lock`: all lookups run on one event loop);
- at most `per_minute` requests (default 24) in any 60 s window, and `min_interval` apart;
- after a 429 nobody sends for `first_pause` seconds (≥ 60); each further 429 doubles it;
- a total time budget per run, counted from the first request asked for: once it is spent,
  or the next allowed request would start after it, requests are refused without sending.

Clock and sleep are injectable, so tests run minutes of archive time in no real time. The
counters (and the pause state) sit behind a `threading.Lock`, so a progress display on
another thread may read `summary()` at any time.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
MIN_PAUSE_AFTER_429 = 60.0


class BudgetExhausted(Exception):
    """The run's archive time is spent (or would be before the next allowed request)."""


@dataclass(frozen=True, slots=True)
class BudgetSummary:
    """What the archive cost this run, for the run summary."""

    requests_sent: int
    rate_limited: int  # 429 answers
    cache_hits: int
    lookups_skipped: int  # refused by the budget without asking the archive
    last_pause_seconds: float  # the pause the last 429 imposed (0 without one)


class ArchiveBudget:
    """The shared allowance; use `async with budget.request():` around each archive request
    and `budget.record_status(status)` with its answer."""

    def __init__(
        self,
        *,
        per_minute: int = 24,
        min_interval: float = 1.0,
        first_pause: float = MIN_PAUSE_AFTER_429,
        time_budget: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1 or min_interval < 0 or time_budget <= 0:
            raise ValueError("per_minute ≥ 1, min_interval ≥ 0 and time_budget > 0 please")
        if first_pause < MIN_PAUSE_AFTER_429:
            raise ValueError(f"the pause after a 429 must be at least {MIN_PAUSE_AFTER_429} s")
        self.per_minute = per_minute
        self.min_interval = min_interval
        self.time_budget = time_budget
        self._clock = clock
        self._sleep = sleep
        self._in_flight = asyncio.Lock()
        self._state = threading.Lock()
        self._sent_at: deque[float] = deque()
        self._started: float | None = None
        self._paused_until = float("-inf")
        self._pause = 0.0
        self._next_pause = first_pause
        self._requests_sent = 0
        self._rate_limited = 0
        self._cache_hits = 0
        self._lookups_skipped = 0

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Hold the one request slot; raises BudgetExhausted (and sends nothing) instead of
        waiting past the run's time budget."""
        async with self._in_flight:
            await self._wait_for_turn()
            yield

    async def _wait_for_turn(self) -> None:
        while True:
            now = self._clock()
            with self._state:
                if self._started is None:
                    self._started = now
                deadline = self._started + self.time_budget
                ready_at = self._ready_at(now)
                if now >= deadline or ready_at >= deadline:
                    raise BudgetExhausted("Zeitbudget für das Archiv aufgebraucht")
                if ready_at <= now:
                    self._sent_at.append(now)
                    self._requests_sent += 1
                    return
            await self._sleep(ready_at - now)

    def _ready_at(self, now: float) -> float:
        """When the next request may start: after the pause, the window and the interval."""
        while self._sent_at and self._sent_at[0] <= now - WINDOW_SECONDS:
            self._sent_at.popleft()
        ready = max(now, self._paused_until)
        if len(self._sent_at) >= self.per_minute:
            ready = max(ready, self._sent_at[-self.per_minute] + WINDOW_SECONDS)
        if self._sent_at:
            ready = max(ready, self._sent_at[-1] + self.min_interval)
        return ready

    def record_status(self, status: int) -> None:
        """Note an archive answer's status; a 429 pauses everyone (the pause doubles each
        time: the archive's own block doubles too, so a second 429 must back off further)."""
        if status != 429:
            return
        with self._state:
            self._rate_limited += 1
            self._pause = self._next_pause
            self._paused_until = max(self._paused_until, self._clock() + self._pause)
            self._next_pause *= 2

    def rebind(self) -> ArchiveBudget:
        """The same allowance for use in another event loop (the night's next step runs its
        own): the window, the pause and the time budget carry over; only the request slot,
        an asyncio lock bound to one loop, is new."""
        self._in_flight = asyncio.Lock()
        return self

    def record_cache_hit(self) -> None:
        with self._state:
            self._cache_hits += 1

    def record_skipped(self) -> None:
        with self._state:
            self._lookups_skipped += 1

    @property
    def paused(self) -> bool:
        with self._state:
            return self._clock() < self._paused_until

    @property
    def exhausted(self) -> bool:
        """True once the time budget is spent (False before the first request)."""
        with self._state:
            if self._started is None:
                return False
            return self._clock() >= self._started + self.time_budget

    def summary(self) -> BudgetSummary:
        with self._state:
            return BudgetSummary(
                requests_sent=self._requests_sent,
                rate_limited=self._rate_limited,
                cache_hits=self._cache_hits,
                lookups_skipped=self._lookups_skipped,
                last_pause_seconds=self._pause,
            )
