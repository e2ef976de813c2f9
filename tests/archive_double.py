"""A local Wayback Machine on 127.0.0.1 that speaks the real protocols, for archive tests.

Import it as `from archive_double import ArchiveDouble, ArchivedPage, FakeClock`. Usage:

    clock = FakeClock()
    with ArchiveDouble(clock=clock) as archive:
        archive.add(ArchivedPage.page("20190304120000", URL, "Integrationslotsen"))
        archive.add(ArchivedPage.error_page("20210501080000", URL))
        ... archive.base_url, archive.count_prefix("/web/"), archive.requests

`/cdx/search/cdx` answers like the wayback-cdx-server: `url` matched by a SURT-like key
(scheme and `www.` do not matter), `from`/`to` inclusive and padded, `filter=[!]field:regex`
(full match, several ANDed), `limit` (negative: the last n), `fl`, `output=json` (a header
row, then rows of strings, `-` for no value; `[]` when nothing matches) or plain text.
`matchType=prefix|host|domain` (or `url=…/*`) and `collapse=urlkey` as the real server
has them, rows then sorted by urlkey and time.
`/web/<ts>id_/<url>` plays a capture back raw: the exact capture, else 302 to the nearest
playable capture's `id_` URL; a capture recorded as a redirect answers 302 to its target's
`id_` URL at the same time. Answers carry `Memento-Datetime` and `Link` headers; an unknown
URL gets 404.

Switches: `throttled` (every request gets 429 without Retry-After; requests arriving within
`block_seconds` of a 429, by `clock`, are counted in `requests_while_blocked` — the real
archive would block such a client for an hour), `hang` (the CDX answer drips one byte every
0.05 s until the client leaves), `malformed` (the CDX answer is cut-off JSON), `cdx_status`
(answer the CDX with this status and no rows).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from flows.server_thread import ServerThread

CDX_COLUMNS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_PLAYBACK = re.compile(r"^/web/(?P<ts>\d{1,14})id_/(?P<original>.+)$")


class FakeClock:
    """A monotonic clock the tests move: `sleep` advances it at once (no real waiting)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass(frozen=True)
class ArchivedPage:
    """One capture: what the CDX lists (timestamp, original, mimetype, status, digest) and
    what playback serves (`body`; or a 302 to `redirect_to`'s capture; `playable=False`: the
    archive lists it but plays the nearest other capture instead)."""

    timestamp: str
    original: str
    body: bytes = b""
    mimetype: str = "text/html"
    status: int | None = 200
    redirect_to: str | None = None
    playable: bool = True

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.body + (self.redirect_to or "").encode()).hexdigest().upper()

    @property
    def moment(self) -> dt.datetime:
        return padded(self.timestamp)

    @classmethod
    def page(cls, timestamp: str, original: str, title: str, **kwargs: object) -> ArchivedPage:
        text = " ".join(["Das Projekt unterstützt Familien im Quartier mit Beratung."] * 20)
        html = (
            f"<!doctype html><html lang='de'><head><title>{title}</title></head>"
            f"<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"
        )
        return cls(timestamp, original, html.encode(), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def error_page(cls, timestamp: str, original: str) -> ArchivedPage:
        html = (
            "<!doctype html><html lang='de'><head><title>Seite nicht gefunden</title></head>"
            "<body><main><h1>Seite nicht gefunden</h1><p>Die angeforderte Seite existiert "
            "leider nicht mehr.</p></main></body></html>"
        )
        return cls(timestamp, original, html.encode())

    @classmethod
    def redirect(cls, timestamp: str, original: str, target: str) -> ArchivedPage:
        return cls(timestamp, original, redirect_to=target)


@dataclass(frozen=True)
class SeenRequest:
    path: str
    at: float  # by the double's clock
    headers: dict[str, str]


def padded(timestamp: str) -> dt.datetime:
    full = timestamp + "0101000000"[len(timestamp) - 4 :] if len(timestamp) < 14 else timestamp
    return dt.datetime.strptime(full, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


def urlkey(url: str) -> str:
    """A SURT-like key: `https://www.Stadt.de/a?b` → `de,stadt)/a?b`."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return ",".join(reversed(host.split("."))) + ")" + path + query


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    archive: ArchiveDouble


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Server

    def do_GET(self) -> None:
        try:
            self.server.archive._serve(self)
        except OSError:  # the client left (timeouts in tests do that on purpose)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class ArchiveDouble:
    """The local archive, as a context manager; program it with `add` and the switches."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.throttled = False
        self.block_seconds = 60.0
        self.hang = False
        self.malformed = False
        self.cdx_status: int | None = None
        self.requests_while_blocked = 0
        self._last_429: float | None = None
        self._pages: list[ArchivedPage] = []
        self._requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._serving: ServerThread | None = None

    def __enter__(self) -> ArchiveDouble:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.archive = self
        self._serving = ServerThread(self._server, poll_interval=0.05).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        assert self._serving is not None
        self._serving.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "use ArchiveDouble as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, *pages: ArchivedPage) -> None:
        with self._lock:
            self._pages.extend(pages)

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._requests)

    def count_prefix(self, prefix: str) -> int:
        return sum(1 for seen in self.requests if seen.path.startswith(prefix))

    # ------------------------------------------------------------------ serving

    def _serve(self, handler: _Handler) -> None:
        now = self.clock()
        with self._lock:
            headers = {key.lower(): value for key, value in handler.headers.items()}
            self._requests.append(SeenRequest(handler.path, now, headers))
            if self.throttled:
                if self._last_429 is not None and now - self._last_429 < self.block_seconds:
                    self.requests_while_blocked += 1
                self._last_429 = now
        if self.throttled:
            self._send(handler, 429, b"Too Many Requests", "text/plain")  # no Retry-After
            return
        path = handler.path
        if path.startswith("/cdx/search/cdx"):
            self._cdx(handler, dict_of_lists(urlsplit(path).query))
            return
        match = _PLAYBACK.match(path)
        if match is None:
            self._send(handler, 404, b"not found", "text/plain")
            return
        self._playback(handler, match.group("ts"), match.group("original"))

    def _cdx(self, handler: _Handler, query: dict[str, list[str]]) -> None:
        if self.cdx_status is not None:
            self._send(handler, self.cdx_status, b"", "text/plain")
            return
        if self.hang:
            self._drip(handler)
            return
        if self.malformed:
            self._send(handler, 200, b'[["urlkey","timestamp","original"],["de,st', "text/plain")
            return
        if not query.get("url"):
            self._send(handler, 400, b"missing url", "text/plain")
            return
        rows = self._cdx_rows(query)
        fields = query.get("fl", [",".join(CDX_COLUMNS)])[0].split(",")
        rows = [[row[CDX_COLUMNS.index(name)] for name in fields] for row in rows]
        if query.get("output", [""])[0] == "json":
            body = json.dumps([fields, *rows] if rows else []).encode()
            self._send(handler, 200, body, "application/json")
        else:
            body = "".join(" ".join(row) + "\n" for row in rows).encode()
            self._send(handler, 200, body, "text/plain")

    def _cdx_rows(self, query: dict[str, list[str]]) -> list[list[str]]:
        url = query["url"][0]
        match_type = query.get("matchType", ["exact"])[0]
        if url.endswith("*"):  # "host/path/*" is the short form of matchType=prefix
            url, match_type = url.rstrip("*"), "prefix"
        key = urlkey(url)
        low = query.get("from", [""])[0].ljust(14, "0")
        high = query.get("to", ["9"])[0].ljust(14, "9")
        with self._lock:
            # As the real index: sorted by urlkey, then by time.
            pages = sorted(self._pages, key=lambda page: (urlkey(page.original), page.moment))
        rows = []
        for page in pages:
            full = page.moment.strftime("%Y%m%d%H%M%S")
            if not _matches(urlkey(page.original), key, match_type) or not low <= full <= high:
                continue
            status = "-" if page.status is None else str(page.status)
            length = str(len(page.body))
            own_key = urlkey(page.original)
            rows.append(
                [own_key, page.timestamp, page.original, page.mimetype, status, page.digest, length]
            )
        for rule in query.get("filter", []):
            negate, rule = rule.startswith("!"), rule.removeprefix("!")
            name, _, pattern = rule.partition(":")
            column = CDX_COLUMNS.index(name)
            rows = [row for row in rows if bool(re.fullmatch(pattern, row[column])) != negate]
        if query.get("collapse", [""])[0] == "urlkey":  # adjacent rows of one URL: the first
            rows = [row for i, row in enumerate(rows) if i == 0 or rows[i - 1][0] != row[0]]
        limit = int(query.get("limit", ["0"])[0])
        if limit > 0:
            rows = rows[:limit]
        elif limit < 0:
            rows = rows[limit:]
        return rows

    def _playback(self, handler: _Handler, timestamp: str, original: str) -> None:
        wanted = padded(timestamp)
        with self._lock:
            pages = [page for page in self._pages if urlkey(page.original) == urlkey(original)]
        exact = [page for page in pages if page.timestamp == timestamp and page.playable]
        if exact:
            page = exact[0]
        else:
            playable = [page for page in pages if page.playable]
            if not playable:
                body = b"<html><body>Wayback Machine doesn't have that page archived.</body></html>"
                self._send(handler, 404, body, "text/html")
                return
            nearest = min(playable, key=lambda page: abs(page.moment - wanted))
            self._redirect(handler, nearest.timestamp, nearest.original, None)
            return
        if page.redirect_to is not None:
            self._redirect(handler, page.timestamp, page.redirect_to, page)
            return
        self._send(handler, 200, page.body, page.mimetype, memento=page)

    def _redirect(
        self, handler: _Handler, timestamp: str, target: str, page: ArchivedPage | None
    ) -> None:
        location = f"{self.base_url}/web/{timestamp}id_/{target}"
        self._send(handler, 302, b"", "text/plain", memento=page, location=location)

    def _send(
        self,
        handler: _Handler,
        status: int,
        body: bytes,
        content_type: str,
        *,
        memento: ArchivedPage | None = None,
        location: str | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        if location:
            handler.send_header("Location", location)
        if memento is not None:
            stamp = email.utils.format_datetime(memento.moment, usegmt=True)
            handler.send_header("Memento-Datetime", stamp)
            handler.send_header("Link", f'<{memento.original}>; rel="original"')
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    def _drip(self, handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(10**9))
        handler.end_headers()
        handler.wfile.write(b"[")
        handler.wfile.flush()
        while not self._stopping.wait(0.05):
            handler.wfile.write(b" ")
            handler.wfile.flush()
        handler.close_connection = True


def _matches(candidate: str, key: str, match_type: str) -> bool:
    """wayback-cdx-server's matchType: exact, prefix (of the urlkey), host, domain."""
    host = key.split(")", 1)[0]
    if match_type == "prefix":
        return candidate.startswith(key)
    if match_type == "host":
        return candidate.split(")", 1)[0] == host
    if match_type == "domain":
        return candidate.split(")", 1)[0].startswith(host)
    return candidate == key


def dict_of_lists(query: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        found.setdefault(name, []).append(value)
    return found
