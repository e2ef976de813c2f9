"""Judge one fetch: turn a `FetchResult` into a `LinkHealth` (ARCHITECTURE §3).

Pure: statuses, hops and headers in, a health value with a short German detail
out. Network failures arrive already judged (`FetchResult.error`), because
only the fetcher can tell a timeout from a refused connection; everything
with a final HTTP answer is judged here.

Conventions this module relies on (set by the fetch engine, `flows.fetch`):
- `FetchResult.hops` holds only the redirect answers, in order; the final
  answer is `FetchResult.status` at `FetchResult.final_url`.
- A 3xx is only followed when it is one of `REDIRECT_STATUSES` and carries a
  Location; any other 3xx ends the chain and is judged here.

Choices worth knowing:
- A permanent chain (only 301/308) that ends at a different URL is `moved`
  even when the difference looks trivial (http → https on the same host and
  path, an added trailing slash): the catalogue should still be updated, and
  the detail says "nur https" / "nur Schrägstrich" so editors can batch these.
- A chain with any temporary hop (302/303/307) is `redirected`; so is a
  permanent chain that comes back to the requested URL (nothing to update).
- A final 3xx (redirect without Location, 300, 304…) and a final 1xx or
  out-of-range status are `server_error`: the server answered but never
  delivered the page. Not `connection_error`, which is reserved for failures
  that may lie on our side of the network (it feeds the "inconclusive run"
  check through `NETWORK_HEALTH`).
- Other 4xx (400, 405, 406, 408, 418…) are `not_found` with the status in the
  detail: the server refuses this URL as asked.
- A bot-protection challenge (`extractors.health.bot_challenge`: Cloudflare "Just a
  moment…", captchas, `cf-mitigated: challenge`) is `blocked` with "Bot-Schutz
  (…)", whatever its status: it cannot tell whether the page exists.
- A 2xx answer is checked for soft 404s first (`extractors.health.soft_404`: error
  phrasing, parked domains, a deep link redirected to a homepage/search/login,
  an empty page, a host that answers any address alike). So a 301 to the homepage
  of a deep link is `soft_404`, not `moved`: `moved` needs good content at the end.
- A hop with a 2xx status is a meta refresh; it makes the chain temporary.
- When the fetcher stopped retrying early (`FetchResult.retry_stop`, e.g. a
  Retry-After above the cap), the reason is part of the detail.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from extractors.health.bot_challenge import challenge_reason
from extractors.health.soft_404 import soft_404_reason
from extractors.records import FetchResult, Health, LinkHealth

# Statuses that are followed when they carry a Location (as browsers and httpx do).
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
GONE_STATUSES = frozenset({404, 410})
BLOCKED_STATUSES = frozenset({401, 403, 407, 429, 451})

# Short German reasons for the statuses editors meet most; others show the bare code.
_STATUS_TEXT: dict[int, str] = {
    400: "Ungültige Anfrage",
    401: "Anmeldung erforderlich",
    403: "Zugriff verweigert",
    404: "Nicht gefunden",
    405: "Methode nicht erlaubt",
    406: "Nicht annehmbar",
    407: "Proxy-Anmeldung erforderlich",
    408: "Zeitüberschreitung der Anfrage",
    410: "Entfernt",
    429: "Zu viele Anfragen",
    451: "Aus rechtlichen Gründen gesperrt",
    500: "Interner Serverfehler",
    501: "Nicht implementiert",
    502: "Fehlerhaftes Gateway",
    503: "Dienst nicht verfügbar",
    504: "Gateway-Zeitüberschreitung",
}


def is_redirect_status(status: int) -> bool:
    """True for the statuses that are followed when a Location is present."""
    return status in REDIRECT_STATUSES


def is_permanent_redirect(status: int) -> bool:
    """True for 301 and 308: the target says the old address is gone for good."""
    return status in PERMANENT_REDIRECT_STATUSES


def status_detail(status: int) -> str:
    """ "HTTP 404 – Nicht gefunden"; the bare "HTTP 418" for statuses without a German text."""
    text = _STATUS_TEXT.get(status)
    return f"HTTP {status} – {text}" if text else f"HTTP {status}"


def trivial_move_note(old_url: str, new_url: str) -> str | None:
    """Say when a move only switches to https and/or adds or drops a trailing slash.

    Such moves are still `moved` (the catalogue should be updated), but editors
    can fix them in bulk without looking at the page.
    """
    old, new = urlsplit(old_url), urlsplit(new_url)
    if (old.hostname or "").lower() != (new.hostname or "").lower():
        return None
    if (old.query, old.fragment) != (new.query, new.fragment):
        return None
    scheme_only = old.scheme.lower() == "http" and new.scheme.lower() == "https"
    same_scheme = old.scheme.lower() == new.scheme.lower()
    old_path, new_path = old.path or "/", new.path or "/"
    slash_only = old_path != new_path and old_path.rstrip("/") == new_path.rstrip("/")
    same_path = old_path == new_path
    if scheme_only and same_path:
        return "nur https"
    if scheme_only and slash_only:
        return "nur https und Schrägstrich"
    if same_scheme and slash_only:
        return "nur Schrägstrich am Ende"
    return None


def classify(result: FetchResult) -> LinkHealth:
    """The health of one fetched link; see the module docstring for the rules."""
    status = result.status
    final_url = result.final_url or result.url
    if result.error is not None:
        return LinkHealth(
            health=result.error,
            http_status=status,
            final_url=result.final_url,
            detail=result.error_detail,
        )
    if status is None:
        # Only a buggy fetcher gets here: no error and no answer.
        return LinkHealth(Health.CONNECTION_ERROR, None, result.final_url, "Keine Antwort")
    if status == 304 and result.conditional and not result.hops:
        # We asked "changed since last night?" and the server said no: last night's
        # good answer stands.
        return LinkHealth(Health.OK, status, final_url, "Unverändert seit der letzten Prüfung")
    after = _after_redirects(result)
    challenge = challenge_reason(status, result.headers, result.body)
    if challenge:
        detail = f"{challenge}, {status_detail(status)}"
        return LinkHealth(Health.BLOCKED, status, final_url, detail + after)
    if 200 <= status < 300:
        soft = soft_404_reason(result)
        if soft:
            return LinkHealth(Health.SOFT_404, status, final_url, soft)
        return _classify_success(result, status, final_url)
    if status in GONE_STATUSES:
        return LinkHealth(Health.NOT_FOUND, status, final_url, status_detail(status) + after)
    if status in BLOCKED_STATUSES:
        detail = status_detail(status)
        retry_after = result.header("retry-after")
        if status == 429 and result.retry_stop:
            detail += f", {result.retry_stop}"
        elif status == 429 and retry_after:
            detail += f" (Retry-After: {retry_after.strip()[:40]})"
        return LinkHealth(Health.BLOCKED, status, final_url, detail + after)
    if 400 <= status < 500:
        return LinkHealth(Health.NOT_FOUND, status, final_url, status_detail(status) + after)
    if 500 <= status < 600:
        detail = status_detail(status) + after
        if result.retry_stop:
            detail += f" ({result.retry_stop})"
        return LinkHealth(Health.SERVER_ERROR, status, final_url, detail)
    if 300 <= status < 400:
        if is_redirect_status(status) and not result.header("location"):
            detail = f"HTTP {status} – Weiterleitung ohne Ziel (Location fehlt)"
        else:
            detail = f"HTTP {status} – Weiterleitungsantwort ohne Inhalt"
        return LinkHealth(Health.SERVER_ERROR, status, final_url, detail + after)
    return LinkHealth(Health.SERVER_ERROR, status, final_url, f"Unerwarteter HTTP-Status {status}")


def _classify_success(result: FetchResult, status: int, final_url: str) -> LinkHealth:
    if not result.hops:
        return LinkHealth(Health.OK, status, final_url, None)
    # The first hop holds the requested URL as the fetcher normalised it ("…org" → "…org/").
    requested = result.hops[0].url
    all_permanent = all(is_permanent_redirect(hop.status) for hop in result.hops)
    if all_permanent and final_url != requested:
        detail = f"Dauerhaft verschoben nach {final_url}"
        note = trivial_move_note(requested, final_url)
        if note:
            detail += f" ({note})"
        return LinkHealth(Health.MOVED, status, final_url, detail)
    if final_url == requested:
        detail = "Weiterleitung zurück auf dieselbe Adresse"
    else:
        detail = f"Weitergeleitet nach {final_url}"
    if any(200 <= hop.status < 300 for hop in result.hops):
        detail += " (per Meta-Refresh)"
    return LinkHealth(Health.REDIRECTED, status, final_url, detail)


def _after_redirects(result: FetchResult) -> str:
    """ " nach 2 Weiterleitungen" when the answer came at the end of a chain."""
    count = len(result.hops)
    if count == 0:
        return ""
    return " nach 1 Weiterleitung" if count == 1 else f" nach {count} Weiterleitungen"
