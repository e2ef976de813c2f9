"""The one httpx client of a `fetch_all` call, redirects off: we follow them by hand.

Headers, TLS trust, one pool per origin over pinned connections, and the hook that
takes Location out of httpx's sight.
"""

from __future__ import annotations

import ssl

import httpx

from flows.fetch.address_guard import AddressGuard
from flows.fetch.host_pools import HostPoolTransport
from flows.fetch.pinned_connect import PinnedNetworkBackend, PinnedTransport
from flows.fetch.settings import FetchSettings

LOCATION_KEY = "linkpflege.location"


async def _take_location(response: httpx.Response) -> None:
    """Response hook: move Location out of httpx's sight into `response.extensions`.

    Even with follow_redirects=False httpx builds the next request for every
    redirect, and raises on a Location it cannot parse (`javascript:…`, broken
    URLs) before we see the answer. We follow redirects by hand, so we take
    the Location away before httpx looks.
    """
    values = response.headers.get_list("location")
    if values:
        response.extensions[LOCATION_KEY] = values[0]
        del response.headers["location"]


def ensure_location_hook(client: httpx.AsyncClient) -> None:
    hooks = client.event_hooks
    if _take_location not in hooks["response"]:
        client.event_hooks = {**hooks, "response": [*hooks["response"], _take_location]}


def build_client(
    settings: FetchSettings,
    transport: httpx.AsyncBaseTransport | None = None,
    guard: AddressGuard | None = None,
) -> httpx.AsyncClient:
    """The one AsyncClient of a `fetch_all` call (redirects off: we follow them by hand).

    With a `guard` (and no `transport`), connections go only to the addresses the guard
    approved (`flows.fetch.pinned_connect`): no second DNS lookup that could answer otherwise.
    """
    verify: ssl.SSLContext | bool
    if not settings.verify_tls:
        verify = False
    elif settings.ca_bundle:
        verify = ssl.create_default_context(cafile=settings.ca_bundle)
    else:
        verify = True
    # httpx's own timeouts are a backstop only; the total deadline is ours.
    backstop = httpx.Timeout(settings.timeout + 5.0)
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8",
        "Accept-Language": "de,en;q=0.7",
        "Accept-Encoding": "gzip, deflate",  # the encodings `read_capped` bounds itself
    }
    limits = httpx.Limits(
        max_connections=None,  # the HostLimiter bounds concurrency
        max_keepalive_connections=settings.concurrency,
        keepalive_expiry=5.0,
    )
    if transport is None:
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=settings.trust_env)
        # Per origin: as many kept-alive connections as the host may have requests at once.
        host_limits = httpx.Limits(
            max_connections=None,
            max_keepalive_connections=settings.host_width,
            keepalive_expiry=5.0,
        )
        backend = (
            PinnedNetworkBackend(guard, exempt_hosts=settings.private_hosts_allowed)
            if guard is not None
            else None
        )
        transport = HostPoolTransport(
            lambda: PinnedTransport(backend, ssl_context=ssl_context, limits=host_limits),
            quiet_after=settings.timeout + 10.0,  # beyond the deadline and the backstop
        )
    return httpx.AsyncClient(
        headers=headers,
        event_hooks={"response": [_take_location]},
        verify=verify,
        timeout=backstop,
        follow_redirects=False,
        limits=limits,
        transport=transport,
        trust_env=settings.trust_env,
    )
