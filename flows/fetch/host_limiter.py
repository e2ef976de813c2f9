"""Politeness: the limiter that hands out global and per-host request slots.

Per host, `per_host` requests at once, their starts `per_host_interval` (or the
host's Crawl-delay) apart; overall `concurrency`. Housekeeping requests (robots.txt,
the soft-404 probe) may jump their host's queue.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field


class _HostSlots:
    """A host's request slots, handed out first to urgent waiters, then first come first served.

    Urgent are the housekeeping requests others wait for (robots.txt, the soft-404
    probe): queued behind a host's backlog they would hold every finished result of
    that host – bodies included – until the backlog is through.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._normal: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, *, urgent: bool = False) -> None:
        if self._free > 0 and not self._urgent and not self._normal:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was ours already: pass it on
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1


@dataclass(slots=True)
class _HostState:
    slots: _HostSlots
    interval: float
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)  # serialises request starts
    last_start: float | None = None


class HostLimiter:
    """Global and per-host concurrency plus a minimum interval between starts per host.

    `acquire(host)` waits for a host slot, then for the host's interval, then
    for a global slot; `release(host)` gives both back. `urgent=True` jumps the
    host's queue (never its concurrency or interval). `slow_down(host, s)`
    raises one host's interval (robots.txt Crawl-delay). `went_out(host)` moves the
    start of the interval to when a request really reached the wire. One limiter
    serves one event loop (one `fetch_all` call).
    """

    def __init__(self, concurrency: int, per_host: int, interval: float) -> None:
        self._global = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._interval = interval
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            slots = _HostSlots(self._per_host)
            state = self._hosts[host] = _HostState(slots, self._interval)
        return state

    def slow_down(self, host: str, interval: float) -> None:
        """Space this host's request starts at least `interval` apart (never faster than set)."""
        state = self._state(host)
        state.interval = max(state.interval, interval)

    def interval(self, host: str) -> float:
        return self._state(host).interval

    async def acquire(self, host: str, *, urgent: bool = False) -> None:
        state = self._state(host)
        await state.slots.acquire(urgent=urgent)
        try:
            async with state.gate:
                loop = asyncio.get_running_loop()
                # Read the interval and the last start late, and again after each wait: a
                # Crawl-delay may arrive, and the request before may only now go out.
                while state.last_start is not None:
                    wait = state.last_start + state.interval - loop.time()
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                await self._global.acquire()
                # The interval counts from the real start, after the global wait.
                state.last_start = loop.time()
        except BaseException:
            state.slots.release()
            raise

    def went_out(self, host: str) -> None:
        """A request to `host` reached the wire just now: its interval counts from here.

        A DNS lookup, TCP connect or TLS handshake after the grant would otherwise shorten
        the gap the server sees: a request on a new connection goes out late, the next one
        on a kept-alive connection on time.
        """
        state = self._state(host)
        now = asyncio.get_running_loop().time()
        state.last_start = now if state.last_start is None else max(state.last_start, now)

    def release(self, host: str) -> None:
        self._global.release()
        self._hosts[host].slots.release()
