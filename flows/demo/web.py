"""A small sample web on 127.0.0.1 for `linkpflege demo`: the kinds of pages the KGSt list links to.

Nine fictional entries, each showing one thing the report must tell editors: an old city news
page with a „Stand:“ date, a page that moved (301), a vanished PDF (404), a page that answers
200 with „Seite nicht gefunden“ (soft 404), an old flyer PDF with old metadata dates, a fresh
page with a short link (302), a page whose text changes between the two nights, a page that
is back on the second night, and a link whose target the catalogue does not know.

The web knows two nights: `night` is 0 or 1 and decides what changes. Page dates are given
relative to the second night, so the demo looks the same whatever day it runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from types import TracebackType

from extractors.verdicts.entry_verdicts import german_date
from flows.server_thread import ServerThread

PAGES_DIR = Path(__file__).parent / "pages"


@dataclass(frozen=True, slots=True)
class DemoEntry:
    """One catalogue row of the demo. `path` is None when the target is unknown."""

    entry_id: str
    provider: str
    provider_type: str
    title: str
    description: str
    link_label: str
    path: str | None


DEMO_ENTRIES: tuple[DemoEntry, ...] = (
    DemoEntry(
        "musterstadt-willkommenslotsen",
        "Stadt Musterstadt",
        "Stadt",
        "Willkommenslotsen begleiten Neuankömmlinge",
        "Ehrenamtliche Lotsen begleiten geflüchtete Familien zu Behörden, Ärzten und Schulen.",
        "Weitere Informationen",
        "/musterstadt/aktuelles/willkommenslotsen",
    ),
    DemoEntry(
        "beispielkreis-sprachkurse",
        "Kreis Beispielkreis",
        "Kreis",
        "Sprachkurse für Geflüchtete",
        "Der Kreis vermittelt Sprachkurse, viele mit Kinderbetreuung.",
        "Weitere Informationen",
        "/kreis/integration/sprachkurse",
    ),
    DemoEntry(
        "musterland-wohnraum",
        "Landkreis Musterland",
        "Kreis",
        "Wohnraum für Flüchtlinge",
        "Ein Merkblatt für Vermieter, die Wohnungen an Geflüchtete vermieten möchten.",
        "Merkblatt (PDF)",
        "/landkreis/downloads/merkblatt-wohnraum.pdf",
    ),
    DemoEntry(
        "beispielhausen-patenschaften",
        "Gemeinde Beispielhausen",
        "Gemeinde",
        "Patenschaftsprogramm",
        "Bürgerinnen und Bürger übernehmen Patenschaften für geflüchtete Familien.",
        "Weitere Informationen",
        "/gemeinde/patenschaften",
    ),
    DemoEntry(
        "musterstadt-ausbildung",
        "Stadt Musterstadt",
        "Stadt",
        "Zukunftschance Ausbildung",
        "Ein Flyer wirbt bei Betrieben um Ausbildungsplätze für junge Geflüchtete.",
        "Flyer (PDF)",
        "/stadt/flyer-ausbildung-2015.pdf",
    ),
    DemoEntry(
        "landesverband-mentoring",
        "Landesverband Beispiel e. V.",
        "Verband",
        "Mentoring für junge Geflüchtete",
        "Ehrenamtliche begleiten junge Geflüchtete ein Jahr lang.",
        "Weitere Informationen",
        "/verband/mentoring",
    ),
    DemoEntry(
        "landesverband-mentoring",
        "",
        "",
        "",
        "",
        "Kurzlink",
        "/m",
    ),
    DemoEntry(
        "beispielstadt-ehrenamt",
        "Stadt Beispielstadt",
        "Stadt",
        "Ehrenamtsbörse",
        "Die Börse bringt Helfende und Initiativen zusammen.",
        "Termine",
        "/beispielstadt/ehrenamt/termine",
    ),
    DemoEntry(
        "musterkreis-gesundheitskarte",
        "Kreis Musterkreis",
        "Kreis",
        "Gesundheitskarte für Flüchtlinge",
        "Geflüchtete gehen mit der Gesundheitskarte direkt zum Arzt.",
        "Weitere Informationen",
        "/musterkreis/gesundheitskarte",
    ),
    DemoEntry(
        "beispielburg-webapp",
        "Stadt Beispielburg",
        "Stadt",
        "Web-App und Twitter",
        "Eine Web-App und ein Twitter-Kanal informieren Geflüchtete und Helfende.",
        "Twitter „Beispielburg hilft“",
        None,
    ),
)

# Where the moved page lives now, and the path every night answers 404 for.
MOVED_TO = "/kreis/bildung/sprachkurse-fuer-gefluechtete"
VANISHED_PDF = "/landkreis/downloads/merkblatt-wohnraum.pdf"


@dataclass(frozen=True, slots=True)
class DemoAnswer:
    status: int
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    location: str | None = None


def _page(name: str, **values: str) -> bytes:
    template = Template((PAGES_DIR / name).read_text(encoding="utf-8"))
    return template.substitute(values).encode("utf-8")


def _pdf_text(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252") + b")"


def flyer_pdf(title: str, lines: tuple[str, ...], created: str, modified: str) -> bytes:
    """A one-page PDF with real text and Info dates (`created`/`modified` as D:YYYYMMDDhhmmss)."""
    content = b"BT /F1 20 Tf 72 770 Td " + _pdf_text(lines[0]) + b" Tj /F1 12 Tf"
    for line in lines[1:]:
        content += b" 0 -24 Td " + _pdf_text(line) + b" Tj"
    content += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title "
        + _pdf_text(title)
        + b" /Producer (Linkpflege-Demo) /CreationDate (D:"
        + created.encode("ascii")
        + b"+02'00') /ModDate (D:"
        + modified.encode("ascii")
        + b"+02'00') >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


class DemoSite:
    """What the sample web answers on each of the two nights (pure: no sockets)."""

    def __init__(self, second_night: dt.date) -> None:
        self.second_night = second_night
        self.night = 0  # 0 = the first night, 1 = the second

    def answer(self, path: str) -> DemoAnswer:
        path = path.split("?", 1)[0]
        fresh = self.second_night - dt.timedelta(days=40)
        second = self.night == 1
        if path == "/robots.txt":
            return DemoAnswer(200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow:\n")
        if path == "/":
            return DemoAnswer(200, body=_page("startseite.html"))
        if path == "/musterstadt/aktuelles/willkommenslotsen":
            return DemoAnswer(
                200, body=_page("willkommenslotsen.html", year=str(self.second_night.year))
            )
        if path == "/kreis/integration/sprachkurse":
            return DemoAnswer(301, location=MOVED_TO)
        if path == MOVED_TO:
            return DemoAnswer(200, body=_page("sprachkurse.html", fresh=german_date(fresh)))
        if path == "/gemeinde/patenschaften":  # the CMS answers 200 to anything it lost
            return DemoAnswer(200, body=_page("patenschaften-fehlerseite.html"))
        if path == "/stadt/flyer-ausbildung-2015.pdf":
            return DemoAnswer(
                200,
                "application/pdf",
                flyer_pdf(
                    "Zukunftschance Ausbildung",
                    (
                        "Zukunftschance Ausbildung",
                        "Junge Geflüchtete suchen Ausbildungsplätze in Musterstadt.",
                        "Betriebe melden sich bei der Ausbildungsbörse im Rathaus.",
                        "Stand: 10. Juni 2015",
                    ),
                    created="20150602100000",
                    modified="20150610120000",
                ),
            )
        if path == "/verband/mentoring":
            published = fresh - dt.timedelta(days=300)
            return DemoAnswer(
                200,
                body=_page(
                    "mentoring.html", fresh=fresh.isoformat(), published=published.isoformat()
                ),
            )
        if path == "/m":
            return DemoAnswer(302, location="/verband/mentoring")
        if path == "/beispielstadt/ehrenamt/termine":
            if second:
                news = (
                    "Neu: Das Treffen im Dezember fällt aus; ab Januar trifft sich die Börse "
                    "jeden ersten Dienstag im Bürgerhaus Nord."
                )
                stand = self.second_night
            else:
                news = "Die Börse trifft sich jeden ersten Montag im Monat im Rathaus, Raum 3."
                stand = self.second_night - dt.timedelta(days=10)
            return DemoAnswer(
                200, body=_page("ehrenamt-termine.html", news=news, stand=german_date(stand))
            )
        if path == "/musterkreis/gesundheitskarte" and second:  # back after a bad night
            return DemoAnswer(200, body=_page("gesundheitskarte.html", fresh=fresh.isoformat()))
        return DemoAnswer(404, body=_page("nicht-gefunden.html"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._reply(send_body=True)

    def do_HEAD(self) -> None:
        self._reply(send_body=False)

    def _reply(self, *, send_body: bool) -> None:
        answer = self.server.site.answer(self.path)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        if answer.location:
            self.send_header("Location", answer.location)
        self.end_headers()
        if send_body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo prints its own summary


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: DemoSite


class DemoWeb:
    """The sample web on 127.0.0.1 (a free port), as a context manager."""

    def __init__(self, second_night: dt.date) -> None:
        self.site = DemoSite(second_night)
        self._server: _Server | None = None
        self._serving: ServerThread | None = None

    def __enter__(self) -> DemoWeb:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.site = self.site
        self._server = server
        self._serving = ServerThread(server, poll_interval=0.1).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._serving is not None
        self._serving.stop()

    @property
    def night(self) -> int:
        return self.site.night

    @night.setter
    def night(self, index: int) -> None:
        self.site.night = index

    def url(self, path: str) -> str:
        assert self._server is not None, "use DemoWeb as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"
