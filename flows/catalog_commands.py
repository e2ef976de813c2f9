"""The `linkpflege catalog …` commands: a listing imported into a catalogue CSV, and a
catalogue's lost link targets recovered from archived copies of the listing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows.cli import EXIT_OK, fail
from flows.run_settings import Settings


def command_catalog_import(path: Path, output: Path | None) -> int:
    from extractors.catalog.listing_import import import_listing
    from extractors.catalog.writer import catalog_csv

    try:
        data = path.read_bytes()
    except OSError as exc:
        return fail(f"{path}: cannot read ({exc.strerror})")
    entries, warnings = import_listing(data, path.name)
    for warning in warnings:
        print(f"linkpflege: {path}: {warning}", file=sys.stderr)
    if not entries:
        return fail(f"{path}: no catalogue entries found")
    text = catalog_csv(entries)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            return fail(f"{output}: cannot write ({exc.strerror})")
        entry_count = len({e.entry_id for e in entries})
        print(f"{output}: {entry_count} entries, {len(entries)} links", file=sys.stderr)
    return EXIT_OK


# The bundled KGSt catalogue names the listing page itself as this entry.
LISTING_ENTRY_ID = "kgst-catalogue"


def command_catalog_recover(args: argparse.Namespace, settings: Settings) -> int:
    """Fill the catalogue's empty `url` cells from archived copies of the listing; print
    what was filled, what found no match and what was ambiguous."""
    import asyncio

    from extractors.catalog.lost_links import recover_lost_links
    from extractors.catalog.reader import CatalogError, parse_catalog
    from extractors.catalog.writer import catalog_csv
    from flows.archive.budget import ArchiveBudget
    from flows.archive.budgeted_get import archive_client
    from flows.archive.listing_captures import ListingSearch, listing_captures
    from flows.run_settings import fetch_settings_from

    try:
        parsed = parse_catalog(settings.catalog.read_bytes(), source=str(settings.catalog))
    except (OSError, CatalogError) as exc:
        return fail(f"{settings.catalog}: cannot read catalogue ({exc})")
    for problem in parsed.problems:
        print(
            f"linkpflege: {settings.catalog}, line {problem.line}: {problem.message}",
            file=sys.stderr,
        )
    listing = args.listing or next(
        (row.url for row in parsed.entries if row.entry_id == LISTING_ENTRY_ID and row.url), None
    )
    if not listing:
        return fail(f"{settings.catalog}: no --listing and no {LISTING_ENTRY_ID} entry with a URL")

    async def search() -> ListingSearch:
        async with archive_client(fetch_settings_from(settings)) as client:
            return await listing_captures(
                client,
                listing,
                archive_url=settings.archive_url,
                budget=ArchiveBudget(time_budget=settings.archive_time_budget),
                timeout=settings.timeout,
            )

    found = asyncio.run(search())
    for problem in found.problems:
        print(f"linkpflege: archive: {problem}", file=sys.stderr)
    if not found.captures:
        return fail(f"{listing}: no readable archived copy of the listing")
    recovery = recover_lost_links(parsed.entries, found.captures)
    text = catalog_csv(recovery.rows)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            return fail(f"{args.output}: cannot write ({exc.strerror})")
    report = sys.stderr if args.output is None else sys.stdout
    dates = ", ".join(f"{c.captured_at:%d.%m.%Y}" for c in found.captures)
    print(f"{len(found.captures)} archived copies of {listing} read ({dates})", file=report)
    print(f"filled: {len(recovery.filled)}", file=report)
    for item in recovery.filled:
        print(f"  line {item.line}: {item.entry_id} „{item.link_label}“ → {item.url}", file=report)
    for heading, items in (("ambiguous", recovery.ambiguous), ("not found", recovery.unmatched)):
        print(f"{heading}: {len(items)}", file=report)
        for lost in items:
            print(
                f"  line {lost.line}: {lost.entry_id} „{lost.link_label}“ – {lost.reason}",
                file=report,
            )
    return EXIT_OK
