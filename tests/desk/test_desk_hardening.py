"""The desk's answers to a second security review, over real HTTP: entry ids that are not
plain words still reach their route, malformed CSRF tokens are refused (not a server error),
a sign-in replaces any earlier session, the sign-in form's cookie is Secure behind TLS,
oversized forms are refused, and parallel wrong passwords cannot outrun the throttle."""

from __future__ import annotations

import datetime as dt
import html
import threading
from pathlib import Path

import httpx
import pytest
from desk.desk_world import CHEAP_HASHER, PASSWORDS, FakeClock, build_world, running_desk
from desk.test_desk_http import audit_rows, catalogue_urls, client, hidden, signed_in

from flows.desk import accounts
from flows.desk.page import entry_path

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def form_fields(page: str, action: str) -> dict[str, str]:
    start = page.index(f'action="{action}"')
    form = page[start : page.index("</form>", start)]
    fields: dict[str, str] = {}
    for part in form.split('type="hidden" ')[1:]:
        name = part.split('name="', 1)[1].split('"', 1)[0]
        fields[name] = html.unescape(part.split('value="', 1)[1].split('"', 1)[0])
    return fields


@pytest.mark.parametrize(
    "odd_id",
    ["kurse/2026", "büro-ä-ß", "a?b#c&d=e+f%41", "x/../y", "..x"],
)
def test_every_action_reaches_an_entry_whose_id_is_not_a_plain_word(
    tmp_path: Path, odd_id: str
) -> None:
    world = build_world(tmp_path, entry_ids={"zell": odd_id, "gut": odd_id + "-2"})
    with running_desk(world.settings, FakeClock()) as base:
        browser = signed_in(base, "anna")
        page = browser.get("/").text
        review = entry_path(odd_id) + "/geprueft"
        assert f'action="{html.escape(review)}"' in page
        answer = browser.post(review, data={**form_fields(page, review), "note": "ok"})
        assert answer.status_code == 303, answer.text
        assert "als geprüft vermerkt" in browser.get("/").text

        page = browser.get("/").text
        address = entry_path(odd_id) + "/adresse"
        answer = browser.post(
            address, data={**form_fields(page, address), "proposal": "https://zell.example/neu"}
        )
        assert answer.status_code == 303
        assert catalogue_urls(world)[odd_id] == ["https://zell.example/neu"]

        page = browser.get("/").text
        removal = entry_path(odd_id + "-2") + "/entfernen"
        assert browser.post(removal, data=form_fields(page, removal)).status_code == 303
        assert odd_id + "-2" not in catalogue_urls(world)
        assert [row["entry_id"] for row in audit_rows(world)] == [odd_id, odd_id, odd_id + "-2"]


def test_a_token_with_non_ascii_characters_is_refused_not_a_server_error(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    with running_desk(world.settings, FakeClock()) as base:
        with client(base) as stranger:
            stranger.get("/anmelden")
            answer = stranger.post(
                "/anmelden", data={"csrf": "ä", "name": "anna", "password": PASSWORDS["anna"]}
            )
            assert answer.status_code == 403
            assert "linkpflege_sitzung" not in answer.headers.get("set-cookie", "")
        browser = signed_in(base, "anna")
        answer = browser.post("/eintrag/zell/entfernen", data={"csrf": "ä", "seen": "x"})
        assert answer.status_code == 403 and "Formular abgelaufen" in answer.text
        assert "zell" in catalogue_urls(world)


def test_signing_in_again_ends_the_earlier_session(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    with running_desk(world.settings, FakeClock()) as base:
        first = signed_in(base, "anna").cookies.get("linkpflege_sitzung") or ""
        with client(base) as other:
            token = hidden(other.get("/anmelden").text, "csrf")
            login = other.cookies.get("linkpflege_anmeldung")
        # The same browser, still holding anna's session cookie, signs in as ben.
        with client(base) as browser:
            answer = browser.post(
                "/anmelden",
                data={"csrf": token, "name": "ben", "password": PASSWORDS["ben"]},
                headers={"cookie": f"linkpflege_sitzung={first}; linkpflege_anmeldung={login}"},
            )
            assert answer.status_code == 303
            second = answer.cookies.get("linkpflege_sitzung") or ""
            assert second and second != first
        with client(base, cookies={"linkpflege_sitzung": first}) as replay:
            assert replay.get("/").status_code == 303  # anna's old token is worth nothing
        with client(base, cookies={"linkpflege_sitzung": second}) as ben:
            assert "Angemeldet als <strong><bdi>ben</bdi></strong>" in ben.get("/").text


def test_the_sign_in_cookie_is_secure_behind_a_tls_proxy(tmp_path: Path) -> None:
    world = build_world(tmp_path, desk_trusted_proxies="127.0.0.1")
    with running_desk(world.settings, FakeClock()) as base, client(base) as browser:
        answer = browser.get("/anmelden", headers={"x-forwarded-proto": "https"})
        cookie = answer.headers["set-cookie"]
        assert "linkpflege_anmeldung=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_an_oversized_form_is_refused_before_sign_in(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    with running_desk(world.settings, FakeClock()) as base, client(base) as stranger:
        form = stranger.get("/anmelden")
        answer = stranger.post(
            "/anmelden",
            data={"csrf": hidden(form.text, "csrf"), "name": "anna", "password": "x" * 2_000_000},
        )
        assert answer.status_code == 400 and "Eingabe zu lang" in answer.text
        assert "content-security-policy" in answer.headers


def test_parallel_wrong_passwords_cannot_outrun_the_throttle(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    attempts = 12
    with running_desk(world.settings, FakeClock()) as base:
        browsers = [client(base) for _ in range(attempts)]
        tokens = [hidden(b.get("/anmelden").text, "csrf") for b in browsers]
        start = threading.Barrier(attempts)
        statuses: list[int] = []

        def guess(browser: httpx.Client, token: str) -> None:
            start.wait()
            data = {"csrf": token, "name": "anna", "password": "geraten-geraten"}
            statuses.append(browser.post("/anmelden", data=data).status_code)

        threads = [
            threading.Thread(target=guess, args=pair) for pair in zip(browsers, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        for browser in browsers:
            browser.close()
    # The clock stands still: five free attempts, every further one has to wait.
    assert sorted(statuses) == [401] * 5 + [429] * (attempts - 5)


def test_a_single_sign_on_session_follows_the_accounts_file(tmp_path: Path) -> None:
    world = build_world(
        tmp_path, desk_proxy_header="X-Remote-User", desk_trusted_proxies="127.0.0.1"
    )
    users = accounts.accounts_path(world.settings.data_dir)
    with running_desk(world.settings, FakeClock()) as base, client(base) as proxy:
        sso = {"X-Remote-User": "anna"}
        page = proxy.get("/", headers=sso).text
        assert "(Redaktion)" in page
        form = form_fields(page, "/eintrag/zell/entfernen")
        accounts.remove_account(users, "anna")
        # Same cookie, same header: the account is gone, so anna is a reader now.
        assert "(Lesezugriff)" in proxy.get("/", headers=sso).text
        answer = proxy.post("/eintrag/zell/entfernen", data=form, headers=sso)
        assert answer.status_code == 403
        assert "zell" in catalogue_urls(world)


def test_an_overlong_single_sign_on_name_is_not_cut_to_someone_elses(tmp_path: Path) -> None:
    world = build_world(
        tmp_path, desk_proxy_header="X-Remote-User", desk_trusted_proxies="127.0.0.1"
    )
    users = accounts.accounts_path(world.settings.data_dir)
    chief = "c" * 64
    moment = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    accounts.add_account(users, chief, None, "redaktion", moment, hasher=CHEAP_HASHER)
    with running_desk(world.settings, FakeClock()) as base, client(base) as proxy:
        assert "(Redaktion)" in proxy.get("/", headers={"X-Remote-User": chief}).text
    with running_desk(world.settings, FakeClock()) as base, client(base) as proxy:
        answer = proxy.get("/", headers={"X-Remote-User": chief + "x"})
        assert answer.status_code == 303 and answer.headers["location"] == "/anmelden"
