"""Editors' reviews: `reviews.csv` beside the catalogue, one row per review.

An editor who has looked at an entry records it (`linkpflege review ENTRY`); a change or an
old page seen before that day stops being reported until the page changes again.
Columns: entry_id, reviewed_on (YYYY-MM-DD), note.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("entry_id", "reviewed_on", "note")


class ReviewLogError(RuntimeError):
    """The reviews file cannot be read or written; the message names the file."""


@dataclass(frozen=True, slots=True)
class ReviewLog:
    latest: Mapping[str, dt.date]  # entry_id → the newest review day
    problems: tuple[str, ...]


def read_reviews(path: Path) -> ReviewLog:
    """Newest review per entry; bad rows are reported with their line and skipped."""
    if not path.exists():
        return ReviewLog({}, ())
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewLogError(f"{path}: cannot read reviews ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS[:2] if c not in (reader.fieldnames or [])]
    if missing:
        raise ReviewLogError(f"{path}, line 1: column {missing[0]!r} missing")
    latest: dict[str, dt.date] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        entry_id = (row.get("entry_id") or "").strip()
        try:
            day = dt.date.fromisoformat((row.get("reviewed_on") or "").strip())
        except ValueError:
            problems.append(f"{path}, line {line}: reviewed_on is not a date (YYYY-MM-DD)")
            continue
        if not entry_id:
            problems.append(f"{path}, line {line}: entry_id missing")
            continue
        if day > latest.get(entry_id, dt.date.min):
            latest[entry_id] = day
    return ReviewLog(latest, tuple(problems))


def append_review(path: Path, entry_id: str, day: dt.date, note: str) -> None:
    """Add one review row (creating the file with its header)."""
    new = not path.exists() or path.stat().st_size == 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if new:
        writer.writerow(COLUMNS)
    writer.writerow((entry_id, day.isoformat(), " ".join(note.split())))
    try:
        with path.open("a", encoding="utf-8", newline="") as stream:
            stream.write(buffer.getvalue())
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        raise ReviewLogError(f"{path}: cannot write review ({exc.strerror})") from exc


def record_review(catalog: Path, reviews: Path, entry_id: str, day: dt.date, note: str) -> None:
    """An editor reviewed an entry: `linkpflege review` and the desk's „Geprüft“ both come
    here. Refuses an entry the catalogue does not have (ReviewLogError, naming the file)."""
    from extractors.catalog.reader import CatalogError, parse_catalog

    try:
        parsed = parse_catalog(catalog.read_bytes(), source=str(catalog))
    except (OSError, CatalogError) as exc:
        raise ReviewLogError(f"{catalog}: cannot read catalogue ({exc})") from exc
    if entry_id not in {entry.entry_id for entry in parsed.entries}:
        raise ReviewLogError(f"{catalog}: no entry {entry_id!r}")
    append_review(reviews, entry_id, day, note)
