"""Entry counts per verdict for the last nights, read from the entries history.

The report's trend chart and its "change since the previous night" need the counts of earlier
nights. They are already on disk: `curated/entries_history/run_date=YYYY-MM-DD/entries.parquet`
holds every night's entry verdicts (entries that left the catalogue are not in it). Only the
`verdict` column is read, so a long history stays cheap.

The chart is a convenience: a partition that cannot be read is skipped, never fatal.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ENTRIES_HISTORY_DIR = "entries_history"
ENTRIES_FILE = "entries.parquet"
_PARTITION = re.compile(r"run_date=(\d{4}-\d{2}-\d{2})")


def verdict_history_from(
    curated_dir: Path, nights: int = 30
) -> tuple[tuple[dt.date, dict[str, int]], ...]:
    """Counts per verdict of the newest `nights` nights, oldest first, for `ReportInput`.

    The night comes from the folder name (`run_date=YYYY-MM-DD`); a night whose file is missing
    or damaged is left out.
    """
    root = curated_dir / ENTRIES_HISTORY_DIR
    if nights <= 0 or not root.is_dir():
        return ()
    partitions: list[tuple[dt.date, Path]] = []
    for folder in root.iterdir():
        match = _PARTITION.fullmatch(folder.name)
        if not match or not folder.is_dir():
            continue
        try:
            night = dt.date.fromisoformat(match.group(1))
        except ValueError:  # e.g. run_date=2026-02-30
            continue
        partitions.append((night, folder / ENTRIES_FILE))
    partitions.sort()

    history: list[tuple[dt.date, dict[str, int]]] = []
    for night, path in partitions[-nights:]:
        try:
            # Counted in Arrow: a night of 50,000 entries is not made 50,000 Python strings,
            # and `ParquetFile` reads without the dataset machinery's threads and buffers.
            with pq.ParquetFile(path) as file:
                verdicts = file.read(columns=["verdict"]).column("verdict")
            counts = pc.value_counts(pc.drop_null(verdicts)).to_pylist()
        except (OSError, ValueError, KeyError, pa.ArrowException):  # missing, damaged, foreign
            continue
        history.append((night, {str(item["values"]): item["counts"] for item in counts}))
    return tuple(history)
