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

Where the parts live (all in `flows.fetch`): `settings`, `host_limiter`
(politeness), `url_run` (one URL within its deadline: requests, retries,
redirects), `fetch_context` (robots.txt and probes shared per call), `http_client`,
`bodies`, `failures`, `retries`, `fetchable_urls`; here only `fetch_one` and
`fetch_all` with its crew of workers over host lanes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import httpx

from extractors.health.host_probe import needs_probe
from extractors.records import FetchResult, Health
from extractors.urls.host import host_of
from flows.fetch.address_guard import AddressGuard
from flows.fetch.fetch_context import FetchContext
from flows.fetch.fetchable_urls import parse_fetchable
from flows.fetch.host_lanes import HostLanes
from flows.fetch.host_limiter import HostLimiter
from flows.fetch.http_client import build_client, ensure_location_hook
from flows.fetch.settings import FetchSettings, Validators
from flows.fetch.url_run import run_url


async def fetch_one(
    client: httpx.AsyncClient,
    url: str,
    settings: FetchSettings,
    limiter: HostLimiter,
    *,
    guard: AddressGuard | None = None,
    context: FetchContext | None = None,
    validators: Validators | None = None,
) -> FetchResult:
    """Fetch one URL within its total deadline; never raises for a per-URL problem.

    `client` should come from `build_client` (any AsyncClient works; the
    Location hook is added to it if missing). `guard` shares DNS answers
    between URLs; without one, each call makes its own. `context` (made by
    `fetch_all`) shares robots.txt and soft-404 probes between URLs; without
    one, this call fetches them for itself.
    """
    ensure_location_hook(client)
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
        context = FetchContext(client, settings, limiter, guard)
    try:
        result = await run_url(
            context, url, settings, obey_robots=True, validators=validators, parsed=parsed
        )
        result = dataclasses.replace(result, url=url, checked_at=checked_at)
        if settings.soft_404_probe and needs_probe(result):
            result = dataclasses.replace(result, probe=await context.probe_for(parsed))
        return result
    finally:
        if own_context:
            await context.aclose()


async def fetch_all(
    urls: Sequence[str],
    settings: FetchSettings,
    *,
    on_result: Callable[[FetchResult], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    keep_bodies: bool = True,
    validators: Mapping[str, Validators] | None = None,
    admission: asyncio.Semaphore | None = None,
    collect: bool = True,
) -> dict[str, FetchResult]:
    """Fetch every distinct URL once, politely; results keyed by the URL as given
    (`collect=False`: none, for a caller that takes each result in `on_result` and must not
    hold a whole shard's results).

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
        if collect:
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
        context = FetchContext(client, settings, limiter, guard)
        try:
            async with asyncio.TaskGroup() as tasks:
                for host in crew:
                    tasks.create_task(worker(host))
        finally:
            await context.aclose()
    return {url: results[url] for url in unique} if collect else {}
