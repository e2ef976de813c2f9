"""One small connection pool per origin instead of one big pool for the whole run.

httpcore's pool scans all of its connections on every request and on every
response that closes (encode/httpcore#1035), and keeps at most
`max_keepalive_connections` idle connections in all: with a hundred hosts and a
pool sized for the run's concurrency, a request costs a scan of hundreds of
connections, and keep-alive connections are evicted before the same host asks
again, so nearly every request opened a new TCP (and TLS) connection. Here each
origin (scheme, host, port) gets its own pool, sized for the per-host limit; a
scan is a scan of that host's few connections, and they stay open between its
requests.

Pools of hosts that have gone quiet are closed by a sweep, so a long run over many
hosts does not hold their idle sockets until the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

Origin = tuple[bytes, bytes, int | None]


@dataclass(slots=True)
class _Pool:
    transport: httpx.AsyncBaseTransport
    last_used: float


class HostPoolTransport(httpx.AsyncBaseTransport):
    """Routes each request to its origin's own transport, made by `make_pool` on first use.

    A pool unused for `quiet_after` seconds is closed at the next sweep (at most one
    sweep per `quiet_after / 2`). `quiet_after` must exceed the longest a response
    can stay open (the caller's total deadline and httpx's backstop), so no stream
    still being read is ever cut.
    """

    def __init__(
        self,
        make_pool: Callable[[], httpx.AsyncBaseTransport],
        *,
        quiet_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make_pool = make_pool
        self._quiet_after = quiet_after
        self._clock = clock
        self._pools: dict[Origin, _Pool] = {}
        self._next_sweep = clock() + quiet_after / 2

    @property
    def open_pools(self) -> int:
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = self._clock()
        if now >= self._next_sweep:
            await self._sweep(now)
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(self._make_pool(), now)
        pool.last_used = now
        return await pool.transport.handle_async_request(request)

    async def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._quiet_after / 2
        quiet = [o for o, pool in self._pools.items() if now - pool.last_used > self._quiet_after]
        for origin in quiet:
            await self._pools.pop(origin).transport.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.transport.aclose()
