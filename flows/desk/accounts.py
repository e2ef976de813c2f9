"""Accounts of the editors' desk: `DATA/desk/users.json`, one entry per person who may sign in.

A handful of editors need no database: one small JSON file, written only by
`linkpflege users …`, read by the desk. It holds names, roles and argon2 hashes, never a
password; the file is 0600 in a 0700 directory and is replaced atomically under a lock, so a
reader never sees half a file and two writers never lose each other's change.
Roles: "redaktion" may change things, "leser" may only read. An account without a password
hash exists only for the reverse proxy's single sign-on and can never sign in with a password.
Names are unique regardless of case, and looked up regardless of case.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2 import Parameters, PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from flows.desk.file_replace import exclusive_lock, replace_file

ROLES = ("redaktion", "leser")
MIN_PASSWORD_LENGTH = 10
FORMAT = 1  # the file's "format" field; a reader refuses formats it does not know
# ASCII only: look-alike letters from other scripts would make two names that read the same.
NAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}")
NAME_RULE = "1–64 letters, digits and . _ @ -"


class AccountsError(RuntimeError):
    """The accounts file cannot be read or written, or a change is refused; file problems
    name the file."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str  # as written when added; unique regardless of case
    role: str  # one of ROLES
    password_hash: str | None  # argon2 PHC string; None: single sign-on only
    created: str  # ISO 8601, UTC, e.g. 2026-12-06T10:15:00Z


# The library's defaults (argon2id, RFC 9106's second recommended set) are maintained by
# argon2-cffi as guidance changes; our own numbers would only go stale. Tests swap `_hasher`.
_DEFAULT_HASHER = PasswordHasher()


def _hasher() -> PasswordHasher:
    return _DEFAULT_HASHER


def accounts_path(data_dir: Path) -> Path:
    return data_dir / "desk" / "users.json"


def check_name(name: str) -> None:
    """Refuse a name that is not 1–64 of letters, digits and . _ @ -."""
    if not NAME_PATTERN.fullmatch(name):
        raise AccountsError(f"user name {name!r} not allowed: use {NAME_RULE}")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountsError(f"role {role!r} unknown: use {' or '.join(ROLES)}")


def check_password(password: str) -> None:
    """Refuse an empty or short password (a long passphrase beats any character rule)."""
    if not password:
        raise AccountsError("password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountsError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes from stdin arrive as lone surrogates
        raise AccountsError("password is not valid UTF-8 text") from exc


def find_account(accounts: Mapping[str, Account], name: str) -> Account | None:
    """The account of `name`, regardless of case."""
    # Only well-formed names: Unicode case folding maps "ß", "ſ" or the Kelvin sign onto
    # ASCII, and a name from the single sign-on must not land on someone else's account.
    if not NAME_PATTERN.fullmatch(name):
        return None
    wanted = name.lower()
    return next((a for a in accounts.values() if a.name.lower() == wanted), None)


def read_accounts(path: Path) -> dict[str, Account]:
    """Name (as written) → account; no file means no accounts yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise AccountsError(f"{path}: cannot read accounts ({exc.strerror})") from exc
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise AccountsError(f"{path}: cannot read accounts (not UTF-8)") from exc
    except json.JSONDecodeError as exc:
        raise AccountsError(
            f"{path}: cannot read accounts (not JSON: {exc.msg}, line {exc.lineno})"
        ) from exc
    try:
        return _accounts_from(document)
    except ValueError as exc:
        raise AccountsError(f"{path}: cannot read accounts ({exc})") from exc


def _accounts_from(document: object) -> dict[str, Account]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"not an accounts file of format {FORMAT}")
    users = document.get("users")
    if not isinstance(users, list):
        raise ValueError("'users' is not a list")
    accounts: dict[str, Account] = {}
    for number, user in enumerate(users, start=1):
        account = _account_from(user, number)
        if find_account(accounts, account.name) is not None:
            raise ValueError(f"user {number}: name {account.name!r} appears twice")
        accounts[account.name] = account
    return accounts


def _account_from(user: object, number: int) -> Account:
    if not isinstance(user, dict) or set(user) != {"name", "role", "password_hash", "created"}:
        raise ValueError(f"user {number}: not name, role, password_hash and created")
    name, role, password_hash, created = (
        user["name"],
        user["role"],
        user["password_hash"],
        user["created"],
    )
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"user {number}: name {name!r} not allowed")
    if role not in ROLES:
        raise ValueError(f"user {number}: role {role!r} unknown")
    if password_hash is not None and not (
        isinstance(password_hash, str) and password_hash.startswith("$argon2")
    ):
        raise ValueError(f"user {number}: password_hash is not an argon2 hash")
    if not isinstance(created, str):
        raise ValueError(f"user {number}: created is not a text")
    return Account(name, role, password_hash, created)


def add_account(
    path: Path,
    name: str,
    password: str | None,
    role: str,
    now: dt.datetime,
    *,
    replace: bool = False,
    hasher: PasswordHasher | None = None,
) -> Account:
    """Add an account (password None: single sign-on only). With `replace`, an account of
    that name (any case) gives way to the new one but keeps its `created`: a new password or
    role, the same account."""
    check_name(name)
    check_role(role)
    if password is not None:
        check_password(password)
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    # Hashing is slow on purpose; do it before taking the lock that other writers wait for.
    hasher = hasher if hasher is not None else _hasher()
    password_hash = None if password is None else hasher.hash(password)
    created = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _locked(path):
        accounts = read_accounts(path)
        existing = find_account(accounts, name)
        if existing is not None:
            if not replace:
                raise AccountsError(f"{path}: user {existing.name!r} exists; remove it first")
            del accounts[existing.name]
            created = existing.created
        account = Account(name, role, password_hash, created)
        accounts[name] = account
        _write(path, accounts)
    return account


def remove_account(path: Path, name: str) -> bool:
    """Remove the account of `name` (any case); False when there is none."""
    if not path.exists():
        return False
    with _locked(path):
        accounts = read_accounts(path)
        existing = find_account(accounts, name)
        if existing is None:
            return False
        del accounts[existing.name]
        _write(path, accounts)
    return True


# Verified when the name is unknown or has no password, so that the answer takes as long as
# for a real account and does not tell which names exist. One per set of argon2 parameters, as
# real hashes have; the one for the library's defaults is ready, so that even the first
# answer after a start costs no extra hashing (others are made on first use).
DEFAULT_DUMMY_HASH = (  # of a random password nobody kept
    "$argon2id$v=19$m=65536,t=3,p=4$+yS/qd0Vqlf6gzRQ5jC7pQ$7sPmKVBx1eNMp/IfsCuInRdhoQ75pRSnb09MS3n6nd8"
)


def _parameters_key(p: Parameters | PasswordHasher) -> tuple[object, ...]:
    return (p.type, p.salt_len, p.hash_len, p.time_cost, p.memory_cost, p.parallelism)


_DUMMY_HASHES: dict[tuple[object, ...], str] = {
    _parameters_key(extract_parameters(DEFAULT_DUMMY_HASH)): DEFAULT_DUMMY_HASH
}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = _parameters_key(hasher)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("no account has this password")
    return _DUMMY_HASHES[key]


def verify_password(
    accounts: Mapping[str, Account],
    name: str,
    password: str,
    *,
    hasher: PasswordHasher | None = None,
) -> Account | None:
    """The account when `password` is its password; None otherwise, never an exception.

    Always one argon2 verification, also for unknown names and single-sign-on accounts.
    """
    hasher = hasher if hasher is not None else _hasher()
    # Lone surrogates (from undecodable input) would make argon2's own encoding raise; as
    # bytes they simply match no stored password.
    secret = password.encode("utf-8", "surrogatepass")
    account = find_account(accounts, name)
    if account is None or account.password_hash is None:
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(_dummy_hash(hasher), secret)
        return None
    try:
        hasher.verify(account.password_hash, secret)
    except (VerificationError, InvalidHashError):
        return None
    return account


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `users.json.lock` beside the file (readers need none: the
    file is only ever replaced whole)."""
    held = contextlib.ExitStack()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        held.enter_context(exclusive_lock(path.with_name(path.name + ".lock"), 0o600))
    except OSError as exc:
        raise AccountsError(f"{path}: cannot lock accounts ({exc.strerror})") from exc
    with held:
        yield


def _write(path: Path, accounts: Mapping[str, Account]) -> None:
    """Replace the file whole: a temporary file (0600) in the same directory, synced, renamed."""
    users = [asdict(a) for a in sorted(accounts.values(), key=lambda a: a.name.lower())]
    text = json.dumps({"format": FORMAT, "users": users}, ensure_ascii=False, indent=2) + "\n"
    try:
        replace_file(path, text.encode("utf-8"))  # mkstemp's 0600: the file holds hashes
    except OSError as exc:
        raise AccountsError(f"{path}: cannot write accounts ({exc.strerror})") from exc
