"""The small value objects that flow through a harvest.

CatalogEntry → FetchResult → LinkHealth + PageFacts → LinkRow → EntryVerdict.
All are frozen and slotted; none holds a library object, so every stage can be
tested with plain values and records cross thread and process borders cheaply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Health(StrEnum):
    """The closed vocabulary of link health (ARCHITECTURE §3)."""

    OK = "ok"
    REDIRECTED = "redirected"
    MOVED = "moved"
    SOFT_404 = "soft_404"
    NOT_FOUND = "not_found"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    DNS_ERROR = "dns_error"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    BLOCKED = "blocked"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    INVALID_URL = "invalid_url"


# Reachable with real content: the page exists.
GOOD_HEALTH = frozenset({Health.OK, Health.REDIRECTED, Health.MOVED})
# Proven or likely gone: counts towards "broken" once confirmed across nights.
FAILING_HEALTH = frozenset(
    {
        Health.SOFT_404,
        Health.NOT_FOUND,
        Health.SERVER_ERROR,
        Health.TIMEOUT,
        Health.DNS_ERROR,
        Health.CONNECTION_ERROR,
        Health.TOO_MANY_REDIRECTS,
        Health.INVALID_URL,
    }
)
# Cannot be verified, but not proven broken either: an editor should look.
UNVERIFIABLE_HEALTH = frozenset({Health.BLOCKED, Health.TLS_ERROR})
# Failures that say more about our own network than about the target.
NETWORK_HEALTH = frozenset({Health.DNS_ERROR, Health.CONNECTION_ERROR, Health.TIMEOUT})
# Where a suggested replacement address comes from (LinkRow.suggestion_source).
SUGGESTION_SOURCES = ("redirect", "sitemap", "archive_index", "url_pattern")


class Verdict(StrEnum):
    """One verdict per catalogue entry (ARCHITECTURE §4)."""

    OK = "ok"
    STALE = "stale"
    BROKEN = "broken"
    REVIEW = "review"
    MISSING_URL = "missing_url"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One catalogue row: one link of one entry. `url` is "" when the target is unknown."""

    line: int
    entry_id: str
    provider: str
    title: str
    description: str = ""
    link_label: str = ""
    url: str = ""
    provider_type: str = ""
    max_age_days: int | None = None
    notes: str = ""
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    """A catalogue row that was skipped or degraded, with the line to fix."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Hop:
    """One answer in a redirect chain: the URL asked, its status, where it pointed."""

    url: str
    status: int
    location: str | None = None


@dataclass(frozen=True, slots=True)
class HostProbe:
    """The answer to a made-up address on a link's host (the soft-404 probe).

    Bar-Yossef et al. (2004): a host that answers a random, surely non-existent
    path with 2xx (directly or after the same redirect as a link) cannot prove
    that a link exists. The fetcher asks once per host and run; `text` is the
    answer's normalised main text (see `extractors.health.host_probe.fingerprint_text`),
    not its body, so the record stays small. `status` is None when no HTTP
    answer came (then `detail` says why, e.g. robots.txt or a timeout).
    """

    url: str
    status: int | None = None
    final_url: str | None = None
    redirected: bool = False
    content_type: str | None = None
    text: str = ""
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What the network said about one URL, after redirects and retries.

    `error` is set when no usable final HTTP answer was had; it is already a
    health value because only the fetcher can tell a timeout from a refused
    connection. HTTP statuses are left for `extractors.health.link_health` to judge.
    """

    url: str
    final_url: str | None = None
    status: int | None = None
    hops: tuple[Hop, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    # Not in the repr: a stray log line or traceback must not print megabytes of page.
    body: bytes = field(default=b"", repr=False)
    truncated: bool = False
    error: Health | None = None
    error_detail: str | None = None
    attempts: int = 1
    elapsed_s: float = 0.0
    checked_at: dt.datetime | None = None
    # The host's answer to a made-up path, for soft-404 judging; None when not probed.
    probe: HostProbe | None = None
    # Why retrying stopped early (German), e.g. "Retry-After 3600 s über der Grenze von 30 s".
    retry_stop: str | None = None
    # Validators (ETag / Last-Modified) were sent: a 304 then means "unchanged".
    conditional: bool = False

    def header(self, name: str) -> str | None:
        """First value of a response header, case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> str | None:
        value = self.header("content-type")
        return value.split(";", 1)[0].strip().lower() if value else None


@dataclass(frozen=True, slots=True)
class LinkHealth:
    """The verdict on one fetch: a health value and the evidence behind it."""

    health: Health
    http_status: int | None = None
    final_url: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class DateClaim:
    """A date found on a page, with where it was found and how much we trust it (0..1).

    `evidence` is the grade a reader could check it by (`DateEvidence`); None means the grade
    its `source` gives (see `extractors.dates.claims.date_evidence`).
    """

    value: dt.date
    source: str
    confidence: float
    # Not compared: two claims of the same day, source and trust say the same thing.
    evidence: str | None = field(default=None, compare=False)


class DateEvidence(StrEnum):
    """How a content date is evidenced (links.parquet `date_evidence`), most trusted first."""

    VISIBLE = "visible"  # written on the page (main text, byline, footer) or a <time>
    METADATA = "metadata"  # only in metadata: <meta>, DC/dcterms, JSON-LD, itemprop
    URL = "url"  # a day or month in the URL path
    DOCUMENT_INFO = "document_info"  # a document's properties: PDF info/XMP, Office core
    HTTP_HEADER = "http_header"  # the server's Last-Modified


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What a page says about itself. Every field is None when not found."""

    title: str | None = None
    summary: str | None = None
    language: str | None = None
    published: DateClaim | None = None
    modified: DateClaim | None = None
    content_hash: str | None = None
    # SimHash of the same text (extractors.text.fingerprint): tells a real change from a new date.
    text_fingerprint: str | None = None
    # A date only invisible metadata gives, when the page shows none: how current the page
    # is (evidence grade "metadata"), never a publication or change date.
    metadata_date: DateClaim | None = None

    @property
    def content_date(self) -> DateClaim | None:
        """The date that says how current the page is: last change, else publication, else
        what only the metadata records."""
        return self.modified or self.published or self.metadata_date


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One row of curated/links.parquet: the latest state of one catalogue link."""

    entry_id: str
    link_label: str
    url: str | None
    run_date: dt.date
    checked_at: dt.datetime | None
    health: Health | None
    http_status: int | None
    final_url: str | None
    redirect_chain: tuple[Hop, ...]
    error_detail: str | None
    content_type: str | None
    title: str | None
    summary: str | None
    language: str | None
    published: dt.date | None
    modified: dt.date | None
    date_source: str | None
    content_date: dt.date | None
    age_days: int | None
    stale: bool | None
    content_hash: str | None
    first_seen: dt.date
    last_ok: dt.date | None
    last_changed: dt.date | None
    failing_since: dt.date | None
    consecutive_failures: int
    confirmed_broken: bool
    attempts: int = 0
    elapsed_ms: int | None = None
    bytes_read: int = 0
    removed_since: dt.date | None = None  # set when the link left the catalogue
    etag: str | None = None  # validators for tomorrow's conditional request
    http_last_modified: str | None = None
    text_fingerprint: str | None = None  # SimHash of the main text last seen
    # The fingerprint as of last_changed (or first seen): slow drift adds up against it.
    baseline_fingerprint: str | None = None
    # How content_date is evidenced (a DateEvidence value); None before schema version 3.
    date_evidence: str | None = None
    # A checked archived copy (schema version 4): the playback URL an editor opens, when it
    # was captured (UTC), and a German note (the copy and its title, or why there is none).
    archived_url: str | None = None
    archived_at: dt.datetime | None = None
    archive_note: str | None = None
    # A proposed replacement address: where it comes from (SUGGESTION_SOURCES) and how sure
    # it is (0–1): a permanent redirect's target (`redirect`, 1.0), or a new location found on
    # the provider's own site (`sitemap`, `url_pattern`; flows.new_locations).
    suggested_url: str | None = None
    suggestion_source: str | None = None
    suggestion_score: float | None = None


@dataclass(frozen=True, slots=True)
class SuggestionRow:
    """One row of curated/suggestions.parquet: a candidate new address considered tonight for
    a lost link (or a link without target), ranked best first (rank 1), with its score (0–1),
    German evidence and the health its check found (None: not fetched)."""

    entry_id: str
    link_label: str
    url: str | None
    run_date: dt.date
    rank: int
    candidate_url: str
    source: str
    score: float
    evidence: str
    health: str | None = None


@dataclass(frozen=True, slots=True)
class EntryVerdict:
    """One row of curated/entries.parquet: a catalogue entry and what editors should do."""

    entry_id: str
    provider: str
    provider_type: str
    title: str
    description: str
    run_date: dt.date
    verdict: Verdict
    reasons: tuple[str, ...]
    links_total: int
    links_ok: int
    links_failing: int
    links_missing_url: int
    newest_content_date: dt.date | None
    extra: tuple[tuple[str, str], ...] = field(default=())
    removed_since: dt.date | None = None  # set when the entry left the catalogue
