"""Test records with sensible defaults, shared by the test files (one place to follow the
records when they gain fields). Import as `from record_factories import make_link_row`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from extractors.records import EntryVerdict, Health, LinkRow, Verdict

RUN_DATE = dt.date(2026, 11, 26)


def make_link_row(**changes: Any) -> LinkRow:
    """A healthy, dated, fresh link checked on RUN_DATE, unless `changes` say otherwise.

    Without a `url` (None) the link has no target and, by default, no health.
    """
    url = changes.get("url", "https://example.org/a")
    fields: dict[str, Any] = {
        "entry_id": "monheim",
        "link_label": "Weitere Informationen",
        "url": url,
        "run_date": RUN_DATE,
        "checked_at": dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC),
        "health": Health.OK if url else None,
        "http_status": 200 if url else None,
        "final_url": url,
        "redirect_chain": (),
        "error_detail": None,
        "content_type": "text/html",
        "title": "Seite",
        "summary": None,
        "language": "de",
        "published": None,
        "modified": dt.date(2026, 1, 10),
        "date_source": "meta",
        "date_evidence": "metadata",
        "content_date": dt.date(2026, 1, 10),
        "age_days": 320,
        "stale": False,
        "content_hash": None,
        "text_fingerprint": None,
        "baseline_fingerprint": None,
        "first_seen": dt.date(2025, 1, 1),
        "last_ok": RUN_DATE,
        "last_changed": None,
        "failing_since": None,
        "consecutive_failures": 0,
        "confirmed_broken": False,
    }
    fields.update(changes)
    return LinkRow(**fields)


def make_entry_verdict(**changes: Any) -> EntryVerdict:
    """An ok entry with one good link on RUN_DATE, unless `changes` say otherwise."""
    entry_id = changes.get("entry_id", "monheim")
    fields: dict[str, Any] = {
        "entry_id": entry_id,
        "provider": f"Stadt {entry_id}",
        "provider_type": "Stadt",
        "title": f"Titel {entry_id}",
        "description": "",
        "run_date": RUN_DATE,
        "verdict": Verdict.OK,
        "reasons": (),
        "links_total": 1,
        "links_ok": 1,
        "links_failing": 0,
        "links_missing_url": 0,
        "newest_content_date": None,
    }
    fields.update(changes)
    return EntryVerdict(**fields)
