"""One GET to the archive (and one CDX query, `ask_cdx`): through the run's budget, within the
lookup's time, body capped.

The client is our own polite one (`flows.fetch.http_client.build_client`): the operator's
User-Agent, TLS trust and `--allow-private-addresses` apply, connections are pinned to the
addresses the SSRF guard approved, and redirects are not followed by httpx (the playback
follows them itself, hop by hop). Every failure becomes `ArchiveTrouble` with a German
reason: archive trouble must never reach the run as an exception.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

import httpx

from flows.archive.budget import ArchiveBudget, BudgetExhausted
from flows.archive.cdx import MAX_CDX_ROWS, Capture, read_cdx_answer
from flows.fetch.address_guard import AddressGuard
from flows.fetch.bodies import read_capped
from flows.fetch.http_client import LOCATION_KEY, build_client
from flows.fetch.settings import FetchSettings

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class ArchiveTrouble(Exception):
    """The archive could not be asked or gave no usable answer (timeout, network, 429, 5xx,
    budget spent). Never cached: tomorrow's lookup may fare better."""

    def __init__(self, reason: str, *, budget_spent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.budget_spent = budget_spent


@dataclass(frozen=True, slots=True)
class ArchiveAnswer:
    """An archive answer: final status, its URL, where a redirect points, headers, body."""

    url: str
    status: int
    location: str | None
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)
    truncated: bool


class ActiveTime:
    """A lookup's time for requests. Waiting for the budget is not charged: it is our own
    queue, and charging it would turn a busy run into fake archive timeouts."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def spend(self, seconds: float) -> None:
        self.left -= seconds


def archive_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The archive's HTTP client, built like the engine's (guarded unless private addresses
    are allowed). Close it with `async with` or `aclose()`."""
    guard = AddressGuard(allow_private=settings.allow_private_addresses)
    return build_client(settings, guard=guard)


async def archive_get(
    client: httpx.AsyncClient,
    url: str,
    *,
    budget: ArchiveBudget,
    time_left: ActiveTime,
    max_bytes: int,
    accept: str | None = None,
) -> ArchiveAnswer:
    """GET `url` in the budget's one request slot; a redirect comes back unread.

    Raises ArchiveTrouble for anything but a usable answer: a 429 (after telling the budget,
    which then pauses everyone), a 5xx, a timeout, a network error, a spent budget.
    """
    if time_left.left <= 0:
        raise ArchiveTrouble("Zeitlimit der Archivabfrage erreicht")
    loop = asyncio.get_running_loop()
    try:
        async with budget.request():
            started = loop.time()
            try:
                async with asyncio.timeout(time_left.left):
                    answer = await _get(client, url, max_bytes=max_bytes, accept=accept)
            except TimeoutError:
                raise ArchiveTrouble("Zeitüberschreitung beim Archiv") from None
            except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                detail = str(exc) or type(exc).__name__
                raise ArchiveTrouble(f"Archiv nicht erreichbar ({detail})") from None
            finally:
                time_left.spend(loop.time() - started)
            budget.record_status(answer.status)
    except BudgetExhausted as exc:
        raise ArchiveTrouble(str(exc), budget_spent=True) from None
    if answer.status == 429:
        raise ArchiveTrouble("Archiv drosselt die Anfragen (429), Pause für alle Abfragen")
    if answer.status >= 500:
        raise ArchiveTrouble(f"Archiv antwortet mit Fehler {answer.status}")
    return answer


async def _get(
    client: httpx.AsyncClient, url: str, *, max_bytes: int, accept: str | None
) -> ArchiveAnswer:
    headers = {"Accept": accept} if accept else None
    response = await client.send(client.build_request("GET", url, headers=headers), stream=True)
    try:
        # Our client's hook takes Location away from httpx; a plain client leaves it there.
        location = response.extensions.get(LOCATION_KEY) or response.headers.get("location")
        if response.status_code in _REDIRECT_STATUSES and location:
            body, truncated = b"", False
        else:
            body, truncated = await read_capped(response, max_bytes)
        return ArchiveAnswer(
            url=str(response.url),
            status=response.status_code,
            location=location if response.status_code in _REDIRECT_STATUSES else None,
            headers=tuple(response.headers.multi_items()),
            body=body,
            truncated=truncated,
        )
    finally:
        await response.aclose()


# A CDX answer larger than this is no answer: a query too wide, or an archive gone odd.
MAX_CDX_ANSWER_BYTES = 1_000_000


async def ask_cdx(
    client: httpx.AsyncClient,
    query: str,
    *,
    budget: ArchiveBudget,
    time_left: ActiveTime,
    max_bytes: int = MAX_CDX_ANSWER_BYTES,
    max_rows: int = MAX_CDX_ROWS,
) -> list[Capture]:
    """The captures a CDX query (`cdx.cdx_query_url`) lists; raises ArchiveTrouble for a
    failed request, a status other than 200, an answer over `max_bytes` or one that does not
    read as CDX JSON."""
    answer = await archive_get(
        client,
        query,
        budget=budget,
        time_left=time_left,
        max_bytes=max_bytes,
        accept="application/json",
    )
    if answer.status != 200:
        raise ArchiveTrouble(f"CDX-Server antwortet mit Status {answer.status}")
    if answer.truncated:
        raise ArchiveTrouble("CDX-Antwort zu groß")
    parsed = read_cdx_answer(answer.body, max_rows=max_rows)
    if parsed.problem:
        raise ArchiveTrouble(parsed.problem)
    return parsed.captures
