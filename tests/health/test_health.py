"""Table-driven tests of `extractors.health.link_health`: FetchResult in, LinkHealth out (no
network)."""

from __future__ import annotations

import pytest

from extractors.health.bot_challenge import challenge_reason
from extractors.health.link_health import (
    classify,
    is_permanent_redirect,
    is_redirect_status,
    status_detail,
    trivial_move_note,
)
from extractors.health.meta_refresh import Refresh, find_refresh, parse_refresh
from extractors.records import FetchResult, Health, Hop

A = "https://example.org/a"
B = "https://example.org/b"
C = "https://example.org/c"


def chain(*hops: tuple[str, int, str], status: int = 200, final: str | None = None) -> FetchResult:
    """A FetchResult for the chain hops[0].url → … → final with the given final status."""
    records = tuple(Hop(url, code, location) for url, code, location in hops)
    start = records[0].url if records else (final or A)
    end = final or (records[-1].location if records else start)
    return FetchResult(url=start, final_url=end, status=status, hops=records)


def plain(status: int, url: str = A, headers: tuple[tuple[str, str], ...] = ()) -> FetchResult:
    return FetchResult(url=url, final_url=url, status=status, headers=headers)


# (case id, result, expected health, expected final_url, words the detail must contain)
CASES = [
    ("200", plain(200), Health.OK, A, None),
    ("204", plain(204), Health.OK, A, None),
    ("302 to 200", chain((A, 302, B)), Health.REDIRECTED, B, ["Weitergeleitet", B]),
    ("303 to 200", chain((A, 303, B)), Health.REDIRECTED, B, ["Weitergeleitet"]),
    ("307 to 200", chain((A, 307, B)), Health.REDIRECTED, B, ["Weitergeleitet"]),
    ("301 to 200", chain((A, 301, B)), Health.MOVED, B, ["Dauerhaft verschoben", B]),
    ("308 to 200", chain((A, 308, B)), Health.MOVED, B, ["Dauerhaft verschoben"]),
    ("301+308 to 200", chain((A, 301, B), (B, 308, C)), Health.MOVED, C, [C]),
    ("301 then 302", chain((A, 301, B), (B, 302, C)), Health.REDIRECTED, C, [C]),
    ("302 then 301", chain((A, 302, B), (B, 301, C)), Health.REDIRECTED, C, [C]),
    (
        "301 back to start",
        chain((A, 301, B), (B, 301, A)),
        Health.REDIRECTED,
        A,
        ["dieselbe Adresse"],
    ),
    (
        "http to https is still moved",
        chain(("http://example.org/a", 301, A)),
        Health.MOVED,
        A,
        ["nur https"],
    ),
    (
        "trailing slash is still moved",
        chain((A, 301, A + "/")),
        Health.MOVED,
        A + "/",
        ["nur Schrägstrich"],
    ),
    ("404", plain(404), Health.NOT_FOUND, A, ["HTTP 404", "Nicht gefunden"]),
    ("410", plain(410), Health.NOT_FOUND, A, ["HTTP 410", "Entfernt"]),
    (
        "410 after redirects",
        chain((A, 301, B), (B, 302, C), status=410),
        Health.NOT_FOUND,
        C,
        ["HTTP 410", "nach 2 Weiterleitungen"],
    ),
    ("404 after one redirect", chain((A, 302, B), status=404), Health.NOT_FOUND, B, ["1 Weiter"]),
    ("400", plain(400), Health.NOT_FOUND, A, ["HTTP 400"]),
    ("405", plain(405), Health.NOT_FOUND, A, ["HTTP 405"]),
    ("418", plain(418), Health.NOT_FOUND, A, ["HTTP 418"]),
    ("401", plain(401), Health.BLOCKED, A, ["HTTP 401", "Anmeldung"]),
    ("403", plain(403), Health.BLOCKED, A, ["HTTP 403", "Zugriff verweigert"]),
    ("407", plain(407), Health.BLOCKED, A, ["HTTP 407"]),
    ("451", plain(451), Health.BLOCKED, A, ["HTTP 451"]),
    ("429", plain(429), Health.BLOCKED, A, ["HTTP 429", "Zu viele Anfragen"]),
    (
        "429 with Retry-After",
        plain(429, headers=(("Retry-After", "3600"),)),
        Health.BLOCKED,
        A,
        ["Retry-After: 3600"],
    ),
    ("500", plain(500), Health.SERVER_ERROR, A, ["HTTP 500"]),
    ("503", plain(503), Health.SERVER_ERROR, A, ["HTTP 503", "nicht verfügbar"]),
    ("599", plain(599), Health.SERVER_ERROR, A, ["HTTP 599"]),
    ("502 after redirect", chain((A, 302, B), status=502), Health.SERVER_ERROR, B, ["HTTP 502"]),
    ("302 without Location", plain(302), Health.SERVER_ERROR, A, ["Location fehlt"]),
    ("304 final", plain(304), Health.SERVER_ERROR, A, ["HTTP 304"]),
    ("300 final", plain(300, headers=(("Location", B),)), Health.SERVER_ERROR, A, ["HTTP 300"]),
    ("1xx final", plain(103), Health.SERVER_ERROR, A, ["103"]),
    ("nonsense status", plain(999), Health.SERVER_ERROR, A, ["999"]),
]


@pytest.mark.parametrize(
    ("result", "health", "final_url", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_classify_http_answers(
    result: FetchResult, health: Health, final_url: str, words: list[str] | None
) -> None:
    judged = classify(result)
    assert judged.health is health
    assert judged.http_status == result.status
    assert judged.final_url == final_url
    if words is None:
        assert judged.detail is None
    else:
        assert judged.detail is not None
        for word in words:
            assert word in judged.detail


@pytest.mark.parametrize(
    "error",
    [
        Health.TIMEOUT,
        Health.DNS_ERROR,
        Health.CONNECTION_ERROR,
        Health.TLS_ERROR,
        Health.TOO_MANY_REDIRECTS,
        Health.INVALID_URL,
        Health.BLOCKED,
    ],
)
def test_fetch_errors_pass_through_with_their_detail(error: Health) -> None:
    result = FetchResult(url=A, final_url=B, status=302, error=error, error_detail="warum")
    judged = classify(result)
    assert judged == type(judged)(health=error, http_status=302, final_url=B, detail="warum")


def test_error_wins_over_a_good_status() -> None:
    result = FetchResult(url=A, final_url=A, status=200, error=Health.TIMEOUT, error_detail="x")
    assert classify(result).health is Health.TIMEOUT


def test_no_error_and_no_status_is_a_connection_error_not_a_crash() -> None:
    judged = classify(FetchResult(url=A))
    assert judged.health is Health.CONNECTION_ERROR
    assert judged.http_status is None


def test_moved_compares_with_the_first_hop_not_the_raw_catalogue_string() -> None:
    # The catalogue wrote no path; the fetcher normalised it to "/" in the hops.
    result = FetchResult(
        url="https://example.org",
        final_url="https://example.org/",
        status=200,
        hops=(
            Hop("https://example.org/", 301, "https://example.org/start"),
            Hop("https://example.org/start", 301, "https://example.org/"),
        ),
    )
    assert classify(result).health is Health.REDIRECTED


@pytest.mark.parametrize(
    ("status", "redirect", "permanent"),
    [
        (301, True, True),
        (302, True, False),
        (303, True, False),
        (307, True, False),
        (308, True, True),
        (300, False, False),
        (304, False, False),
        (200, False, False),
    ],
)
def test_redirect_status_predicates(status: int, redirect: bool, permanent: bool) -> None:
    assert is_redirect_status(status) is redirect
    assert is_permanent_redirect(status) is permanent


@pytest.mark.parametrize(
    ("old", "new", "note"),
    [
        ("http://a.example/x", "https://a.example/x", "nur https"),
        ("http://a.example/x", "https://a.example/x/", "nur https und Schrägstrich"),
        ("https://a.example/x", "https://a.example/x/", "nur Schrägstrich am Ende"),
        ("https://a.example/x/", "https://a.example/x", "nur Schrägstrich am Ende"),
        ("https://a.example/x", "https://b.example/x", None),
        ("http://a.example/x", "https://a.example/y", None),
        ("https://a.example/x?q=1", "https://a.example/x/?q=2", None),
        ("https://a.example/x", "http://a.example/x", None),
    ],
)
def test_trivial_move_note(old: str, new: str, note: str | None) -> None:
    assert trivial_move_note(old, new) == note


def test_status_detail_has_german_text_or_bare_code() -> None:
    assert status_detail(403) == "HTTP 403 – Zugriff verweigert"
    assert status_detail(499) == "HTTP 499"


# --------------------------------------------------------------------------- bot protection

CLOUDFLARE = (("Server", "cloudflare"), ("CF-RAY", "8a1b2c3d4e5f-FRA"))


@pytest.mark.parametrize(
    ("status", "headers", "body", "words"),
    [
        (503, (("cf-mitigated", "challenge"),), b"", ["Cloudflare-Challenge"]),
        (403, CLOUDFLARE, b"<title>Just a moment...</title>", ["Just a moment"]),
        (503, CLOUDFLARE, b"<p>Checking your browser before accessing</p>", ["Checking"]),
        (403, CLOUDFLARE, b"<title>Attention Required! | Cloudflare</title>", ["Attention"]),
        (403, (), b"<div class='g-recaptcha' data-sitekey='x'></div>", ["reCAPTCHA"]),
        (403, (), b"<div class='h-captcha'></div>", ["hCaptcha"]),
        (429, (), b"<script src='https://ct.captcha-delivery.com/c.js'></script>", ["DataDome"]),
        (503, (), "Bitte bestätigen Sie, dass Sie kein Roboter sind".encode(), ["kein Roboter"]),
        (403, (("Server", "AkamaiGHost"),), b"Access Denied. Reference #18", ["Akamai"]),
        (200, (("cf-mitigated", "challenge"),), b"", ["Cloudflare-Challenge"]),
        (200, CLOUDFLARE, b"<script src='/cdn-cgi/challenge-platform/x'></script>", ["Challenge"]),
        # ordinary answers
        (200, (), b"<form><div class='g-recaptcha'></div></form>", None),  # contact form
        (403, (), b"<h1>Forbidden</h1>", None),
        (503, CLOUDFLARE, b"<h1>Wartungsarbeiten</h1>", None),
        (404, (), b"<div class='g-recaptcha'></div>", None),  # a real 404 with a comment form
    ],
)
def test_challenge_reason(
    status: int, headers: tuple[tuple[str, str], ...], body: bytes, words: list[str] | None
) -> None:
    reason = challenge_reason(status, headers, body)
    if words is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith("Bot-Schutz (")
        for word in words:
            assert word in reason


@pytest.mark.parametrize("status", [403, 503, 429])
def test_challenge_pages_are_blocked_never_broken(status: int) -> None:
    result = FetchResult(
        url=A,
        final_url=A,
        status=status,
        headers=(*CLOUDFLARE, ("cf-mitigated", "challenge")),
        body=b"<title>Just a moment...</title>",
    )
    judged = classify(result)
    assert judged.health is Health.BLOCKED and judged.http_status == status
    assert judged.detail is not None and judged.detail.startswith("Bot-Schutz")
    assert f"HTTP {status}" in judged.detail


# --------------------------------------------------------------------------- soft 404 and retries


def test_a_200_error_page_is_soft_404_and_a_301_to_it_is_not_moved() -> None:
    body = b"<html><head><title>Seite nicht gefunden</title></head><body></body></html>"
    page = FetchResult(
        url=A, final_url=A, status=200, headers=(("Content-Type", "text/html"),), body=body
    )
    assert classify(page).health is Health.SOFT_404
    moved = FetchResult(
        url=A,
        final_url=B,
        status=200,
        hops=(Hop(A, 301, B),),
        headers=(("Content-Type", "text/html"),),
        body=body,
    )
    judged = classify(moved)
    assert judged.health is Health.SOFT_404 and judged.final_url == B


def test_a_301_from_a_deep_link_to_the_homepage_is_soft_404_not_moved() -> None:
    result = chain((A, 301, "https://example.org/"))
    judged = classify(result)
    assert judged.health is Health.SOFT_404
    assert judged.detail is not None and "Startseite" in judged.detail


def test_a_meta_refresh_hop_makes_the_chain_temporary() -> None:
    judged = classify(chain((A, 301, B), (B, 200, C)))
    assert judged.health is Health.REDIRECTED and judged.final_url == C
    assert judged.detail is not None and "Meta-Refresh" in judged.detail


def test_retry_stop_is_part_of_the_detail() -> None:
    stop = "Retry-After 3600 s über der Grenze von 30 s"
    limited = FetchResult(url=A, final_url=A, status=429, retry_stop=stop)
    judged = classify(limited)
    assert judged.health is Health.BLOCKED
    assert judged.detail == f"HTTP 429 – Zu viele Anfragen, {stop}"
    busy = classify(FetchResult(url=A, final_url=A, status=503, retry_stop=stop))
    assert busy.health is Health.SERVER_ERROR and busy.detail is not None and stop in busy.detail


# --------------------------------------------------------------------------- meta refresh


@pytest.mark.parametrize(
    ("content", "parsed"),
    [
        ("0; url=/neu", (0.0, "/neu")),
        ("0;URL='https://example.org/x'", (0.0, "https://example.org/x")),
        ('3, url="neu.html"', (3.0, "neu.html")),
        ("0; /direkt", (0.0, "/direkt")),
        ("5", (5.0, None)),
        ("0; url=", (0.0, None)),
        ("bald", None),
        ("", None),
    ],
)
def test_parse_refresh(content: str, parsed: tuple[float, str | None] | None) -> None:
    assert parse_refresh(content) == parsed


def test_find_refresh_in_meta_header_and_not_in_noscript() -> None:
    html = b'<html><head><meta http-equiv="Refresh" content="0; url=/neu"></head></html>'
    found = find_refresh(html, "text/html; charset=utf-8")
    assert found is not None and found.target == "/neu" and found.is_redirect
    slow = find_refresh(html.replace(b"0;", b"30;"), "text/html")
    assert slow is not None and not slow.is_redirect
    noscript = b'<html><head><noscript><meta http-equiv="refresh" content="0; url=/nojs">'
    assert find_refresh(noscript + b"</noscript></head></html>", "text/html") is None
    based = b'<html><head><base href="/de/"><meta http-equiv="refresh" content="0;url=a"></head>'
    assert find_refresh(based, None) == Refresh(0.0, "a", "/de/")
    assert find_refresh(b"", "text/html", "0; url=/kopf") == Refresh(0.0, "/kopf")
    assert (
        find_refresh(b'<meta http-equiv="refresh" content="0;url=/x">', "application/pdf") is None
    )
