"""The host probe (Bar-Yossef et al. 2004, "Sic transit gloria telae"): does the host answer a
made-up address just like this link?

Pure. The fetcher asks the link's host once per run for `PROBE_PATH_PREFIX` + random hex
and keeps the answer's fingerprint (`fingerprint_text`). If that answered 2xx too, and
either both were redirected to the same final URL or both deliver near-identical text
(word-sequence similarity ≥ `SIMILARITY_THRESHOLD` after removing the echoed paths), the
server answers every address with the same page. Never for the site root; a probe answered
404/410 proves the host honest. Exception: when both are a near-empty JavaScript app shell,
the server cannot tell us anything without running the script, so no verdict is given.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from urllib.parse import unquote

from extractors.health.page_text import PageText, page_text
from extractors.health.redirect_targets import is_site_root, requested_url, same_url, split_url
from extractors.records import FetchResult, HostProbe

PROBE_PATH_PREFIX = "/linkpflege-probe-"
SIMILARITY_THRESHOLD = 0.9
# What is kept of a page to compare it with the probe: enough for similarity, small to carry.
FINGERPRINT_CHARS = 4000
_MIN_ECHO_CHARS = 4  # shorter path pieces ("/de", "a") would cut ordinary words


def fingerprint_text(body: bytes, content_type: str | None, *, echoes: tuple[str, ...] = ()) -> str:
    """The normalised main text of an answer, for comparing a page with the host probe.

    Lower-cased, digits folded, whitespace collapsed, cut to `FINGERPRINT_CHARS`;
    `echoes` (the requested path, the probe path) are removed first, because error
    pages like to repeat the address that was asked for. "" for non-text media.
    """
    parts = page_text(body, content_type)
    if parts is None:
        return ""
    return normalise_for_comparison(f"{parts.title} {parts.main_text}", echoes)


def normalise_for_comparison(text: str, echoes: tuple[str, ...] = ()) -> str:
    # Only the first FINGERPRINT_CHARS are compared: cut before the (per-page) substitutions,
    # which otherwise ran over whole pages and were a fifth of the engine's CPU time.
    lowered = text[: FINGERPRINT_CHARS * 2].lower()
    for echo in sorted(echoes, key=len, reverse=True):  # whole URLs before their paths
        for form in {echo.lower(), unquote(echo).lower()}:
            # The `in` test is only a shortcut: the pattern search is slow on a long page.
            if len(form) >= _MIN_ECHO_CHARS and form in lowered:
                lowered = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", " ", lowered)
    lowered = re.sub(r"\d+", "0", lowered)
    return " ".join(lowered.split())[:FINGERPRINT_CHARS]


def text_similarity(first: str, second: str) -> float:
    """Word-sequence similarity 0..1: difflib's ratio on words.

    Exact at and above `SIMILARITY_THRESHOLD`; below it, difflib's cheap upper bounds
    are returned as soon as they prove the texts different (full matching is quadratic).
    """
    a, b = first.split(), second.split()
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD:
        return matcher.real_quick_ratio()  # an upper bound, already below the line
    if matcher.quick_ratio() < SIMILARITY_THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


# The mount point of a JavaScript app (React, Vue, Next, Nuxt, Quasar): its page is built in
# the browser (also read by the empty-page check).
APP_ROOT = re.compile(r"""id\s*=\s*["'](?:root|app|__next|__nuxt|q-app)["']""", re.IGNORECASE)
_APP_SHELL_WORDS = 20


def needs_probe(result: FetchResult) -> bool:
    """Whether the soft-404 probe can tell anything: a 2xx answer for a deep link."""
    if result.error is not None or result.status is None or not 200 <= result.status < 300:
        return False
    return not is_site_root(requested_url(result))


def probe_reason(result: FetchResult, page_fingerprint: str, parts: PageText | None) -> str | None:
    """Does the host answer a made-up address just like this link? Reason, or None."""
    probe: HostProbe | None = result.probe
    if probe is None or probe.status is None or not 200 <= probe.status < 300:
        return None  # no probe, or the host said 404 to nonsense: it is honest
    if not needs_probe(result):
        return None
    final = result.final_url or result.url
    if result.hops and probe.redirected and same_url(probe.final_url, final):
        return (
            "Server antwortet auf jede Adresse mit derselben Seite "
            f"(auch eine erfundene Adresse landet bei {final})"
        )
    if not page_fingerprint or not probe.text:
        return None
    if (
        parts is not None
        and parts.has_fewer_words(_APP_SHELL_WORDS)
        and APP_ROOT.search(parts.html)
    ):
        return None  # a JavaScript app shell: the server cannot show us the difference
    similarity = text_similarity(page_fingerprint, probe.text)
    if similarity >= SIMILARITY_THRESHOLD:
        return (
            "Server antwortet auf jede Adresse mit derselben Seite "
            f"(Inhalt zu {similarity:.0%} gleich der Antwort auf eine erfundene Adresse)"
        )
    return None


def page_echoes(url: str) -> tuple[str, ...]:
    """Parts of a URL an error page may repeat: the path with query, and the last segment."""
    parts = split_url(url)
    if parts is None:
        return ()
    path = parts.path or "/"
    full = f"{path}?{parts.query}" if parts.query else path
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return tuple(echo for echo in (url, full, path, last) if len(echo) >= _MIN_ECHO_CHARS)
