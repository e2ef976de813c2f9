"""What all URLs of one `fetch_all` call share: client, limiter, guard, robots, probes.

robots.txt is fetched once per origin (its Crawl-delay slows the host down), the
soft-404 probe once per host; both run through `url_run` like any URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets

import httpx

from extractors.health.host_probe import PROBE_PATH_PREFIX, fingerprint_text, page_echoes
from extractors.records import FetchResult, HostProbe
from flows.fetch.address_guard import AddressGuard
from flows.fetch.host_limiter import HostLimiter
from flows.fetch.robots_rules import ROBOTS_MAX_BYTES, RobotsCache, RobotsPolicy, product_token
from flows.fetch.settings import FetchSettings
from flows.fetch.url_run import run_url

log = logging.getLogger(__name__)

# The robots.txt fetch may use at most this share of a URL's deadline.
ROBOTS_DEADLINE_SHARE = 0.2
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2: follow at least five
# Enough of the probe's answer to fingerprint it.
PROBE_MAX_BYTES = 512 * 1024


class FetchContext:
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
        return await run_url(self, url, settings, obey_robots=False, urgent=True)

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
            result = await run_url(self, probe_url, settings, obey_robots=True, urgent=True)
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
