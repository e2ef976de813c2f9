"""Where a redirect ended, judged: a deep link sent to a homepage, a search page or a login.

Pure: URLs in, a short German reason or None out. `is_site_root` also tells the other
soft-404 checks which links are a site's front door (never judged as a deep link).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlsplit

from extractors.records import FetchResult

_LANGUAGE_SEGMENT = r"(?:[a-z]{2}(?:[-_][a-z]{2})?/)?"
_HOME_PATH = re.compile(
    rf"^/{_LANGUAGE_SEGMENT}"
    r"(?:(?:index|default|home|start|startseite|homepage|welcome|willkommen|portal)"
    r"(?:\.[a-z0-9]{2,5})?/?)?$",
    re.IGNORECASE,
)
_BARE_LANGUAGE = re.compile(r"^/[a-z]{2}(?:[-_][a-z]{2})?$", re.IGNORECASE)
# Query keys that do not pick a page: a homepage with these is still the homepage.
_HARMLESS_QUERY_KEYS = frozenset(
    {
        "lang",
        "l",
        "language",
        "sprache",
        "locale",
        "ref",
        "referrer",
        "from",
        "source",
        "src",
        "redirect",
        "redirected",
        "error",
        "err",
        "notfound",
        "404",
        "status",
        "msg",
        "message",
    }
)
_SEARCH_TOKENS = frozenset(
    {
        "suche",
        "suchen",
        "suchergebnis",
        "suchergebnisse",
        "volltextsuche",
        "expertensuche",
        "schnellsuche",
        "stichwortsuche",
        "seitensuche",
        "websuche",
        "search",
        "searchresult",
        "searchresults",
        "sitesearch",
    }
)
_SEARCH_QUERY_KEYS = frozenset(
    {"q", "query", "search", "searchterm", "search_term", "suchbegriff", "suche", "sword", "s"}
)
_LOGIN_SEGMENTS = frozenset(
    {
        "login",
        "log-in",
        "logon",
        "anmelden",
        "signin",
        "sign-in",
        "sso",
        "auth",
        "oauth",
        "oauth2",
        "saml",
        "saml2",
        "cas",
        "benutzeranmeldung",
    }
)
_LOGIN_HOST_LABELS = frozenset({"login", "sso", "auth", "signin", "idp", "accounts"})
_TOKEN_SPLIT = re.compile(r"[-_.]")


def is_site_root(url: str) -> bool:
    """True for a site's front door: "/", "/index.html", "/de/", "/startseite" – without a query.

    A query picks a page ("/index.php?id=123" is a deep link in TYPO3), so it makes
    the URL deep.
    """
    parts = split_url(url)
    if parts is None:
        return False
    path = parts.path or "/"
    if parts.query:
        return False
    return bool(_HOME_PATH.match(path) or _BARE_LANGUAGE.match(path))


def is_homepage(url: str) -> bool:
    """Like `is_site_root`, but forgiving query keys that do not select a page (lang, ref …)."""
    parts = split_url(url)
    if parts is None:
        return False
    path = parts.path or "/"
    if not (_HOME_PATH.match(path) or _BARE_LANGUAGE.match(path)):
        return False
    keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return all(key in _HARMLESS_QUERY_KEYS or key.startswith("utm_") for key in keys)


def is_search_page(url: str) -> bool:
    """A site search: a path segment like /suche or /search, or a search query key (q=, s= …)."""
    parts = split_url(url)
    if parts is None:
        return False
    for segment in parts.path.lower().split("/"):
        tokens = set(_TOKEN_SPLIT.split(segment))
        if tokens & _SEARCH_TOKENS:
            return True
    keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if keys & _SEARCH_QUERY_KEYS:
        return True
    host = (parts.hostname or "").lower()
    return host.split(".", 1)[0] in {"suche", "search"}


def is_login_page(url: str) -> bool:
    """A login: /login, /user/login.php, /anmelden, /sso/ … or a login host (sso.example.org)."""
    parts = split_url(url)
    if parts is None:
        return False
    for segment in parts.path.lower().split("/"):
        stem = segment.rsplit(".", 1)[0] if "." in segment else segment
        if stem in _LOGIN_SEGMENTS or "login" in _TOKEN_SPLIT.split(segment):
            return True
    host = (parts.hostname or "").lower()
    return host.split(".", 1)[0] in _LOGIN_HOST_LABELS


def split_url(url: str | None) -> SplitResult | None:
    if not url:
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def same_url(first: str | None, second: str | None) -> bool:
    if not first or not second:
        return False
    return first.split("#", 1)[0].rstrip("/") == second.split("#", 1)[0].rstrip("/")


def requested_url(result: FetchResult) -> str:
    """The URL as first asked (the first hop holds the fetcher's normalised form)."""
    return result.hops[0].url if result.hops else (result.final_url or result.url)


def redirect_target_reason(requested: str, final: str) -> str | None:
    """Why a redirect from `requested` to `final` means the page is gone, or None."""
    if is_site_root(requested) or same_url(requested, final):
        return None
    if is_homepage(final):
        return f"Tiefer Link auf die Startseite umgeleitet ({final})"
    if is_login_page(final) and not is_login_page(requested):
        return f"Tiefer Link auf eine Anmeldeseite umgeleitet ({final})"
    if is_search_page(final) and not is_search_page(requested):
        return f"Tiefer Link auf eine Suchseite umgeleitet ({final})"
    return None
