"""Writing catalogue rows as CSV text: the catalogue format of ARCHITECTURE §2, so that
`extractors.catalog.reader.parse_catalog` reads them back unchanged.

Used wherever rows become a catalogue file: a listing imported, the bundled catalogue built,
the demo's catalogue written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from extractors.records import CatalogEntry

CATALOG_COLUMNS: tuple[str, ...] = (
    "entry_id",
    "provider",
    "provider_type",
    "title",
    "description",
    "link_label",
    "url",
    "max_age_days",
    "notes",
)


def catalog_csv(entries: Iterable[CatalogEntry]) -> str:
    """Catalogue CSV text (header + one full row per link, RFC 4180 quoting, "\\n" ends).

    Extra columns follow the standard ones in order of first appearance. Every row carries
    its entry's fields in full, so each line can be read and diffed on its own.
    """
    rows = list(entries)
    extra_names: list[str] = []
    for entry in rows:
        for name, _ in entry.extra:
            if name not in extra_names and name not in CATALOG_COLUMNS:
                extra_names.append(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([*CATALOG_COLUMNS, *extra_names])
    for entry in rows:
        extras = dict(entry.extra)
        writer.writerow(
            [
                entry.entry_id,
                entry.provider,
                entry.provider_type,
                entry.title,
                entry.description,
                entry.link_label,
                entry.url,
                "" if entry.max_age_days is None else str(entry.max_age_days),
                entry.notes,
                *(extras.get(name, "") for name in extra_names),
            ]
        )
    return buffer.getvalue()
