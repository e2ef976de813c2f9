"""The explicit pyarrow schemas of the curated dataset (ARCHITECTURE §4, docs/dataset.md).

Written by hand, never inferred: pandas would otherwise pick `large_string`, turn nullable
integers into floats, and a downstream program would see the types drift between nights.
Change a column only together with SCHEMA_VERSION, docs/dataset.md and the tests.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "4"
# Versions the reader still accepts: a column added since a file's version reads as null.
# 2: text_fingerprint and baseline_fingerprint; last_changed means "changed substantially".
# 3: date_evidence; content_date may come from metadata alone (graded "metadata").
# 4: archived_url, archived_at, archive_note; suggested_url, suggestion_source, suggestion_score.
READABLE_VERSIONS = ("1", "2", "3", "4")
ADDED_IN_VERSION = {
    "text_fingerprint": "2",
    "baseline_fingerprint": "2",
    "date_evidence": "3",
    "archived_url": "4",
    "archived_at": "4",
    "archive_note": "4",
    "suggested_url": "4",
    "suggestion_source": "4",
    "suggestion_score": "4",
}

HOP_TYPE = pa.struct(
    [
        pa.field("url", pa.string(), nullable=False),
        pa.field("status", pa.int16(), nullable=False),
        pa.field("location", pa.string()),
    ]
)

_LINK_FIELDS = [
    pa.field("entry_id", pa.string(), nullable=False),
    pa.field("link_label", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("run_date", pa.date32(), nullable=False),
    pa.field("checked_at", pa.timestamp("us", tz="UTC")),
    pa.field("health", pa.string()),
    pa.field("http_status", pa.int16()),
    pa.field("final_url", pa.string()),
    pa.field("redirect_chain", pa.list_(HOP_TYPE), nullable=False),
    pa.field("error_detail", pa.string()),
    pa.field("content_type", pa.string()),
    pa.field("title", pa.string()),
    pa.field("summary", pa.string()),
    pa.field("language", pa.string()),
    pa.field("published", pa.date32()),
    pa.field("modified", pa.date32()),
    pa.field("date_source", pa.string()),
    pa.field("content_date", pa.date32()),
    pa.field("age_days", pa.int32()),
    pa.field("stale", pa.bool_()),
    pa.field("content_hash", pa.string()),
    pa.field("first_seen", pa.date32(), nullable=False),
    pa.field("last_ok", pa.date32()),
    pa.field("last_changed", pa.date32()),
    pa.field("failing_since", pa.date32()),
    pa.field("consecutive_failures", pa.int32(), nullable=False),
    pa.field("confirmed_broken", pa.bool_(), nullable=False),
    pa.field("attempts", pa.int16(), nullable=False),
    pa.field("elapsed_ms", pa.int32()),
    pa.field("bytes_read", pa.int64(), nullable=False),
    pa.field("removed_since", pa.date32()),
    pa.field("etag", pa.string()),
    pa.field("http_last_modified", pa.string()),
    # Hex SimHash strings (extractors.text.fingerprint), 64 characters; last, so a reader that
    # matches columns by position sees the version-1 columns where they were.
    pa.field("text_fingerprint", pa.string()),
    pa.field("baseline_fingerprint", pa.string()),
    # How content_date is evidenced: visible, metadata, url, document_info, http_header.
    pa.field("date_evidence", pa.string()),
    # A checked archived copy: playback URL (/web/<timestamp>/<url>), capture moment, German note.
    pa.field("archived_url", pa.string()),
    pa.field("archived_at", pa.timestamp("us", tz="UTC")),
    pa.field("archive_note", pa.string()),
    # A proposed replacement address: redirect, sitemap, archive_index or url_pattern; 0–1.
    pa.field("suggested_url", pa.string()),
    pa.field("suggestion_source", pa.string()),
    pa.field("suggestion_score", pa.float64()),
]


def _with_metadata(fields: list[pa.Field], table: str) -> pa.Schema:
    return pa.schema(
        fields,
        metadata={b"schema_version": SCHEMA_VERSION.encode(), b"table": table.encode()},
    )


LINKS_SCHEMA = _with_metadata(_LINK_FIELDS, "links")

# A history partition holds the same columns without run_date: the value lives in the
# Hive path (history/run_date=YYYY-MM-DD/), and a column of the same name inside the file
# would clash with it in pyarrow, DuckDB and polars.
HISTORY_SCHEMA = _with_metadata([f for f in _LINK_FIELDS if f.name != "run_date"], "history")

ENTRIES_SCHEMA = _with_metadata(
    [
        pa.field("entry_id", pa.string(), nullable=False),
        pa.field("provider", pa.string(), nullable=False),
        pa.field("provider_type", pa.string()),
        pa.field("title", pa.string(), nullable=False),
        pa.field("description", pa.string()),
        pa.field("run_date", pa.date32(), nullable=False),
        pa.field("verdict", pa.string(), nullable=False),
        pa.field("reasons", pa.list_(pa.string()), nullable=False),
        pa.field("links_total", pa.int32(), nullable=False),
        pa.field("links_ok", pa.int32(), nullable=False),
        pa.field("links_failing", pa.int32(), nullable=False),
        pa.field("links_missing_url", pa.int32(), nullable=False),
        pa.field("newest_content_date", pa.date32()),
        pa.field("catalog_extra", pa.map_(pa.string(), pa.string()), nullable=False),
        pa.field("removed_since", pa.date32()),
    ],
    "entries",
)

# Every candidate new address considered tonight (flows.new_locations); latest night only.
SUGGESTIONS_SCHEMA = _with_metadata(
    [
        pa.field("entry_id", pa.string(), nullable=False),
        pa.field("link_label", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("run_date", pa.date32(), nullable=False),
        pa.field("rank", pa.int16(), nullable=False),
        pa.field("candidate_url", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("evidence", pa.string(), nullable=False),
        pa.field("health", pa.string()),
    ],
    "suggestions",
)
