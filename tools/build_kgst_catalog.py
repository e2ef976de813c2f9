"""Build the bundled catalogue data/catalog/kgst-fluechtlinge.csv from the research seed.

Inputs: the plain-text copy of the KGSt list (entries, descriptions, link labels) and the
researched link targets (stable entry ids, precise providers, URL candidates with a
confidence). A URL goes into the catalogue only when its confidence is `exact` or
`likely`; for anything weaker the row keeps an empty url ("target unknown") and the
research goes into `notes`, so nobody mistakes a guessed domain for the real target.

    python tools/build_kgst_catalog.py [--listing TXT] [--targets CSV] [-o OUT]

The output is deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from extractors.catalog.listing_entries import normalize_space
from extractors.catalog.listing_text import listing_intro, parse_listing_text
from extractors.catalog.reader import parse_catalog
from extractors.catalog.writer import catalog_csv
from extractors.records import CatalogEntry

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LISTING = Path("/work/shared/seed/kgst-fluechtlinge-gute-beispiele.txt")
DEFAULT_TARGETS = Path("/work/shared/seed/kgst-link-targets.csv")
DEFAULT_OUTPUT = REPO / "data" / "catalog" / "kgst-fluechtlinge.csv"

LIST_PAGE_ID = "kgst-catalogue"
LIST_PAGE_LABEL = "Listenseite der KGSt"
TRUSTED_CONFIDENCE = frozenset({"exact", "likely"})


class BuildError(Exception):
    """The seed files do not fit together (an entry or a target without its partner)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One researched row of kgst-link-targets.csv."""

    entry_id: str
    provider: str
    provider_type: str
    title: str
    link_label: str
    url: str
    confidence: str
    evidence: str

    @property
    def trusted_url(self) -> str:
        return self.url if self.confidence in TRUSTED_CONFIDENCE else ""

    @property
    def notes(self) -> str:
        notes = f"Recherche: {self.confidence}; {self.evidence}"
        if self.confidence == "domain only" and self.url:
            notes += f"; Domain: {self.url}"
        return notes


def read_targets(text: str) -> list[Target]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [
        Target(
            entry_id=row["entry_id"].strip(),
            provider=normalize_space(row["provider"]),
            provider_type=row["provider_type"].strip(),
            title=normalize_space(row["title"]),
            link_label=normalize_space(row["link_label"]),
            url=row["url"].strip(),
            confidence=row["confidence"].strip(),
            evidence=normalize_space(row["evidence"]),
        )
        for row in reader
    ]


def build_catalog(listing_text: str, targets_text: str) -> list[CatalogEntry]:
    """The list page itself, then every link of the listing, enriched by its target row.

    Text rows and target rows are matched by headline ("Provider: Title") and link label,
    in order; each target row is used once.
    """
    targets = read_targets(targets_text)
    page = next((target for target in targets if target.entry_id == LIST_PAGE_ID), None)
    if page is None:
        raise BuildError(f"targets: no row for the list page '{LIST_PAGE_ID}'")
    unused = [target for target in targets if target.entry_id != LIST_PAGE_ID]

    intro = listing_intro(listing_text)
    # The intro opens with the page title; its first paragraph is the first sentence-like one.
    first_paragraph = next(
        (paragraph for paragraph in intro if paragraph.endswith((".", "!", "?"))), ""
    )
    rows = [
        CatalogEntry(
            line=0,
            entry_id=LIST_PAGE_ID,
            provider=page.provider,
            title=page.title,
            description=first_paragraph,
            link_label=LIST_PAGE_LABEL,
            url=page.trusted_url,
            provider_type=page.provider_type,
            notes=page.notes,
        )
    ]
    for row in parse_listing_text(listing_text):
        headline = normalize_space(f"{row.provider}: {row.title}")
        match = next(
            (
                target
                for target in unused
                if target.title == headline and target.link_label == row.link_label
            ),
            None,
        )
        if match is None:
            raise BuildError(
                f"listing line {row.line}: no target row for {headline!r} / {row.link_label!r}"
            )
        unused.remove(match)
        rows.append(
            replace(
                row,
                line=0,
                entry_id=match.entry_id,
                provider=match.provider or row.provider,
                provider_type=match.provider_type or row.provider_type,
                url=match.trusted_url,
                notes=match.notes,
            )
        )
    if unused:
        missing = ", ".join(f"{target.entry_id}/{target.link_label}" for target in unused)
        raise BuildError(f"targets without a link in the listing: {missing}")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--listing", type=Path, default=DEFAULT_LISTING)
    parser.add_argument("--targets", type=Path, default=DEFAULT_TARGETS)
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        rows = build_catalog(
            args.listing.read_text(encoding="utf-8-sig"),
            args.targets.read_text(encoding="utf-8-sig"),
        )
    except (OSError, BuildError) as error:
        print(f"build_kgst_catalog: {error}", file=sys.stderr)
        return 1
    text = catalog_csv(rows)
    problems = parse_catalog(text.encode("utf-8"), str(args.output)).problems
    if problems:
        for problem in problems:
            print(f"build_kgst_catalog: {problem.message}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(text.encode("utf-8"))
    entries = len({row.entry_id for row in rows})
    filled = sum(1 for row in rows if row.url)
    print(f"{args.output}: {entries} entries, {len(rows)} rows, {filled} with url")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
