"""Connections pinned to checked addresses: the SSRF guard's answer is the one used.

Checking a host name and then letting the HTTP library resolve it again leaves a
gap: a hostile DNS server can answer with a public address to the check and with
127.0.0.1 (or the LAN, or 169.254.169.254) a moment later to the connection —
DNS rebinding. Here the network backend itself asks the run's `AddressGuard` (one
lookup per host and run, cached) and opens the TCP connection to one of exactly
those approved addresses. TLS still verifies the certificate against the host
name: httpcore passes the name (SNI) separately from the address it connected to,
and connection pools stay keyed by the name, so virtual hosts sharing one address
never share a connection.

Proxies (only with `trust_env`) are mounted by httpx as transports of their own
and do not come through here; for them the guard's check before each request is
what applies, since the proxy resolves the name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpcore
import httpx

from flows.fetch.address_guard import AddressCheck, AddressGuard

# httpcore's socket option shape (level, option, value) or (level, option, None, length).
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class AddressRefused(OSError):
    """The guard refused the host at connect time (blocked address or failed lookup)."""

    def __init__(self, host: str, check: AddressCheck) -> None:
        super().__init__(check.blocked_reason or check.dns_error or f"{host} refused")
        self.host = host
        self.check = check


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses `guard` approved for the requested host.

    `exempt_hosts` (the operator's allowlist) and a guard that allows private
    addresses connect by name as usual.
    """

    def __init__(
        self,
        guard: AddressGuard,
        *,
        exempt_hosts: Iterable[str] = (),
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._guard = guard
        self._exempt = frozenset(host.lower() for host in exempt_hosts)
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._guard.allow_private or host.lower() in self._exempt:
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        check = await self._guard.check(host, port)
        if not check.allowed:
            raise AddressRefused(host, check)
        # Every address of the host passed the check; try them in the resolver's order.
        error: Exception | None = None
        for address in check.addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # an allowed check has at least one address
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path, AddressCheck((), blocked_reason="Unix-Socket gesperrt"))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool on a `PinnedNetworkBackend`.

    httpx has no public switch for the network backend, so the pool is rebuilt
    with the same settings httpx gives it (no proxy: proxies are separate mounts).
    `ssl_context` is made once by the caller and shared: loading the CA store for
    every pool would cost milliseconds and memory each time.
    """

    def __init__(
        self,
        backend: PinnedNetworkBackend | None,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
    ) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        if backend is not None:
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                network_backend=backend,
            )
