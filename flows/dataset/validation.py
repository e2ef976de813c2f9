"""Checks a night's tables must pass before anything is published.

A run whose output fails here publishes nothing and says why: downstream programs rely on
the documented vocabulary, unique keys and dates that are never in the future.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from extractors.records import SUGGESTION_SOURCES, DateEvidence, Health, Verdict
from flows.dataset.schema import ENTRIES_SCHEMA, LINKS_SCHEMA, SUGGESTIONS_SCHEMA

LINK_DATE_COLUMNS = (
    "published",
    "modified",
    "content_date",
    "first_seen",
    "last_ok",
    "last_changed",
    "failing_since",
)
LINK_KEY = ("entry_id", "url", "link_label")
FINGERPRINT_COLUMNS = ("text_fingerprint", "baseline_fingerprint")
_FINGERPRINT_PATTERN = "^[0-9a-f]{64}$"  # extractors.text.fingerprint: 256 bits as hex


def _outside(column: pa.ChunkedArray, allowed: set[str]) -> list[str]:
    values = {v for v in pc.unique(column).to_pylist() if v is not None}
    return sorted(values - allowed)


def _duplicates(table: pa.Table, keys: tuple[str, ...]) -> int:
    counts = table.group_by(list(keys), use_threads=False).aggregate([([], "count_all")])
    return int(pc.sum(pc.greater(counts["count_all"], 1)).as_py() or 0)


def validate_tables(links: pa.Table, entries: pa.Table, run_date: dt.date) -> list[str]:
    """Every problem found, as short English sentences naming the table and column."""
    problems: list[str] = []
    if not links.schema.equals(LINKS_SCHEMA, check_metadata=False):
        problems.append("links: schema differs from LINKS_SCHEMA")
    if not entries.schema.equals(ENTRIES_SCHEMA, check_metadata=False):
        problems.append("entries: schema differs from ENTRIES_SCHEMA")
    if problems:
        return problems

    bad = _outside(links["health"], {h.value for h in Health})
    if bad:
        problems.append(f"links.health: values outside the vocabulary: {bad}")
    bad = _outside(entries["verdict"], {v.value for v in Verdict})
    if bad:
        problems.append(f"entries.verdict: values outside the vocabulary: {bad}")
    bad = _outside(links["date_evidence"], {e.value for e in DateEvidence})
    if bad:
        problems.append(f"links.date_evidence: values outside the vocabulary: {bad}")
    bad = _outside(links["suggestion_source"], set(SUGGESTION_SOURCES))
    if bad:
        problems.append(f"links.suggestion_source: values outside the vocabulary: {bad}")
    score = links["suggestion_score"]
    outside = pc.sum(pc.or_(pc.less(score, 0.0), pc.greater(score, 1.0))).as_py()
    if outside:
        problems.append(f"links.suggestion_score: {outside} values outside 0..1")

    if dup := _duplicates(links, LINK_KEY):
        problems.append(f"links: {dup} duplicate keys (entry_id, url, link_label)")
    if dup := _duplicates(entries, ("entry_id",)):
        problems.append(f"entries: {dup} duplicate entry_id values")

    for table_name, table in (("links", links), ("entries", entries)):
        wrong_night = pc.sum(pc.not_equal(table["run_date"], pa.scalar(run_date))).as_py()
        if wrong_night:
            problems.append(f"{table_name}.run_date: {wrong_night} rows not {run_date}")
    for name in LINK_DATE_COLUMNS:
        late = pc.sum(pc.greater(links[name], pa.scalar(run_date))).as_py()
        if late:
            problems.append(f"links.{name}: {late} dates after the run date {run_date}")
    late = pc.sum(pc.greater(entries["newest_content_date"], pa.scalar(run_date))).as_py()
    if late:
        problems.append(f"entries.newest_content_date: {late} dates after {run_date}")

    entry_ids = set(entries["entry_id"].to_pylist())
    orphans = set(links["entry_id"].to_pylist()) - entry_ids
    if orphans:
        problems.append(f"links: entry_id without an entry: {sorted(orphans)[:5]}")
    for name in FINGERPRINT_COLUMNS:
        malformed = pc.sum(pc.invert(pc.match_substring_regex(links[name], _FINGERPRINT_PATTERN)))
        if malformed.as_py():
            problems.append(f"links.{name}: {malformed.as_py()} values not 64 hex digits")
    negative = pc.sum(pc.less(links["consecutive_failures"], 0)).as_py()
    if negative:
        problems.append(f"links.consecutive_failures: {negative} negative values")
    return problems


def validate_suggestions(suggestions: pa.Table, run_date: dt.date) -> list[str]:
    """The considered new addresses: schema, source vocabulary, score 0..1, rank from 1."""
    if not suggestions.schema.equals(SUGGESTIONS_SCHEMA, check_metadata=False):
        return ["suggestions: schema differs from SUGGESTIONS_SCHEMA"]
    problems: list[str] = []
    bad = _outside(suggestions["source"], set(SUGGESTION_SOURCES))
    if bad:
        problems.append(f"suggestions.source: values outside the vocabulary: {bad}")
    bad = _outside(suggestions["health"], {h.value for h in Health})
    if bad:
        problems.append(f"suggestions.health: values outside the vocabulary: {bad}")
    score = suggestions["score"]
    outside = pc.sum(pc.or_(pc.less(score, 0.0), pc.greater(score, 1.0))).as_py()
    if outside:
        problems.append(f"suggestions.score: {outside} values outside 0..1")
    if low := pc.sum(pc.less(suggestions["rank"], 1)).as_py():
        problems.append(f"suggestions.rank: {low} values below 1")
    wrong_night = pc.sum(pc.not_equal(suggestions["run_date"], pa.scalar(run_date))).as_py()
    if wrong_night:
        problems.append(f"suggestions.run_date: {wrong_night} rows not {run_date}")
    return problems
