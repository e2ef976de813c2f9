"""robots.txt: fetched once per origin and run, shared by all URLs in flight, obeyed.

The parser is protego (maintained, RFC 9309 matching: longest match wins, Allow
beats Disallow on ties, `*` and `$` wildcards, plain rules are path prefixes, so
`Disallow: /intern/` does not cover `/internationales/`). Groups are matched by
our product token ("Linkpflege", the User-Agent's first word) and fall back to
`*`; the full User-Agent string is never matched against groups, because it
also contains words like "github".

How an answer becomes a policy (RFC 9309 §2.3.1, one deliberate deviation):
- 2xx: the file is parsed (at most `ROBOTS_MAX_BYTES`, the RFC's 500 KiB floor).
- 4xx (including 401/403): "unavailable" – everything is allowed (as the RFC says).
- 5xx, or no answer at all (timeout, refused, DNS, TLS): everything is allowed.
  RFC 9309 asks crawlers to assume complete disallow while robots.txt is
  unreachable. We do not: a link checker asks for each catalogue page once a
  night, far below the load robots.txt is meant to regulate; "disallow" would
  turn every link of a host with a flaky robots.txt into `blocked` and hide
  real breakage from the editors for as long as the server is sick; and the
  per-host interval, concurrency and any earlier Crawl-delay still apply.
  The decision is visible in `RobotsPolicy.note`.

`Crawl-delay` (and `Request-rate`, as seconds per request) of the matching group
becomes the host's minimum interval, capped at `crawl_delay_cap` so one hostile
file cannot stall a run; the fetcher applies it.

The fetch itself is injected (a callable returning a `FetchResult`), so this
module knows nothing of clients, politeness or deadlines; the engine makes the
robots request with its politeness, SSRF guard, byte cap and a small deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from protego import Protego

from extractors.records import FetchResult

ROBOTS_MAX_BYTES = 500_000
DEFAULT_PRODUCT_TOKEN = "Linkpflege"
DISALLOWED_DETAIL = "robots.txt verbietet den Abruf"
_PRODUCT_TOKEN = re.compile(r"^[A-Za-z_-]+")


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """What one origin's robots.txt says to us. `rules` None means: everything allowed."""

    origin: str
    rules: Protego | None = None
    crawl_delay: float | None = None
    note: str = ""

    def allows(self, url: str, token: str) -> bool:
        if self.rules is None:
            return True
        return self.rules.can_fetch(url, token)


def product_token(user_agent: str) -> str:
    """The robots.txt product token of a User-Agent: "Linkpflege/0.1 (…)" → "Linkpflege"."""
    match = _PRODUCT_TOKEN.match(user_agent.strip())
    return match.group(0) if match else DEFAULT_PRODUCT_TOKEN


def origin_of(url: httpx.URL) -> str:
    """scheme://host[:port] – the scope of one robots.txt (RFC 9309 §2.3)."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    host = url.raw_host.decode("ascii").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{url.port}" if url.port and url.port != default else ""
    return f"{url.scheme}://{host}{port}"


def robots_url(origin: str) -> str:
    return f"{origin}/robots.txt"


def policy_from_answer(
    origin: str, result: FetchResult, token: str, crawl_delay_cap: float
) -> RobotsPolicy:
    """Interpret the robots.txt fetch (see the module docstring for the rules)."""
    status = result.status
    if result.error is not None or status is None:
        detail = result.error_detail or (result.error.value if result.error else "keine Antwort")
        return RobotsPolicy(origin, note=f"robots.txt nicht erreichbar ({detail}) – alles erlaubt")
    if 400 <= status < 500:
        return RobotsPolicy(origin, note=f"robots.txt fehlt (HTTP {status}) – alles erlaubt")
    if not 200 <= status < 300:
        return RobotsPolicy(origin, note=f"robots.txt mit HTTP {status} – alles erlaubt")
    text = result.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
    try:
        rules = Protego.parse(text)
    except Exception as exc:  # a parser bug must not stop the host's links
        return RobotsPolicy(
            origin, note=f"robots.txt unlesbar ({type(exc).__name__}) – alles erlaubt"
        )
    delay = _delay_seconds(rules, token)
    if delay is not None:
        delay = min(delay, crawl_delay_cap)
    return RobotsPolicy(origin, rules, delay, note=f"robots.txt gelesen (HTTP {status})")


def _delay_seconds(rules: Protego, token: str) -> float | None:
    """Crawl-delay, or Request-rate as seconds per request; the larger when both are set."""
    delays: list[float] = []
    crawl_delay = rules.crawl_delay(token)
    if crawl_delay is not None:
        delays.append(float(crawl_delay))
    rate = rules.request_rate(token)
    if rate is not None and rate.requests > 0:
        delays.append(rate.seconds / rate.requests)
    return max(delays) if delays else None


class RobotsCache:
    """One policy per origin per run; concurrent askers share the single fetch in flight.

    `fetch(robots_url)` makes the request; `on_policy(policy)` is told each new
    policy once (the engine uses it to apply Crawl-delay to its host limiter).
    A fetch that raises still yields an allow-all policy: robots.txt handling
    must never cost a host its links.
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[FetchResult]],
        *,
        token: str,
        crawl_delay_cap: float,
        on_policy: Callable[[RobotsPolicy], None] | None = None,
    ) -> None:
        self._fetch = fetch
        self.token = token
        self._cap = crawl_delay_cap
        self._on_policy = on_policy
        self._tasks: dict[str, asyncio.Task[RobotsPolicy]] = {}

    async def policy_for(self, url: httpx.URL) -> RobotsPolicy:
        origin = origin_of(url)
        task = self._tasks.get(origin)
        if task is None:
            task = self._tasks[origin] = asyncio.create_task(self._load(origin))
        # shield: one asker giving up (its own deadline) must not cancel the shared fetch.
        return await asyncio.shield(task)

    async def allows(self, url: httpx.URL) -> bool:
        policy = await self.policy_for(url)
        return policy.allows(str(url), self.token)

    async def _load(self, origin: str) -> RobotsPolicy:
        try:
            result = await self._fetch(robots_url(origin))
            policy = policy_from_answer(origin, result, self.token, self._cap)
        except Exception as exc:
            policy = RobotsPolicy(
                origin, note=f"robots.txt-Abruf gescheitert ({exc!r}) – alles erlaubt"
            )
        if self._on_policy is not None:
            self._on_policy(policy)
        return policy

    @property
    def fetched_origins(self) -> tuple[str, ...]:
        return tuple(self._tasks)

    async def aclose(self) -> None:
        """Cancel fetches nobody waits for any more (the run is over)."""
        pending = [task for task in self._tasks.values() if not task.done()]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
