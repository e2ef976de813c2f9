"""What both forms of a listing share: the entry headline and the rows it becomes.

The "Provider: Title" headline shape, whitespace normalisation, entry ids (readable slugs of
provider and title, made unique), the provider type guessed from the name, and `ListedEntry`,
one parsed entry, with `entry_rows` turning entries into catalogue rows (one per link).
`extractors.catalog.listing_text` and `extractors.catalog.listing_html` parse into these.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from extractors.records import CatalogEntry

# A headline is short; intro and description paragraphs are not.
MAX_HEADING_CHARS = 160
MAX_PROVIDER_CHARS = 80
MAX_SLUG_CHARS = 60

_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)
# Generic words of a city's name that only lengthen a slug ("Stadt Mannheim" → "mannheim").
_SLUG_DROPPED_PREFIXES = re.compile(
    r"^(?:freie\s+und\s+hansestadt|freie\s+hansestadt|landeshauptstadt|hansestadt|stadt)\s+",
    re.IGNORECASE,
)
_SLUG_LEGAL_FORM = re.compile(r"\be\.\s?V\.?(?=\s|$)", re.IGNORECASE)
_SLUG_DANGLING_WORDS = frozenset(
    {"der", "die", "das", "den", "des", "dem", "und", "oder", "fuer", "von", "vom", "zur"}
    | {"zum", "im", "in", "mit", "an", "am", "auf", "bei", "durch", "zu"}
)
_GERMAN_STATES = (
    "Baden-Württemberg",
    "Bayern",
    "Brandenburg",
    "Hessen",
    "Mecklenburg-Vorpommern",
    "Niedersachsen",
    "Nordrhein-Westfalen",
    "Rheinland-Pfalz",
    "Saarland",
    "Sachsen",
    "Sachsen-Anhalt",
    "Schleswig-Holstein",
    "Thüringen",
)
_STATE_NAME = re.compile(
    "(?:" + "|".join(re.escape(state.lower()) for state in _GERMAN_STATES) + r")(?![\w-])"
)
# Zero-width characters that CMS copy-and-paste leaves in "blank" lines.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space; drop zero-width chars."""
    return " ".join(text.translate(_INVISIBLE).split())


def split_heading(line: str) -> tuple[str, str] | None:
    """("Provider", "Title") when `line` has the shape of an entry headline, else None.

    The split is at the first colon followed by whitespace ("Stadt Sendenhorst:  Wohnraum…"
    and "Stadt Dresden/Stadt Witten: Per App…" both work). A headline is short, its provider
    part is short, and it does not end like a sentence: a final period only counts as an
    abbreviation ("Projekt W.I.R.", "e. V."), while "?" and "!" may end a title ("Ehrenamt -
    wer macht mit?"). Whether a candidate really starts an entry also depends on what
    follows it; see `extractors.catalog.listing_text.parse_listing_text`.
    """
    text = normalize_space(line)
    if not text or len(text) > MAX_HEADING_CHARS:
        return None
    match = re.match(r"^(?P<provider>[^:]+?):\s+(?P<title>\S.*)$", text)
    if match is None:
        return None
    provider, title = match["provider"].strip(), match["title"].strip()
    if not provider or len(provider) > MAX_PROVIDER_CHARS or "://" in text:
        return None
    if title.endswith(".") and not _ends_with_abbreviation(title):
        return None
    return provider, title


def _ends_with_abbreviation(text: str) -> bool:
    last_word = text.split()[-1]
    # "W.I.R." or "e.V." (inner period) or "V." (one letter): not the end of a sentence.
    return "." in last_word[:-1] or len(last_word) == 2


def slugify(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """ASCII, lower-case, words joined by '-', German umlauts transliterated (ä → ae, ß → ss)."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_chars:
        # Cut at a word boundary, and drop a small word left dangling ("…-foerderung-fuer").
        words = slug[: max_chars + 1].split("-")[:-1] or [slug[:max_chars]]
        while len(words) > 1 and words[-1] in _SLUG_DANGLING_WORDS:
            words.pop()
        slug = "-".join(words).strip("-")
    return slug or "entry"


def entry_slug(provider: str, title: str) -> str:
    """A readable stable id from provider and title ("Stadt Mannheim", "Bürgerbrief" →
    "mannheim-buergerbrief"); generic city words and "e. V." are dropped to keep it short."""
    provider_part = _SLUG_DROPPED_PREFIXES.sub("", normalize_space(provider))
    provider_part = _SLUG_LEGAL_FORM.sub(" ", provider_part)
    return slugify(f"{provider_part} {title}")


def guess_provider_type(provider: str) -> str:
    """Stadt / Kreis / Land / Bund / Verband from the provider's name, "" when unsure."""
    name = normalize_space(provider)
    lowered = name.lower()
    if (
        re.search(r"\be\.\s?v\.?(?:\s|$|\))", lowered)
        or lowered.startswith(("deutscher ", "deutsche ", "deutsches "))
        or "verband" in lowered
    ):
        return "Verband"
    if re.match(r"(?:landeshauptstadt|hansestadt|stadt|freie\s+und\s+hansestadt)\b", lowered):
        return "Stadt"
    if re.match(r"(?:kreis|landkreis|rhein-kreis)\b", lowered) or lowered.endswith("-kreis"):
        return "Kreis"
    if re.match(r"(?:land|freistaat)\s", lowered) or _STATE_NAME.match(lowered):
        return "Land"
    if lowered.startswith("bundes") or re.match(r"bm[a-z]*\b", lowered):
        return "Bund"
    return ""


def _unique_ids(slugs: list[str]) -> list[str]:
    """Make repeated slugs unique with -2, -3 … in order of appearance."""
    used: set[str] = set()
    unique: list[str] = []
    for slug in slugs:
        candidate, number = slug, 1
        while candidate in used:
            number += 1
            candidate = f"{slug}-{number}"
        used.add(candidate)
        unique.append(candidate)
    return unique


@dataclass(frozen=True, slots=True)
class ListedEntry:
    """One entry of a listing before it becomes rows: one row per link."""

    line: int
    provider: str
    title: str
    description: str
    links: tuple[tuple[int, str, str], ...]  # (source line, label, url)


def entry_rows(listed: list[ListedEntry]) -> list[CatalogEntry]:
    ids = _unique_ids([entry_slug(item.provider, item.title) for item in listed])
    rows: list[CatalogEntry] = []
    for entry_id, item in zip(ids, listed, strict=True):
        provider_type = guess_provider_type(item.provider)
        links = item.links or ((item.line, "", ""),)
        rows.extend(
            CatalogEntry(
                line=line,
                entry_id=entry_id,
                provider=item.provider,
                title=item.title,
                description=item.description,
                link_label=label,
                url=url,
                provider_type=provider_type,
            )
            for line, label, url in links
        )
    return rows
