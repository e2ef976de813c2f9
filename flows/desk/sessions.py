"""Who is signed in at the desk, and how fast a wrong password may be tried again.

Sessions live in the desk process's memory: a restart signs everybody out, which is the
safe direction, and nothing secret is ever written to disk. A session ends after
`idle_seconds` without a request or `max_seconds` after sign-in, whichever comes first.

Failed sign-ins are counted per account name and per client address, so guessing one
name from many addresses and many names from one address both slow down: after
`free_attempts` failures each further attempt must wait twice as long as the one before,
up to `max_wait_seconds`. A successful sign-in clears the name's count.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # the cookie value
    user: str
    role: str
    csrf: str  # echoed by every form that changes something
    started: float
    seen: float
    via_proxy: bool = False  # signed in by the trusted reverse proxy's header
    notice: str = ""  # one line shown once on the next page („Gespeichert: …“)


class SessionStore:
    def __init__(
        self,
        *,
        idle_seconds: float = 2 * 3600,
        max_seconds: float = 12 * 3600,
        clock: Clock = time.monotonic,
    ) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._idle = idle_seconds
        self._max = max_seconds
        self._clock = clock

    def start(self, user: str, role: str, *, via_proxy: bool = False) -> Session:
        now = self._clock()
        session = Session(
            token=secrets.token_urlsafe(32),
            user=user,
            role=role,
            csrf=secrets.token_urlsafe(32),
            started=now,
            seen=now,
            via_proxy=via_proxy,
        )
        with self._lock:
            self._forget_expired(now)
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of this cookie value (its idle clock restarts), else None."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.seen > self._idle or now - session.started > self._max:
                del self._sessions[token]
                return None
            session = replace(session, seen=now)
            self._sessions[token] = session
            return session

    def set_notice(self, token: str, notice: str) -> None:
        with self._lock:
            if token in self._sessions:
                self._sessions[token] = replace(self._sessions[token], notice=notice)

    def take_notice(self, token: str) -> str:
        with self._lock:
            session = self._sessions.get(token)
            if session is None or not session.notice:
                return ""
            self._sessions[token] = replace(session, notice="")
            return session.notice

    def end(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def end_user(self, user: str) -> None:
        """Sign a user out everywhere (the account was removed or changed)."""
        with self._lock:
            for token in [t for t, s in self._sessions.items() if s.user == user]:
                del self._sessions[token]

    def _forget_expired(self, now: float) -> None:
        expired = [
            token
            for token, s in self._sessions.items()
            if now - s.seen > self._idle or now - s.started > self._max
        ]
        for token in expired:
            del self._sessions[token]


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class LoginThrottle:
    def __init__(
        self,
        *,
        free_attempts: int = 5,
        first_wait_seconds: float = 2.0,
        max_wait_seconds: float = 15 * 60,
        forget_after_seconds: float = 24 * 3600,
        clock: Clock = time.monotonic,
    ) -> None:
        self._free = free_attempts
        self._first_wait = first_wait_seconds
        self._max_wait = max_wait_seconds
        self._forget_after = forget_after_seconds
        self._clock = clock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> tuple[str, str]:
        return ("name:" + name.strip().casefold(), "address:" + address)

    def wait_seconds(self, name: str, address: str) -> float:
        """How long this name or address must still wait before the next attempt (0: now)."""
        now = self._clock()
        with self._lock:
            return max(self._wait(key, now) for key in self._keys(name, address))

    def _wait(self, key: str, now: float) -> float:
        failures = self._failures.get(key)
        if failures is None:
            return 0.0
        if now - failures.last > self._forget_after:
            del self._failures[key]
            return 0.0
        if failures.count < self._free:
            return 0.0
        wait = min(self._first_wait * 2 ** (failures.count - self._free), self._max_wait)
        return max(0.0, failures.last + wait - now)

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(name, address):
                failures = self._failures.get(key)
                if failures is None or now - failures.last > self._forget_after:
                    self._failures[key] = _Failures(1, now)
                else:
                    failures.count += 1
                    failures.last = now

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(name, "")[0], None)
