"""The desk's accounts file: only argon2 hashes stored, 0600, atomic; names unique in any case;
verification answers None (never raises) and always costs one argon2 verification."""

from __future__ import annotations

import datetime as dt
import json
import stat
import threading
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher

from flows.desk import accounts
from flows.desk.accounts import (
    Account,
    AccountsError,
    accounts_path,
    add_account,
    read_accounts,
    remove_account,
    verify_password,
)

NOW = dt.datetime(2026, 12, 6, 10, 15, tzinfo=dt.UTC)
PASSWORD = "korrekt Pferd Batterie"


class CountingHasher(PasswordHasher):
    """Cheap parameters (tests stay fast) and a count of verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(str(hash))
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    cheap = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", lambda: cheap)
    return cheap


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return accounts_path(tmp_path / "data")


def test_the_file_lives_in_the_desk_folder_of_the_data_dir(tmp_path: Path) -> None:
    assert accounts_path(tmp_path) == tmp_path / "desk" / "users.json"


def test_added_account_is_read_back_and_only_its_hash_is_stored(path: Path) -> None:
    added = add_account(path, "anna", PASSWORD, "redaktion", NOW)
    assert read_accounts(path) == {"anna": added}
    assert added.role == "redaktion"
    assert added.created == "2026-12-06T10:15:00Z"
    assert added.password_hash is not None and added.password_hash.startswith("$argon2id$")
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text and "Pferd" not in text
    assert json.loads(text)["users"][0]["name"] == "anna"


def test_right_password_gives_the_account_wrong_one_none(path: Path) -> None:
    add_account(path, "anna", PASSWORD, "leser", NOW)
    found = read_accounts(path)
    assert verify_password(found, "anna", PASSWORD) == found["anna"]
    assert verify_password(found, "anna", PASSWORD + "!") is None
    assert verify_password(found, "anna", "") is None


def test_unknown_name_gets_none_after_one_dummy_verification(
    path: Path, hasher: CountingHasher
) -> None:
    add_account(path, "anna", PASSWORD, "leser", NOW)
    found = read_accounts(path)
    assert verify_password(found, "bert", PASSWORD) is None
    assert len(hasher.verified) == 1
    assert hasher.verified[0] != found["anna"].password_hash


def test_the_dummy_for_the_default_parameters_is_ready_without_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Else the first unknown name after a start would take one hash longer than a known one.
    monkeypatch.setattr(PasswordHasher, "hash", lambda *_: pytest.fail("hashed"))
    assert accounts._dummy_hash(PasswordHasher()) == accounts.DEFAULT_DUMMY_HASH, (
        "argon2-cffi changed its default parameters: make DEFAULT_DUMMY_HASH anew with "
        "PasswordHasher().hash(secrets.token_urlsafe(32))"
    )


def test_single_sign_on_account_never_signs_in_with_a_password(
    path: Path, hasher: CountingHasher
) -> None:
    added = add_account(path, "carla", None, "redaktion", NOW)
    assert added.password_hash is None
    found = read_accounts(path)
    assert found["carla"].password_hash is None
    for guess in ("", "None", "null", PASSWORD):
        assert verify_password(found, "carla", guess) is None
    assert len(hasher.verified) == 4  # one (dummy) verification each, as for a real account


def test_undecodable_text_is_refused_as_password_and_matches_none(path: Path) -> None:
    with pytest.raises(AccountsError, match="not valid UTF-8"):
        add_account(path, "anna", "passwort-\udcff", "leser", NOW)
    add_account(path, "anna", PASSWORD, "leser", NOW)
    assert verify_password(read_accounts(path), "anna", PASSWORD + "\ud800") is None
    assert verify_password(read_accounts(path), "bert", "\ud800") is None


def test_a_broken_hash_gives_none_not_an_exception() -> None:
    broken = {"anna": Account("anna", "leser", "$argon2id$v=19$kaputt", "2026-12-06T10:15:00Z")}
    assert verify_password(broken, "anna", PASSWORD) is None


def test_names_are_unique_and_found_regardless_of_case(path: Path) -> None:
    add_account(path, "Anna.Berg", PASSWORD, "leser", NOW)
    with pytest.raises(AccountsError, match=r"users\.json: user 'Anna\.Berg' exists; remove it"):
        add_account(path, "anna.berg", PASSWORD, "redaktion", NOW)
    found = read_accounts(path)
    assert list(found) == ["Anna.Berg"]  # case as written
    assert verify_password(found, "ANNA.BERG", PASSWORD) == found["Anna.Berg"]


@pytest.mark.parametrize(
    ("account", "lookalike"),
    [("kelvin", "\u212aelvin"), ("bass", "ba\u00df"), ("sara", "\u017fara")],
    ids=["Kelvin sign", "sharp s", "long s"],
)
def test_unicode_case_folding_does_not_reach_an_ascii_account(
    path: Path, account: str, lookalike: str
) -> None:
    # str.casefold() maps each lookalike onto the ASCII name
    assert lookalike.casefold() == account
    add_account(path, account, PASSWORD, "redaktion", NOW)
    found = read_accounts(path)
    assert accounts.find_account(found, lookalike) is None
    assert verify_password(found, lookalike, PASSWORD) is None


@pytest.mark.parametrize("name", ["a", "x" * 64, "anna.berg@kgst.de", "A_B-9"])
def test_good_names(path: Path, name: str) -> None:
    assert add_account(path, name, None, "leser", NOW).name == name


@pytest.mark.parametrize("name", ["", "x" * 65, "anna berg", "anna\n", "änne", "a/b", "a:b"])
def test_bad_names_are_refused(path: Path, name: str) -> None:
    with pytest.raises(AccountsError, match="not allowed: use 1–64 letters"):
        add_account(path, name, PASSWORD, "leser", NOW)
    assert not path.exists()


@pytest.mark.parametrize("role", ["admin", "Redaktion", ""])
def test_unknown_roles_are_refused(path: Path, role: str) -> None:
    with pytest.raises(AccountsError, match="unknown: use redaktion or leser"):
        add_account(path, "anna", PASSWORD, role, NOW)


def test_empty_and_short_passwords_are_refused(path: Path) -> None:
    with pytest.raises(AccountsError, match="password is empty"):
        add_account(path, "anna", "", "leser", NOW)
    with pytest.raises(AccountsError, match="too short: use at least 10 characters"):
        add_account(path, "anna", "123456789", "leser", NOW)
    assert not path.exists()
    assert add_account(path, "anna", "1234567890", "leser", NOW).password_hash


def test_a_time_without_zone_is_refused(path: Path) -> None:
    with pytest.raises(ValueError, match="time zone"):
        add_account(path, "anna", PASSWORD, "leser", dt.datetime(2026, 12, 6, 10, 15))


def test_replace_changes_password_and_role_and_keeps_created(path: Path) -> None:
    add_account(path, "anna", PASSWORD, "leser", NOW)
    later = NOW + dt.timedelta(days=30)
    replaced = add_account(path, "Anna", "ein neues Passwort", "redaktion", later, replace=True)
    found = read_accounts(path)
    assert list(found) == ["Anna"]
    assert replaced.created == "2026-12-06T10:15:00Z" and replaced.role == "redaktion"
    assert verify_password(found, "anna", PASSWORD) is None
    assert verify_password(found, "anna", "ein neues Passwort") == replaced


def test_remove(path: Path) -> None:
    assert remove_account(path, "anna") is False
    assert not path.parent.exists()  # nothing created just to say "no such user"
    add_account(path, "anna", PASSWORD, "leser", NOW)
    add_account(path, "bert", None, "redaktion", NOW)
    assert remove_account(path, "ANNA") is True
    assert remove_account(path, "anna") is False
    assert list(read_accounts(path)) == ["bert"]


def test_file_is_0600_in_a_0700_folder_and_no_temporary_file_stays(path: Path) -> None:
    add_account(path, "anna", PASSWORD, "leser", NOW)
    add_account(path, "bert", PASSWORD, "leser", NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["users.json", "users.json.lock"]


def test_writers_at_the_same_time_lose_no_account(path: Path) -> None:
    names = [f"user{i}" for i in range(8)]
    threads = [
        threading.Thread(target=add_account, args=(path, name, None, "leser", NOW))
        for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(read_accounts(path)) == names


def test_no_file_means_no_accounts(path: Path) -> None:
    assert read_accounts(path) == {}


GOOD_USER = {"name": "anna", "role": "leser", "password_hash": None, "created": "2026-12-06"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "not an accounts file of format 1"),
        (json.dumps({"format": 1, "users": {}}).encode(), "'users' is not a list"),
        (json.dumps({"format": 1, "users": [{"name": "anna"}]}).encode(), "user 1: not name"),
        (
            json.dumps({"format": 1, "users": [{**GOOD_USER, "role": "admin"}]}).encode(),
            "user 1: role 'admin' unknown",
        ),
        (
            json.dumps({"format": 1, "users": [{**GOOD_USER, "name": "a b"}]}).encode(),
            "user 1: name 'a b' not allowed",
        ),
        (
            json.dumps(
                {"format": 1, "users": [{**GOOD_USER, "password_hash": "geheim123"}]}
            ).encode(),
            "user 1: password_hash is not an argon2 hash",
        ),
        (
            json.dumps({"format": 1, "users": [GOOD_USER, {**GOOD_USER, "name": "Anna"}]}).encode(),
            "user 2: name 'Anna' appears twice",
        ),
    ],
)
def test_a_corrupt_file_is_refused_naming_the_file(path: Path, content: bytes, reason: str) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(AccountsError) as caught:
        read_accounts(path)
    assert str(caught.value).startswith(f"{path}: cannot read accounts (")
    assert reason in str(caught.value)
    with pytest.raises(AccountsError, match="cannot read accounts"):
        add_account(path, "bert", PASSWORD, "leser", NOW)
    assert path.read_bytes() == content  # a refused change leaves the file alone


def test_an_unreadable_folder_is_reported_naming_the_file(tmp_path: Path) -> None:
    path = accounts_path(tmp_path)
    path.parent.mkdir()
    path.mkdir()  # a directory where the file should be
    with pytest.raises(AccountsError, match=r"users\.json: cannot read accounts \(Is a directory"):
        read_accounts(path)
