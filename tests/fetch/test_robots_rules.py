"""`flows.fetch.robots_rules` without a network: answers in, policies out; the cache shares one
fetch."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from extractors.records import FetchResult, Health
from flows.fetch.robots_rules import (
    DEFAULT_PRODUCT_TOKEN,
    RobotsCache,
    RobotsPolicy,
    origin_of,
    policy_from_answer,
    product_token,
    robots_url,
)

ORIGIN = "https://www.musterstadt.de"
TOKEN = "Linkpflege"


def robots(text: str, status: int = 200) -> FetchResult:
    url = robots_url(ORIGIN)
    return FetchResult(url=url, final_url=url, status=status, body=text.encode())


def policy(text: str, status: int = 200, cap: float = 10.0) -> RobotsPolicy:
    return policy_from_answer(ORIGIN, robots(text, status), TOKEN, cap)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/intern/", False),
        ("/intern/akte.pdf", False),
        ("/internationales/", True),  # a prefix rule is a path prefix, not a word prefix
        ("/intern", True),
        ("/Intern/", True),  # paths are case-sensitive
        ("/", True),
    ],
)
def test_prefix_semantics(path: str, allowed: bool) -> None:
    rules = policy("User-agent: *\nDisallow: /intern/\n")
    assert rules.allows(ORIGIN + path, TOKEN) is allowed


def test_our_group_wins_over_star_and_allow_beats_disallow_on_longer_match() -> None:
    text = (
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: linkpflege\nDisallow: /projekte/\nAllow: /projekte/oeffentlich\n"
    )
    rules = policy(text)
    assert rules.allows(ORIGIN + "/fluechtlinge", TOKEN)
    assert not rules.allows(ORIGIN + "/projekte/intern", TOKEN)
    assert rules.allows(ORIGIN + "/projekte/oeffentlich/seite", TOKEN)
    assert not rules.allows(ORIGIN + "/fluechtlinge", "Fremdbot")  # the "*" group


def test_wildcards_and_end_anchor() -> None:
    rules = policy("User-agent: *\nDisallow: /*.pdf$\nDisallow: /*?sessionid=\n")
    assert not rules.allows(ORIGIN + "/flyer.pdf", TOKEN)
    assert rules.allows(ORIGIN + "/flyer.pdf.html", TOKEN)
    assert not rules.allows(ORIGIN + "/seite?sessionid=1", TOKEN)


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_missing_or_forbidden_robots_txt_allows_everything(status: int) -> None:
    rules = policy("User-agent: *\nDisallow: /\n", status=status)
    assert rules.rules is None and rules.allows(ORIGIN + "/x", TOKEN)
    assert f"HTTP {status}" in rules.note


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_robots_txt_allows_everything_by_choice(status: int) -> None:
    rules = policy("User-agent: *\nDisallow: /\n", status=status)
    assert rules.allows(ORIGIN + "/x", TOKEN) and "alles erlaubt" in rules.note


def test_unreachable_robots_txt_allows_everything_and_says_why() -> None:
    failed = FetchResult(url=robots_url(ORIGIN), error=Health.TIMEOUT, error_detail="zu langsam")
    rules = policy_from_answer(ORIGIN, failed, TOKEN, 10.0)
    assert rules.allows(ORIGIN + "/x", TOKEN) and "zu langsam" in rules.note


def test_crawl_delay_of_the_matching_group_is_capped() -> None:
    text = "User-agent: *\nCrawl-delay: 2\n\nUser-agent: Linkpflege\nCrawl-delay: 3600\n"
    assert policy(text, cap=10.0).crawl_delay == 10.0
    assert policy("User-agent: *\nCrawl-delay: 2\n").crawl_delay == 2.0
    assert policy("User-agent: *\nDisallow:\n").crawl_delay is None
    assert policy("User-agent: *\nRequest-rate: 1/5s\n").crawl_delay == 5.0


def test_html_served_as_robots_txt_allows_everything() -> None:
    # Hosts that answer every address with their homepage do so for /robots.txt, too.
    rules = policy("<html><body><h1>Willkommen</h1><p>Disallow nothing</p></body></html>")
    assert rules.allows(ORIGIN + "/fluechtlinge", TOKEN)


@pytest.mark.parametrize(
    ("agent", "token"),
    [
        ("Linkpflege/0.1 (+https://github.com/linkpflege/linkpflege)", "Linkpflege"),
        ("Linkpflege-Test/9", "Linkpflege-Test"),
        ("  ", DEFAULT_PRODUCT_TOKEN),
        ("0.1 kaputt", DEFAULT_PRODUCT_TOKEN),
    ],
)
def test_product_token(agent: str, token: str) -> None:
    assert product_token(agent) == token


def test_origin_is_scheme_host_and_non_default_port() -> None:
    assert origin_of(httpx.URL("https://WWW.Example.org/a?b")) == "https://www.example.org"
    assert origin_of(httpx.URL("http://example.org:80/")) == "http://example.org"
    assert origin_of(httpx.URL("http://127.0.0.1:8080/x")) == "http://127.0.0.1:8080"
    assert origin_of(httpx.URL("http://[::1]:8080/x")) == "http://[::1]:8080"


def test_cache_shares_one_fetch_among_concurrent_askers() -> None:
    asked: list[str] = []
    told: list[RobotsPolicy] = []

    async def scenario() -> list[bool]:
        release = asyncio.Event()

        async def fetch(url: str) -> FetchResult:
            asked.append(url)
            await release.wait()  # everybody queues behind the one fetch in flight
            return FetchResult(
                url=url, final_url=url, status=200, body=b"User-agent: *\nDisallow: /intern/\n"
            )

        cache = RobotsCache(fetch, token=TOKEN, crawl_delay_cap=10.0, on_policy=told.append)
        closed = [f"{ORIGIN}/intern/{n}" for n in range(5)]
        urls = closed + [f"{ORIGIN}/offen/{n}" for n in range(5)]
        waiting = [asyncio.create_task(cache.allows(httpx.URL(url))) for url in urls]
        await asyncio.sleep(0.01)
        release.set()
        verdicts = await asyncio.gather(*waiting)
        verdicts.append(await cache.allows(httpx.URL("http://www.musterstadt.de/intern/x")))
        await cache.aclose()
        return verdicts

    verdicts = asyncio.run(scenario())
    assert verdicts == [False] * 5 + [True] * 5 + [False]
    # one fetch per origin: https and http are two origins (RFC 9309)
    assert asked == [ORIGIN + "/robots.txt", "http://www.musterstadt.de/robots.txt"]
    assert len(told) == 2


def test_a_failing_fetch_allows_everything() -> None:
    async def fetch(url: str) -> FetchResult:
        raise RuntimeError("kaputt")

    async def scenario() -> tuple[bool, RobotsPolicy]:
        cache = RobotsCache(fetch, token=TOKEN, crawl_delay_cap=10.0)
        allowed = await cache.allows(httpx.URL(ORIGIN + "/x"))
        return allowed, await cache.policy_for(httpx.URL(ORIGIN + "/y"))

    allowed, rules = asyncio.run(scenario())
    assert allowed and "gescheitert" in rules.note


def test_close_cancels_a_fetch_nobody_waits_for() -> None:
    async def fetch(url: str) -> FetchResult:
        await asyncio.sleep(30)
        raise AssertionError("never reached")

    async def scenario() -> bool:
        cache = RobotsCache(fetch, token=TOKEN, crawl_delay_cap=10.0)
        asker = asyncio.create_task(cache.allows(httpx.URL(ORIGIN + "/x")))
        await asyncio.sleep(0.01)
        asker.cancel()  # its own deadline, say; shield keeps the shared fetch alive
        await cache.aclose()
        return all(task.done() for task in cache._tasks.values())

    assert asyncio.run(scenario())
