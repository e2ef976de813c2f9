"""The HTTP engine: fetch many URLs politely, each within one total deadline.

Contract: `fetch_all(urls, settings)` returns one `FetchResult` per distinct URL
and never raises for a per-URL problem; network failures come back as a
health value in `FetchResult.error` with a short German detail, HTTP answers
are left for `extractors.health.link_health.classify` to judge.

How one URL is fetched:
- Streamed GET (never HEAD), redirects followed by hand: every redirect answer
  becomes a `Hop(url, status, location)`; `FetchResult.hops` holds only those,
  the final answer is `status` at `final_url`. At most `max_redirects` hops; a
  hop seen twice (same URL, status and target) is a loop. A redirect to a
  non-http(s) scheme is `invalid_url`.
- A 2xx HTML page whose `<meta http-equiv="refresh">` (or `Refresh` header)
  moves on within `extractors.health.meta_refresh.MAX_REDIRECT_DELAY` seconds to
  another http(s) URL is a redirect too: recorded as a hop with the page's
  status (e.g. 200), counted against `max_redirects`, and judged temporary.
- robots.txt (`flows.fetch.robots_rules`) is consulted before every request (each
  hop, each retry; cached per origin) unless `respect_robots` is off; a
  disallowed URL is never requested and comes back `blocked` with
  "robots.txt verbietet den Abruf". Its Crawl-delay becomes the host's interval.
- The SSRF guard (`flows.fetch.address_guard`) checks the host of every hop before
  its request is sent, unless private addresses are allowed; the connection then
  goes to one of the very addresses it checked (`flows.fetch.pinned_connect`), so DNS
  rebinding cannot slip a private address in between.
- The body is read with a cap on DECODED bytes; gzip/deflate are decoded here
  with a bounded zlib output, so a compression bomb costs at most `max_bytes`.
  The cut body is kept and `truncated` is set. `headers` are the final
  answer's headers as received (so they may still say `Content-Encoding`).
- Transient failures are retried (`retries` in total per URL, not per hop):
  refused/reset connections, empty replies, temporary DNS failures,
  500/502/503/504 and 429, with exponential backoff and jitter (capped at
  `max_backoff`); `Retry-After` is honoured up to `retry_after_cap`. A longer
  Retry-After, or a wait that would overrun the deadline, gives the answer as
  it is and says why in `FetchResult.retry_stop`. A bot-protection challenge
  (`extractors.health.bot_challenge`) is never retried: it does not pass by asking again.
- Soft-404 probe: after a deep link answered 2xx, its host is asked ONCE per
  run for a made-up path (`/linkpflege-probe-<random hex>`), with the same
  politeness and robots rules as any request; all that host's results carry the
  answer as `FetchResult.probe` for `extractors.health.soft_404` to compare. The probe
  is never reported as a result of its own.

Time: `timeout` is a TOTAL budget per URL covering DNS, connecting, every hop,
every retry and backoff, and the body. Waiting in the politeness queues is NOT
charged: that wait is our own scheduling, and charging it would turn a busy
host's queue (e.g. the second hop of 500 http→https redirects on one host)
into fake timeouts. So the clock pauses while a request waits for its slot.
Waiting for the host's robots.txt is queueing too (it is fetched once, with
its own small deadline, `robots_timeout`, at most a fifth of `timeout`); the
probe is awaited after the URL's own answer is complete, outside its budget.
`elapsed_s` is the budget used (active time); `checked_at` is when the URL's
work began (UTC).

Politeness, per request (every hop, every retry, robots.txt and the probe are
requests): first a per-host slot (`per_host` at once, request starts at least
`per_host_interval` – or the host's Crawl-delay – apart), then a global slot
(`concurrency`). robots.txt and the probe go to the front of their host's
queue: every result of the host waits for them, bodies included. The host is
taken first so that a host waiting for its interval never sits on global
slots that other hosts could use.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import email.utils
import logging
import random
import re
import secrets
import socket
import ssl
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from extractors.catalog.reader import valid_http_url
from extractors.health.bot_challenge import challenge_reason
from extractors.health.link_health import is_redirect_status
from extractors.health.meta_refresh import find_refresh
from extractors.health.soft_404 import PROBE_PATH_PREFIX, fingerprint_text, needs_probe, page_echoes
from extractors.records import FetchResult, Health, Hop, HostProbe
from extractors.urls.host import host_of
from extractors.urls.redaction import redact_userinfo, redact_userinfo_in_text
from flows.fetch.address_guard import AddressGuard, dns_error_text
from flows.fetch.host_lanes import HostLanes
from flows.fetch.host_pools import HostPoolTransport
from flows.fetch.pinned_connect import AddressRefused, PinnedNetworkBackend, PinnedTransport
from flows.fetch.robots_rules import (
    DISALLOWED_DETAIL,
    ROBOTS_MAX_BYTES,
    RobotsCache,
    RobotsPolicy,
    product_token,
)

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = (
    "Linkpflege/0.1 (+https://github.com/linkpflege/linkpflege; "
    "link checker for curated catalogues)"
)
# Statuses worth asking again: overloaded or briefly broken servers.
RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})
_DECODE_STEP = 64 * 1024
# The robots.txt fetch may use at most this share of a URL's deadline.
ROBOTS_DEADLINE_SHARE = 0.2
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2: follow at least five
# Enough of the probe's answer to fingerprint it.
PROBE_MAX_BYTES = 512 * 1024
_HOSTNAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$", re.IGNORECASE)


# Last night's validators of a URL: (ETag, Last-Modified), either may be None.
Validators = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Knobs of the HTTP engine; plain values only, so settings pickle and hash.

    TLS: `verify_tls=False` turns verification off; `ca_bundle` (a PEM file)
    replaces the default trust store, which is how tests trust a local CA.
    `trust_env` lets httpx read proxy variables and SSL_CERT_FILE.
    robots.txt: `respect_robots` (off = `--ignore-robots`), `crawl_delay_cap`
    (longest Crawl-delay honoured), `robots_timeout` (its deadline, further
    limited to a fifth of `timeout`). `soft_404_probe` asks each host with a 2xx
    deep link once for a made-up path (see `extractors.health.soft_404`).
    """

    concurrency: int = 64
    per_host: int = 2
    per_host_interval: float = 0.5
    timeout: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 10
    retries: int = 2
    backoff_base: float = 0.5
    retry_after_cap: float = 30.0
    max_backoff: float = 10.0
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_addresses: bool = False
    # Intranet hosts a catalogue may name although they resolve to private addresses.
    private_hosts_allowed: tuple[str, ...] = ()
    verify_tls: bool = True
    ca_bundle: str | None = None
    trust_env: bool = True
    respect_robots: bool = True
    crawl_delay_cap: float = 10.0
    robots_timeout: float = 5.0
    soft_404_probe: bool = True

    def __post_init__(self) -> None:
        problems = [
            name
            for name, bad in (
                ("concurrency", self.concurrency < 1),
                ("per_host", self.per_host < 1),
                ("per_host_interval", self.per_host_interval < 0),
                ("timeout", self.timeout <= 0),
                ("max_bytes", self.max_bytes < 0),
                ("max_redirects", self.max_redirects < 0),
                ("retries", self.retries < 0),
                ("backoff_base", self.backoff_base < 0),
                ("retry_after_cap", self.retry_after_cap < 0),
                ("max_backoff", self.max_backoff < 0),
                ("crawl_delay_cap", self.crawl_delay_cap < 0),
                ("robots_timeout", self.robots_timeout <= 0),
            )
            if bad
        ]
        if problems:
            raise ValueError(f"invalid fetch settings: {', '.join(problems)}")

    @property
    def host_width(self) -> int:
        """The most requests one host can have in flight: its limit, within the global one."""
        return min(self.per_host, self.concurrency)


# --------------------------------------------------------------------------- politeness


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


# --------------------------------------------------------------------------- deadline


class _Deadline:
    """One URL's time budget on top of `asyncio.timeout`, paused while queueing."""

    def __init__(self, timer: asyncio.Timeout, budget: float) -> None:
        self._timer = timer
        self._budget = budget
        self._left = budget
        self._loop = asyncio.get_running_loop()
        self._since: float | None = self._loop.time()
        timer.reschedule(self._since + budget)

    def remaining(self) -> float:
        if self._since is None:
            return self._left
        return self._left - (self._loop.time() - self._since)

    def used(self) -> float:
        return max(0.0, self._budget - self.remaining())

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        if self._since is None or self._timer.expired():
            yield
            return
        self._left = self.remaining()
        self._since = None
        self._timer.reschedule(None)
        try:
            yield
        finally:
            self._since = self._loop.time()
            if not self._timer.expired():
                self._timer.reschedule(self._since + max(self._left, 0.0))


# --------------------------------------------------------------------------- body


class _CorruptStream(Exception):
    """A compressed body that does not decode."""


class _ZlibStage:
    """One gzip/deflate layer, decoded in pieces of at most `_DECODE_STEP` bytes.

    zlib allocates its output buffer up front, so each call is capped: a small
    compressed chunk never expands into a huge buffer (compression bombs stay bounded).
    """

    def __init__(self, encoding: str) -> None:
        self._probe_deflate = encoding == "deflate"
        self.fed = False
        if encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)

    @property
    def complete(self) -> bool:
        return self._zlib.eof

    def decode(self, data: bytes) -> Iterator[bytes]:
        self.fed = self.fed or bool(data)
        while not self._zlib.eof:
            try:
                out = self._zlib.decompress(data, _DECODE_STEP)
            except zlib.error as exc:
                if self._probe_deflate:  # "deflate" is sent both with and without zlib header
                    self._probe_deflate = False
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise _CorruptStream from exc
            self._probe_deflate = False
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _DECODE_STEP:
                break  # input used up and no output pending


class _CappedBody:
    """Collects a response body up to `cap` decoded bytes, decoding gzip/deflate itself.

    `encodings` are the Content-Encoding layers in the order the server applied
    them ("gzip, gzip" is two layers); they are undone last-first, piece by
    piece through generators, so every layer holds at most `_DECODE_STEP` bytes
    and decoding stops as soon as the cap is reached, however deep the bomb.
    """

    def __init__(self, cap: int, encodings: Sequence[str] = ()) -> None:
        self.cap = cap
        self.body = bytearray()
        self.truncated = False
        self._stages = [_ZlibStage(e) for e in reversed(encodings)]

    def feed(self, raw: bytes) -> bool:
        """Take one raw chunk; False once the cap is exceeded or the data is corrupt."""
        try:
            for piece in self._decoded(raw, 0):
                if not self._keep(piece):
                    return False
        except _CorruptStream:
            self.truncated = True  # corrupt stream: keep what decoded cleanly
            return False
        return True

    def _decoded(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self._stages):
            yield data
            return
        for piece in self._stages[index].decode(data):
            yield from self._decoded(piece, index + 1)

    def finish(self) -> None:
        """The body ended; a compressed stream that did not reach its end is incomplete."""
        if any(stage.fed and not stage.complete for stage in self._stages):
            self.truncated = True

    def _keep(self, data: bytes) -> bool:
        room = self.cap - len(self.body)
        if len(data) > room:
            self.body += data[:room]
            self.truncated = True
            return False
        self.body += data
        return True


# Content-Encodings we decode ourselves, within the byte cap.
_BOUNDED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})


def content_encodings(value: str | None) -> list[str] | None:
    """The layers of a Content-Encoding header in applied order, or None if one is unknown.

    "identity" layers are dropped. None (br, zstd, compress…) means: not decoded
    at all. We only ask for gzip/deflate; decoding anything else would need a
    decoder we cannot bound (httpx would decode br or zstd whole, if their
    packages happen to be installed), so such bodies are kept as raw bytes.
    """
    layers = [part.strip().lower() for part in (value or "").split(",")]
    layers = [layer for layer in layers if layer and layer != "identity"]
    if any(layer not in _BOUNDED_ENCODINGS for layer in layers):
        return None
    return layers


async def read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """Read a streamed response's decoded body, at most `cap` bytes; (body, truncated)."""
    try:
        already = response.content  # responses built in memory (MockTransport) are pre-read
    except httpx.ResponseNotRead:
        pass
    else:
        capped = _CappedBody(cap)
        capped.feed(already)
        return bytes(capped.body), capped.truncated
    # Always the raw stream: httpx's own decoders are unbounded (see `content_encodings`).
    capped = _CappedBody(cap, content_encodings(response.headers.get("content-encoding")) or ())
    # aclosing: leaving the loop early must close the generator here, not at loop teardown.
    async with contextlib.aclosing(response.aiter_raw()) as chunks:
        async for raw in chunks:
            if not capped.feed(raw):
                break
    capped.finish()
    return bytes(capped.body), capped.truncated


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class _Failure:
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


def failure_from_exception(exc: BaseException, host: str) -> _Failure:
    """Map an httpx/OS exception to a health value, a German detail, and whether to retry."""
    chain = list(_exception_chain(exc))
    for link in chain:
        if isinstance(link, AddressRefused):  # the guard, asked again at connect time
            if link.check.dns_error:
                return _Failure(Health.DNS_ERROR, link.check.dns_error, link.check.dns_transient)
            return _Failure(Health.BLOCKED, str(link.check.blocked_reason))
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return _Failure(Health.TLS_ERROR, tls_detail(link, host))
    for link in chain:
        if isinstance(link, socket.gaierror):
            transient = link.errno == socket.EAI_AGAIN  # "try again": the resolver hiccuped
            return _Failure(Health.DNS_ERROR, dns_error_text(link, host), transient)
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "beim Verbindungsaufbau",
            httpx.ReadTimeout: "beim Lesen",
            httpx.WriteTimeout: "beim Senden",
            httpx.PoolTimeout: "beim Warten auf eine Verbindung",
        }.get(type(exc), "")
        return _Failure(Health.TIMEOUT, f"Zeitüberschreitung {kind}".strip())
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return _Failure(Health.INVALID_URL, f"URL nicht abrufbar: {exc}")
    for link in chain:
        if isinstance(link, ConnectionRefusedError):
            return _Failure(Health.CONNECTION_ERROR, "Verbindung abgelehnt", transient=True)
        if isinstance(link, ConnectionResetError | ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return _Failure(Health.CONNECTION_ERROR, "Verbindung zurückgesetzt", transient=True)
        if isinstance(link, ssl.SSLError):
            reason = getattr(link, "reason", None) or str(link)
            return _Failure(Health.TLS_ERROR, f"TLS-Fehler beim Verbindungsaufbau ({reason})")
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "without sending" in text or "closed" in text:
            return _Failure(Health.CONNECTION_ERROR, "Server schloss ohne Antwort", transient=True)
        return _Failure(Health.CONNECTION_ERROR, f"Fehlerhafte HTTP-Antwort ({text[:120]})")
    if isinstance(exc, httpx.TransportError):
        for link in chain:
            if isinstance(link, OSError) and link.strerror:
                detail = f"Verbindungsfehler ({link.strerror})"
                return _Failure(Health.CONNECTION_ERROR, detail, transient=True)
        text = str(exc) or type(exc).__name__
        return _Failure(Health.CONNECTION_ERROR, f"Verbindungsfehler ({text[:120]})", True)
    return _Failure(Health.CONNECTION_ERROR, f"Unerwarteter Fehler ({type(exc).__name__})")


# --------------------------------------------------------------------------- URLs


def invalid_url_reason(url: str) -> str | None:
    """Why this catalogue URL cannot be fetched (German), or None when it can be tried.

    Agrees with `extractors.catalog.reader.valid_http_url` (the catalogue's own check)
    and adds the reason; surrounding whitespace is forgiven here.
    """
    parsed = parse_fetchable(url)
    return parsed if isinstance(parsed, str) else None


def parse_fetchable(url: str) -> httpx.URL | str:
    """The URL parsed for fetching, or why it cannot be fetched (German).

    Parsed once per URL and handed on: parsing is a noticeable share of the CPU a
    check costs (httpx parses in Python).
    """
    text = url.strip()
    if not text:
        return "leere URL"
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        return f"ungültige URL ({exc})"
    if not parsed.scheme:
        return "keine absolute URL (Schema fehlt)"
    if parsed.scheme not in ("http", "https"):
        return f"nicht unterstütztes Schema {parsed.scheme!r}"
    reason = _invalid_host_reason(parsed)
    if reason is None and not valid_http_url(text):
        reason = "ungültige URL"
    return reason if reason is not None else parsed


def _invalid_host_reason(parsed: httpx.URL) -> str | None:
    host = parsed.raw_host.decode("ascii", "replace")
    if not host:
        return "Hostname fehlt"
    if ":" in host:  # IPv6 literal; httpx already validated it
        return None
    if len(host) > 253 or not _HOSTNAME.match(host):
        return f"ungültiger Hostname {parsed.host!r}"
    return None


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(
    retry_number: int,
    base: float,
    rng: random.Random | None = None,
    cap: float = float("inf"),
) -> float:
    """Exponential backoff with "equal jitter": between half and all of min(base·2^(n-1), cap)."""
    ceiling = min(base * 2 ** min(max(retry_number - 1, 0), 30), cap)
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


# --------------------------------------------------------------------------- one URL


@dataclass(frozen=True, slots=True)
class _Answer:
    """The final HTTP answer of one request (redirects carry no body)."""

    url: httpx.URL
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    truncated: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


class _FetchContext:
    """What all URLs of one `fetch_all` call share: client, limits, guard, robots, probes."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: FetchSettings,
        limiter: HostLimiter,
        guard: AddressGuard,
    ) -> None:
        self.client = client
        self.settings = settings
        self.limiter = limiter
        self.guard = guard
        self.robots: RobotsCache | None = None
        if settings.respect_robots:
            self.robots = RobotsCache(
                self._fetch_robots,
                token=product_token(settings.user_agent),
                crawl_delay_cap=settings.crawl_delay_cap,
                on_policy=self._apply_crawl_delay,
            )
        self._probes: dict[str, asyncio.Task[HostProbe]] = {}

    # robots.txt ---------------------------------------------------------------------

    async def _fetch_robots(self, url: str) -> FetchResult:
        """GET robots.txt: same politeness and guard, 500 KB, five redirects, a small deadline."""
        budget = min(self.settings.robots_timeout, self.settings.timeout * ROBOTS_DEADLINE_SHARE)
        settings = dataclasses.replace(
            self.settings,
            timeout=budget,
            max_bytes=ROBOTS_MAX_BYTES,
            max_redirects=ROBOTS_MAX_REDIRECTS,
            retries=0,  # an unreachable robots.txt means "allowed"; not worth a second wait
        )
        return await _run_url(self, url, settings, obey_robots=False, urgent=True)

    def _apply_crawl_delay(self, policy: RobotsPolicy) -> None:
        if policy.crawl_delay:
            host = httpx.URL(policy.origin).raw_host.decode("ascii").lower()
            self.limiter.slow_down(host, policy.crawl_delay)
        log.debug("%s: %s", policy.origin, policy.note)

    # soft-404 probe -----------------------------------------------------------------

    async def probe_for(self, parsed: httpx.URL) -> HostProbe:
        """The host's answer to a made-up path; asked once per host, shared by its URLs."""
        host = parsed.raw_host.decode("ascii").lower()
        task = self._probes.get(host)
        if task is None:
            task = self._probes[host] = asyncio.create_task(self._probe(parsed))
        return await asyncio.shield(task)

    async def _probe(self, link: httpx.URL) -> HostProbe:
        probe_url = str(link.copy_with(path=PROBE_PATH_PREFIX + secrets.token_hex(8), query=None))
        probe_url = probe_url.split("#", 1)[0]
        settings = dataclasses.replace(
            self.settings, max_bytes=min(self.settings.max_bytes, PROBE_MAX_BYTES)
        )
        try:
            result = await _run_url(self, probe_url, settings, obey_robots=True, urgent=True)
        except Exception as exc:  # a probe must never cost the host's links their verdict
            return HostProbe(url=probe_url, detail=f"Probe gescheitert ({type(exc).__name__})")
        if result.error is not None or result.status is None:
            return HostProbe(url=probe_url, final_url=result.final_url, detail=result.error_detail)
        final = result.final_url or probe_url
        return HostProbe(
            url=probe_url,
            status=result.status,
            final_url=final,
            redirected=bool(result.hops),
            content_type=result.content_type,
            text=fingerprint_text(
                result.body,
                result.header("content-type"),
                echoes=page_echoes(probe_url) + page_echoes(final),
            ),
        )

    async def aclose(self) -> None:
        """Cancel robots fetches and probes nobody waits for any more."""
        if self.robots is not None:
            await self.robots.aclose()
        pending = [task for task in self._probes.values() if not task.done()]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class _UrlRun:
    """The mutable state of fetching one URL: hops so far, attempts, the deadline."""

    def __init__(
        self,
        context: _FetchContext,
        url: str,
        settings: FetchSettings,
        checked_at: dt.datetime,
        *,
        obey_robots: bool = True,
        urgent: bool = False,
        validators: Validators | None = None,
        parsed: httpx.URL | None = None,
    ) -> None:
        self.context = context
        self.validators = validators
        self.urgent = urgent
        self.client = context.client
        self.url = url
        self.settings = settings
        self.limiter = context.limiter
        self.guard = context.guard
        self.checked_at = checked_at
        self.obey_robots = obey_robots and context.robots is not None
        self.current = parsed if parsed is not None else httpx.URL(url.strip())
        self.hops: list[Hop] = []
        self.attempts = 1
        self.retries_left = settings.retries
        self.retry_stop: str | None = None
        self.deadline: _Deadline | None = None

    def result(self, answer: _Answer | None = None, failure: _Failure | None = None) -> FetchResult:
        """The FetchResult so far; `answer` is the last HTTP answer when it matters.

        A failure with an answer (a bad redirect) keeps that answer's status and
        headers; a failure without one (timeout, refused…) has no status.
        Credentials in URLs are masked in everything recorded here (final URL,
        hops, detail; see `extractors.urls.redaction`); `url` stays the URL as
        given, because callers key their results by it.
        """
        detail = failure.detail if failure else None
        return FetchResult(
            url=self.url,
            final_url=redact_userinfo(str(self.current)),
            status=answer.status if answer else None,
            hops=tuple(
                Hop(
                    redact_userinfo(hop.url),
                    hop.status,
                    redact_userinfo(hop.location) if hop.location else hop.location,
                )
                for hop in self.hops
            ),
            headers=answer.headers if answer else (),
            body=answer.body if answer and not failure else b"",
            truncated=answer.truncated if answer and not failure else False,
            error=failure.health if failure else None,
            error_detail=redact_userinfo_in_text(detail) if detail else None,
            attempts=self.attempts,
            elapsed_s=round(self.deadline.used(), 4) if self.deadline else 0.0,
            checked_at=self.checked_at,
            retry_stop=self.retry_stop if answer and not failure else None,
            conditional=self.validators is not None,
        )

    async def follow(self) -> FetchResult:
        """Request, follow redirects (HTTP and quick meta refreshes) by hand, return the result."""
        seen: set[Hop] = set()
        while True:
            outcome = await self._request_with_retries(self.current)
            if isinstance(outcome, _Failure):
                return self.result(failure=outcome)
            location = (outcome.header("location") or "").strip()
            if is_redirect_status(outcome.status) and location:
                try:
                    target = self.current.join(location)
                except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
                    failure = _Failure(Health.INVALID_URL, f"Ungültiges Weiterleitungsziel ({exc})")
                    return self.result(outcome, failure)
            else:
                refresh = self._refresh_target(outcome)
                if refresh is None:
                    return self.result(outcome)
                target = refresh
            hop = Hop(str(self.current), outcome.status, str(target))
            self.hops.append(hop)
            if target.scheme not in ("http", "https"):
                detail = f"Weiterleitung auf nicht unterstütztes Schema {target.scheme!r}"
                return self.result(outcome, _Failure(Health.INVALID_URL, detail))
            bad_host = _invalid_host_reason(target)
            if bad_host:
                detail = f"Weiterleitung: {bad_host}"
                return self.result(outcome, _Failure(Health.INVALID_URL, detail))
            if hop in seen:
                detail = f"Weiterleitungsschleife über {target}"
                return self.result(outcome, _Failure(Health.TOO_MANY_REDIRECTS, detail))
            seen.add(hop)
            if len(self.hops) > self.settings.max_redirects:
                detail = f"Mehr als {self.settings.max_redirects} Weiterleitungen"
                return self.result(outcome, _Failure(Health.TOO_MANY_REDIRECTS, detail))
            self.current = target

    def _refresh_target(self, answer: _Answer) -> httpx.URL | None:
        """Where a 2xx page's quick refresh leads, if it is a redirect worth following.

        Slow refreshes, refreshes to the page itself and targets we cannot fetch
        (javascript:, mailto:, broken URLs) leave the page as the final answer.
        """
        if not 200 <= answer.status < 300:
            return None
        refresh = find_refresh(answer.body, answer.header("content-type"), answer.header("refresh"))
        if refresh is None or not refresh.is_redirect:
            return None
        try:
            base = self.current.join(refresh.base) if refresh.base else self.current
            target = base.join(refresh.target)
        except (httpx.InvalidURL, ValueError, UnicodeError):
            return None
        if target.scheme not in ("http", "https") or _invalid_host_reason(target):
            return None
        if target.copy_with(fragment=None) == self.current.copy_with(fragment=None):
            return None
        return target

    async def _request_with_retries(self, url: httpx.URL) -> _Answer | _Failure:
        self.retry_stop = None
        while True:
            outcome = await self._request(url)
            delay = self._retry_delay(outcome)
            if delay is None:
                return outcome
            self.retries_left -= 1
            self.attempts += 1
            await asyncio.sleep(delay)

    def _retry_delay(self, outcome: _Answer | _Failure) -> float | None:
        """Seconds to wait before asking again, or None to accept this outcome."""
        if self.retries_left <= 0:
            return None
        retry_number = self.settings.retries - self.retries_left + 1
        delay = backoff_delay(
            retry_number, self.settings.backoff_base, cap=self.settings.max_backoff
        )
        if isinstance(outcome, _Failure):
            if not outcome.transient:
                return None
        elif outcome.status in RETRY_STATUSES:
            if challenge_reason(outcome.status, outcome.headers, outcome.body):
                return None  # a bot challenge does not pass by asking again
            now = dt.datetime.now(dt.UTC)
            wait = retry_after_seconds(outcome.header("retry-after"), now)
            if wait is not None:
                if wait > self.settings.retry_after_cap:
                    # The server asks for more patience than we have tonight.
                    self.retry_stop = (
                        f"Retry-After {wait:.0f} s über der Grenze von "
                        f"{self.settings.retry_after_cap:g} s"
                    )
                    return None
                delay = max(delay, wait)
        else:
            return None
        assert self.deadline is not None
        left = self.deadline.remaining()
        if delay >= left:
            if isinstance(outcome, _Answer) and outcome.header("retry-after"):
                self.retry_stop = (
                    f"Retry-After {delay:.0f} s länger als die verbleibende Zeit ({left:.0f} s)"
                )
            return None  # waiting would only turn a real answer into a timeout
        return delay

    def _wire_trace(self, host: str) -> dict[str, object] | None:
        """httpcore's trace hook, telling the limiter when the request headers are sent
        (only where a host has an interval: politeness lifted, nothing to time)."""
        if self.limiter.interval(host) <= 0:
            return None

        async def trace(event: str, info: dict[str, object]) -> None:
            if event == "http11.send_request_headers.complete":
                self.limiter.went_out(host)

        return {"trace": trace}

    async def _request(self, url: httpx.URL) -> _Answer | _Failure:
        """One GET: robots.txt, guard, politeness slot, send, read (redirects: no body)."""
        host = url.raw_host.decode("ascii").lower()
        assert self.deadline is not None
        if self.obey_robots:
            assert self.context.robots is not None
            with self.deadline.paused():  # fetched once per origin; queueing, not our time
                allowed = await self.context.robots.allows(url)
            if not allowed:
                if not self.hops and self.attempts == 1:
                    self.attempts = 0  # nothing was sent
                    return _Failure(Health.BLOCKED, DISALLOWED_DETAIL)
                return _Failure(Health.BLOCKED, f"{DISALLOWED_DETAIL} (Weiterleitungsziel {url})")
        with self.deadline.paused():
            await self.limiter.acquire(host, urgent=self.urgent)
        try:
            if not self.settings.allow_private_addresses and (
                host not in self.settings.private_hosts_allowed
            ):
                port = url.port or (443 if url.scheme == "https" else 80)
                check = await self.guard.check(host, port)
                if check.dns_error:
                    return _Failure(Health.DNS_ERROR, check.dns_error, check.dns_transient)
                if check.blocked_reason:
                    return _Failure(Health.BLOCKED, check.blocked_reason)
            try:
                # Credentials leave the URL and travel as Basic auth (as httpx would send
                # them anyway): httpx logs every request URL at INFO, secrets included.
                auth, target = None, url
                if url.userinfo:
                    auth = httpx.BasicAuth(url.username, url.password)
                    target = url.copy_with(userinfo=b"")
                request = self.client.build_request(
                    "GET", target, extensions=self._wire_trace(host)
                )
                if self.validators is not None and not self.hops:
                    # Only the first request: validators belong to last night's URL.
                    etag, last_modified = self.validators
                    if etag:
                        request.headers["If-None-Match"] = etag
                    if last_modified:
                        request.headers["If-Modified-Since"] = last_modified
                response = await self.client.send(request, stream=True, auth=auth)
            except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                return failure_from_exception(exc, host)
            try:
                headers = tuple(response.headers.multi_items())
                location = response.extensions.get(_LOCATION_KEY)
                if location is not None:
                    headers += (("Location", location),)
                if is_redirect_status(response.status_code) and location and location.strip():
                    return _Answer(url, response.status_code, headers)
                try:
                    body, truncated = await read_capped(response, self.settings.max_bytes)
                except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                    failure = failure_from_exception(exc, host)
                    detail = f"Übertragung abgebrochen: {failure.detail}"
                    return _Failure(failure.health, detail, failure.transient)
                return _Answer(url, response.status_code, headers, body, truncated)
            finally:
                await response.aclose()
        finally:
            self.limiter.release(host)


async def _run_url(
    context: _FetchContext,
    url: str,
    settings: FetchSettings,
    *,
    obey_robots: bool,
    urgent: bool = False,
    validators: Validators | None = None,
    parsed: httpx.URL | None = None,
) -> FetchResult:
    """Fetch one (already valid) URL within `settings.timeout`; never raises for its problems.

    `urgent` requests (robots.txt, the probe) go to the front of their host's queue.
    `parsed` is `url` parsed already, if the caller has it.
    """
    checked_at = dt.datetime.now(dt.UTC)
    run = _UrlRun(
        context,
        url,
        settings,
        checked_at,
        obey_robots=obey_robots,
        urgent=urgent,
        validators=validators,
        parsed=parsed,
    )
    timer = asyncio.timeout(None)
    try:
        async with timer:
            run.deadline = _Deadline(timer, settings.timeout)
            return await run.follow()
    except TimeoutError:
        detail = f"Keine vollständige Antwort innerhalb von {settings.timeout:g} s"
        return run.result(failure=_Failure(Health.TIMEOUT, detail))
    except Exception as exc:  # a bug must not sink the other URLs of the shard
        log.exception("unexpected error while fetching %s", redact_userinfo(url))
        return run.result(failure=failure_from_exception(exc, run.current.host))


_LOCATION_KEY = "linkpflege.location"


async def _take_location(response: httpx.Response) -> None:
    """Response hook: move Location out of httpx's sight into `response.extensions`.

    Even with follow_redirects=False httpx builds the next request for every
    redirect, and raises on a Location it cannot parse (`javascript:…`, broken
    URLs) before we see the answer. We follow redirects by hand, so we take
    the Location away before httpx looks.
    """
    values = response.headers.get_list("location")
    if values:
        response.extensions[_LOCATION_KEY] = values[0]
        del response.headers["location"]


def _ensure_location_hook(client: httpx.AsyncClient) -> None:
    hooks = client.event_hooks
    if _take_location not in hooks["response"]:
        client.event_hooks = {**hooks, "response": [*hooks["response"], _take_location]}


async def fetch_one(
    client: httpx.AsyncClient,
    url: str,
    settings: FetchSettings,
    limiter: HostLimiter,
    *,
    guard: AddressGuard | None = None,
    context: _FetchContext | None = None,
    validators: Validators | None = None,
) -> FetchResult:
    """Fetch one URL within its total deadline; never raises for a per-URL problem.

    `client` should come from `build_client` (any AsyncClient works; the
    Location hook is added to it if missing). `guard` shares DNS answers
    between URLs; without one, each call makes its own. `context` (made by
    `fetch_all`) shares robots.txt and soft-404 probes between URLs; without
    one, this call fetches them for itself.
    """
    _ensure_location_hook(client)
    checked_at = dt.datetime.now(dt.UTC)
    parsed = parse_fetchable(url)
    if isinstance(parsed, str):
        return FetchResult(
            url=url,
            error=Health.INVALID_URL,
            error_detail=parsed,
            attempts=0,
            checked_at=checked_at,
        )
    own_context = context is None
    if context is None:
        guard = guard or AddressGuard(allow_private=settings.allow_private_addresses)
        context = _FetchContext(client, settings, limiter, guard)
    try:
        result = await _run_url(
            context, url, settings, obey_robots=True, validators=validators, parsed=parsed
        )
        result = dataclasses.replace(result, url=url, checked_at=checked_at)
        if settings.soft_404_probe and needs_probe(result):
            result = dataclasses.replace(result, probe=await context.probe_for(parsed))
        return result
    finally:
        if own_context:
            await context.aclose()


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


async def fetch_all(
    urls: Sequence[str],
    settings: FetchSettings,
    *,
    on_result: Callable[[FetchResult], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    keep_bodies: bool = True,
    validators: Mapping[str, Validators] | None = None,
    admission: asyncio.Semaphore | None = None,
) -> dict[str, FetchResult]:
    """Fetch every distinct URL once, politely; results keyed by the URL as given.

    `on_result` is called as each result arrives (for progress or streaming
    writes); an exception raised by it cancels the run and propagates.
    `transport` replaces the network (httpx.MockTransport in pure tests).
    With `keep_bodies=False` the returned results carry no body: a caller that consumes
    bodies in `on_result` then holds at most the bodies in flight, not a whole shard's.
    robots.txt answers and soft-404 probes are shared by all URLs of the call and never
    reported as results of their own. `validators` (URL → ETag, Last-Modified of last
    night's answer) make those URLs conditional requests; a 304 comes back as such.
    `admission`, when given, is acquired before a URL's fetch starts (before its deadline
    runs) and released by the caller once it is done with the result: backpressure that
    bounds the bodies in memory without ever stalling the event loop.
    """
    validators = validators or {}
    unique = list(dict.fromkeys(urls))
    limiter = HostLimiter(settings.concurrency, settings.per_host, settings.per_host_interval)
    guard = AddressGuard(allow_private=settings.allow_private_addresses)
    results: dict[str, FetchResult] = {}

    async def fetch_and_report(url: str) -> None:
        if admission is not None:
            await admission.acquire()
        result = await fetch_one(
            client,
            url,
            settings,
            limiter,
            guard=guard,
            context=context,
            validators=validators.get(url),
        )
        if on_result is not None:
            on_result(result)
        results[url] = result if keep_bodies else dataclasses.replace(result, body=b"")

    async def worker(host: str) -> None:
        while (job := lanes.take(host)) is not None:
            host, url = job
            await fetch_and_report(url)

    lanes = HostLanes(unique, host_of, settings.host_width)
    # Enough workers to keep every slot busy: the concurrency twice over (some wait for
    # robots.txt or a host's interval), and every host its first two workers at once.
    crew = lanes.crew(max(2 * settings.concurrency, 2 * lanes.hosts))
    async with build_client(settings, transport, guard) as client:
        context = _FetchContext(client, settings, limiter, guard)
        try:
            async with asyncio.TaskGroup() as tasks:
                for host in crew:
                    tasks.create_task(worker(host))
        finally:
            await context.aclose()
    return {url: results[url] for url in unique}
