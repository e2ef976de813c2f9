"""Plain-text facts shared by HTML pages and PDFs: summary, language guess, content hash.

Both kinds of document get the same rules: a summary is the first sentences of the main text
(≤ MAX_SUMMARY_CHARS, cut at a sentence end, whitespace normalised), the hash is over the
whitespace-normalised text, the language is guessed from function words when not declared.
"""

from __future__ import annotations

import hashlib
import re

MAX_SUMMARY_CHARS = 300


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def fold_text(text: str) -> str:
    """Lower-case, umlauts spelled out, letters and digits only: "Köln.de" → "koelnde"."""
    text = text.lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[\W_]+", "", text)


def hash_text(text: str | None) -> str | None:
    """sha256 of the whitespace-normalised text; None when there is no text."""
    normalised = normalise_space(text or "")
    if not normalised:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


_MIN_LEAD_LINE_CHARS = 40


def summarise_text(text: str | None, *, title: str | None = None) -> str | None:
    """The first sentences of a main text, ≤ MAX_SUMMARY_CHARS.

    Leading headings and labels (the title again, "Inhalt", "Stand: …") are skipped: a summary
    starts at the first line that reads like prose.
    """
    if not text:
        return None
    folded_title = fold_text(title or "")
    lines = [normalise_space(line) for line in text.splitlines()]
    lines = [
        line for line in lines if line and not (folded_title and fold_text(line) == folded_title)
    ]
    start = next(
        (
            index
            for index, line in enumerate(lines)
            if len(line) >= _MIN_LEAD_LINE_CHARS or line.endswith((".", "!", "?"))
        ),
        0,
    )
    summary = cut_text(" ".join(lines[start:]), MAX_SUMMARY_CHARS)
    return summary or None


# A sentence ends at . ! ? … (optionally closing quote/bracket) followed by space and a capital.
_SENTENCE_END = re.compile(r"[.!?…][\"'“”»«’)]*(?=\s+[\"„“»(]?[A-ZÄÖÜ0-9])")
_ABBREVIATIONS = frozenset(
    {
        "z",
        "b",
        "bzw",
        "ca",
        "nr",
        "str",
        "vgl",
        "ggf",
        "usw",
        "inkl",
        "evtl",
        "dr",
        "prof",
        "abs",
        "art",
        "etc",
        "u",
        "a",
        "d",
        "h",
        "s",
        "o",
        "e",
        "v",
        "i",
        "tel",
        "jan",
        "feb",
        "mrz",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "okt",
        "nov",
        "dez",
        "st",
        "hl",
        "mio",
        "mrd",
        "bzgl",
        "gem",
        "lt",
        "max",
        "min",
        "zzgl",
        "mr",
        "mrs",
        "ms",
        "e.v",
        "e.g",
        "i.e",
        "vs",
    }
)


def cut_text(text: str, limit: int) -> str:
    """Whitespace-normalised text cut to ≤ limit chars at a sentence end, else a word end."""
    text = normalise_space(text)
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    best = None
    for match in _SENTENCE_END.finditer(window):
        end = match.end()
        if end > limit:
            break
        if _is_real_sentence_end(window, match.start()):
            best = end
    if best is not None and best >= limit // 3:
        return window[:best].strip()
    cut = window[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return cut + "…"


def _is_real_sentence_end(text: str, dot: int) -> bool:
    """Not after an abbreviation ("z. B.", "Nr.") or a day number ("am 3. November")."""
    if text[dot] != ".":
        return True
    word = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    word = word.lstrip('("„“»').lower()
    if word.isdigit():
        return len(word) == 4  # "im Jahr 2015." ends a sentence; "3." is an ordinal
    return word not in _ABBREVIATIONS and not re.fullmatch(r"[a-zäöü]\.?", word)


# Frequent function words; a page is called German/English when one side clearly wins.
_GERMAN_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "sie",
        "ein",
        "eine",
        "zu",
        "mit",
        "für",
        "auf",
        "dem",
        "den",
        "des",
        "sich",
        "auch",
        "von",
        "im",
        "werden",
        "wird",
        "sind",
        "bei",
        "oder",
        "als",
        "nach",
        "wie",
        "aus",
        "einer",
        "über",
        "können",
    ]
)
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "of",
        "to",
        "in",
        "for",
        "with",
        "that",
        "this",
        "on",
        "be",
        "by",
        "as",
        "from",
        "or",
        "it",
        "an",
        "can",
        "will",
        "have",
        "has",
        "not",
    ]
)
_WORD = re.compile(r"[a-zäöüß]+")


def guess_language(text: str | None) -> str | None:
    """ "de" or "en" from stop-word counts over the first few thousand characters, else None."""
    if not text:
        return None
    words = _WORD.findall(text[:5000].lower())
    german = sum(word in _GERMAN_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if german >= 5 and german >= 2 * english:
        return "de"
    if english >= 5 and english >= 2 * german:
        return "en"
    return None
