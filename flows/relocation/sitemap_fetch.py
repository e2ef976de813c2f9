"""A host's sitemap entries, fetched politely: robots.txt's `Sitemap:` lines, else
`/sitemap.xml`, index files followed breadth-first.

Every request goes through the engine (`flows.fetch.engine.fetch_one`) in one shared context
for the whole walk: one robots.txt fetch (its rules and Crawl-delay apply; a sitemap it
disallows comes back `blocked` and is never requested), one per-host limiter (the run's
`per_host` and `per_host_interval`), the SSRF guard with pinned connections. The soft-404
probe is off: a sitemap is not a deep link to judge.

Bounds: at most `max_files` sitemap files (robots.txt not counted), each URL once (an index
that names itself or loops is read once), at most 50,000 entries per file (`read_sitemap`),
and `max_bytes` decoded bytes per file. The engine's body cap is set to `max_bytes` for these
requests (the protocol allows 50 MB; the run's usual cap of 5 MB would cut most large ones);
a file over it is read truncated, with the entries complete so far. A gzipped file (raw
`application/gzip`, as `.xml.gz` usually comes) is gunzipped here within the same `max_bytes`,
so a compression bomb costs at most that; gzip as Content-Encoding the engine undoes itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from extractors.records import FetchResult
from extractors.relocation.sitemaps import (
    GZIP_MAGIC,
    MAX_SITEMAP_BYTES,
    SitemapFile,
    gunzip_bounded,
    read_sitemap,
    sitemap_urls_from_robots,
)
from flows.fetch.address_guard import AddressGuard
from flows.fetch.engine import fetch_one
from flows.fetch.fetch_context import FetchContext
from flows.fetch.host_limiter import HostLimiter
from flows.fetch.http_client import build_client
from flows.fetch.settings import FetchSettings

ROBOTS_TXT_MAX_BYTES = 500_000


async def host_sitemap_urls(
    host_base: str,
    settings: FetchSettings,
    *,
    max_files: int = 10,
    max_bytes: int = MAX_SITEMAP_BYTES,
) -> list[tuple[str, str | None]]:
    """Every `(loc, lastmod)` the host's sitemaps list, first seen first, without repeats.

    `host_base` is "https://www.example.de" (a path after it is ignored). Never raises for
    a network problem: an unreachable host has no entries.
    """
    base = "/".join(host_base.split("/", 3)[:3])  # scheme://host[:port], any path dropped
    sitemap_settings = dataclasses.replace(settings, max_bytes=max_bytes, soft_404_probe=False)
    async with _PoliteWalk(sitemap_settings) as walk:
        robots = (await walk.fetch([f"{base}/robots.txt"], max_bytes=ROBOTS_TXT_MAX_BYTES))[0]
        robots_text = _ok_body(robots).decode("utf-8", errors="replace")
        level = sitemap_urls_from_robots(robots_text) or [f"{base}/sitemap.xml"]
        seen: set[str] = set()
        entries: dict[str, str | None] = {}
        while level and len(seen) < max_files:
            level = [url for url in dict.fromkeys(level) if url not in seen]
            level = level[: max_files - len(seen)]
            seen.update(level)
            children: list[str] = []
            for result in await walk.fetch(level):
                sitemap = _read(result, max_bytes)
                children.extend(sitemap.children)
                for loc, lastmod in sitemap.entries:
                    entries.setdefault(loc, lastmod)
            level = children
    return list(entries.items())


def _ok_body(result: FetchResult) -> bytes:
    if result.error is not None or result.status is None or not 200 <= result.status < 300:
        return b""
    return result.body


def _read(result: FetchResult, max_bytes: int) -> SitemapFile:
    body, cut = _ok_body(result), result.truncated
    if body.startswith(GZIP_MAGIC):
        body, gunzip_cut = gunzip_bounded(body, max_bytes)
        cut = cut or gunzip_cut  # a cut gzip stream decodes as far as it goes
    return read_sitemap(body, cut=cut)


class _PoliteWalk:
    """One engine context for several rounds of requests: shared robots.txt, limiter, guard.

    `fetch_all` builds a fresh context per call; a walk of sitemap levels is one visit to the
    host, so it keeps one (the host's interval then holds between levels too).
    """

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.guard = AddressGuard(allow_private=settings.allow_private_addresses)
        self.limiter = HostLimiter(
            settings.concurrency, settings.per_host, settings.per_host_interval
        )

    async def __aenter__(self) -> _PoliteWalk:
        self.client = build_client(self.settings, None, self.guard)
        await self.client.__aenter__()
        self.context = FetchContext(self.client, self.settings, self.limiter, self.guard)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.context.aclose()
        finally:
            await self.client.__aexit__(*exc_info)

    async def fetch(
        self, urls: Sequence[str], *, max_bytes: int | None = None
    ) -> list[FetchResult]:
        """The answers for `urls`, in order, fetched concurrently within the politeness."""
        settings = self.settings
        if max_bytes is not None:
            settings = dataclasses.replace(settings, max_bytes=max_bytes)
        return list(
            await asyncio.gather(
                *(
                    fetch_one(
                        self.client,
                        url,
                        settings,
                        self.limiter,
                        guard=self.guard,
                        context=self.context,
                    )
                    for url in urls
                )
            )
        )
