"""The plain-text form of a listing (copied from the page) into catalogue rows.

Blocks of non-blank lines; an entry is a "Provider: Title" headline block followed by a
description paragraph, then blocks of link labels, one per line. Plain text keeps only the
labels, so every row has an empty `url` ("target unknown"). What comes before the first
headline is the intro (`listing_intro`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from extractors.catalog.listing_entries import (
    ListedEntry,
    entry_rows,
    normalize_space,
    split_heading,
)
from extractors.records import CatalogEntry


@dataclass(frozen=True, slots=True)
class _Block:
    """Consecutive non-blank lines, with the line number of the first."""

    line: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return normalize_space(" ".join(self.lines))


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    # Universal newlines only (\n, \r\n, \r), so numbers match what an editor shows.
    for number, raw_line in enumerate(io.StringIO(text, newline=None), start=1):
        line = normalize_space(raw_line)
        if not line:  # whitespace, NBSP and zero-width characters only: a blank line
            if current:
                blocks.append(_Block(start, tuple(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append(_Block(start, tuple(current)))
    return [part for block in blocks for part in _split_glued_heading(block)]


def _split_glued_heading(block: _Block) -> list[_Block]:
    """A headline written directly above its description, without a blank line between,
    becomes two blocks (headline, description) so the rules below see the usual shape."""
    if len(block.lines) > 1 and split_heading(block.lines[0]) is not None:
        rest = _Block(block.line + 1, block.lines[1:])
        if _is_prose(rest):
            return [_Block(block.line, block.lines[:1]), rest]
    return [block]


def _is_prose(block: _Block) -> bool:
    """A description paragraph, as opposed to a list of link labels.

    Link labels are short and do not end like sentences; a description has a long line or
    is a sentence of several words.
    """
    text = block.text
    if any(len(line) >= 100 for line in block.lines):
        return True
    return bool(re.search(r"[.!?…][\"“”'’]?$", text)) and len(text.split()) >= 6


def _is_heading(blocks: list[_Block], index: int) -> bool:
    """Does block `index` start an entry?

    The rule that keeps the intro out: a headline is a one-line block with the shape of
    `split_heading` ("Provider: Title", short, no sentence end) AND it is followed by a
    description paragraph (`_is_prose`). Intro paragraphs are long sentences (rejected by
    the shape), and a link label that happens to contain ": " ("Ergänzung: Downloadlink
    auch für Apple-Geräte") is followed by the next headline or nothing, not by prose.
    """
    block = blocks[index]
    if len(block.lines) != 1 or split_heading(block.lines[0]) is None:
        return False
    return index + 1 < len(blocks) and _is_prose(blocks[index + 1])


def _listed_text_entries(text: str) -> tuple[list[_Block], list[ListedEntry]]:
    blocks = _blocks(text)
    starts = [index for index in range(len(blocks)) if _is_heading(blocks, index)]
    intro = blocks[: starts[0]] if starts else blocks
    listed: list[ListedEntry] = []
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(blocks)
        heading = split_heading(blocks[start].lines[0])
        assert heading is not None  # guaranteed by _is_heading
        body = blocks[start + 1 : end]
        # The first block is the description; further prose paragraphs extend it, any
        # other block is a list of link labels, one per line.
        description_parts = [body[0].text]
        links: list[tuple[int, str, str]] = []
        for block in body[1:]:
            if _is_prose(block) and not links:
                description_parts.append(block.text)
                continue
            links.extend(
                (block.line + offset, label, "") for offset, label in enumerate(block.lines)
            )
        listed.append(
            ListedEntry(
                line=blocks[start].line,
                provider=heading[0],
                title=heading[1],
                description=" ".join(description_parts),
                links=tuple(links),
            )
        )
    return intro, listed


def parse_listing_text(text: str) -> list[CatalogEntry]:
    """Catalogue rows (url empty) from the plain-text form of a listing.

    Blocks are runs of non-blank lines (lines of only whitespace, NBSP or zero-width
    characters are blank). An entry is a headline block (see `_is_heading`), the next
    block as its description, then link-label blocks (one row per line) up to the next
    headline. Everything before the first headline is intro. `line` is the source line of
    the link label (of the headline when an entry has no links). Ids are slugs of provider
    and title, made unique with -2, -3 ….
    """
    _, listed = _listed_text_entries(text)
    return entry_rows(listed)


def listing_intro(text: str) -> list[str]:
    """The paragraphs before the first entry of a plain-text listing (title first)."""
    intro, _ = _listed_text_entries(text)
    return [block.text for block in intro]
