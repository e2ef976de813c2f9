"""A SimHash of a page's main text, and when two of them mean "changed substantially".

`content_hash` (sha256) changes with every character, so a new date in a footer, a visitor
counter or a rotating teaser would flag an unchanged page for review. SimHash (Charikar 2002;
used for near-duplicate web pages by Manku, Jain & Das Sarma 2007) maps similar texts to
fingerprints that differ in few bits: each bit differs with probability θ/π, θ the angle
between the texts' feature vectors, so the Hamming distance estimates how much of the text
is new.

Features are the distinct 3-word shingles of the text, case-folded, punctuation dropped, and
every run of words containing digits replaced by one placeholder: dates, counters, prices and
phone numbers never move the fingerprint, a changed sentence does.

`CHANGE_THRESHOLD` (Hamming distance > 48 of 256 bits ⇒ substantial) was chosen by measurement
on the 990 pages of the trafilatura gold set, main text as `html_facts` extracts it; see
docs/dataset.md, "What counts as a change", for the figures
(`benchmarks/eval_change_fingerprint.py` reproduces them).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

# 256, not the classic 64 bits: the distance is a binomial estimate, and at 64 bits its noise
# let 9.5 % of 5 %-edits fire while missing 9.3 % of 25 %-rewrites (measured, see above).
FINGERPRINT_BITS = 256
SHINGLE_WORDS = 3
# Distance above which a text counts as substantially changed (see the module docstring).
CHANGE_THRESHOLD = 48
# Shingle hashes unpacked at a time: bounds memory for a long PDF to about a MiB.
_BATCH = 4096

_WORD = re.compile(r"\w+")
# A word with a digit, and any words with digits that follow it with only punctuation between.
# Possessive and anchored at word starts: no backtracking through every word of a long text.
_NUMBER_RUN = re.compile(r"\b[^\W\d]*+\d\w*+(?:\W+[^\W\d]*+\d\w*+)*")
_NUMBER_WORD = "0"


def text_words(text: str) -> list[str]:
    """Case-folded words without punctuation; a run of words with digits becomes one placeholder.

    A run, so "24.11.2026", "10.412" and "10:30–12:00" are one word each, like "10412".
    """
    # Regular expressions, not a loop over words: a 5 MB page must not cost seconds here.
    return _WORD.findall(_NUMBER_RUN.sub(f" {_NUMBER_WORD} ", text.casefold()))


def text_shingles(text: str) -> set[str]:
    """The distinct runs of SHINGLE_WORDS words; a shorter text is its own single shingle."""
    words = text_words(text)
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    runs = set(zip(*(words[offset:] for offset in range(SHINGLE_WORDS)), strict=False))
    return {" ".join(run) for run in runs}


def simhash_text(text: str | None) -> str | None:
    """The text's SimHash as 64 lower-case hex digits; None when it has no words.

    Hex, like `content_hash`: 256 bits fit no integer column, and a string reads the same in
    pandas, DuckDB and polars.
    """
    shingles = text_shingles(text or "")
    if not shingles:
        return None
    # blake2b, not hash(): the fingerprint must not change between processes and Python versions.
    digests = [
        hashlib.blake2b(shingle.encode("utf-8"), digest_size=FINGERPRINT_BITS // 8).digest()
        for shingle in shingles
    ]
    ones = np.zeros(FINGERPRINT_BITS, dtype=np.int64)
    for start in range(0, len(digests), _BATCH):
        batch = np.frombuffer(b"".join(digests[start : start + _BATCH]), dtype=np.uint8)
        ones += np.unpackbits(batch).reshape(-1, FINGERPRINT_BITS).sum(axis=0, dtype=np.int64)
    # A bit is set when more than half of the shingle hashes set it (Charikar's sign of the sum).
    return np.packbits(ones * 2 > len(digests)).tobytes().hex()


def fingerprint_distance(old: str, new: str) -> int:
    """Hamming distance of two fingerprints: 0 (same text) … 256; about 128 for unrelated texts."""
    return (int(old, 16) ^ int(new, 16)).bit_count()


def substantially_changed(old: str, new: str) -> bool:
    """True when the distance of two fingerprints is above CHANGE_THRESHOLD."""
    return fingerprint_distance(old, new) > CHANGE_THRESHOLD
