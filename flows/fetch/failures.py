"""Failure mapping: what went wrong with a request, as the link health it means.

An exception (httpx, OS, TLS, the SSRF guard at connect time) becomes a health value, a
German detail and whether the failure is transient, i.e. worth a retry.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from extractors.records import Health
from flows.fetch.address_guard import dns_error_text
from flows.fetch.pinned_connect import AddressRefused


@dataclass(frozen=True, slots=True)
class Failure:
    """A request that produced no HTTP answer."""

    health: Health
    detail: str
    transient: bool = False


_TLS_VERIFY_TEXT: dict[int, str] = {
    9: "Zertifikat noch nicht gültig",
    10: "Zertifikat abgelaufen",
    18: "selbst signiertes Zertifikat (nicht vertrauenswürdig)",
    19: "selbst signiertes Zertifikat in der Kette (nicht vertrauenswürdig)",
    20: "Zertifikat nicht vertrauenswürdig (unbekannte Stelle oder fehlendes Zwischenzertifikat)",
    21: "Zertifikat nicht vertrauenswürdig (Kette unvollständig)",
    23: "Zertifikat widerrufen",
}


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and members of exception groups."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)


def tls_detail(error: ssl.SSLCertVerificationError, host: str) -> str:
    """German detail for a failed certificate check: expired, wrong host, untrusted…"""
    code = error.verify_code
    message = error.verify_message or error.reason or str(error)
    if code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
        return f"Zertifikat gilt nicht für {host} ({message})"
    text = _TLS_VERIFY_TEXT.get(code)
    return f"{text} ({message})" if text else f"Zertifikat ungültig ({message})"


def failure_from_exception(exc: BaseException, host: str) -> Failure:
    """Map an httpx/OS exception to a health value, a German detail, and whether to retry."""
    chain = list(_exception_chain(exc))
    for link in chain:
        if isinstance(link, AddressRefused):  # the guard, asked again at connect time
            if link.check.dns_error:
                return Failure(Health.DNS_ERROR, link.check.dns_error, link.check.dns_transient)
            return Failure(Health.BLOCKED, str(link.check.blocked_reason))
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return Failure(Health.TLS_ERROR, tls_detail(link, host))
    for link in chain:
        if isinstance(link, socket.gaierror):
            transient = link.errno == socket.EAI_AGAIN  # "try again": the resolver hiccuped
            return Failure(Health.DNS_ERROR, dns_error_text(link, host), transient)
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "beim Verbindungsaufbau",
            httpx.ReadTimeout: "beim Lesen",
            httpx.WriteTimeout: "beim Senden",
            httpx.PoolTimeout: "beim Warten auf eine Verbindung",
        }.get(type(exc), "")
        return Failure(Health.TIMEOUT, f"Zeitüberschreitung {kind}".strip())
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return Failure(Health.INVALID_URL, f"URL nicht abrufbar: {exc}")
    for link in chain:
        if isinstance(link, ConnectionRefusedError):
            return Failure(Health.CONNECTION_ERROR, "Verbindung abgelehnt", transient=True)
        if isinstance(link, ConnectionResetError | ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return Failure(Health.CONNECTION_ERROR, "Verbindung zurückgesetzt", transient=True)
        if isinstance(link, ssl.SSLError):
            reason = getattr(link, "reason", None) or str(link)
            return Failure(Health.TLS_ERROR, f"TLS-Fehler beim Verbindungsaufbau ({reason})")
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "without sending" in text or "closed" in text:
            return Failure(Health.CONNECTION_ERROR, "Server schloss ohne Antwort", transient=True)
        return Failure(Health.CONNECTION_ERROR, f"Fehlerhafte HTTP-Antwort ({text[:120]})")
    if isinstance(exc, httpx.TransportError):
        for link in chain:
            if isinstance(link, OSError) and link.strerror:
                detail = f"Verbindungsfehler ({link.strerror})"
                return Failure(Health.CONNECTION_ERROR, detail, transient=True)
        text = str(exc) or type(exc).__name__
        return Failure(Health.CONNECTION_ERROR, f"Verbindungsfehler ({text[:120]})", True)
    return Failure(Health.CONNECTION_ERROR, f"Unerwarteter Fehler ({type(exc).__name__})")
