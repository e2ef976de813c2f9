"""The benchmark's simulated web serves what it claims (benchmarks/sim_web.py).

It runs as its own process on 127.0.0.1 … 127.0.0.N; these tests use a tiny
configuration and plain `http.client` so that no redirect is followed behind our back.
"""

from __future__ import annotations

import http.client
import importlib.util
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SIM_WEB_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "sim_web.py"


def _load_sim_web() -> ModuleType:
    # benchmarks/ is not a package; load the file under its own name (dataclasses need it
    # registered in sys.modules).
    spec = importlib.util.spec_from_file_location("sim_web", SIM_WEB_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sim_web"] = module
    spec.loader.exec_module(module)
    return module


sim_web = _load_sim_web()


@pytest.fixture(scope="module")
def web() -> Iterator[sim_web.SimWeb]:
    config = sim_web.SimWebConfig(hosts=3, latency_ms=150, page_kb=4)
    with sim_web.SimWeb(config) as running:
        yield running


def _get(host: str, port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        body = answer.read()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body
    finally:
        connection.close()


def test_link_list_is_deterministic_spread_and_labelled() -> None:
    links = sim_web.build_link_list(2000, 10, 8080)
    assert links == sim_web.build_link_list(2000, 10, 8080)
    assert len({link.url for link in links}) == 2000
    assert Counter(link.host for link in links) == {f"127.0.0.{n}": 200 for n in range(2, 12)}
    kinds = Counter(link.first_status for link in links)
    assert 30 <= kinds[404] <= 90 and 20 <= kinds[301] <= 60  # ≈3 % and ≈2 %
    assert kinds[200] == 2000 - kinds[404] - kinds[301]
    moved_hosts = {link.host for link in links if link.first_status == 301}
    assert len(moved_hosts) >= 5  # not all redirects on one host
    for link in links:
        assert link.url.startswith(f"http://{link.host}:8080/")
        expected = {"/p/": ("ok", True), "/moved/": ("moved", True), "/gone/": ("not_found", False)}
        kind = next(prefix for prefix in expected if prefix in link.url)
        assert (link.expected_health, link.good) == expected[kind]


def test_pages_redirects_and_not_found_answer_as_listed(web: sim_web.SimWeb) -> None:
    links = sim_web.build_link_list(300, 3, web.port)
    by_kind = {s: next(x for x in links if x.first_status == s) for s in (200, 301, 404)}

    page = by_kind[200]
    status, headers, body = _get(page.host, web.port, page.url.split(str(web.port), 1)[1])
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert int(headers["content-length"]) == len(body) >= 4 * 1024
    number = page.url.rsplit("/", 1)[1]
    assert f"<title>Projekt {number} ".encode() in body
    assert headers["linkchecker"]  # lifts LinkChecker's 10 requests/s per host

    moved = by_kind[301]
    path = moved.url.split(str(web.port), 1)[1]
    status, headers, body = _get(moved.host, web.port, path)
    assert (status, headers["location"], body) == (301, path.replace("/moved/", "/p/"), b"")

    gone = by_kind[404]
    status, _, _ = _get(gone.host, web.port, gone.url.split(str(web.port), 1)[1])
    assert status == 404


def test_robots_probe_head_and_stats_per_host(web: sim_web.SimWeb) -> None:
    web.reset()
    port = web.port
    assert _get("127.0.0.3", port, "/robots.txt")[::2] == (200, b"User-agent: *\nAllow: /\n")
    assert _get("127.0.0.3", port, "/linkpflege-probe-7f3a9c")[0] == 404
    assert _get("127.0.0.3", port, "/p/x")[0] == 404  # not a number: unknown path
    status, headers, body = _get("127.0.0.4", port, "/p/5", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) >= 4 * 1024

    stats = web.stats()
    assert set(stats.hosts) == {"127.0.0.2", "127.0.0.3", "127.0.0.4"}
    third = stats.hosts["127.0.0.3"]
    assert (third.requests, third.robots_requests, third.unknown_path_requests) == (3, 1, 2)
    assert third.connections == 3
    assert stats.hosts["127.0.0.4"].requests == 1
    assert stats.hosts["127.0.0.2"].requests == 0  # the control host's calls are not counted
    assert stats.total_requests == 4 and stats.busiest_host_requests == 3
    assert stats.politeness_floor_s(0.5) == 1.5
    assert third.min_gap_s is not None and third.min_gap_s >= 0.14  # 150 ms latency each

    web.reset()
    assert web.stats().total_requests == 0


def test_keep_alive_and_concurrency_are_recorded(web: sim_web.SimWeb) -> None:
    web.reset()
    connection = http.client.HTTPConnection("127.0.0.2", web.port, timeout=10)
    try:
        for number in (1, 2, 3):
            connection.request("GET", f"/p/{number}")
            assert connection.getresponse().read().count(f"Projekt {number}".encode()) >= 2
    finally:
        connection.close()

    # Four requests at once to one host: the server holds each for 150 ms.
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def fetch(number: int) -> None:
        barrier.wait()
        statuses.append(_get("127.0.0.4", web.port, f"/p/{number}")[0])

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stats = web.stats()
    assert statuses == [200] * 4
    assert (stats.hosts["127.0.0.2"].connections, stats.hosts["127.0.0.2"].requests) == (1, 3)
    assert stats.hosts["127.0.0.2"].max_in_flight == 1
    assert stats.hosts["127.0.0.4"].max_in_flight >= 3  # thread start-up may stagger one
    assert stats.max_in_flight_per_host == stats.hosts["127.0.0.4"].max_in_flight


def _load_in_process() -> ModuleType:
    # `from sim_web import …` inside it finds the module registered above.
    path = SIM_WEB_PATH.with_name("sim_web_in_process.py")
    spec = importlib.util.spec_from_file_location("sim_web_in_process", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sim_web_in_process"] = module
    spec.loader.exec_module(module)
    return module


def test_in_process_web_answers_as_the_socket_web_does(web: sim_web.SimWeb) -> None:
    import asyncio

    import httpx

    in_process = _load_in_process().InProcessWeb(web.config)
    paths = ["/p/7", "/moved/8", "/gone/9", "/robots.txt", "/", "/linkpflege-probe-1"]

    async def fetch_all() -> list[tuple[int, str | None, str | None, bytes]]:
        async with httpx.AsyncClient(transport=in_process) as client:
            answers = []
            for path in paths:
                response = await client.get(f"http://127.0.0.3:{web.port}{path}")
                headers = response.headers
                answers.append(
                    (
                        response.status_code,
                        headers.get("location"),
                        headers.get("etag"),
                        response.content,
                    )
                )
            return answers

    answers = asyncio.run(fetch_all())
    for path, (status, location, etag, body) in zip(paths, answers, strict=True):
        real_status, real_headers, real_body = _get("127.0.0.3", web.port, path)
        assert (status, location, etag, body) == (
            real_status,
            real_headers.get("location"),
            real_headers.get("etag"),
            real_body,
        ), path
    counter = in_process.server.counters["127.0.0.3"]
    assert (counter.requests, counter.robots_requests, counter.unknown_path_requests) == (6, 1, 1)
    assert counter.in_flight == 0 and counter.max_in_flight == 1
    assert counter.min_gap_s is not None and counter.min_gap_s >= 0.14  # its latency each
