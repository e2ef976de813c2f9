"""The desk over real HTTP (uvicorn on 127.0.0.1): sign-in, the three actions, and every
refusal — no session, no CSRF token, a foreign origin, the reader role, too many wrong
passwords, an expired session, a proxy header from the wrong address."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from desk.desk_world import PASSWORDS, DeskWorld, FakeClock, build_world, running_desk
from starlette.routing import Route

from extractors.catalog.reader import parse_catalog
from flows.desk import accounts
from flows.desk.app import PUBLIC_ROUTES, desk_app

# Every route of the desk. A route added without being listed here fails
# test_the_route_list_is_complete; one that is not protected fails the refusal tests.
ROUTES = {
    ("GET", "/anmelden"),
    ("POST", "/anmelden"),
    ("POST", "/abmelden"),
    ("GET", "/"),
    ("GET", "/report.csv"),
    ("GET", "/report.md"),
    ("POST", "/eintrag/{entry_id:path}/geprueft"),
    ("POST", "/eintrag/{entry_id:path}/adresse"),
    ("POST", "/eintrag/{entry_id:path}/entfernen"),
}

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk(world: DeskWorld, clock: FakeClock) -> Iterator[str]:
    with running_desk(world.settings, clock) as base:
        yield base


def client(base: str, **kwargs: object) -> httpx.Client:
    return httpx.Client(base_url=base, follow_redirects=False, timeout=10, **kwargs)  # type: ignore[arg-type]


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def sign_in(browser: httpx.Client, name: str, password: str | None = None) -> httpx.Response:
    form = browser.get("/anmelden")
    return browser.post(
        "/anmelden",
        data={
            "csrf": hidden(form.text, "csrf"),
            "name": name,
            "password": password or PASSWORDS[name],
        },
    )


def signed_in(base: str, name: str) -> httpx.Client:
    browser = client(base)
    answer = sign_in(browser, name)
    assert answer.status_code == 303, answer.text
    return browser


def row_form(page: str, entry_id: str, action: str) -> dict[str, str]:
    """The hidden fields of one row's form, as the browser would send them."""
    start = page.index(f'action="/eintrag/{entry_id}/{action}"')
    form = page[start : page.index("</form>", start)]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


def catalogue_urls(world: DeskWorld) -> dict[str, list[str]]:
    parsed = parse_catalog(world.catalog.read_bytes(), source=str(world.catalog))
    urls: dict[str, list[str]] = {}
    for entry in parsed.entries:
        urls.setdefault(entry.entry_id, []).append(entry.url)
    return urls


def audit_rows(world: DeskWorld) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(world.audit_log.read_text(encoding="utf-8"))))


# --- which routes exist, and that each refuses a stranger ------------------------------------


def test_the_route_list_is_complete(world: DeskWorld) -> None:
    app = desk_app(world.settings)
    found = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or ()) - {"HEAD"}
    }
    assert found == ROUTES
    assert {path for _, path in ROUTES if path in PUBLIC_ROUTES} == {"/anmelden"}


@pytest.mark.parametrize(("method", "path"), sorted(r for r in ROUTES if r[1] not in PUBLIC_ROUTES))
def test_every_route_refuses_without_a_session(desk: str, world: DeskWorld, method: str, path: str):
    url = path.replace("{entry_id:path}", "zell")
    with client(desk) as stranger:
        answer = stranger.request(
            method, url, data={"csrf": "x", "seen": "x", "new_url": "https://evil.example/"}
        )
    if method == "GET":
        assert answer.status_code == 303 and answer.headers["location"] == "/anmelden"
    else:
        assert answer.status_code == 403
        assert "Nicht angemeldet" in answer.text
    assert not world.audit_log.exists()
    assert catalogue_urls(world)["zell"] == ["https://zell.example/weg"]
    assert not world.settings.reviews_file.exists()


def test_every_answer_carries_the_security_headers(desk: str) -> None:
    with client(desk) as browser:
        for answer in (browser.get("/anmelden"), browser.get("/"), browser.get("/nirgends")):
            policy = answer.headers["content-security-policy"]
            assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
            assert "form-action 'self'" in policy and "default-src 'none'" in policy
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["cache-control"] == "no-store"


# --- signing in and out ---------------------------------------------------------------------


def test_sign_in_sets_a_guarded_cookie_and_shows_the_report(desk: str) -> None:
    with client(desk) as browser:
        assert sign_in(browser, "anna", "falsch-falsch").status_code == 401
        answer = sign_in(browser, "anna")
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert "linkpflege_sitzung=" in cookie and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
        page = browser.get("/")
        assert page.status_code == 200
        assert "Angemeldet als <strong><bdi>anna</bdi></strong> (Redaktion)" in page.text
        assert 'action="/eintrag/zell/geprueft"' in page.text


def test_cookie_is_secure_behind_a_tls_proxy(tmp_path: Path, clock: FakeClock) -> None:
    world = build_world(tmp_path, desk_trusted_proxies="127.0.0.1")
    with running_desk(world.settings, clock) as base, client(base) as browser:
        form = browser.get("/anmelden")
        answer = browser.post(
            "/anmelden",
            data={"csrf": hidden(form.text, "csrf"), "name": "anna", "password": PASSWORDS["anna"]},
            headers={"x-forwarded-proto": "https"},
        )
        assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


def test_sign_out_ends_the_session(desk: str) -> None:
    browser = signed_in(desk, "anna")
    page = browser.get("/")
    cookie = browser.cookies.get("linkpflege_sitzung")
    answer = browser.post("/abmelden", data={"csrf": hidden(page.text, "csrf")})
    assert answer.status_code == 303 and answer.headers["location"] == "/anmelden?abgemeldet"
    with client(desk, cookies={"linkpflege_sitzung": cookie or ""}) as replay:
        assert replay.get("/").status_code == 303  # the old cookie is worth nothing now


def test_sign_in_form_needs_its_own_token(desk: str) -> None:
    with client(desk) as browser:
        answer = browser.post(
            "/anmelden", data={"csrf": "", "name": "anna", "password": PASSWORDS["anna"]}
        )
        assert answer.status_code == 403
        assert "linkpflege_sitzung" not in answer.headers.get("set-cookie", "")


def test_repeated_failures_slow_sign_in_down(desk: str, clock: FakeClock) -> None:
    with client(desk) as browser:
        for _ in range(5):
            assert sign_in(browser, "anna", "falsch-falsch").status_code == 401
        # Now even the right password has to wait: the answer does not tell which it was.
        blocked = sign_in(browser, "anna")
        assert blocked.status_code == 429 and "Zu viele Fehlversuche" in blocked.text
        assert (
            sign_in(browser, "ANNA", PASSWORDS["anna"]).status_code == 429
        )  # the name, regardless of case
        clock.advance(3)
        assert sign_in(browser, "anna", "falsch-falsch").status_code == 401
        assert sign_in(browser, "anna").status_code == 429  # the wait doubled
        clock.advance(5)
        assert sign_in(browser, "anna").status_code == 303


def test_session_expires_when_idle(desk: str, clock: FakeClock) -> None:
    browser = signed_in(desk, "anna")
    assert browser.get("/").status_code == 200
    clock.advance(119 * 60)
    assert browser.get("/").status_code == 200  # a request restarts the idle time
    clock.advance(121 * 60)
    assert browser.get("/").status_code == 303


def test_removed_account_is_signed_out(desk: str, world: DeskWorld) -> None:
    browser = signed_in(desk, "ben")
    assert browser.get("/").status_code == 200
    accounts.remove_account(accounts.accounts_path(world.settings.data_dir), "ben")
    assert browser.get("/").status_code == 303


# --- the actions --------------------------------------------------------------------------


def test_reviewed_writes_the_review_record_and_the_audit_line(desk: str, world: DeskWorld) -> None:
    browser = signed_in(desk, "anna")
    form = row_form(browser.get("/").text, "alt", "geprueft")
    answer = browser.post("/eintrag/alt/geprueft", data={**form, "note": "Flyer  ist aktuell"})
    assert answer.status_code == 303
    reviews = world.settings.reviews_file.read_text(encoding="utf-8").splitlines()
    assert reviews == ["entry_id,reviewed_on,note", "alt,2026-11-26,Flyer ist aktuell"]
    [line] = audit_rows(world)
    assert (line["editor"], line["entry_id"], line["action"]) == ("anna", "alt", "geprueft")
    page = browser.get("/").text
    assert "Gespeichert" in page and "als geprüft vermerkt" in page
    assert "Ausstehende Änderungen (1)" in page


def test_accepting_a_proposal_writes_a_new_catalogue_version(desk: str, world: DeskWorld) -> None:
    before = world.catalog.read_bytes()
    browser = signed_in(desk, "anna")
    form = row_form(browser.get("/").text, "zell", "adresse")
    answer = browser.post(
        "/eintrag/zell/adresse",
        data={**form, "proposal": "https://zell.example/neu", "reason": "Sitemap-Vorschlag"},
    )
    assert answer.status_code == 303
    assert catalogue_urls(world)["zell"] == ["https://zell.example/neu"]
    [version] = list(world.versions.iterdir())
    assert version.read_bytes() == before
    [line] = audit_rows(world)
    assert (line["editor"], line["action"], line["old_url"], line["new_url"], line["reason"]) == (
        "anna",
        "adresse",
        "https://zell.example/weg",
        "https://zell.example/neu",
        "Sitemap-Vorschlag",
    )
    page = browser.get("/").text
    assert "der nächste Lauf prüft sie" in page
    assert "Ausstehend: neue Adresse https://zell.example/neu (anna," in page


def test_a_typed_address_is_checked(desk: str, world: DeskWorld) -> None:
    browser = signed_in(desk, "anna")
    form = row_form(browser.get("/").text, "umzug", "adresse")
    answer = browser.post("/eintrag/umzug/adresse", data={**form, "new_url": "javascript:alert(1)"})
    assert answer.status_code == 303
    assert "http://" in browser.get("/").text  # the German refusal names the schemes
    assert catalogue_urls(world)["umzug"] == ["https://alt.example/seite"]
    assert not world.audit_log.exists()


def test_a_concurrent_edit_is_detected_not_lost(desk: str, world: DeskWorld) -> None:
    anna, ben = signed_in(desk, "anna"), signed_in(desk, "ben")
    anna_form = row_form(anna.get("/").text, "umzug", "adresse")
    ben_form = row_form(ben.get("/").text, "umzug", "adresse")
    anna.post("/eintrag/umzug/adresse", data={**anna_form, "proposal": "https://neu.example/seite"})
    ben.post("/eintrag/umzug/adresse", data={**ben_form, "new_url": "https://ben.example/"})
    page = ben.get("/").text
    assert "inzwischen geändert" in page and "anna" in page
    assert catalogue_urls(world)["umzug"] == ["https://neu.example/seite"]
    assert [row["editor"] for row in audit_rows(world)] == ["anna"]


def test_remove_entry(desk: str, world: DeskWorld) -> None:
    browser = signed_in(desk, "anna")
    form = row_form(browser.get("/").text, "gut", "entfernen")
    assert (
        browser.post(
            "/eintrag/gut/entfernen", data={**form, "reason": "Projekt beendet"}
        ).status_code
        == 303
    )
    assert "gut" not in catalogue_urls(world)
    assert audit_rows(world)[-1]["action"] == "entfernt"
    assert "Ausstehend: Eintrag entfernt" in browser.get("/").text


def test_csrf_and_foreign_origins_are_refused(desk: str, world: DeskWorld) -> None:
    browser = signed_in(desk, "anna")
    form = row_form(browser.get("/").text, "zell", "entfernen")
    assert (
        browser.post("/eintrag/zell/entfernen", data={**form, "csrf": "geraten"}).status_code == 403
    )
    assert browser.post("/eintrag/zell/entfernen", data={"seen": form["seen"]}).status_code == 403
    foreign = browser.post(
        "/eintrag/zell/entfernen", data=form, headers={"origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    cross = browser.post(
        "/eintrag/zell/entfernen", data=form, headers={"sec-fetch-site": "cross-site"}
    )
    assert cross.status_code == 403
    assert "zell" in catalogue_urls(world) and not world.audit_log.exists()


def test_a_reader_sees_the_report_but_changes_nothing(desk: str, world: DeskWorld) -> None:
    browser = signed_in(desk, "lea")
    page = browser.get("/").text
    assert "(Lesezugriff) – nur lesen" in page
    assert 'action="/eintrag/' not in page
    anna_page = signed_in(desk, "anna").get("/").text
    form = row_form(anna_page, "zell", "entfernen")
    answer = browser.post("/eintrag/zell/entfernen", data={**form, "csrf": hidden(page, "csrf")})
    assert answer.status_code == 403 and "Lesezugriff" in answer.text
    assert "zell" in catalogue_urls(world)


def test_hostile_titles_are_escaped(desk: str) -> None:
    page = signed_in(desk, "anna").get("/").text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=" in page


def test_downloads_need_a_session(desk: str, world: DeskWorld) -> None:
    report = world.settings.curated_dir / "report"
    report.mkdir(parents=True, exist_ok=True)
    (report / "report.csv").write_text("a;b\n", encoding="utf-8")
    browser = signed_in(desk, "lea")
    answer = browser.get("/report.csv")
    assert answer.status_code == 200 and answer.text == "a;b\n"
    assert "attachment" in answer.headers["content-disposition"]


# --- single sign-on through a trusted reverse proxy --------------------------------------------


def test_proxy_header_signs_in_only_from_a_trusted_address(
    tmp_path: Path, clock: FakeClock
) -> None:
    trusted = build_world(
        tmp_path / "trusted", desk_proxy_header="X-Remote-User", desk_trusted_proxies="127.0.0.1"
    )
    with running_desk(trusted.settings, clock) as base, client(base) as proxy:
        page = proxy.get("/", headers={"X-Remote-User": "anna"})
        assert page.status_code == 200 and "(Redaktion)" in page.text
        assert "Abmelden" not in page.text  # the proxy owns sign-out
        unknown = client(base).get("/", headers={"X-Remote-User": "jemand"})
        assert unknown.status_code == 200 and "(Lesezugriff)" in unknown.text
        # The cookie alone is not enough once the header is gone.
        assert proxy.get("/").status_code == 303

    elsewhere = build_world(
        tmp_path / "elsewhere", desk_proxy_header="X-Remote-User", desk_trusted_proxies="10.0.0.0/8"
    )
    with running_desk(elsewhere.settings, clock) as base, client(base) as stranger:
        answer = stranger.get("/", headers={"X-Remote-User": "anna", "X-Forwarded-For": "10.0.0.1"})
        assert answer.status_code == 303 and answer.headers["location"] == "/anmelden"


def test_a_failed_morning_message_is_shown_at_the_desk(desk: str, world: DeskWorld) -> None:
    state = world.settings.curated_dir / "notify-state.json"
    state.write_text(
        '{"ok": false, "night": "2026-11-26", "error": "failed, sent to 0 of 1 (SMTP 554)"}',
        encoding="utf-8",
    )
    page = signed_in(desk, "lea").get("/").text
    assert "Die Morgennachricht zum Lauf vom 26.11.2026 konnte nicht zugestellt werden" in page
    assert "SMTP 554" in page
