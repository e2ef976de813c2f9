"""DNS rebinding: the connection goes to the address the SSRF guard checked, nowhere else.

The resolver is a stub (names → addresses, changing between calls as a hostile DNS
server would); the network under the pinned backend is real sockets to a local server,
reached through a small "fake routing" backend that maps a public test address onto
127.0.0.1 — so no test touches the Internet.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable, Sequence

import httpcore
import httpx
from local_web import LocalWeb, Reply

from extractors.records import Health
from flows.fetch.address_guard import AddressGuard
from flows.fetch.failures import failure_from_exception
from flows.fetch.http_client import build_client
from flows.fetch.pinned_connect import AddressRefused, PinnedNetworkBackend, PinnedTransport
from flows.fetch.settings import FetchSettings

PUBLIC = "93.184.216.34"  # a public address; never actually dialled here


class FlippingResolver:
    """Answers `first` to the first lookup and `later` to every one after it (rebinding)."""

    def __init__(self, first: str, later: str) -> None:
        self.answers = [first, later]
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        return [self.answers[0] if len(self.calls) == 1 else self.answers[1]]


class RoutedNetwork(httpcore.AsyncNetworkBackend):
    """Records every address dialled; dials `routes[address]` instead (127.0.0.1)."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.dialled: list[str] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[object] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append(host)
        if host not in self.routes:
            raise httpcore.ConnectError(f"no route to {host} in this test")
        return await self._real.connect_tcp(self.routes[host], port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


def pinned_client(
    guard: AddressGuard, network: RoutedNetwork, *, verify: ssl.SSLContext | bool = False
) -> httpx.AsyncClient:
    backend = PinnedNetworkBackend(guard, inner=network)
    transport = PinnedTransport(
        backend,
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        limits=httpx.Limits(max_keepalive_connections=4),
    )
    return httpx.AsyncClient(transport=transport, trust_env=False)


def test_connection_goes_to_the_checked_address_not_a_second_answer() -> None:
    with LocalWeb() as web:
        web.route("/seite", Reply.html("<title>Echt</title>"))
        resolver = FlippingResolver(first=PUBLIC, later="127.0.0.1")
        guard = AddressGuard(allow_private=False, lookup=resolver)
        network = RoutedNetwork({PUBLIC: "127.0.0.1"})

        async def go() -> list[httpx.Response]:
            url = f"http://rebind.test:{web.port}/seite"
            check = await guard.check("rebind.test", web.port)  # the fetcher's check
            assert check.allowed
            async with pinned_client(guard, network) as client:
                # A fresh connection for each request: both must dial the checked address.
                first = await client.get(url, headers={"Connection": "close"})
                second = await client.get(url, headers={"Connection": "close"})
                return [first, second]

        responses = asyncio.run(go())
        assert [r.status_code for r in responses] == [200, 200]
        assert resolver.calls == ["rebind.test"]  # one lookup; no second answer was asked for
        assert network.dialled == [PUBLIC, PUBLIC]  # never "127.0.0.1" from the second answer
        assert web.requests_to("/seite")[0].headers["host"] == f"rebind.test:{web.port}"


def test_a_name_first_seen_at_connect_time_is_checked_there() -> None:
    """No earlier check (a client used without the fetcher): the backend itself refuses."""
    resolver = FlippingResolver(first="127.0.0.1", later="127.0.0.1")
    guard = AddressGuard(allow_private=False, lookup=resolver)
    network = RoutedNetwork({})

    async def go() -> BaseException:
        async with pinned_client(guard, network) as client:
            try:
                await client.get("http://evil.test/")
            except Exception as exc:
                return exc
        raise AssertionError("the request went through")

    error = asyncio.run(go())
    assert isinstance(error, AddressRefused)
    assert network.dialled == []  # refused before any socket was opened
    failure = failure_from_exception(error, "evil.test")
    assert failure.health is Health.BLOCKED
    assert "Loopback-Adresse 127.0.0.1" in failure.detail


def test_tls_is_verified_against_the_name_while_dialling_the_pinned_address() -> None:
    with LocalWeb(tls="valid") as web:
        web.route("/", Reply.html("<title>TLS</title>"))
        assert web.ca_pem_path is not None
        context = ssl.create_default_context(cafile=web.ca_pem_path)
        guard = AddressGuard(allow_private=False, lookup=FlippingResolver(PUBLIC, PUBLIC))
        network = RoutedNetwork({PUBLIC: "127.0.0.1"})

        async def go() -> httpx.Response:
            # The certificate names "localhost": verification uses the URL's name (SNI),
            # not the address that was dialled.
            async with pinned_client(guard, network, verify=context) as client:
                return await client.get(f"https://localhost:{web.port}/")

        response = asyncio.run(go())
        assert response.status_code == 200
        assert network.dialled == [PUBLIC]


def test_build_client_pins_and_allow_private_dials_by_name() -> None:
    """`build_client` with a guard uses the pinned backend; an open guard passes names on."""

    async def go(allow_private: bool) -> int:
        with LocalWeb() as web:
            web.route("/", Reply.html("<title>x</title>"))
            settings = FetchSettings(allow_private_addresses=allow_private)
            guard = AddressGuard(allow_private=allow_private)
            async with build_client(settings, guard=guard) as client:
                try:
                    response = await client.get(f"http://127.0.0.1:{web.port}/")
                except AddressRefused:
                    return -1
                return response.status_code

    assert asyncio.run(go(allow_private=True)) == 200
    assert asyncio.run(go(allow_private=False)) == -1
