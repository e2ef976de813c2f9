"""Fault injection: hostile servers, SSRF attempts and credentials in URLs (issue 7).

Every case runs through the real engine – `flows.fetch.engine.fetch_all`, then
`extractors.page_observation.observe` (health + `extract_facts` on the body, as a run does) –
with a 2 s per-URL deadline and a 1 MB byte cap. Each must end within the deadline
plus a margin, with the expected health, and the process's peak RSS may grow by at
most `MEMORY_BOUND_MB` (peak reset through /proc/self/clear_refs before each case).
Bounds are generous on purpose: they catch hangs and unbounded buffers, not speed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gzip
import itertools
import logging
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from hostile_server import (
    HostileServer,
    drip,
    head,
    hold,
    reset_after,
    send_all,
    stream,
)
from local_run import local_run_settings

import flows.fetch.address_guard as address_guard
from extractors.facts.page_facts import extract_facts
from extractors.health.link_health import classify
from extractors.page_observation import observe
from extractors.records import FetchResult, Health
from extractors.urls.redaction import redact_userinfo, redact_userinfo_in_text
from flows.fetch.engine import fetch_all
from flows.fetch.settings import FetchSettings
from flows.harvest_flow import harvest
from flows.run_settings import load_settings

MIB = 1024 * 1024
DEADLINE = 2.0
MAX_BYTES = 1 * MIB
MARGIN = 1.5  # seconds on top of the deadline: scheduling, extraction, teardown
MEMORY_BOUND_MB = 150
RUN_DATE = dt.date(2026, 11, 26)


def hostile_settings(**overrides: object) -> FetchSettings:
    values: dict[str, object] = {
        "allow_private_addresses": True,
        "per_host": 8,
        "per_host_interval": 0.0,
        "timeout": DEADLINE,
        "max_bytes": MAX_BYTES,
        "retries": 1,
        "backoff_base": 0.05,
        "trust_env": False,
        "respect_robots": False,
        "soft_404_probe": False,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- measuring


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} missing in /proc/self/status")


def _reset_peak() -> None:
    # Writing 5 resets VmHWM to the current RSS (Linux ≥ 4.0).
    Path("/proc/self/clear_refs").write_text("5")


@dataclass
class Outcome:
    result: FetchResult
    health: Health
    title: str | None
    seconds: float
    growth_mb: float


def run_case(url: str, settings: FetchSettings | None = None) -> Outcome:
    """One URL through fetch_all + observe; wall time and peak RSS growth measured."""
    settings = settings or hostile_settings()
    _reset_peak()
    before = _status_kb("VmRSS")
    started = time.monotonic()
    result = asyncio.run(fetch_all([url], settings))[url]
    observation = observe(result, RUN_DATE)
    seconds = time.monotonic() - started
    growth = (_status_kb("VmHWM") - before) / 1024
    return Outcome(
        result=result,
        health=observation.health.health,
        title=observation.facts.title,
        seconds=seconds,
        growth_mb=growth,
    )


def assert_bounded(outcome: Outcome, deadline: float = DEADLINE) -> None:
    assert outcome.seconds < deadline + MARGIN, outcome
    assert outcome.growth_mb < MEMORY_BOUND_MB, outcome
    assert len(outcome.result.body) <= MAX_BYTES


# --------------------------------------------------------------------------- payloads


def zero_bomb(kind: str, total_mb: int = 10_240) -> Iterator[bytes]:
    """A lazily made bomb: `total_mb` MB of zeros (10 GB) compressed on the fly, ~1:1000."""
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[kind]
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MIB)
    for _ in range(total_mb):
        yield packer.compress(block) + packer.flush(zlib.Z_SYNC_FLUSH)
    yield packer.flush()


def double_gzip_bomb(total_mb: int = 10_240) -> Iterator[bytes]:
    """gzip of gzip of 10 GB zeros: the inner layer alone is ~10 MB, the whole a few KB."""
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    for piece in zero_bomb("gzip", total_mb):
        yield outer.compress(piece) + outer.flush(zlib.Z_SYNC_FLUSH)
    yield outer.flush()


def chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        if piece:
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def endless(piece: bytes) -> Iterator[bytes]:
    return itertools.repeat(piece)


HTML = "Content-Type: text/html; charset=utf-8"
PAGE = b"<html><head><title>Gute Seite</title></head><body><p>Hallo</p></body></html>"
NESTED = b"<html><title>Tief</title><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000
UNCLOSED = b"<html><head><title>Offen<body>" + b"<p><b><i><table><tr><td><a href='x" * 20_000
ONE_LINE = b"<html><title>Eine Zeile</title><body><p>" + b"Wort " * (10 * MIB) + b"</p>"


def lazy_single_line(total_mb: int = 50) -> Iterator[bytes]:
    yield b"<html><title>Lang</title><body><p>"
    line = b"Wort " * (MIB // 5)
    for _ in range(total_mb):
        yield line


@dataclass(frozen=True)
class Case:
    name: str
    behaviour: object
    health: Health
    truncated: bool | None = None


def _compressed(kind: str, encoding: str) -> object:
    first = head("200 OK", HTML, f"Content-Encoding: {encoding}", "Transfer-Encoding: chunked")
    return stream(first, chunked(zero_bomb(kind)))


CASES = [
    Case("accept-and-hold", hold, Health.TIMEOUT),
    Case(
        "drip-headers",
        drip(head("200 OK", HTML, "Content-Length: 10") + b"0123456789", 1.0),
        Health.TIMEOUT,
    ),
    Case(
        "drip-body",
        lambda conn: (
            conn.sendall(head("200 OK", HTML, "Content-Length: 100")),
            drip(PAGE, 1.0)(conn),
        ),
        Health.TIMEOUT,
    ),
    Case("gzip-bomb", _compressed("gzip", "gzip"), Health.OK, truncated=True),
    Case("deflate-bomb", _compressed("deflate", "deflate"), Health.OK, truncated=True),
    Case("raw-deflate-bomb", _compressed("raw-deflate", "deflate"), Health.OK, truncated=True),
    Case(
        # Stacked encodings are never asked for; httpx alone would decode them unbounded.
        "double-gzip-bomb",
        stream(
            head("200 OK", HTML, "Content-Encoding: gzip, gzip", "Transfer-Encoding: chunked"),
            chunked(double_gzip_bomb()),
        ),
        Health.OK,
        truncated=True,
    ),
    Case(
        # Not asked for and not decoded: the raw bytes are kept, capped.
        "brotli-unasked",
        stream(
            head("200 OK", HTML, "Content-Encoding: br", "Transfer-Encoding: chunked"),
            chunked(itertools.islice(endless(os.urandom(64 * 1024)), 100)),
        ),
        Health.OK,
        truncated=True,
    ),
    Case(
        "body-200mb",
        stream(
            head("200 OK", HTML, f"Content-Length: {200 * MIB}"),
            itertools.islice(endless(b"<p>" + b"a" * (64 * 1024 - 3)), 200 * 16),
        ),
        Health.OK,
        truncated=True,
    ),
    Case(
        "endless-chunked",
        stream(head("200 OK", HTML, "Transfer-Encoding: chunked"), chunked(endless(b"x" * 8192))),
        Health.OK,
        truncated=True,
    ),
    Case(
        "reset-mid-body",
        reset_after(head("200 OK", HTML, "Content-Length: 100000") + PAGE),
        Health.CONNECTION_ERROR,
    ),
    Case(
        "invalid-chunked",
        send_all(head("200 OK", HTML, "Transfer-Encoding: chunked"), b"zz\r\nnot hex\r\n0\r\n\r\n"),
        Health.CONNECTION_ERROR,
    ),
    Case(
        "content-length-longer",
        send_all(head("200 OK", HTML, "Content-Length: 5000"), PAGE),
        Health.CONNECTION_ERROR,
    ),
    Case(
        "content-length-shorter",
        send_all(head("200 OK", HTML, "Content-Length: 20"), PAGE),
        Health.OK,
        truncated=False,
    ),
    Case(
        "header-block-1mb",
        send_all(head("200 OK", HTML, "X-Big: " + "a" * MIB, "Content-Length: 0")),
        Health.CONNECTION_ERROR,
    ),
    Case(
        "headers-10000",
        send_all(
            head("200 OK", HTML, *(f"X-H{i}: {i}" for i in range(10_000)), "Content-Length: 0")
        ),
        Health.CONNECTION_ERROR,
    ),
    Case(
        "binary-as-html",
        send_all(head("200 OK", HTML, f"Content-Length: {MIB}"), os.urandom(MIB)),
        Health.OK,
    ),
    Case(
        "undecodable-utf8",
        send_all(
            head("200 OK", HTML, "Content-Length: 2048"),
            (b"<title>Stra\xdfe \xff\xfe</title><p>" + b"\xc3\x28\xa0\xa1" * 600)[:2048],
        ),
        Health.OK,
    ),
    Case(
        "mixed-encodings-bogus-charset",
        send_all(
            head("200 OK", "Content-Type: text/html; charset=x-klingon", "Content-Length: 200"),
            (
                "<title>Flüchtlinge</title><p>Grüße ".encode()
                + "Übersicht Straße ".encode("cp1252")
                + "Ärzte".encode("utf-16")
                + b" " * 200
            )[:200],
        ),
        Health.OK,
    ),
    Case(
        "nested-100000",
        send_all(head("200 OK", HTML, f"Content-Length: {len(NESTED)}"), NESTED),
        Health.OK,
    ),
    Case(
        "unclosed-everything",
        send_all(head("200 OK", HTML, f"Content-Length: {len(UNCLOSED)}"), UNCLOSED),
        Health.OK,
    ),
    Case(
        "single-line-50mb",
        stream(head("200 OK", HTML, f"Content-Length: {50 * MIB + 34}"), lazy_single_line()),
        Health.OK,
        truncated=True,
    ),
]
for _scheme, _target in (
    ("file", "file:///etc/passwd"),
    ("ftp", "ftp://ftp.example.org/pub/"),
    ("javascript", "javascript:alert(document.cookie)"),
    ("data", "data:text/html;base64,PGgxPmhpPC9oMT4="),
):
    CASES.append(
        Case(
            f"redirect-to-{_scheme}",
            send_all(head("302 Found", f"Location: {_target}", "Content-Length: 0")),
            Health.INVALID_URL,
        )
    )


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        for case in CASES:
            server.route(f"/{case.name}", case.behaviour)  # type: ignore[arg-type]
        server.route("/page", send_all(head("200 OK", HTML, f"Content-Length: {len(PAGE)}"), PAGE))
        server.route("/robots.txt", hold)
        yield server


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_server_case_ends_in_time_with_bounded_memory(
    case: Case, hostile: HostileServer
) -> None:
    outcome = run_case(hostile.url(f"/{case.name}"))
    print(f"{case.name}: {outcome.health} {outcome.seconds:.2f} s {outcome.growth_mb:.1f} MB")
    assert outcome.health == case.health, outcome.result.error_detail
    assert_bounded(outcome)
    if case.truncated is not None:
        assert outcome.result.truncated is case.truncated


def test_brotli_body_is_kept_raw_not_decoded(hostile: HostileServer) -> None:
    payload = os.urandom(4096)
    hostile.route(
        "/br-small",
        send_all(
            head("200 OK", HTML, "Content-Encoding: br", f"Content-Length: {len(payload)}"),
            payload,
        ),
    )
    outcome = run_case(hostile.url("/br-small"))
    assert outcome.result.body == payload
    assert outcome.health is Health.OK


def test_stacked_gzip_is_decoded_when_small(hostile: HostileServer) -> None:
    body = gzip.compress(gzip.compress(PAGE))
    hostile.route(
        "/gzip2",
        send_all(
            head("200 OK", HTML, "Content-Encoding: gzip, gzip", f"Content-Length: {len(body)}"),
            body,
        ),
    )
    outcome = run_case(hostile.url("/gzip2"))
    assert outcome.result.body == PAGE
    assert outcome.title == "Gute Seite"


def test_content_length_shorter_keeps_only_the_declared_bytes(hostile: HostileServer) -> None:
    outcome = run_case(hostile.url("/content-length-shorter"))
    assert outcome.result.body == PAGE[:20]


def test_hostile_robots_txt_does_not_hold_the_page(hostile: HostileServer) -> None:
    settings = hostile_settings(respect_robots=True, robots_timeout=0.5)
    outcome = run_case(hostile.url("/page"), settings)
    assert outcome.health is Health.OK
    assert outcome.title == "Gute Seite"
    assert_bounded(outcome, deadline=DEADLINE + 0.5)  # robots wait is queueing, not budget


def test_many_hostile_urls_in_one_run_all_finish(hostile: HostileServer) -> None:
    urls = [hostile.url(f"/{c.name}") for c in CASES]
    _reset_peak()
    before = _status_kb("VmRSS")
    started = time.monotonic()
    results = asyncio.run(fetch_all(urls, hostile_settings()))
    fetched = time.monotonic() - started
    # Extraction runs one body after another, as in a shard's on_result.
    healths = {url: observe(results[url], RUN_DATE).health.health for url in urls}
    seconds = time.monotonic() - started
    growth = (_status_kb("VmHWM") - before) / 1024
    print(f"all {len(urls)} cases at once: fetch {fetched:.2f} s, {seconds:.2f} s, {growth:.1f} MB")
    assert healths == {hostile.url(f"/{c.name}"): c.health for c in CASES}
    assert fetched < DEADLINE + 2 * MARGIN  # concurrently: one deadline, not 26
    assert seconds < 20.0
    assert growth < 2 * MEMORY_BOUND_MB


@pytest.mark.parametrize(
    "name, page",
    [
        ("nested", b"<html><body>" + b"<div><span>" * 500_000),
        ("unclosed", UNCLOSED * 10),
        ("single-line", ONE_LINE[: 5 * MIB]),
    ],
)
def test_extract_facts_on_5mb_pathological_page_is_bounded(name: str, page: bytes) -> None:
    page = page[: 5 * MIB]
    _reset_peak()
    before = _status_kb("VmRSS")
    started = time.monotonic()
    facts = extract_facts(
        page,
        url="https://example.org/seite",
        content_type="text/html; charset=utf-8",
        last_modified=None,
        run_date=RUN_DATE,
    )
    seconds = time.monotonic() - started
    growth = (_status_kb("VmHWM") - before) / 1024
    print(f"extract_facts {name} {len(page) / MIB:.1f} MB: {seconds:.2f} s, {growth:.1f} MB")
    assert facts is not None
    assert seconds < 10.0  # catches a hang, not a speed claim
    assert growth < 500


# --------------------------------------------------------------------------- SSRF


def guarded_settings(**overrides: object) -> FetchSettings:
    return hostile_settings(allow_private_addresses=False, retries=0, **overrides)


def test_localhost_is_blocked_before_any_request(hostile: HostileServer) -> None:
    url = f"http://localhost:{hostile.port}/page"
    before = hostile.total_hits()
    result = asyncio.run(fetch_all([url], guarded_settings()))[url]
    assert result.error is Health.BLOCKED
    assert "Loopback" in (result.error_detail or "")
    assert result.attempts == 1 and result.status is None
    assert hostile.total_hits() == before


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://169.254.169.254/latest/meta-data/", "Cloud-Metadaten"),
        ("http://[::ffff:127.0.0.1]/", "Loopback"),
        ("http://0.0.0.0/", "unspezifiziert"),
        ("http://10.1.2.3/intranet", "private"),
        ("http://224.0.0.1/", "Multicast"),
    ],
)
def test_private_literals_are_blocked(url: str, reason: str) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, html=PAGE.decode())

    result = asyncio.run(
        fetch_all([url], guarded_settings(), transport=httpx.MockTransport(answer))
    )[url]
    assert result.error is Health.BLOCKED
    assert reason in (result.error_detail or "")
    assert seen == []


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names → addresses, judged by the real guard (a patched resolver)."""
    names = {
        "public.example": "93.184.216.34",
        "rebind.example": "127.0.0.1",
        "intranet.example": "10.0.0.5",
    }
    real = address_guard.resolve_and_check

    async def resolve(
        host: str, port: int, *, allow_private: bool, **options: object
    ) -> address_guard.AddressCheck:
        return await real(names.get(host, host), port, allow_private=allow_private)

    monkeypatch.setattr(address_guard, "resolve_and_check", resolve)
    return names


def test_public_name_resolving_to_loopback_is_blocked(fake_dns: dict[str, str]) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, html=PAGE.decode())

    url = "http://rebind.example/seite"
    result = asyncio.run(
        fetch_all([url], guarded_settings(), transport=httpx.MockTransport(answer))
    )[url]
    assert result.error is Health.BLOCKED
    assert "Loopback-Adresse 127.0.0.1" in (result.error_detail or "")
    assert seen == []


@pytest.mark.parametrize(
    "target, reason",
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "Cloud-Metadaten"),
        ("http://intranet.example/admin", "private Adresse 10.0.0.5"),
        ("http://rebind.example:8080/", "Loopback"),
    ],
)
def test_redirect_into_private_range_is_caught_on_that_hop(
    fake_dns: dict[str, str], target: str, reason: str
) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": target})

    url = "http://public.example/weiter"
    result = asyncio.run(
        fetch_all([url], guarded_settings(), transport=httpx.MockTransport(answer))
    )[url]
    assert result.error is Health.BLOCKED
    assert reason in (result.error_detail or "")
    assert seen == [url]  # the private hop was never sent
    assert [hop.location for hop in result.hops] == [target]


# --------------------------------------------------------------------------- credentials


SECRET = "s3cr3t-Passw0rt"


def test_redact_userinfo() -> None:
    assert redact_userinfo(f"http://user:{SECRET}@host:8080/a?b=c@d") == (
        "http://***@host:8080/a?b=c@d"
    )
    assert redact_userinfo("https://host/p@x") == "https://host/p@x"
    assert redact_userinfo("") == ""
    assert SECRET not in redact_userinfo_in_text(f"über 'http://u:{SECRET}@h/x' und mehr")


def test_credentials_never_leave_the_engine(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    base = f"http://anna:{SECRET}@127.0.0.1:{hostile.port}"
    hostile.route("/cred-redirect", send_all(head("302 Found", f"Location: {base}/page")))
    hostile.route("/cred-loop", send_all(head("302 Found", f"Location: {base}/cred-loop")))
    hostile.route(
        "/cred-bad", send_all(head("302 Found", f"Location: ftp://anna:{SECRET}@ftp.example/"))
    )
    urls = [f"{base}/cred-redirect", f"{base}/cred-loop", f"{base}/cred-bad", f"{base}/page"]
    caplog.set_level(logging.DEBUG)
    results = asyncio.run(fetch_all(urls, hostile_settings()))
    healths = [observe(results[u], RUN_DATE).health for u in urls]
    assert [h.health for h in healths] == [
        Health.REDIRECTED,
        Health.TOO_MANY_REDIRECTS,
        Health.INVALID_URL,
        Health.OK,
    ]
    for url in urls:
        result = results[url]
        recorded = [result.final_url, result.error_detail, repr(result.hops)]
        assert all(SECRET not in (text or "") for text in recorded), recorded
    for health in healths:
        assert SECRET not in repr(health)
    assert results[urls[0]].final_url == f"http://***@127.0.0.1:{hostile.port}/page"
    # Our loggers at any level, everyone's (httpx logs each request URL) from INFO up.
    # httpcore's DEBUG trace echoes raw response headers, a hostile Location included.
    leaks = [
        r.getMessage()
        for r in caplog.records
        if SECRET in r.getMessage()
        and (r.levelno >= logging.INFO or r.name.startswith(("flows", "extractors")))
    ]
    assert leaks == []


def test_credentials_never_reach_dataset_report_or_output(
    tmp_path: Path, hostile: HostileServer, capfd: pytest.CaptureFixture[str]
) -> None:
    base = f"http://anna:{SECRET}@127.0.0.1:{hostile.port}"
    hostile.route("/cred-redirect", send_all(head("302 Found", f"Location: {base}/page")))
    catalog = tmp_path / "katalog.csv"
    catalog.write_text(
        "entry_id,provider,title,link_label,url\n"
        f"intranet,Stadt A,Seite,Direkt,{base}/page\n"
        f"intranet,Stadt A,Seite,Umweg,{base}/cred-redirect\n"
        f"kaputt,Stadt B,Weg,Fehlt,{base}/gibt-es-nicht\n",
        encoding="utf-8",
    )
    settings = local_run_settings(
        catalog, tmp_path / "data", "2026-11-26", timeout=5, ignore_robots=True
    )
    summary = harvest(settings)
    assert summary.links_total == 3
    curated = tmp_path / "data" / "curated"
    links = pq.read_table(curated / "links.parquet").to_pylist()
    by_label = {row["link_label"]: row for row in links}
    assert by_label["Direkt"]["health"] == "ok"
    assert by_label["Direkt"]["url"] == f"http://***@127.0.0.1:{hostile.port}/page"
    assert by_label["Fehlt"]["health"] == "not_found"
    assert SECRET not in repr(links)
    for path in curated.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    out, err = capfd.readouterr()
    assert SECRET not in out and SECRET not in err
    # A second night matches last night's (masked) rows: no link counted as removed.
    settings2 = local_run_settings(
        catalog, tmp_path / "data", "2026-11-27", timeout=5, ignore_robots=True
    )
    harvest(settings2)
    links2 = pq.read_table(curated / "links.parquet").to_pylist()
    assert len(links2) == 3
    assert {row["first_seen"] for row in links2} == {dt.date(2026, 11, 26)}


def test_an_allowlisted_intranet_host_passes_the_guard_and_nothing_else_does():
    from local_web import LocalWeb, Reply

    from flows.run_settings import fetch_settings_from

    settings = load_settings(
        {"per_host_interval": 0.0, "timeout": 3.0},
        environ={"LINKPFLEGE_PRIVATE_HOSTS_ALLOWED": "127.0.0.1, intranet.example"},
    )
    assert settings.private_hosts == ("127.0.0.1", "intranet.example")
    fetch = dataclasses.replace(
        fetch_settings_from(settings), respect_robots=False, soft_404_probe=False
    )
    with LocalWeb() as web:
        web.route("/intern", Reply.html("<title>Intranet</title><p>Seite</p>"))
        allowed = web.url("/intern")
        refused = allowed.replace("127.0.0.1", "localhost")
        results = asyncio.run(fetch_all([allowed, refused], fetch))
        assert classify(results[allowed]).health is Health.OK
        assert classify(results[refused]).health is Health.BLOCKED
        assert web.count("/intern") == 1
