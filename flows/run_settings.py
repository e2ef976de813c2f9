"""Run settings: flags beat `LINKPFLEGE_*` environment, then `linkpflege.toml`, then defaults."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flows.fetch.settings import FetchSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CATALOG = PROJECT_ROOT / "data" / "catalog" / "kgst-fluechtlinge.csv"
CONFIG_FILE_NAME = "linkpflege.toml"
ENV_PREFIX = "LINKPFLEGE_"
BERLIN = ZoneInfo("Europe/Berlin")

DEFAULT_USER_AGENT = (
    "Linkpflege/0.1 (+https://github.com/linkpflege/linkpflege; "
    "nightly link check of the KGSt catalogue)"
)


DEFAULT_ARCHIVE_URL = "https://web.archive.org"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and its origin."""


@dataclass(frozen=True, slots=True)
class Settings:
    catalog: Path = BUNDLED_CATALOG
    reviews: Path | None = None  # None: reviews.csv beside the catalogue
    data_dir: Path = Path("data")
    now: dt.datetime | None = None
    stale_after_days: int = 730
    allow_private_addresses: bool = False
    private_hosts_allowed: str = ""  # comma-separated host names exempt from the SSRF guard
    concurrency: int = 64
    per_host: int = 2
    per_host_interval: float = 0.5
    timeout: float = 30.0
    user_agent: str = DEFAULT_USER_AGENT
    ignore_robots: bool = False
    crawl_delay_cap: float = 10.0  # longest robots.txt Crawl-delay honoured, seconds
    max_bytes: int = 5_000_000
    max_redirects: int = 10
    retries: int = 2
    confirm_after_nights: int = 2
    raw_retention_nights: int = 30
    shard_size: int = 2000
    # Worker processes that classify pages and extract facts; 0: a thread of the run itself.
    analysis_processes: int = 0
    # Deprecated: above 1 it means task_runner "dask" with that many `workers`.
    fetch_processes: int = 1
    # Where shards run: "local" (threads of the run process) or "dask" (a Dask cluster
    # through Prefect: `dask_address`, else a local cluster of `workers` processes).
    task_runner: str = "local"
    dask_address: str = ""  # tcp://scheduler:8786; "" starts a local cluster
    workers: int | None = None  # processes of the local cluster (None: the machine's cores)
    progress: bool | None = None  # None: show a bar only on a terminal
    # Archived copies of broken, soft-404 and moved links (flows.archived_copies).
    archive: bool = True
    archive_url: str = DEFAULT_ARCHIVE_URL
    archive_time_budget: float = 300.0  # seconds of archive requests per run
    archive_refresh_days: int = 30  # cached archive answers that can change are asked again
    # New locations of lost pages on the provider's own site (flows.new_locations).
    relocation: bool = True
    relocation_time_budget: float = 300.0  # seconds of sitemap and candidate requests per run
    # The morning message (flows.morning_message): Apprise URLs, when, and the report's address.
    notify: tuple[str, ...] = ()
    notify_when: str = "worse"  # worse | always | weekly
    notify_weekday: str = "monday"  # for weekly
    report_url: str = ""  # where editors open the report ("": the message names the file)
    # The editors' desk (flows.desk): where it listens, its address, single sign-on.
    desk_host: str = "127.0.0.1"
    desk_port: int | None = None  # `serve` starts the desk beside the schedule when set
    desk_url: str = ""  # the desk's address for editors; the morning message links it
    desk_proxy_header: str = ""  # e.g. X-Remote-User: the signed-in name from a trusted proxy
    desk_trusted_proxies: tuple[str, ...] = ()  # addresses/networks that may send that header
    desk_session_minutes: int = 120  # a desk session ends after this long without a request
    schedule_cron: str = "30 2 * * *"
    schedule_timezone: str = "Europe/Berlin"

    @property
    def reviews_file(self) -> Path:
        return self.reviews or self.catalog.with_name("reviews.csv")

    @property
    def private_hosts(self) -> tuple[str, ...]:
        return tuple(
            h.strip().lower().rstrip(".")
            for h in self.private_hosts_allowed.split(",")
            if h.strip()
        )

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def curated_dir(self) -> Path:
        return self.data_dir / "curated"

    def run_moment(self) -> dt.datetime:
        """The run's notion of "now" (UTC); the clock is read only when --now is not given."""
        if self.now is not None:
            return self.now
        return dt.datetime.now(dt.UTC)

    def run_date(self) -> dt.date:
        """The night's calendar day, in Berlin, because editors think in local days."""
        return self.run_moment().astimezone(BERLIN).date()


def parse_now(text: str) -> dt.datetime:
    """Accept a date (`2026-11-26`, taken as noon in Berlin) or an ISO datetime (naive = Berlin)."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(12), BERLIN).astimezone(dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise SettingsError(f"--now: {text!r} is not an ISO date or datetime") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    return moment.astimezone(dt.UTC)


_ZERO_ALLOWED = frozenset({"analysis_processes"})


def _convert(name: str, value: Any, origin: str) -> Any:
    field_type = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if name == "now":
            return value if isinstance(value, dt.datetime) else parse_now(str(value))
        if field_type in ("Path", "Path | None"):
            return Path(str(value)).expanduser()
        if field_type in ("bool", "bool | None"):
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in ("1", "true", "yes", "on", "ja"):
                return True
            if lowered in ("0", "false", "no", "off", "nein"):
                return False
            raise ValueError(value)
        if name == "task_runner":
            if str(value).strip().lower() not in TASK_RUNNERS:
                raise ValueError(value)
            return str(value).strip().lower()
        if name == "dask_address":
            address = str(value).strip()
            if address and not re.fullmatch(r"(tcp|tls|ucx|inproc)://[^\s/]+", address):
                raise ValueError(value)
            return address
        if field_type in ("int", "int | None"):
            number = int(value)
            if number < (0 if name in _ZERO_ALLOWED else 1) or (
                name == "desk_port" and number > 65535
            ):
                raise ValueError(value)
            return number
        if field_type == "float":
            number = float(value)
            if number < 0:
                raise ValueError(value)
            return number
        if name == "archive_url":
            return _archive_url(str(value))
        if name == "notify":
            items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value))
            return tuple(str(item).strip() for item in items if str(item).strip())
        if name == "notify_when":
            if str(value).strip().lower() not in NOTIFY_WHEN:
                raise ValueError(value)
            return str(value).strip().lower()
        if name == "notify_weekday":
            return _weekday(str(value))
        if name in ("report_url", "desk_url"):
            _archive_url(str(value)) if str(value).strip() else None  # http(s) or empty
            return str(value).strip()
        if name == "desk_trusted_proxies":
            items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value))
            networks = [str(item).strip() for item in items if str(item).strip()]
            return tuple(str(ipaddress.ip_network(n, strict=False)) for n in networks)
        if name == "desk_proxy_header":
            header = str(value).strip()
            if header and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header):
                raise ValueError(value)
            return header
        return str(value)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{origin}: invalid value {value!r} for {name}") from exc


NOTIFY_WHEN = ("worse", "always", "weekly")
TASK_RUNNERS = ("local", "dask")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GERMAN_WEEKDAYS = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag")


def _weekday(text: str) -> str:
    """English or German day name, its first three letters, or 1–7 (Monday = 1)."""
    word = text.strip().lower()
    for index, (english, german) in enumerate(zip(WEEKDAY_NAMES, _GERMAN_WEEKDAYS, strict=True)):
        if word in (english, german, english[:3], german[:2], str(index + 1)):
            return english
    raise ValueError(text)


def _archive_url(text: str) -> str:
    """The archive's base URL: http(s) with a host, without a trailing slash."""
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(text)
    return url


def load_settings(
    flags: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Merge the four layers. `flags` holds only options the user actually gave."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}

    path = config_path or Path(environ.get(ENV_PREFIX + "CONFIG", CONFIG_FILE_NAME))
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read settings: {exc}") from exc
        for key, value in table.get("linkpflege", table).items():
            name = key.replace("-", "_")
            if name not in names:
                raise SettingsError(f"{path}: unknown setting {key!r}")
            values[name] = _convert(name, value, str(path))

    for name in names:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None and env_value != "":
            values[name] = _convert(name, env_value, ENV_PREFIX + name.upper())

    for name, value in flags.items():
        if value is not None:
            values[name] = _convert(name, value, "--" + name.replace("_", "-"))

    # The run's own pool of fetch processes gave way to a local Dask cluster (the same
    # throughput in the benchmark, one mechanism instead of two); old settings keep working.
    if values.get("fetch_processes", 1) > 1 and "task_runner" not in values:
        values["task_runner"] = "dask"
        values.setdefault("workers", values["fetch_processes"])
    return dataclasses.replace(Settings(), **values)


def deprecation_notices(settings: Settings) -> list[str]:
    """One line for each deprecated setting in use, saying what to use instead."""
    if settings.fetch_processes > 1:
        return [
            f"fetch_processes ({settings.fetch_processes}) is deprecated and now means "
            f"--task-runner dask --workers {settings.fetch_processes}; use those instead"
        ]
    return []


def fetch_settings_from(settings: Settings) -> FetchSettings:
    """The fetch engine's settings for a run with these settings."""
    return FetchSettings(
        concurrency=settings.concurrency,
        per_host=settings.per_host,
        per_host_interval=settings.per_host_interval,
        timeout=settings.timeout,
        max_bytes=settings.max_bytes,
        max_redirects=settings.max_redirects,
        retries=settings.retries,
        user_agent=settings.user_agent,
        allow_private_addresses=settings.allow_private_addresses,
        private_hosts_allowed=settings.private_hosts,
        respect_robots=not settings.ignore_robots,
        crawl_delay_cap=settings.crawl_delay_cap,
    )
