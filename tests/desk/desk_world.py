"""A small world for the desk's tests: a catalogue, a published night that matches it,
three accounts, and the desk served by uvicorn on 127.0.0.1 from a thread.

Import as `from desk.desk_world import …` (tests/ is on the import path).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import uvicorn
from argon2 import PasswordHasher
from record_factories import make_entry_verdict, make_link_row

from extractors.catalog.writer import catalog_csv
from extractors.records import CatalogEntry, Health, Verdict
from flows.dataset.store import publish
from flows.desk import accounts
from flows.desk.app import desk_app
from flows.run_settings import Settings, load_settings

RUN_DATE = dt.date(2026, 11, 26)
NOW = "2026-11-26T09:00:00+01:00"
PASSWORDS = {"anna": "anna-passwort-1", "ben": "ben-passwort-22", "lea": "lea-passwort-333"}
ROLES = {"anna": "redaktion", "ben": "redaktion", "lea": "leser"}
HOSTILE_TITLE = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\">"
# Cheap parameters: the tests sign in dozens of times; production keeps the library defaults.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

CATALOG = (
    CatalogEntry(
        1,
        "zell",
        "Stadt Zell",
        "Sprachkurse",
        link_label="Weitere Informationen",
        url="https://zell.example/weg",
    ),
    CatalogEntry(
        2,
        "umzug",
        "Kreis Umzug",
        "Lotsen",
        link_label="Weitere Informationen",
        url="https://alt.example/seite",
    ),
    CatalogEntry(
        3,
        "alt",
        "Stadt Alt",
        HOSTILE_TITLE,
        link_label="Flyer",
        url="https://alt.example/flyer.pdf",
    ),
    CatalogEntry(
        4,
        "gut",
        "Kreis Gut",
        "Alles gut",
        link_label="Weitere Informationen",
        url="https://gut.example/",
    ),
)


@dataclass(frozen=True)
class DeskWorld:
    settings: Settings
    catalog: Path

    @property
    def audit_log(self) -> Path:
        return self.catalog.with_name(self.catalog.stem + "-changes.csv")

    @property
    def versions(self) -> Path:
        return self.catalog.with_name(self.catalog.stem + "-versions")


def build_world(
    root: Path, *, entry_ids: Mapping[str, str] | None = None, **settings: object
) -> DeskWorld:
    """Catalogue + one published night + accounts anna, ben (redaktion) and lea (leser).

    `entry_ids` renames entries (`{"zell": "kurse/2026"}`) in the catalogue and the night."""
    renamed = dict(entry_ids or {})

    def entry_id(name: str) -> str:
        return renamed.get(name, name)

    root.mkdir(parents=True, exist_ok=True)
    catalog = root / "katalog.csv"
    entries_in_catalog = tuple(replace(e, entry_id=entry_id(e.entry_id)) for e in CATALOG)
    catalog.write_text(catalog_csv(entries_in_catalog), encoding="utf-8")
    data_dir = root / "data"
    broken = {
        "health": Health.NOT_FOUND,
        "http_status": 404,
        "confirmed_broken": True,
        "failing_since": dt.date(2026, 11, 10),
        "consecutive_failures": 2,
        "content_date": None,
        "stale": None,
        "suggested_url": "https://zell.example/neu",
        "suggestion_source": "sitemap",
        "suggestion_score": 0.91,
    }
    links = [
        make_link_row(entry_id=entry_id("zell"), url="https://zell.example/weg", **broken),
        make_link_row(
            entry_id=entry_id("umzug"),
            url="https://alt.example/seite",
            health=Health.MOVED,
            http_status=301,
            final_url="https://neu.example/seite",
        ),
        make_link_row(
            entry_id=entry_id("alt"),
            url="https://alt.example/flyer.pdf",
            link_label="Flyer",
            title=HOSTILE_TITLE,
            stale=True,
            content_date=dt.date(2015, 11, 3),
            age_days=4041,
        ),
        make_link_row(entry_id=entry_id("gut"), url="https://gut.example/"),
    ]
    entries = [
        make_entry_verdict(
            entry_id=entry_id("zell"),
            verdict=Verdict.BROKEN,
            provider="Stadt Zell",
            title="Sprachkurse",
        ),
        make_entry_verdict(
            entry_id=entry_id("umzug"),
            verdict=Verdict.REVIEW,
            provider="Kreis Umzug",
            title="Lotsen",
        ),
        make_entry_verdict(
            entry_id=entry_id("alt"),
            verdict=Verdict.STALE,
            provider="Stadt Alt",
            title=HOSTILE_TITLE,
        ),
        make_entry_verdict(
            entry_id=entry_id("gut"), verdict=Verdict.OK, provider="Kreis Gut", title="Alles gut"
        ),
    ]
    publish(data_dir / "curated", RUN_DATE, links, entries)
    flags = {"catalog": str(catalog), "data_dir": str(data_dir), "now": NOW, **settings}
    world = DeskWorld(load_settings(flags, environ={}), catalog)
    users = accounts.accounts_path(data_dir)
    moment = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    for name, password in PASSWORDS.items():
        accounts.add_account(users, name, password, ROLES[name], moment, hasher=CHEAP_HASHER)
    return world


class FakeClock:
    """Monotonic seconds the test moves on (session expiry, login throttling)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextlib.contextmanager
def running_desk(
    settings: Settings,
    clock: Callable[[], float] = time.monotonic,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """The desk served by uvicorn from a thread on a free port; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    port = listener.getsockname()[1]
    moments = iter(
        dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=m)
        for m in range(10_000)
    )
    app = desk_app(settings, clock=clock, now=lambda: next(moments))
    config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("desk did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
