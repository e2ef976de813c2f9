"""The `linkpflege users …` commands: add, remove and list the accounts of the editors' desk.

Passwords never appear on the command line (where `ps` and the shell history would keep
them): they are typed twice at a prompt, or piped in with `--password-stdin` for scripts.
This module imports nothing from flows.cli, so the CLI can import it at the top without a
cycle; its exit statuses and error line are the CLI's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

from flows.desk.accounts import (
    ROLES,
    AccountsError,
    accounts_path,
    add_account,
    check_name,
    check_password,
    find_account,
    read_accounts,
    remove_account,
)

EXIT_OK = 0  # as flows.cli
EXIT_FAILED = 2
DEFAULT_ROLE = "leser"  # the least a new account can do; editors get --role redaktion


class _Refused(Exception):
    """An operator's input that cannot be used; the message says why."""


def add_users_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`users add|remove|list` under the CLI's sub-commands."""
    users = commands.add_parser("users", help="accounts of the editors' desk")
    actions = users.add_subparsers(dest="users_command", required=True)

    add = actions.add_parser("add", help="add an account (the password is asked for twice)")
    add.add_argument("name", help="user name: 1–64 letters, digits and . _ @ -")
    add.add_argument(
        "--role",
        choices=ROLES,
        default=DEFAULT_ROLE,
        help=f"redaktion may change things, leser may only read (default {DEFAULT_ROLE})",
    )
    source = add.add_mutually_exclusive_group()
    source.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (for scripts)",
    )
    source.add_argument(
        "--no-password",
        action="store_true",
        help="no password: the account signs in only through the reverse proxy's single sign-on",
    )
    add.add_argument(
        "--replace", action="store_true", help="replace an existing account's password and role"
    )
    add.add_argument("--data-dir", dest="data_dir", default=None)

    remove = actions.add_parser("remove", help="remove an account")
    remove.add_argument("name")
    remove.add_argument("--data-dir", dest="data_dir", default=None)

    listing = actions.add_parser("list", help="list the accounts (name, role, sign-in, created)")
    listing.add_argument("--data-dir", dest="data_dir", default=None)


def command_users(
    args: argparse.Namespace, data_dir: Path, *, now: dt.datetime | None = None
) -> int:
    """Run one `users` sub-command on DATA/desk/users.json; 0 done, 2 refused or failed."""
    path = accounts_path(data_dir)
    try:
        if args.users_command == "add":
            return _add(args, path, now or dt.datetime.now(dt.UTC))
        if args.users_command == "remove":
            if not remove_account(path, args.name):
                return _fail(f"{path}: no user {args.name!r}")
            print(f"{path}: user {args.name} removed")
            return EXIT_OK
        return _list(path)
    except (AccountsError, _Refused) as exc:
        return _fail(str(exc))


def _add(args: argparse.Namespace, path: Path, now: dt.datetime) -> int:
    # Refuse a bad or taken name before asking for a password that would then be wasted.
    check_name(args.name)
    existing = find_account(read_accounts(path), args.name)
    if existing is not None and not args.replace:
        raise _Refused(
            f"{path}: user {existing.name!r} exists; "
            "add --replace to give it a new password or role"
        )
    password = None if args.no_password else _password(args)
    account = add_account(path, args.name, password, args.role, now, replace=args.replace)
    done = "replaced" if existing is not None else "added"
    sso = ", single sign-on only" if account.password_hash is None else ""
    print(f"{path}: user {account.name} {done} ({account.role}{sso})")
    return EXIT_OK


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise _Refused("no password on stdin")
        password = line.removesuffix("\n").removesuffix("\r")
    else:
        # getpass falls back to echoing the password when there is no terminal; refuse
        # instead, and name the way for scripts.
        if not sys.stdin.isatty():
            raise _Refused("stdin is not a terminal; pipe the password in with --password-stdin")
        try:
            password = getpass.getpass(f"Passwort für {args.name}: ")
            again = getpass.getpass("Noch einmal: ")
        except EOFError as exc:
            raise _Refused("no password given") from exc
        if password != again:
            raise _Refused("the two passwords differ; nothing changed")
    check_password(password)
    return password


def _list(path: Path) -> int:
    accounts = sorted(read_accounts(path).values(), key=lambda a: a.name.lower())
    if not accounts:
        print(f"{path}: no users yet", file=sys.stderr)
        return EXIT_OK
    width = max(len(a.name) for a in accounts)
    role_width = max(len(role) for role in ROLES)
    for account in accounts:
        sign_in = "nur SSO" if account.password_hash is None else "Passwort"
        name, role = account.name.ljust(width), account.role.ljust(role_width)
        print(f"{name}  {role}  {sign_in:<8}  {account.created}")
    return EXIT_OK


def _fail(message: str) -> int:
    print(f"linkpflege: {message}", file=sys.stderr)
    return EXIT_FAILED
