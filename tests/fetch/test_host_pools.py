"""HostPoolTransport: one pool per origin, quiet pools closed, connections kept alive per host."""

from __future__ import annotations

import asyncio

import httpx
from local_web import LocalWeb, Reply

from flows.fetch.engine import fetch_all
from flows.fetch.host_pools import HostPoolTransport
from flows.fetch.settings import FetchSettings


class CountingPool(httpx.AsyncBaseTransport):
    """A stand-in pool: answers 200 and remembers what it served and whether it was closed."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert not self.closed
        self.hosts.append(f"{request.url.scheme}://{request.url.host}:{request.url.port}")
        return httpx.Response(200)

    async def aclose(self) -> None:
        self.closed = True


def test_one_pool_per_origin_and_quiet_pools_are_closed() -> None:
    made: list[CountingPool] = []
    now = [0.0]

    def make() -> CountingPool:
        made.append(CountingPool())
        return made[-1]

    router = HostPoolTransport(make, quiet_after=10.0, clock=lambda: now[0])

    async def go() -> None:
        async with httpx.AsyncClient(transport=router) as client:
            await client.get("http://a.test/1")
            await client.get("http://a.test/2")
            await client.get("https://a.test/3")  # another scheme: another origin
            await client.get("http://b.test:8080/")
            assert router.open_pools == 3
            now[0] = 8.0
            await client.get("http://b.test:8080/again")  # b stays busy, a goes quiet
            now[0] = 16.0
            await client.get("http://b.test:8080/more")  # the sweep runs here
            assert router.open_pools == 1
            assert made[0].closed and made[1].closed and not made[2].closed
            await client.get("http://a.test/4")  # a quiet host that comes back gets a new pool
            assert len(made) == 4
        assert all(pool.closed for pool in made)  # closing the client closes every pool

    asyncio.run(go())
    assert len(made[0].hosts) == 2  # http://a.test: /1 and /2
    assert len(made[1].hosts) == 1  # https://a.test
    assert len(made[2].hosts) == 3  # http://b.test:8080


def test_requests_to_one_host_reuse_its_connections() -> None:
    """Real sockets: many hosts' worth of keep-alive survives (the old shared pool evicted it)."""
    with LocalWeb() as first, LocalWeb(host="127.0.0.2") as second:
        for web in (first, second):
            for n in range(20):
                web.route(f"/p{n}", Reply.html(f"<title>Seite {n}</title><p>Text {n}</p>"))
        urls = [web.url(f"/p{n}") for n in range(20) for web in (first, second)]
        settings = FetchSettings(
            concurrency=2,
            per_host=1,
            per_host_interval=0.0,
            allow_private_addresses=True,
            respect_robots=False,
            soft_404_probe=False,
            trust_env=False,
        )
        results = asyncio.run(fetch_all(urls, settings))
        assert all(result.status == 200 for result in results.values())
        for web in (first, second):
            ports = {request.client_port for request in web.requests}
            assert len(web.requests) == 20
            assert len(ports) == 1  # one connection per host carried all 20 requests
