"""`linkpflege users add|remove|list`: passwords only from a prompt typed twice or from stdin,
one error line and status 2 on any refusal, the file changed only when all is well."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from flows.desk import accounts
from flows.desk.accounts import accounts_path, add_account, read_accounts, verify_password
from flows.desk.user_commands import add_users_parser, command_users

NOW = dt.datetime(2026, 12, 6, 10, 15, tzinfo=dt.UTC)
PASSWORD = "korrekt Pferd Batterie"


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: cheap)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="linkpflege")
    add_users_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["users", *argv])


def users(data_dir: Path, *argv: str) -> int:
    return command_users(parse(*argv), data_dir, now=NOW)


def typed(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """A terminal on stdin and getpass answering `answers`; the prompts it was given."""
    prompts: list[str] = []
    replies = iter(answers)

    def fake_getpass(prompt: str = "Password: ", stream: object = None) -> str:
        prompts.append(prompt)
        return next(replies)

    monkeypatch.setattr(sys, "stdin", Terminal(""))
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    return prompts


def piped(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


Capture = pytest.CaptureFixture[str]


def one_error_line(capsys: Capture) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("linkpflege: "), captured.err
    return lines[0]


def test_the_parser_offers_add_remove_list_with_data_dir() -> None:
    args = parse("add", "anna", "--role", "redaktion", "--password-stdin", "--data-dir", "/d")
    assert args.users_command == "add" and args.name == "anna"
    assert args.role == "redaktion" and args.data_dir == "/d"
    assert args.password_stdin and not args.no_password and not args.replace
    assert parse("add", "anna").role == "leser"  # the least a new account can do
    assert parse("list").data_dir is None
    assert parse("remove", "anna", "--data-dir", "x").data_dir == "x"


@pytest.mark.parametrize(
    "argv",
    [[], ["add", "anna", "--role", "admin"], ["add", "a", "--no-password", "--password-stdin"]],
)
def test_the_parser_refuses(argv: list[str], capsys: Capture) -> None:
    with pytest.raises(SystemExit):
        parse(*argv)
    assert "usage:" in capsys.readouterr().err


def test_add_with_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    piped(monkeypatch, f"  {PASSWORD}  \nsecond line\n")
    assert users(tmp_path, "add", "anna", "--role", "redaktion", "--password-stdin") == 0
    path = accounts_path(tmp_path)
    assert capsys.readouterr().out == f"{path}: user anna added (redaktion)\n"
    found = read_accounts(path)
    # only the trailing newline is taken off: spaces belong to the password
    assert verify_password(found, "anna", f"  {PASSWORD}  ") == found["anna"]
    assert verify_password(found, "anna", PASSWORD) is None
    assert PASSWORD not in path.read_text(encoding="utf-8")


def test_a_windows_line_end_on_stdin_is_not_part_of_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    piped(monkeypatch, PASSWORD + "\r\n")
    assert users(tmp_path, "add", "anna", "--password-stdin") == 0
    assert verify_password(read_accounts(accounts_path(tmp_path)), "anna", PASSWORD)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "no password on stdin"),
        ("\n", "password is empty"),
        ("kurz\n", "too short"),
        ("lang genug, aber \udcff\n", "not valid UTF-8"),  # a byte stdin could not decode
    ],
)
def test_a_missing_or_short_password_on_stdin_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture, stdin: str, message: str
) -> None:
    piped(monkeypatch, stdin)
    assert users(tmp_path, "add", "anna", "--password-stdin") == 2
    assert message in one_error_line(capsys)
    assert not accounts_path(tmp_path).exists()


def test_add_with_the_password_typed_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    prompts = typed(monkeypatch, PASSWORD, PASSWORD)
    assert users(tmp_path, "add", "anna") == 0
    assert prompts == ["Passwort für anna: ", "Noch einmal: "]
    assert "user anna added (leser)" in capsys.readouterr().out
    assert verify_password(read_accounts(accounts_path(tmp_path)), "anna", PASSWORD)


def test_two_different_passwords_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    typed(monkeypatch, PASSWORD, PASSWORD + "x")
    assert users(tmp_path, "add", "anna") == 2
    assert one_error_line(capsys) == "linkpflege: the two passwords differ; nothing changed"
    assert not accounts_path(tmp_path).exists()


def test_without_a_terminal_the_prompt_is_refused_and_names_password_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    prompts = typed(monkeypatch, PASSWORD, PASSWORD)
    piped(monkeypatch, PASSWORD + "\n")  # a pipe, not a terminal
    assert users(tmp_path, "add", "anna") == 2
    assert "--password-stdin" in one_error_line(capsys)
    assert prompts == []
    assert not accounts_path(tmp_path).exists()


def test_no_password_makes_a_single_sign_on_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    prompts = typed(monkeypatch)
    assert users(tmp_path, "add", "carla", "--no-password", "--role", "redaktion") == 0
    assert prompts == []
    assert "user carla added (redaktion, single sign-on only)" in capsys.readouterr().out
    assert read_accounts(accounts_path(tmp_path))["carla"].password_hash is None


def test_a_bad_name_is_refused_before_the_password_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    prompts = typed(monkeypatch, PASSWORD, PASSWORD)
    assert users(tmp_path, "add", "anna\x1b[2J") == 2
    assert "not allowed: use 1–64 letters" in one_error_line(capsys)
    assert prompts == []


def test_an_existing_name_needs_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    path = accounts_path(tmp_path)
    add_account(path, "anna", PASSWORD, "leser", NOW - dt.timedelta(days=9))
    prompts = typed(monkeypatch, "neues Passwort!", "neues Passwort!")
    assert users(tmp_path, "add", "Anna") == 2
    assert one_error_line(capsys) == (
        f"linkpflege: {path}: user 'anna' exists; add --replace to give it a new password or role"
    )
    assert prompts == []  # refused before asking
    assert users(tmp_path, "add", "Anna", "--replace", "--role", "redaktion") == 0
    assert capsys.readouterr().out == f"{path}: user Anna replaced (redaktion)\n"
    found = read_accounts(path)
    assert verify_password(found, "anna", "neues Passwort!") == found["Anna"]
    assert verify_password(found, "anna", PASSWORD) is None


def test_remove(tmp_path: Path, capsys: Capture) -> None:
    path = accounts_path(tmp_path)
    add_account(path, "anna", PASSWORD, "leser", NOW)
    assert users(tmp_path, "remove", "anna") == 0
    assert capsys.readouterr().out == f"{path}: user anna removed\n"
    assert users(tmp_path, "remove", "anna") == 2
    assert one_error_line(capsys) == f"linkpflege: {path}: no user 'anna'"


def test_list_shows_name_role_sign_in_and_created(tmp_path: Path, capsys: Capture) -> None:
    path = accounts_path(tmp_path)
    add_account(path, "bert", None, "leser", NOW)
    add_account(path, "Anna.Berg", PASSWORD, "redaktion", NOW + dt.timedelta(hours=1))
    assert users(tmp_path, "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Anna.Berg  redaktion  Passwort  2026-12-06T11:15:00Z",
        "bert       leser      nur SSO   2026-12-06T10:15:00Z",
    ]


def test_an_empty_list_says_so_on_stderr(tmp_path: Path, capsys: Capture) -> None:
    assert users(tmp_path, "list") == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{accounts_path(tmp_path)}: no users yet\n"


@pytest.mark.parametrize(
    "run",
    [
        lambda d: users(d, "list"),
        lambda d: users(d, "remove", "anna"),
        lambda d: users(d, "add", "bert", "--no-password"),
    ],
    ids=["list", "remove", "add"],
)
def test_a_corrupt_file_is_one_line_naming_it(
    tmp_path: Path, capsys: Capture, run: Callable[[Path], int]
) -> None:
    path = accounts_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{kaputt", encoding="utf-8")
    assert run(tmp_path) == 2
    assert one_error_line(capsys).startswith(f"linkpflege: {path}: cannot read accounts (not JSON")
    assert path.read_text(encoding="utf-8") == "{kaputt"
