"""SSRF guard: refuse to connect to addresses that are not on the public Internet.

A catalogue URL (or any redirect hop) may point at loopback, the LAN, or the
cloud metadata service (169.254.169.254). The fetcher asks this module about
the host of every hop before it sends a request; unless private addresses are
allowed, a host is refused when ANY of its addresses is non-public (the
connection might pick exactly that one).

The answer that was checked is the one that is used: `flows.fetch.pinned_connect`
connects only to the addresses this guard approved for the host, so a hostile
DNS server cannot answer "public" to the check and "127.0.0.1" to the
connection (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

_METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT

# (host, port) -> the addresses it resolves to; raises socket.gaierror like getaddrinfo.
Lookup = Callable[[str, int], Awaitable[Sequence[str]]]


async def system_lookup(host: str, port: int) -> list[str]:
    """The operating system's resolver (getaddrinfo), addresses in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class AddressCheck:
    """What the guard found for one host: its addresses, and why it is refused, if it is."""

    addresses: tuple[str, ...]
    blocked_reason: str | None = None
    dns_error: str | None = None
    dns_transient: bool = False  # the resolver said "try again" (EAI_AGAIN): worth a retry

    @property
    def allowed(self) -> bool:
        return self.blocked_reason is None and self.dns_error is None


def blocked_reason_for(ip: str) -> str | None:
    """Why connecting to this IP address is refused (German, short), or None if it is public.

    Accepts IPv4, IPv6 (with or without brackets or a zone id) and IPv4-mapped
    IPv6; IPv4 addresses embedded in NAT64, 6to4 and Teredo addresses are
    judged as the IPv4 address they lead to. A string that is no IP address
    is refused too: the caller asked about an address, not a name.
    """
    text = ip.strip().removeprefix("[").removesuffix("]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "keine gültige IP-Adresse"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = _reason_v4_or_v6(embedded)
            return f"{reason} (in IPv6 eingebettet)" if reason else None
    return _reason_v4_or_v6(address)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client address behind the Teredo relay
    return None


def _reason_v4_or_v6(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    # Order matters: 0.0.0.0 is also "private", 169.254.169.254 also "link-local".
    if address.is_unspecified:
        return "unspezifizierte Adresse"
    if address.is_loopback:
        return "Loopback-Adresse"
    if address in _METADATA_ADDRESSES:
        return "Cloud-Metadaten-Adresse"
    if address.is_link_local:
        return "Link-local-Adresse"
    if address.is_multicast:
        return "Multicast-Adresse"
    if address.is_reserved:
        return "reservierte Adresse"
    if address.is_private:  # also documentation and benchmark ranges
        return "private Adresse"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE:
        return "Carrier-NAT-Adresse"
    if not address.is_global:
        return "nicht öffentlich routbare Adresse"
    return None


def is_ip_literal(host: str) -> bool:
    """True when the host part of a URL is an IP address rather than a name."""
    text = host.strip().removeprefix("[").removesuffix("]").split("%", 1)[0]
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


async def resolve_and_check(
    host: str, port: int, *, allow_private: bool, lookup: Lookup = system_lookup
) -> AddressCheck:
    """Resolve `host` (IP literals without DNS) and judge every address it has.

    Never raises for a bad name: a failed lookup comes back as `dns_error`.
    With `allow_private` the addresses are still resolved and returned, only
    the verdict is skipped.
    """
    if is_ip_literal(host):
        literal = host.strip().removeprefix("[").removesuffix("]")
        reason = None if allow_private else blocked_reason_for(literal)
        return AddressCheck(addresses=(literal,), blocked_reason=_blocked(literal, reason))
    try:
        found = await lookup(host, port)
    except socket.gaierror as exc:
        transient = exc.errno == socket.EAI_AGAIN
        return AddressCheck(
            addresses=(), dns_error=dns_error_text(exc, host), dns_transient=transient
        )
    except (UnicodeError, ValueError) as exc:  # a label the IDNA codec refuses
        return AddressCheck(addresses=(), dns_error=f"ungültiger Hostname {host!r}: {exc}")
    addresses = tuple(dict.fromkeys(found))
    if not addresses:
        return AddressCheck(addresses=(), dns_error=f"keine Adresse für {host}")
    if allow_private:
        return AddressCheck(addresses=addresses)
    for address in addresses:
        reason = blocked_reason_for(address)
        if reason:
            return AddressCheck(addresses=addresses, blocked_reason=_blocked(address, reason))
    return AddressCheck(addresses=addresses)


def _blocked(address: str, reason: str | None) -> str | None:
    return f"{reason} {address} gesperrt (SSRF-Schutz)" if reason else None


def dns_error_text(exc: socket.gaierror, host: str) -> str:
    """A short German sentence for a failed lookup, keeping the resolver's own words."""
    if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
        return f"Hostname {host} nicht auflösbar"
    if exc.errno == socket.EAI_AGAIN:
        return f"DNS vorübergehend nicht erreichbar für {host}"
    return f"DNS-Fehler für {host}: {exc.strerror or exc}"


class AddressGuard:
    """Per-run front of `resolve_and_check` that remembers good answers per (host, port).

    Only successful lookups are remembered: a transient DNS failure must not
    condemn every later URL on the same host. One guard lives as long as one
    `fetch_all` call, so stale answers cannot outlive a run.
    """

    def __init__(self, *, allow_private: bool, lookup: Lookup = system_lookup) -> None:
        self.allow_private = allow_private
        self._lookup = lookup
        self._known: dict[tuple[str, int], AddressCheck] = {}

    async def check(self, host: str, port: int) -> AddressCheck:
        key = (host.lower(), port)
        known = self._known.get(key)
        if known is not None:
            return known
        result = await resolve_and_check(
            host, port, allow_private=self.allow_private, lookup=self._lookup
        )
        if result.dns_error is None:
            self._known[key] = result
        return result
