"""The desk as an editor uses it, in real headless Chromium against the desk on 127.0.0.1:
sign in, mark an entry reviewed, take over a proposed address, remove an entry, sign out —
and afterwards the catalogue, its saved version and the audit log on disk. A second browser
that edits the same entry from an older page gets the conflict message; a hostile title in a
row never runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from desk.desk_world import PASSWORDS, DeskWorld, running_desk
from headless_chrome import INSTALLED, NOT_INSTALLED, chrome, quit_chrome

from extractors.catalog.reader import parse_catalog

pytestmark = [
    pytest.mark.skipif(not INSTALLED, reason=NOT_INSTALLED),
    pytest.mark.usefixtures("cheap_hashes"),
]
pytest.importorskip("selenium.webdriver", reason="selenium missing: pip install -e '.[dev]'")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


def submit(driver: Any, button: Any) -> None:
    """Click a form's button and wait until the next page has replaced this one."""
    button.click()
    WebDriverWait(driver, 10).until(_gone(button))


def _gone(element: Any) -> Any:
    """`staleness_of`, also when Chrome, asked in the middle of the page change, answers
    "Node with given id does not belong to the document" instead of "stale element"."""

    def gone(driver: Any) -> bool:
        try:
            return bool(expected_conditions.staleness_of(element)(driver))
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise

    return gone


@pytest.fixture
def desk(world: DeskWorld) -> Iterator[str]:
    with running_desk(world.settings) as base:
        yield base


@pytest.fixture
def browsers() -> Iterator[tuple[Any, Any]]:
    first, second = chrome(), chrome()
    try:
        yield first, second
    finally:
        quit_chrome(first)
        quit_chrome(second)


def sign_in(driver: Any, base: str, name: str) -> None:
    driver.get(base + "/")
    assert driver.current_url == base + "/anmelden"  # nothing but the sign-in page
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[name])
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert driver.current_url == base + "/"


def row_actions(driver: Any, entry_id: str) -> Any:
    """Open the row's „Bearbeiten“ (and a collapsed section around it, as an editor would)
    and return its details element."""
    form = driver.find_element(By.CSS_SELECTOR, f'form[action="/eintrag/{entry_id}/geprueft"]')
    enclosing = form.find_elements(By.XPATH, "./ancestor::details")  # outermost first
    for details in enclosing:
        if details.get_attribute("open") is None:
            details.find_element(By.XPATH, "./summary").click()
    return enclosing[-1]


def notice(driver: Any) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".desk-notice").text


def pwned(driver: Any) -> str | None:
    return driver.execute_script("return document.documentElement.getAttribute('data-pwned')")


def test_an_editor_reviews_accepts_removes_and_signs_out(
    desk: str, world: DeskWorld, browsers: tuple[Any, Any]
) -> None:
    anna, ben = browsers
    sign_in(anna, desk, "anna")
    sign_in(ben, desk, "ben")  # ben's page now carries the entries as they are before anna's edits
    assert pwned(anna) is None
    assert "onerror" in anna.find_element(By.TAG_NAME, "main").text  # shown as text, not run

    # „Geprüft“ with a note.
    details = row_actions(anna, "alt")
    details.find_element(By.NAME, "note").send_keys("Flyer ist aktuell")
    submit(anna, details.find_element(By.CSS_SELECTOR, "button[value=geprueft]"))
    assert "als geprüft vermerkt" in notice(anna)

    # Take over the proposed address (the sitemap's).
    details = row_actions(anna, "zell")
    details.find_element(
        By.CSS_SELECTOR, 'input[name=proposal][value="https://zell.example/neu"]'
    ).click()
    details.find_element(By.CSS_SELECTOR, "form[action$='/adresse'] input[name=reason]").send_keys(
        "laut Sitemap"
    )
    submit(anna, details.find_element(By.CSS_SELECTOR, "button[value=adresse]"))
    assert "neue Adresse für „zell“" in notice(anna)
    pending = anna.find_element(By.ID, "ausstehend").find_element(By.XPATH, "..").text
    assert "neue Adresse https://zell.example/neu" in pending and "anna" in pending

    # Remove an entry.
    details = row_actions(anna, "gut")
    submit(anna, details.find_element(By.CSS_SELECTOR, "button[value=entfernen]"))
    assert "aus dem Katalog entfernt" in notice(anna)

    # Ben, on his older page, edits the entry anna changed: a conflict, not a lost edit.
    details = row_actions(ben, "zell")
    details.find_element(By.NAME, "new_url").send_keys("https://ben.example/zell")
    submit(ben, details.find_element(By.CSS_SELECTOR, "button[value=adresse]"))
    message = notice(ben)
    assert "inzwischen geändert" in message and "anna" in message and "neu laden" in message

    # Sign out: back to the sign-in page, and the desk is closed to this browser.
    submit(anna, anna.find_element(By.CSS_SELECTOR, "form[action='/abmelden'] button"))
    assert anna.current_url == desk + "/anmelden?abgemeldet"
    anna.get(desk + "/")
    assert anna.current_url == desk + "/anmelden"

    # On disk: the catalogue, the version it replaced, the audit log, the review.
    parsed = parse_catalog(world.catalog.read_bytes(), source=str(world.catalog))
    urls = {entry.entry_id: entry.url for entry in parsed.entries}
    assert urls == {
        "zell": "https://zell.example/neu",
        "umzug": "https://alt.example/seite",
        "alt": "https://alt.example/flyer.pdf",
    }
    assert len(list(world.versions.iterdir())) == 2  # one per catalogue change
    log = list(csv.DictReader(io.StringIO(world.audit_log.read_text(encoding="utf-8"))))
    assert [(row["editor"], row["entry_id"], row["action"]) for row in log] == [
        ("anna", "alt", "geprueft"),
        ("anna", "zell", "adresse"),
        ("anna", "gut", "entfernt"),
    ]
    assert log[1]["reason"] == "laut Sitemap"
    assert world.settings.reviews_file.read_text(encoding="utf-8").splitlines()[-1] == (
        "alt,2026-11-26,Flyer ist aktuell"
    )
    for driver in browsers:
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []  # no CSP violation, no script error
