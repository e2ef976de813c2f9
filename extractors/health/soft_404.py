"""Soft 404s: answers that say 2xx but deliver no page (ARCHITECTURE §3, `soft_404`).

Pure: a `FetchResult` (status, hops, body, the host probe) in, a short German
reason out, or None. `soft_404_reason` tries five small heuristics, most certain
first, and returns the first that fires:

1. Parked domain (`parked_domain`): "Diese Domain steht zum Verkauf", hosting
   placeholders, or a parking service's markers (sedo, dan.com …) on a page with
   little text. Applies to site roots too: a parked root is no content either.
2. Redirect target (`redirect_targets`): a deep link that was redirected (HTTP or
   meta refresh) to a homepage (`/`, `index.*`, `/de/`, `/startseite` …), a search
   page or a login page. A link that IS the site root never triggers this.
3. Error phrasing (`error_phrasing`): "Seite nicht gefunden", "Fehler 404", "Page
   not found" … decisive as the message of a title segment or h1, or stated in a
   short text; a phrase that is asked, supposed ("wenn …"), quoted or part of a
   longer headline is only a mention.
4. Empty page (`empty_page`): a deep HTML link answered 200 with 0 bytes, only
   whitespace or a body without any text, and no script, frame, image or refresh
   that could be the content.
5. Host probe (`host_probe`): the host answers a made-up address with the same
   page (same redirect target, or near-identical text).

What the checks read of a page is in `page_text`.
"""

from __future__ import annotations

from extractors.health.empty_page import empty_page_reason
from extractors.health.error_phrasing import error_page_reason
from extractors.health.host_probe import normalise_for_comparison, page_echoes, probe_reason
from extractors.health.page_text import page_text
from extractors.health.parked_domain import parked_domain_reason
from extractors.health.redirect_targets import redirect_target_reason, requested_url
from extractors.records import FetchResult


def soft_404_reason(result: FetchResult) -> str | None:
    """Why this 2xx answer is no real page (German, short), or None when it is one."""
    if result.error is not None or result.status is None or not 200 <= result.status < 300:
        return None
    final = result.final_url or result.url
    parts = page_text(result.body, result.header("content-type")) if result.body else None
    if parts is not None:
        parked = parked_domain_reason(parts)
        if parked:
            return parked
    if result.hops:
        moved_away = redirect_target_reason(requested_url(result), final)
        if moved_away:
            return moved_away
    if parts is not None and parts.is_html:
        error_page = error_page_reason(parts)
        if error_page:
            return error_page
    empty = empty_page_reason(result, parts)
    if empty:
        return empty
    fingerprint = ""
    probe = result.probe
    # Only a probe answered with 2xx can unmask a page; an honest 404 needs no comparison.
    if (
        parts is not None
        and probe is not None
        and probe.text
        and probe.status is not None
        and 200 <= probe.status < 300
    ):
        echoes = page_echoes(requested_url(result)) + page_echoes(final)
        fingerprint = normalise_for_comparison(f"{parts.title} {parts.main_text}", echoes)
    return probe_reason(result, fingerprint, parts)
