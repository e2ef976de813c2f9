"""The report as an editor sees it: opened from disk in headless Chromium (Debian's `chromium`
and `chromium-driver`, driven by Selenium; `.ci/run` installs them).

Hostile titles, providers, labels and addresses try to run script in every way an attacker
could: script and img tags, event handlers breaking out of attributes, javascript: URLs. Each
payload would mark the page if it ran; the marks must stay absent and the console free of
errors, while our own script (allowed by its hash in the page's CSP) filters and sorts.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from headless_chrome import INSTALLED, NOT_INSTALLED, chrome, quit_chrome
from record_factories import make_entry_verdict, make_link_row

from extractors.records import EntryVerdict, Health, LinkRow, Verdict
from flows.report.render import write_report
from flows.report.view import ReportInput

pytestmark = pytest.mark.skipif(not INSTALLED, reason=NOT_INSTALLED)
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium missing: pip install -e '.[dev]'"
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

RUN_DATE = dt.date(2026, 11, 26)
MARK = "document.documentElement.setAttribute('data-pwned', '{}')"
LONG_TITLE = "Sehr langer Titel " + "lang" * 2500  # 10,000+ characters
RTL_TITLE = "مساعدة اللاجئين \u202egnp.exe"
PAYLOADS = {
    "title-script": f"<script>{MARK.format('title-script')}</script>",
    "provider-img": f'<img src=x onerror="{MARK.format("provider-img")}">',
    "label-attribute": f'"><svg onload="{MARK.format("label-attribute")}">',
    "summary-style": "<style>body{display:none}</style></td></tr></table><script>alert(1)</script>",
    "href": f"javascript:{MARK.format('href')}",
    "final-href": f"JaVaScRiPt:{MARK.format('final-href')}",
    "provider-quote": f"Stadt ' onmouseover='{MARK.format('provider-quote')}'",
}


def link_row(entry_id: str, url: str | None, **changes: Any) -> LinkRow:
    defaults = {
        "title": "Seitentitel",
        "summary": "Zusammenfassung",
        "modified": dt.date(2026, 6, 1),
        "content_date": dt.date(2026, 6, 1),
        "age_days": 178,
        "first_seen": dt.date(2026, 1, 1),
    }
    return make_link_row(entry_id=entry_id, url=url, **{**defaults, **changes})


def entry(entry_id: str, verdict: Verdict, provider: str, title: str) -> EntryVerdict:
    return make_entry_verdict(entry_id=entry_id, verdict=verdict, provider=provider, title=title)


def broken(since: dt.date, **changes: Any) -> dict[str, Any]:
    return {
        "health": Health.NOT_FOUND,
        "http_status": 404,
        "confirmed_broken": True,
        "failing_since": since,
        "consecutive_failures": 2,
        "content_date": None,
        "stale": None,
        **changes,
    }


def hostile_report() -> ReportInput:
    rows = [
        # Three broken links, to sort.
        (
            entry("zell", Verdict.BROKEN, "Stadt Zell", PAYLOADS["title-script"]),
            link_row(
                "zell",
                "https://zell.example/weg",
                **broken(dt.date(2026, 11, 10), title=PAYLOADS["summary-style"]),
            ),
        ),
        (
            entry("berg", Verdict.BROKEN, PAYLOADS["provider-img"], "Amt Berg: Sprachkurse"),
            link_row(
                "berg",
                "https://berg.example/pdf",
                link_label=PAYLOADS["label-attribute"],
                **broken(dt.date(2026, 11, 20), summary=PAYLOADS["summary-style"]),
            ),
        ),
        (
            entry("aachen", Verdict.BROKEN, "Kreis Aachen", "Ärztliche Versorgung"),
            link_row("aachen", "https://aachen.example/x", **broken(dt.date(2026, 11, 1))),
        ),
        (
            entry("umzug", Verdict.REVIEW, PAYLOADS["provider-quote"], "Umgezogene Seite"),
            link_row(
                "umzug",
                "https://alt.example/seite",
                health=Health.MOVED,
                http_status=301,
                final_url=PAYLOADS["final-href"],
            ),
        ),
        (
            entry("alt", Verdict.STALE, "Stadt Musterstadt", LONG_TITLE),
            link_row(
                "alt",
                "https://musterstadt.example/lotsen",
                stale=True,
                content_date=dt.date(2015, 11, 3),
                date_source="visible_text",
                age_days=4041,
                summary="S" * 10_000,
            ),
        ),
        (
            entry("js", Verdict.REVIEW, "Gemeinde Skript", "Ungültige Adresse"),
            link_row("js", PAYLOADS["href"], health=Health.INVALID_URL, http_status=None),
        ),
        (
            entry("rtl", Verdict.MISSING_URL, "Stadt Köln", RTL_TITLE),
            link_row("rtl", None, link_label='Twitter "Köln hilft"'),
        ),
        (
            entry("gut", Verdict.OK, "Kreis Gut", "Alles gut"),
            link_row("gut", "https://gut.example/"),
        ),
    ]
    return ReportInput(
        run_date=RUN_DATE,
        generated_at=dt.datetime(2026, 11, 26, 3, 12, tzinfo=dt.UTC),
        catalog_name="KGSt <b>Flüchtlinge</b>",
        inconclusive_reason=None,
        entries=tuple(e for e, _ in rows),
        links=tuple(link for _, link in rows),
        previous_verdicts={"zell": Verdict.REVIEW, "gut": Verdict.BROKEN},
        verdict_history=tuple(
            (RUN_DATE - dt.timedelta(days=n), {"broken": n % 3, "review": 2, "ok": 4})
            for n in range(7, 0, -1)
        ),
    )


@pytest.fixture(scope="module")
def report_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    files = write_report(hostile_report(), tmp_path_factory.mktemp("report"))
    return files.html.as_uri()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = chrome()
    try:
        yield driver
    finally:
        quit_chrome(driver)


def pwned(driver: Any) -> str | None:
    return driver.execute_script("return document.documentElement.getAttribute('data-pwned')")


def visible_titles(driver: Any) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-section]")
    return [row.find_element(By.CSS_SELECTOR, "th").text for row in rows if row.is_displayed()]


def severe(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["level"] == "SEVERE"]


def test_no_script_from_the_data_runs_and_our_own_runs_cleanly(browser: Any, report_url: str):
    browser.get(report_url)
    assert browser.title == "Linkpflege – Bericht vom 26.11.2026"
    # Every injected element is text: click where the payloads sit (titles and providers; no
    # links, which would leave the page).
    for cell in browser.find_elements(By.CSS_SELECTOR, "tr[data-section] > :nth-child(-n+2)"):
        if cell.is_displayed():
            cell.click()
    assert pwned(browser) is None
    assert browser.execute_script("return document.querySelectorAll('img, iframe').length") == 0
    hrefs = browser.execute_script(
        "return Array.from(document.links, a => a.protocol + '|' + a.rel)"
    )
    for href in hrefs:
        protocol, rel = href.split("|")
        assert protocol in {"http:", "https:", "file:"}, href  # file: = our jump links
        assert protocol == "file:" or set(rel.split()) >= {"noopener", "noreferrer"}, href
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "<script>" in text and "javascript:" in text  # shown as text
    assert browser.find_element(By.TAG_NAME, "body").is_displayed()  # injected CSS did not apply
    # Our own script ran under the CSP: the filter bar is shown and counts the links.
    assert browser.find_element(By.ID, "filter").is_displayed()
    assert browser.find_element(By.ID, "filter-status").text == "Alle 8 Links angezeigt."
    assert severe(browser.get_log("browser")) == []  # no CSP violation, no script error


def test_search_filters_and_sorting_work(browser: Any, report_url: str):
    browser.get(report_url)
    search = browser.find_element(By.ID, "filter-text")
    search.send_keys("aerztliche")  # accents and case do not matter
    assert visible_titles(browser) == ["Ärztliche Versorgung"]
    assert browser.find_element(By.ID, "filter-status").text == "1 von 8 Links angezeigt."
    # Sections without a match disappear while a filter is set.
    shown_sections = [
        s.get_attribute("data-section")
        for s in browser.find_elements(By.CSS_SELECTOR, "section.report-section")
        if s.is_displayed()
    ]
    assert shown_sections == ["defekt"]
    search.clear()
    search.send_keys("alles gut")  # inside the collapsed "In Ordnung" section: opened
    assert visible_titles(browser) == ["Alles gut"]
    search.clear()
    browser.execute_script("arguments[0].dispatchEvent(new Event('input'))", search)
    assert "Alles gut" not in visible_titles(browser)  # collapsed again, as the reader left it

    Select(browser.find_element(By.ID, "filter-section")).select_by_visible_text("Defekt")
    assert sorted(visible_titles(browser)) == sorted(
        [PAYLOADS["title-script"], "Amt Berg: Sprachkurse", "Ärztliche Versorgung"]
    )
    provider = Select(browser.find_element(By.ID, "filter-provider"))
    provider.select_by_visible_text(PAYLOADS["provider-img"])  # a hostile name is just text
    assert visible_titles(browser) == ["Amt Berg: Sprachkurse"]
    provider.select_by_visible_text("Alle Anbieter")
    Select(browser.find_element(By.ID, "filter-section")).select_by_visible_text("Alle Befunde")
    assert len(visible_titles(browser)) == 7  # all but the collapsed "In Ordnung" row

    # Sorting: the "Seit" column of "Defekt", then the other way round.
    defekt = browser.find_element(By.CSS_SELECTOR, "section[data-section=defekt] table")
    headers = defekt.find_elements(By.CSS_SELECTOR, "thead button.sort")
    assert [h.text for h in headers] == ["Anbieter", "Eintrag", "Link", "Was ist los", "Seit"]

    def column(index: int) -> list[str]:
        return [
            row.find_elements(By.CSS_SELECTOR, "td, th")[index].text.replace("\n", " ")
            for row in defekt.find_elements(By.CSS_SELECTOR, "tbody tr")
        ]

    headers[4].click()
    assert column(4) == [
        "gescheitert seit 01.11.2026",
        "gescheitert seit 10.11.2026",
        "gescheitert seit 20.11.2026",
    ]
    headers[4].click()
    assert column(4)[0].endswith("20.11.2026")
    assert headers[4].find_element(By.XPATH, "..").get_attribute("aria-sort") == "descending"
    headers[0].click()  # provider, German collation
    assert [cell.split(" Stadt")[0] for cell in column(0)] == [
        PAYLOADS["provider-img"],
        "Kreis Aachen",
        "Stadt Zell",
    ]
    assert pwned(browser) is None
    assert severe(browser.get_log("browser")) == []


def test_screenshot_is_not_blank(browser: Any, report_url: str, tmp_path: Path):
    browser.get(report_url)
    path = tmp_path / "bericht.png"
    assert browser.save_screenshot(str(path))
    width, height, pixels = decode_png(path.read_bytes())
    viewport = browser.execute_script(
        "return [innerWidth * devicePixelRatio, innerHeight * devicePixelRatio]"
    )
    assert (width, height) == tuple(round(size) for size in viewport)
    distinct = len(set(pixels))
    white = pixels.count((255, 255, 255)) / len(pixels)
    assert distinct > 200, distinct  # text, badges, chart colours …
    assert white < 0.97, white  # not an empty page


def test_page_is_complete_without_javascript(report_url: str):
    driver = chrome(javascript=False)
    try:
        driver.get(report_url)
        assert not driver.find_element(By.ID, "filter").is_displayed()
        assert len(visible_titles(driver)) == 7  # every problem link; "In Ordnung" collapsed
        assert driver.find_elements(By.CSS_SELECTOR, "button.sort") == []
        driver.find_element(By.CSS_SELECTOR, "section[data-section=in-ordnung] summary").click()
        assert "Alles gut" in visible_titles(driver)
        assert driver.find_element(By.CSS_SELECTOR, "svg.trend-chart").is_displayed()
    finally:
        quit_chrome(driver)


def test_the_policy_stops_a_script_that_is_not_ours(browser: Any, report_url: str, tmp_path: Path):
    """A control: had a payload slipped through, the CSP would still have refused it."""
    page = Path(report_url.removeprefix("file://")).read_text(encoding="utf-8")
    tampered = tmp_path / "tampered.html"
    tampered.write_text(
        page.replace("</main>", f"<script>{MARK.format('injected')}</script></main>"),
        encoding="utf-8",
    )
    browser.get(tampered.as_uri())
    assert pwned(browser) is None
    violations = [
        e for e in severe(browser.get_log("browser")) if "Content Security" in e["message"]
    ]
    assert violations, "the browser should report the refused script"
    assert browser.find_element(By.ID, "filter").is_displayed()  # ours still runs


# ---------------------------------------------------------------------------------------------
# PNG, decoded by hand (no imaging library needed)


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        unfilter(kind, line, previous, channels)
        pixels.extend(zip(line[0::channels], line[1::channels], line[2::channels], strict=True))
        previous = line
    return width, height, pixels


def unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    """Undo one scanline's PNG filter in place (RFC 2083, section 6)."""
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
        elif kind == 4:
            corner = previous[i - bpp] if i >= bpp else 0
            guess = left + up - corner
            a, b, c = abs(guess - left), abs(guess - up), abs(guess - corner)
            predictor = left if a <= b and a <= c else up if b <= c else corner
            line[i] = (line[i] + predictor) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter {kind}")
