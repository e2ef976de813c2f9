"""The HTTP engine against real sockets (tests/local_web.py) and, for pure logic, MockTransport.

Every test that talks to 127.0.0.1 passes allow_private_addresses=True, except
the ones proving that the SSRF guard refuses it. Timings assert bounds, not speed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import itertools
import random
import socket
import ssl
import time
import tracemalloc
import zlib
from collections.abc import Sequence

import httpx
import pytest
from local_web import LocalWeb, Reply, closed_port

from extractors.health.link_health import classify
from extractors.records import FetchResult, Health, Hop, LinkHealth
from flows.fetch.address_guard import AddressGuard, blocked_reason_for, resolve_and_check
from flows.fetch.engine import fetch_all
from flows.fetch.failures import failure_from_exception
from flows.fetch.fetchable_urls import invalid_url_reason
from flows.fetch.host_limiter import HostLimiter
from flows.fetch.host_pools import HostPoolTransport
from flows.fetch.pinned_connect import PinnedTransport
from flows.fetch.retries import backoff_delay, retry_after_seconds
from flows.fetch.settings import DEFAULT_USER_AGENT, FetchSettings

MIB = 1024 * 1024


def local_settings(**overrides: object) -> FetchSettings:
    """Fast settings for the local server: no interval, tiny backoff, loopback allowed.

    robots.txt and the soft-404 probe are off here, so request counts and timings
    concern only the URLs under test; tests/fetch/test_link_health_web.py runs with both on.
    """
    values: dict[str, object] = {
        "allow_private_addresses": True,
        "per_host": 8,
        "per_host_interval": 0.0,
        "timeout": 5.0,
        "backoff_base": 0.05,
        "trust_env": False,  # a developer's HTTP_PROXY must not reroute 127.0.0.1
        "respect_robots": False,
        "soft_404_probe": False,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


def fetch(urls: Sequence[str], **overrides: object) -> dict[str, FetchResult]:
    return asyncio.run(fetch_all(urls, local_settings(**overrides)))


def fetch_one_url(url: str, **overrides: object) -> tuple[FetchResult, LinkHealth]:
    result = fetch([url], **overrides)[url]
    return result, classify(result)


@pytest.fixture
def web() -> LocalWeb:
    with LocalWeb() as server:
        yield server  # type: ignore[misc]


# --------------------------------------------------------------------------- one case per health


def test_ok_with_body_user_agent_and_timestamps(web: LocalWeb) -> None:
    web.route("/page", Reply.html("<title>Hallo</title>"))
    before = dt.datetime.now(dt.UTC)
    result, health = fetch_one_url(web.url("/page"))
    assert health.health is Health.OK
    assert result.status == 200 and result.attempts == 1 and not result.truncated
    assert result.body == b"<title>Hallo</title>"
    assert result.content_type == "text/html"
    assert result.checked_at is not None and result.checked_at.tzinfo is dt.UTC
    assert before <= result.checked_at <= dt.datetime.now(dt.UTC)
    assert 0 < result.elapsed_s < 5
    seen = web.requests_to("/page")
    assert [r.method for r in seen] == ["GET"]  # streamed GET, never HEAD
    assert seen[0].headers["user-agent"] == DEFAULT_USER_AGENT
    assert "gzip" in seen[0].headers["accept-encoding"]


def test_custom_user_agent_arrives(web: LocalWeb) -> None:
    web.route("/ua", Reply.html("x"))
    fetch([web.url("/ua")], user_agent="Linkpflege-Test/9")
    assert web.requests_to("/ua")[0].headers["user-agent"] == "Linkpflege-Test/9"


def test_temporary_redirect_is_redirected_with_every_hop_recorded(web: LocalWeb) -> None:
    web.route("/old", Reply.redirect("/tmp", 302))
    web.route("/tmp", Reply.html("ok"))
    result, health = fetch_one_url(web.url("/old"))
    assert health.health is Health.REDIRECTED
    assert result.hops == (Hop(web.url("/old"), 302, web.url("/tmp")),)
    assert result.final_url == web.url("/tmp") == health.final_url


def test_permanent_redirect_is_moved_and_suggests_the_new_url(web: LocalWeb) -> None:
    web.route("/dir/old", Reply.redirect("new", 301))  # relative Location, resolved per RFC 3986
    web.route("/dir/new", Reply.redirect("/final", 308))
    web.route("/final", Reply.html("ok"))
    result, health = fetch_one_url(web.url("/dir/old"))
    assert health.health is Health.MOVED
    assert health.final_url == web.url("/final")
    assert [hop.status for hop in result.hops] == [301, 308]
    assert result.hops[0].location == web.url("/dir/new")


def test_not_found_plain_and_at_the_end_of_a_chain(web: LocalWeb) -> None:
    web.route("/missing", Reply.html("nope", status=404))
    web.route("/start", Reply.redirect("/gone", 301))
    web.route("/gone", Reply.html("weg", status=410))
    results = fetch([web.url("/missing"), web.url("/start")])
    missing = classify(results[web.url("/missing")])
    assert (missing.health, missing.http_status) == (Health.NOT_FOUND, 404)
    gone = classify(results[web.url("/start")])
    assert (gone.health, gone.http_status, gone.final_url) == (
        Health.NOT_FOUND,
        410,
        web.url("/gone"),
    )
    assert results[web.url("/start")].attempts == 1  # 4xx is not retried


def test_server_error_persisting_after_retries(web: LocalWeb) -> None:
    web.route("/broken", Reply.html("boom", status=500))
    result, health = fetch_one_url(web.url("/broken"), retries=2)
    assert health.health is Health.SERVER_ERROR and health.http_status == 500
    assert result.attempts == 3 and web.count("/broken") == 3


def test_one_503_then_200_is_ok_after_a_retry(web: LocalWeb) -> None:
    web.route("/flaky", Reply(status=503), Reply.html("wieder da"))
    result, health = fetch_one_url(web.url("/flaky"))
    assert health.health is Health.OK
    assert result.attempts == 2 and web.count("/flaky") == 2
    assert result.body == b"wieder da"


def test_retry_after_within_the_cap_is_honoured(web: LocalWeb) -> None:
    web.route("/busy", Reply(status=503, headers=(("Retry-After", "1"),)), Reply.html("ok"))
    result, health = fetch_one_url(web.url("/busy"))
    assert health.health is Health.OK and result.attempts == 2
    first, second = web.requests_to("/busy")
    assert second.at - first.at >= 0.95


def test_429_with_retry_after_beyond_the_cap_is_blocked_at_once(web: LocalWeb) -> None:
    web.route("/limited", Reply(status=429, headers=(("Retry-After", "3600"),)))
    started = time.monotonic()
    result, health = fetch_one_url(web.url("/limited"))
    assert time.monotonic() - started < 2
    assert health.health is Health.BLOCKED and health.http_status == 429
    assert health.detail is not None and "3600" in health.detail
    assert result.attempts == 1 and web.count("/limited") == 1


def test_persistent_429_without_retry_after_is_blocked_after_retries(web: LocalWeb) -> None:
    web.route("/limited", Reply(status=429))
    result, health = fetch_one_url(web.url("/limited"))
    assert health.health is Health.BLOCKED and result.attempts == 3


@pytest.mark.parametrize(("status", "word"), [(403, "Zugriff verweigert"), (401, "Anmeldung")])
def test_forbidden_and_unauthorised_are_blocked(web: LocalWeb, status: int, word: str) -> None:
    web.route("/closed", Reply.html("no", status=status))
    result, health = fetch_one_url(web.url("/closed"))
    assert health.health is Health.BLOCKED and health.http_status == status
    assert health.detail is not None and word in health.detail
    assert result.attempts == 1


def test_total_deadline_beats_a_server_that_drips_forever(web: LocalWeb) -> None:
    # Each byte would satisfy any read timeout; only a total deadline ends this.
    web.route("/drip", Reply(drip=0.2, drip_forever=True))
    started = time.monotonic()
    result, health = fetch_one_url(web.url("/drip"), timeout=1.0)
    took = time.monotonic() - started
    assert health.health is Health.TIMEOUT
    assert 0.95 <= took < 1.5, took
    assert result.status is None and result.attempts == 1
    assert web.bytes_sent("/drip") >= 3  # the server really was dripping


def test_total_deadline_beats_a_server_that_never_answers(web: LocalWeb) -> None:
    web.route("/hang", Reply(delay=30))
    started = time.monotonic()
    _, health = fetch_one_url(web.url("/hang"), timeout=0.5)
    assert health.health is Health.TIMEOUT
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("allow_private", [False, True])
def test_unresolvable_host_is_a_dns_error(allow_private: bool) -> None:
    # RFC 2606: .invalid never resolves. With the guard on, the guard's lookup
    # fails; with it off, httpx's lookup fails and its exception is mapped.
    url = "http://nonexistent.invalid/"
    result, health = fetch_one_url(url, allow_private_addresses=allow_private)
    assert health.health is Health.DNS_ERROR
    assert health.detail is not None and "nonexistent.invalid" in health.detail
    assert result.attempts == 1  # a name that does not exist is not retried


def test_closed_port_is_a_connection_error_after_retries() -> None:
    result, health = fetch_one_url(f"http://127.0.0.1:{closed_port()}/")
    assert health.health is Health.CONNECTION_ERROR
    assert health.detail == "Verbindung abgelehnt"
    assert result.attempts == 3


@pytest.mark.parametrize(
    ("reset", "detail"),
    [(False, "Server schloss ohne Antwort"), (True, "Verbindung zurückgesetzt")],
)
def test_server_closing_without_reply_is_a_connection_error(
    web: LocalWeb, reset: bool, detail: str
) -> None:
    web.route("/silent", Reply(close_without_reply=True, reset=reset))
    result, health = fetch_one_url(web.url("/silent"))
    assert health.health is Health.CONNECTION_ERROR and health.detail == detail
    assert result.attempts == 3 and web.count("/silent") == 3


def test_empty_reply_once_then_ok_is_retried_to_ok(web: LocalWeb) -> None:
    web.route("/once", Reply(close_without_reply=True), Reply.html("ok"))
    result, health = fetch_one_url(web.url("/once"))
    assert health.health is Health.OK and result.attempts == 2


@pytest.mark.parametrize(
    ("kind", "health", "word"),
    [
        ("valid", Health.OK, None),
        ("expired", Health.TLS_ERROR, "abgelaufen"),
        ("wrong_host", Health.TLS_ERROR, "gilt nicht für 127.0.0.1"),
        ("untrusted", Health.TLS_ERROR, "nicht vertrauenswürdig"),
    ],
)
def test_tls_certificates(kind: str, health: Health, word: str | None) -> None:
    with LocalWeb(tls=kind) as server:
        server.route("/", Reply.html("sicher"))
        result, judged = fetch_one_url(server.url("/"), ca_bundle=server.ca_pem_path)
    assert judged.health is health
    if word is None:
        assert result.body == b"sicher"
    else:
        assert judged.detail is not None and word in judged.detail
        assert result.attempts == 1  # a bad certificate does not get better by asking again


def test_tls_verification_can_be_switched_off() -> None:
    with LocalWeb(tls="expired") as server:
        server.route("/", Reply.html("egal"))
        _, judged = fetch_one_url(server.url("/"), verify_tls=False)
    assert judged.health is Health.OK


def test_private_address_is_blocked_before_any_request(web: LocalWeb) -> None:
    web.route("/secret", Reply.html("intern"))
    urls = [web.url("/secret"), f"http://localhost:{web.port}/secret"]
    results = fetch(urls, allow_private_addresses=False)
    for url in urls:
        judged = classify(results[url])
        assert judged.health is Health.BLOCKED, url
        assert judged.detail is not None and "Loopback" in judged.detail
    assert web.count("/secret") == 0


def test_redirect_loop_and_overlong_chain_are_too_many_redirects(web: LocalWeb) -> None:
    web.route("/loop-a", Reply.redirect("/loop-b"))
    web.route("/loop-b", Reply.redirect("/loop-a"))
    for n in range(12):
        web.route(f"/chain/{n}", Reply.redirect(f"/chain/{n + 1}", 301))
    web.route("/chain/12", Reply.html("end"))
    web.route("/ten/0", Reply.redirect("/chain/3", 301))  # exactly 10 hops to /chain/12
    results = fetch([web.url("/loop-a"), web.url("/chain/0"), web.url("/ten/0")])
    loop = results[web.url("/loop-a")]
    assert loop.error is Health.TOO_MANY_REDIRECTS
    assert loop.error_detail is not None and "schleife" in loop.error_detail
    assert web.count("/loop-a") == 2 and web.count("/loop-b") == 1
    long = results[web.url("/chain/0")]
    assert long.error is Health.TOO_MANY_REDIRECTS and len(long.hops) == 11
    assert web.count("/chain/11") == 1 and web.count("/chain/12") == 1  # only via /ten/0
    assert classify(results[web.url("/ten/0")]).health is Health.MOVED


def test_meta_refresh_hops_count_against_the_redirect_limit(web: LocalWeb) -> None:
    refresh = '<html><head><meta http-equiv="refresh" content="0; url=/m3"></head></html>'
    web.route("/m1", Reply.redirect("/m2", 301))
    web.route("/m2", Reply.html(refresh))
    web.route("/m3", Reply.html("<p>Ziel</p>"))
    results = fetch([web.url("/m1")], max_redirects=1)
    limited = results[web.url("/m1")]
    assert limited.error is Health.TOO_MANY_REDIRECTS
    assert [hop.status for hop in limited.hops] == [301, 200]
    assert web.count("/m3") == 0
    result, health = fetch_one_url(web.url("/m1"), max_redirects=2)
    assert health.health is Health.REDIRECTED and result.body == b"<p>Ziel</p>"


def test_same_url_redirect_that_then_answers_is_not_a_loop(web: LocalWeb) -> None:
    # Cookie dances: /login sets a cookie and sends the client to itself once.
    web.route(
        "/login",
        Reply(status=302, headers=(("Location", "/login"), ("Set-Cookie", "s=1; Path=/"))),
        Reply.html("drin"),
    )
    result, health = fetch_one_url(web.url("/login"))
    assert health.health is Health.REDIRECTED and result.body == b"drin"
    assert web.requests_to("/login")[1].headers.get("cookie") == "s=1"


@pytest.mark.parametrize(
    ("url", "word"),
    [("ftp://x", "Schema"), ("not a url", "Schema"), ("", "leer"), ("http://", "Hostname")],
)
def test_invalid_catalogue_urls_are_never_requested(url: str, word: str) -> None:
    result, health = fetch_one_url(url)
    assert health.health is Health.INVALID_URL
    assert health.detail is not None and word in health.detail
    assert result.attempts == 0


def test_redirect_to_javascript_is_invalid_url(web: LocalWeb) -> None:
    web.route("/js", Reply.redirect("javascript:alert(1)"))
    result, health = fetch_one_url(web.url("/js"))
    assert health.health is Health.INVALID_URL
    assert health.detail is not None and "javascript" in health.detail
    assert result.hops == (Hop(web.url("/js"), 302, "javascript:alert(1)"),)


def test_redirect_without_location_is_a_server_error(web: LocalWeb) -> None:
    web.route("/nowhere", Reply(status=302))
    _, health = fetch_one_url(web.url("/nowhere"))
    assert health.health is Health.SERVER_ERROR and health.http_status == 302


# --------------------------------------------------------------------------- politeness


def arrival_gaps(web: LocalWeb, paths: set[str]) -> list[float]:
    """Gaps between the server's arrival times of requests to `paths`, in arrival order."""
    arrivals = sorted(seen.at for seen in web.requests if seen.path in paths)
    return [later - earlier for earlier, later in itertools.pairwise(arrivals)]


# The server sees arrivals, not starts. A first request also pays for the TCP
# connect, so the interval tests send a warm-up request first and measure only
# the requests that reuse its keep-alive connection (arrival = start + constant).


def test_requests_to_one_host_start_at_least_the_interval_apart(web: LocalWeb) -> None:
    paths = [f"/p{n}" for n in range(5)]
    for path in ["/warm", *paths]:
        web.route(path, Reply.html("x"))
    urls = [web.url(path) for path in ["/warm", *paths]]
    results = fetch(urls, per_host=1, per_host_interval=0.2)
    assert all(classify(r).health is Health.OK for r in results.values())
    assert len({seen.client_port for seen in web.requests}) == 1  # one keep-alive connection
    gaps = arrival_gaps(web, set(paths))
    assert len(gaps) == 4 and min(gaps) >= 0.19, gaps


def test_redirect_hops_and_retries_also_keep_the_interval(web: LocalWeb) -> None:
    web.route("/warm", Reply.html("x"))
    web.route("/hop", Reply.redirect("/retry"))
    web.route("/retry", Reply(status=503), Reply.html("ok"))
    results = fetch([web.url("/warm"), web.url("/hop")], per_host=1, per_host_interval=0.25)
    result = results[web.url("/hop")]
    assert classify(result).health is Health.REDIRECTED and result.attempts == 2
    gaps = arrival_gaps(web, {"/hop", "/retry"})
    assert len(gaps) == 2 and min(gaps) >= 0.24, gaps


class _LateFirstSend(httpx.AsyncBaseTransport):
    """Our own per-origin transport, but /slow reaches the wire 0.3 s after its grant: as a
    request does that must first open a connection (DNS, TCP, a slow TLS handshake)."""

    def __init__(self) -> None:
        self.inner = HostPoolTransport(
            lambda: PinnedTransport(
                None, ssl_context=ssl.create_default_context(), limits=httpx.Limits()
            ),
            quiet_after=60.0,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/slow":
            await asyncio.sleep(0.3)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_the_interval_counts_from_when_a_request_reaches_the_wire(web: LocalWeb) -> None:
    # Granted 0.5 s apart, /slow went out 0.3 s late: counted from the grants, /fast would
    # reach the server 0.2 s after /slow. The interval must hold where the server sees it.
    for path in ("/slow", "/fast"):
        web.route(path, Reply.html("x"))
    urls = [web.url("/slow"), web.url("/fast")]
    settings = local_settings(per_host=2, per_host_interval=0.5)
    results = asyncio.run(fetch_all(urls, settings, transport=_LateFirstSend()))
    assert all(classify(r).health is Health.OK for r in results.values())
    arrivals = {seen.path: seen.at for seen in web.requests}
    assert arrivals["/fast"] - arrivals["/slow"] >= 0.45, arrivals


def test_two_hosts_proceed_in_parallel() -> None:
    with LocalWeb("127.0.0.1") as one, LocalWeb("127.0.0.2") as two:
        for server in (one, two):
            for n in range(3):
                server.route(f"/p{n}", Reply.html("x"))
        urls = [server.url(f"/p{n}") for n in range(3) for server in (one, two)]
        started = time.monotonic()
        fetch(urls, per_host=1, per_host_interval=0.3)
        took = time.monotonic() - started
        first_one, first_two = one.requests[0].at, two.requests[0].at
    # Sequential would take ≥ 1.5 s; each host alone needs ≥ 0.6 s.
    assert abs(first_one - first_two) < 0.15
    assert 0.6 <= took < 1.2, took


def test_a_host_waiting_for_its_interval_does_not_hold_global_slots() -> None:
    # One global slot. Host A has three URLs and a long interval; host B's single
    # URL must not wait behind A's interval sleeps.
    with LocalWeb("127.0.0.1") as a, LocalWeb("127.0.0.2") as b:
        for n in range(3):
            a.route(f"/a{n}", Reply.html("x"))
        b.route("/b", Reply.html("x"))
        urls = [a.url("/a0"), a.url("/a1"), a.url("/a2"), b.url("/b")]
        fetch(urls, concurrency=1, per_host=1, per_host_interval=0.5)
        b_start = b.requests[0].at
        a_starts = [seen.at for seen in a.requests]
    assert b_start - a_starts[0] < 0.3
    assert b_start < a_starts[1]


def test_waiting_in_the_host_queue_does_not_count_against_the_deadline(web: LocalWeb) -> None:
    # The fifth request starts ≥ 1.6 s after the first, beyond a 1 s deadline.
    for n in range(5):
        web.route(f"/q{n}", Reply.html("x"))
    urls = [web.url(f"/q{n}") for n in range(5)]
    results = fetch(urls, per_host=1, per_host_interval=0.4, timeout=1.0)
    assert [classify(results[url]).health for url in urls] == [Health.OK] * 5
    assert all(r.elapsed_s < 1.0 for r in results.values())


async def _peaks(limiter: HostLimiter, hosts: Sequence[str]) -> tuple[int, int]:
    """Run one short request per entry of `hosts`; the highest per-host and total overlap."""
    active: dict[str, int] = {}
    peak_host = peak_total = 0

    async def request(host: str) -> None:
        nonlocal peak_host, peak_total
        await limiter.acquire(host)
        try:
            active[host] = active.get(host, 0) + 1
            peak_host = max(peak_host, active[host])
            peak_total = max(peak_total, sum(active.values()))
            await asyncio.sleep(0.01)
            active[host] -= 1
        finally:
            limiter.release(host)

    await asyncio.gather(*(request(host) for host in hosts))
    return peak_host, peak_total


def test_host_limiter_bounds_concurrency_per_host_and_globally() -> None:
    three_hosts = [f"h{n % 3}" for n in range(30)]
    limiter = HostLimiter(concurrency=10, per_host=2, interval=0.0)
    assert asyncio.run(_peaks(limiter, three_hosts)) == (2, 6)
    limiter = HostLimiter(concurrency=4, per_host=5, interval=0.0)
    assert asyncio.run(_peaks(limiter, ["h"] * 20)) == (4, 4)


# --------------------------------------------------------------------------- bodies


def fetch_with_peak_memory(url: str, **overrides: object) -> tuple[FetchResult, int]:
    """Fetch one URL and report the traced memory peak while fetch_all ran.

    Measured inside the event loop: asyncio.run's teardown finalises httpx's
    abandoned stream generators, and anyio then reprs the finished main task,
    whose result holds the bodies (a FetchResult repr includes its body).
    """

    async def run() -> tuple[FetchResult, int]:
        tracemalloc.start()
        try:
            results = await fetch_all([url], local_settings(**overrides))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return results[url], peak

    return asyncio.run(run())


def test_byte_cap_truncates_a_huge_body_with_bounded_memory(web: LocalWeb) -> None:
    web.route("/huge", Reply.big(20 * MIB))
    result, peak = fetch_with_peak_memory(web.url("/huge"), max_bytes=1 * MIB)
    health = classify(result)
    assert health.health is Health.OK
    assert result.truncated and len(result.body) == 1 * MIB
    assert peak < 6 * MIB, peak
    assert web.bytes_sent("/huge") < 20 * MIB  # we hung up early


def test_gzip_bomb_is_bounded_by_the_decoded_cap(web: LocalWeb) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MIB)
    bomb = b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()  # 64 MiB inside
    assert len(bomb) < MIB // 8
    web.route("/bomb", Reply(body=bomb, headers=(("Content-Encoding", "gzip"),)))
    result, peak = fetch_with_peak_memory(web.url("/bomb"), max_bytes=1 * MIB)
    assert result.truncated and len(result.body) == 1 * MIB and set(result.body) == {0}
    assert peak < 6 * MIB, peak


@pytest.mark.parametrize("encoding", ["gzip", "deflate-zlib", "deflate-raw"])
def test_compressed_bodies_are_decoded(web: LocalWeb, encoding: str) -> None:
    text = ("<p>Gesundheitskarte für Geflüchtete</p>" * 200).encode()
    if encoding == "gzip":
        packed, header = gzip.compress(text), "gzip"
    elif encoding == "deflate-zlib":
        packed, header = zlib.compress(text), "deflate"
    else:
        raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        packed, header = raw.compress(text) + raw.flush(), "deflate"
    web.route("/z", Reply(body=packed, headers=(("Content-Encoding", header),)))
    result, health = fetch_one_url(web.url("/z"))
    assert health.health is Health.OK
    assert result.body == text and not result.truncated


def test_body_of_exactly_the_cap_is_not_truncated(web: LocalWeb) -> None:
    web.route("/exact", Reply(body=b"y" * 1000))
    web.route("/over", Reply(body=b"y" * 1001))
    results = fetch([web.url("/exact"), web.url("/over")], max_bytes=1000)
    assert not results[web.url("/exact")].truncated
    over = results[web.url("/over")]
    assert over.truncated and len(over.body) == 1000


@pytest.mark.parametrize("damage", ["cut", "garbage"])
def test_damaged_gzip_keeps_what_decoded_and_flags_truncation(web: LocalWeb, damage: str) -> None:
    text = b"hallo welt " * 5000
    packed = gzip.compress(text)
    half = len(packed) // 2
    broken = packed[:half] if damage == "cut" else packed[:half] + b"\xff" * half
    web.route("/bad", Reply(body=broken, headers=(("Content-Encoding", "gzip"),)))
    result, health = fetch_one_url(web.url("/bad"))
    assert health.health is Health.OK and result.truncated
    assert result.body.startswith(b"hallo welt hallo welt")


# --------------------------------------------------------------------------- fetch_all contract


def test_fetch_all_fetches_duplicates_once_and_reports_each_result(web: LocalWeb) -> None:
    web.route("/one", Reply.html("1"))
    web.route("/two", Reply.html("2"))
    urls = [web.url("/one"), web.url("/two"), web.url("/one"), "ftp://nope"]
    seen: list[str] = []

    async def run() -> dict[str, FetchResult]:
        return await fetch_all(urls, local_settings(), on_result=lambda r: seen.append(r.url))

    results = asyncio.run(run())
    assert list(results) == [web.url("/one"), web.url("/two"), "ftp://nope"]
    assert sorted(seen) == sorted(results)
    assert web.count("/one") == 1


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="per_host"):
        FetchSettings(per_host=0)
    with pytest.raises(ValueError, match="timeout"):
        FetchSettings(timeout=0)


# --------------------------------------------------------------------------- MockTransport (pure)


def mock_fetch(
    handler: httpx.MockTransport, urls: Sequence[str], **overrides: object
) -> dict[str, FetchResult]:
    quick: dict[str, object] = {
        "per_host_interval": 0.0,
        "backoff_base": 0.0,
        "trust_env": False,
        "respect_robots": False,
        "soft_404_probe": False,
    }
    settings = FetchSettings(**{**quick, **overrides})  # type: ignore[arg-type]
    return asyncio.run(fetch_all(urls, settings, transport=handler))


def test_mock_redirect_resolution_and_hop_guard() -> None:
    # Public IP literals need no DNS; the transport never touches the network.
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        routes = {
            "http://93.184.216.34/a/b": httpx.Response(301, headers={"Location": "../c?x=1"}),
            "http://93.184.216.34/c?x=1": httpx.Response(302, headers={"Location": "//1.1.1.1/d"}),
            "http://1.1.1.1/d": httpx.Response(200, text="ende"),
            "http://93.184.216.34/meta": httpx.Response(
                302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
            ),
        }
        return routes.get(str(request.url), httpx.Response(404))

    results = mock_fetch(
        httpx.MockTransport(answer), ["http://93.184.216.34/a/b", "http://93.184.216.34/meta"]
    )
    chain = results["http://93.184.216.34/a/b"]
    assert [hop.location for hop in chain.hops] == [
        "http://93.184.216.34/c?x=1",
        "http://1.1.1.1/d",
    ]
    assert classify(chain).health is Health.REDIRECTED and chain.body == b"ende"
    metadata = classify(results["http://93.184.216.34/meta"])
    assert metadata.health is Health.BLOCKED
    assert metadata.detail is not None and "Metadaten" in metadata.detail
    assert not any("169.254" in url for url in asked)


def test_mock_retries_are_a_budget_per_url_not_per_hop() -> None:
    calls: dict[str, int] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        calls[path] = calls.get(path, 0) + 1
        if path == "/a" and calls[path] > 1:
            return httpx.Response(302, headers={"Location": "/b"})
        return httpx.Response(503)

    result = mock_fetch(httpx.MockTransport(answer), ["http://93.184.216.34/a"], retries=2)[
        "http://93.184.216.34/a"
    ]
    assert calls == {"/a": 2, "/b": 2}
    assert result.attempts == 3 and classify(result).health is Health.SERVER_ERROR


# --------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("ip", "word"),
    [
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("127.0.0.1", "Loopback"),
        ("127.8.9.10", "Loopback"),
        ("::1", "Loopback"),
        ("[::1]", "Loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.178.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "Metadaten"),
        ("169.254.1.1", "Link-local"),
        ("fe80::1%eth0", "Link-local"),
        ("224.0.0.1", "Multicast"),
        ("ff02::1", "Multicast"),
        ("0.0.0.0", "unspezifiziert"),
        ("::", "unspezifiziert"),
        ("240.0.0.1", "reserviert"),
        ("100.64.0.1", "Carrier-NAT"),
        ("::ffff:127.0.0.1", "Loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "Metadaten"),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::7f00:1", "Loopback"),  # NAT64 of 127.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("not-an-ip", "keine gültige"),
    ],
)
def test_blocked_reason_for(ip: str, word: str | None) -> None:
    reason = blocked_reason_for(ip)
    if word is None:
        assert reason is None
    else:
        assert reason is not None and word in reason


def test_ip_literals_are_checked_without_dns() -> None:
    async def scenario() -> tuple[object, object]:
        loop = asyncio.get_running_loop()

        async def no_dns(*args: object, **kwargs: object) -> object:
            raise AssertionError("DNS must not be asked about an IP literal")

        loop.getaddrinfo = no_dns  # type: ignore[method-assign]
        blocked = await resolve_and_check("[::ffff:192.168.0.1]", 80, allow_private=False)
        allowed = await resolve_and_check("192.168.0.1", 80, allow_private=True)
        return blocked, allowed

    blocked, allowed = asyncio.run(scenario())
    assert blocked.blocked_reason is not None and "private" in blocked.blocked_reason  # type: ignore[attr-defined]
    assert allowed.allowed and allowed.addresses == ("192.168.0.1",)  # type: ignore[attr-defined]


def test_guard_blocks_a_name_when_any_address_is_private() -> None:
    async def scenario() -> object:
        loop = asyncio.get_running_loop()

        async def fake_dns(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
            stream = socket.SocketKind.SOCK_STREAM
            return [
                (socket.AF_INET, stream, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, stream, 6, "", ("10.0.0.5", port)),
            ]

        loop.getaddrinfo = fake_dns  # type: ignore[method-assign]
        guard = AddressGuard(allow_private=False)
        return await guard.check("mixed.example", 443)

    check = asyncio.run(scenario())
    assert check.addresses == ("93.184.216.34", "10.0.0.5")  # type: ignore[attr-defined]
    assert "10.0.0.5" in check.blocked_reason  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.kgst.de/fluechtlinge", True),
        (" https://www.kgst.de/ ", True),
        ("http://[::1]:8080/x", True),
        ("https://bücher.example/", True),
        ("ftp://x", False),
        ("mailto:a@b.example", False),
        ("not a url", False),
        ("", False),
        ("http://", False),
        ("http://exa mple.org/", False),
        ("http://1.2.3.4:99999/", False),
    ],
)
def test_invalid_url_reason(url: str, ok: bool) -> None:
    assert (invalid_url_reason(url) is None) is ok


def test_retry_after_forms() -> None:
    now = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Sat, 01 Mar 2025 12:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Sat, 01 Mar 2025 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("bald", now) is None
    assert retry_after_seconds(None, now) is None


def test_backoff_is_exponential_with_bounded_jitter() -> None:
    rng = random.Random(7)
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0)]:
        for _ in range(50):
            assert ceiling / 2 <= backoff_delay(retry, 0.5, rng) <= ceiling


def test_exception_mapping_walks_cause_chains() -> None:
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = OSError("All connection attempts failed")
    refused.__cause__.__cause__ = ConnectionRefusedError(111, "refused")
    assert failure_from_exception(refused, "h").detail == "Verbindung abgelehnt"
    lookup = httpx.ConnectError("[Errno -2]")
    lookup.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert failure_from_exception(lookup, "h").health is Health.DNS_ERROR
    grouped = httpx.ConnectError("x")
    grouped.__cause__ = ExceptionGroup("many", [ConnectionResetError(104, "reset")])
    assert failure_from_exception(grouped, "h").detail == "Verbindung zurückgesetzt"
    handshake = httpx.ConnectError("x")
    handshake.__cause__ = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    assert failure_from_exception(handshake, "h").health is Health.TLS_ERROR
    assert failure_from_exception(httpx.ReadTimeout("t"), "h").health is Health.TIMEOUT
    assert failure_from_exception(httpx.UnsupportedProtocol("u"), "h").health is Health.INVALID_URL


def test_backoff_is_capped() -> None:
    rng = random.Random(3)
    assert all(2.5 <= backoff_delay(12, 0.5, rng, cap=5.0) <= 5.0 for _ in range(50))
    assert backoff_delay(10_000, 0.5, rng, cap=1.0) <= 1.0  # no overflow for silly counts


def test_temporary_dns_failure_is_worth_a_retry_but_a_missing_name_is_not() -> None:
    again = httpx.ConnectError("x")
    again.__cause__ = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert failure_from_exception(again, "h").transient
    missing = httpx.ConnectError("x")
    missing.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert not failure_from_exception(missing, "h").transient


def test_host_limiter_slow_down_spaces_later_starts() -> None:
    async def starts() -> list[float]:
        limiter = HostLimiter(concurrency=4, per_host=4, interval=0.0)
        loop = asyncio.get_running_loop()
        times: list[float] = []
        for _ in range(3):
            await limiter.acquire("h")
            times.append(loop.time())
            limiter.release("h")
            limiter.slow_down("h", 0.1)  # a Crawl-delay arrives after the first request
        limiter.slow_down("h", 0.01)  # never faster than already set
        assert limiter.interval("h") == 0.1 and limiter.interval("other") == 0.0
        return times

    times = asyncio.run(starts())
    assert all(later - earlier >= 0.095 for earlier, later in itertools.pairwise(times))


def test_urgent_requests_jump_the_host_queue_and_cancelled_waiters_leak_no_slot() -> None:
    async def order() -> tuple[list[str], int]:
        limiter = HostLimiter(concurrency=10, per_host=1, interval=0.0)
        served: list[str] = []
        await limiter.acquire("h")  # the host is busy

        async def wait(name: str, urgent: bool) -> None:
            await limiter.acquire("h", urgent=urgent)
            served.append(name)
            await asyncio.sleep(0)
            limiter.release("h")

        tasks = [asyncio.create_task(wait(f"n{n}", False)) for n in range(3)]
        await asyncio.sleep(0)
        gone = asyncio.create_task(wait("cancelled", False))
        tasks.append(asyncio.create_task(wait("probe", True)))
        await asyncio.sleep(0)
        gone.cancel()
        limiter.release("h")
        await asyncio.gather(*tasks)
        await asyncio.gather(gone, return_exceptions=True)
        # All slots came back: a fresh acquire does not wait.
        await asyncio.wait_for(limiter.acquire("h"), 0.5)
        return served, len(served)

    served, count = asyncio.run(order())
    assert served == ["probe", "n0", "n1", "n2"] and count == 4
