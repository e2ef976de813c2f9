"""One URL fetched within its total deadline; never raises for the URL's own problems.

Per request: robots.txt check, politeness slot, SSRF guard, conditional headers on
the first; then the capped body, retries, and redirects (HTTP and quick meta
refreshes) followed by hand as hops.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from extractors.health.bot_challenge import challenge_reason
from extractors.health.link_health import is_redirect_status
from extractors.health.meta_refresh import find_refresh
from extractors.records import FetchResult, Health, Hop
from extractors.urls.redaction import redact_userinfo, redact_userinfo_in_text
from flows.fetch.bodies import read_capped
from flows.fetch.failures import Failure, failure_from_exception
from flows.fetch.fetchable_urls import invalid_host_reason
from flows.fetch.http_client import LOCATION_KEY
from flows.fetch.retries import RETRY_STATUSES, backoff_delay, retry_after_seconds
from flows.fetch.robots_rules import DISALLOWED_DETAIL
from flows.fetch.settings import FetchSettings, Validators

if TYPE_CHECKING:  # types only: fetch_context imports `run_url` from here
    from flows.fetch.fetch_context import FetchContext

log = logging.getLogger(__name__)


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


class _UrlRun:
    """The mutable state of fetching one URL: hops so far, attempts, the deadline."""

    def __init__(
        self,
        context: FetchContext,
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

    def result(self, answer: _Answer | None = None, failure: Failure | None = None) -> FetchResult:
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
            if isinstance(outcome, Failure):
                return self.result(failure=outcome)
            location = (outcome.header("location") or "").strip()
            if is_redirect_status(outcome.status) and location:
                try:
                    target = self.current.join(location)
                except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
                    failure = Failure(Health.INVALID_URL, f"Ungültiges Weiterleitungsziel ({exc})")
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
                return self.result(outcome, Failure(Health.INVALID_URL, detail))
            bad_host = invalid_host_reason(target)
            if bad_host:
                detail = f"Weiterleitung: {bad_host}"
                return self.result(outcome, Failure(Health.INVALID_URL, detail))
            if hop in seen:
                detail = f"Weiterleitungsschleife über {target}"
                return self.result(outcome, Failure(Health.TOO_MANY_REDIRECTS, detail))
            seen.add(hop)
            if len(self.hops) > self.settings.max_redirects:
                detail = f"Mehr als {self.settings.max_redirects} Weiterleitungen"
                return self.result(outcome, Failure(Health.TOO_MANY_REDIRECTS, detail))
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
        if target.scheme not in ("http", "https") or invalid_host_reason(target):
            return None
        if target.copy_with(fragment=None) == self.current.copy_with(fragment=None):
            return None
        return target

    async def _request_with_retries(self, url: httpx.URL) -> _Answer | Failure:
        self.retry_stop = None
        while True:
            outcome = await self._request(url)
            delay = self._retry_delay(outcome)
            if delay is None:
                return outcome
            self.retries_left -= 1
            self.attempts += 1
            await asyncio.sleep(delay)

    def _retry_delay(self, outcome: _Answer | Failure) -> float | None:
        """Seconds to wait before asking again, or None to accept this outcome."""
        if self.retries_left <= 0:
            return None
        retry_number = self.settings.retries - self.retries_left + 1
        delay = backoff_delay(
            retry_number, self.settings.backoff_base, cap=self.settings.max_backoff
        )
        if isinstance(outcome, Failure):
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

    async def _request(self, url: httpx.URL) -> _Answer | Failure:
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
                    return Failure(Health.BLOCKED, DISALLOWED_DETAIL)
                return Failure(Health.BLOCKED, f"{DISALLOWED_DETAIL} (Weiterleitungsziel {url})")
        with self.deadline.paused():
            await self.limiter.acquire(host, urgent=self.urgent)
        try:
            if not self.settings.allow_private_addresses and (
                host not in self.settings.private_hosts_allowed
            ):
                port = url.port or (443 if url.scheme == "https" else 80)
                check = await self.guard.check(host, port)
                if check.dns_error:
                    return Failure(Health.DNS_ERROR, check.dns_error, check.dns_transient)
                if check.blocked_reason:
                    return Failure(Health.BLOCKED, check.blocked_reason)
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
                location = response.extensions.get(LOCATION_KEY)
                if location is not None:
                    headers += (("Location", location),)
                if is_redirect_status(response.status_code) and location and location.strip():
                    return _Answer(url, response.status_code, headers)
                try:
                    body, truncated = await read_capped(response, self.settings.max_bytes)
                except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                    failure = failure_from_exception(exc, host)
                    detail = f"Übertragung abgebrochen: {failure.detail}"
                    return Failure(failure.health, detail, failure.transient)
                return _Answer(url, response.status_code, headers, body, truncated)
            finally:
                await response.aclose()
        finally:
            self.limiter.release(host)


async def run_url(
    context: FetchContext,
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
        return run.result(failure=Failure(Health.TIMEOUT, detail))
    except Exception as exc:  # a bug must not sink the other URLs of the shard
        log.exception("unexpected error while fetching %s", redact_userinfo(url))
        return run.result(failure=failure_from_exception(exc, run.current.host))
