"""The main-text SimHash and the "changed substantially" rule (extractors.text.fingerprint)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest
from pdf_documents import make_pdf

from extractors.facts.html_facts import extract_html_facts
from extractors.facts.pdf_facts import extract_pdf_facts
from extractors.text.fingerprint import (
    CHANGE_THRESHOLD,
    FINGERPRINT_BITS,
    fingerprint_distance,
    simhash_text,
    substantially_changed,
    text_shingles,
    text_words,
)

RUN_DATE = dt.date(2026, 11, 26)
_VOCABULARY_TEXT = (
    "Stadt Gemeinde Bürger Antrag Verwaltung Karte Gesundheit Flüchtlinge Arzt Kosten "
    "Sozialamt Schule Kinder Eltern Betreuung Angebot Beratung Termin online digital "
    "Formular Bescheid Wohnung Miete Zuschuss Verein Ehrenamt Projekt Förderung Quartier "
    "Nachbarschaft Sport Bibliothek Museum Kultur Verkehr Radweg Bus Bahn Parkplatz Umwelt "
    "Klima Energie Solar Wasser Abfall Müll Straße Platz Park Baum Garten Markt Handel "
    "Arbeit Ausbildung Beruf erhalten beantragen prüfen fördern gestalten betreuen beraten "
    "informieren sparen planen schnell einfach direkt kostenlos gemeinsam neu bundesweit "
    "regional städtisch öffentlich "
)
VOCABULARY = _VOCABULARY_TEXT.split()


def prose(words: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCABULARY) for _ in range(words)]


def replaced(words: list[str], start: int, count: int, seed: int) -> list[str]:
    return words[:start] + prose(count, seed) + words[start + count :]


def reference_simhash(text: str) -> str:
    """Charikar's SimHash in plain Python, bit by bit, to check the vectorised version."""
    shingles = text_shingles(text)
    votes = [0] * FINGERPRINT_BITS
    for shingle in shingles:
        digest = hashlib.blake2b(shingle.encode(), digest_size=FINGERPRINT_BITS // 8).digest()
        value = int.from_bytes(digest, "big")
        for bit in range(FINGERPRINT_BITS):
            votes[bit] += 1 if value >> (FINGERPRINT_BITS - 1 - bit) & 1 else -1
    number = sum(1 << (FINGERPRINT_BITS - 1 - bit) for bit, vote in enumerate(votes) if vote > 0)
    return f"{number:0{FINGERPRINT_BITS // 4}x}"


def test_fingerprint_is_64_hex_digits_and_none_without_words():
    fingerprint = simhash_text("Die Gesundheitskarte gilt bundesweit.")
    assert fingerprint is not None and len(fingerprint) == 64
    assert int(fingerprint, 16) >= 0 and fingerprint == fingerprint.lower()
    assert simhash_text(None) is None
    assert simhash_text("") is None
    assert simhash_text(" – … !! ") is None


def test_fingerprint_is_stable_across_processes_and_versions():
    # A changed feature or hash would make every page of a dataset "changed" on upgrade.
    assert simhash_text("Die Karte gilt bundesweit. Die Kosten trägt weiterhin die Stadt.") == (
        "04120313d5a28078b539e8420c1892532462a18a6c8470cc434b6308a91ece40"
    )


@pytest.mark.parametrize("words", [1, 2, 3, 200, 5000])
def test_vectorised_simhash_equals_the_plain_definition(words: int):
    # 5000 words: more shingles than one batch of the vectorised sum.
    text = " ".join(prose(words, seed=words))
    assert simhash_text(text) == reference_simhash(text)


def test_case_punctuation_whitespace_and_numbers_do_not_count():
    words = prose(120, seed=1)
    text = " ".join(words) + " Stand: 24.11.2026, Besucher Nr. 10412"
    variant = (
        " ".join(words).upper().replace(" ", " \n ") + " – Stand 25.11.2026; Besucher Nr 10413!"
    )
    assert simhash_text(text) == simhash_text(variant)
    assert text_words("Am 3.11.2015, 10:30 Uhr: Raum B12 (Nr. 10.412)") == (
        ["am", "0", "uhr", "raum", "0", "nr", "0"]
    )


def test_distance_is_a_symmetric_bit_count():
    one, two = simhash_text("erste Seite hier"), simhash_text("ganz andere Worte")
    assert one and two
    assert fingerprint_distance(one, one) == 0
    assert fingerprint_distance(one, two) == fingerprint_distance(two, one)
    assert fingerprint_distance("0" * 63 + "f", "0" * 64) == 4


def test_small_edits_are_not_substantial():
    words = prose(300, seed=2)
    old = simhash_text(" ".join(words))
    one_word = simhash_text(" ".join(replaced(words, 150, 1, seed=3)))
    one_sentence = simhash_text(" ".join(replaced(words, 100, 15, seed=4)))
    assert old and one_word and one_sentence
    assert not substantially_changed(old, one_word)
    assert not substantially_changed(old, one_sentence)


def test_rewritten_or_different_text_is_substantial():
    words = prose(300, seed=5)
    old = simhash_text(" ".join(words))
    half = simhash_text(" ".join(replaced(words, 0, 150, seed=6)))
    other = simhash_text(" ".join(prose(300, seed=7)))
    assert old and half and other
    assert substantially_changed(old, half)
    assert substantially_changed(old, other)
    # Unrelated texts differ in about half the bits, far above the threshold.
    assert fingerprint_distance(old, other) > 2 * CHANGE_THRESHOLD


def _html(footer_date: str, body: str) -> str:
    return (
        "<html lang='de'><head><title>Gesundheitskarte</title></head><body><main>"
        f"<h1>Gesundheitskarte</h1><p>{body}</p><p>Stand: {footer_date}</p></main></body></html>"
    )


def test_html_and_pdf_facts_carry_the_fingerprint_of_the_hashed_text():
    body = " ".join(prose(120, seed=8)) + "."
    one = extract_html_facts(
        _html("20.11.2026", body), url="", last_modified=None, run_date=RUN_DATE
    )
    two = extract_html_facts(
        _html("26.11.2026", body), url="", last_modified=None, run_date=RUN_DATE
    )
    assert one.content_hash != two.content_hash
    assert one.text_fingerprint is not None
    assert one.text_fingerprint == two.text_fingerprint

    lines = ["Merkblatt Gesundheitskarte", "Die Karte gilt bundesweit, seit dem 1. November 2015."]
    pdf = extract_pdf_facts(make_pdf(lines), run_date=RUN_DATE, last_modified=None)
    changed = [lines[0], "Die Karte gilt bundesweit, seit dem 2. November 2015."]
    later = extract_pdf_facts(make_pdf(changed), run_date=RUN_DATE, last_modified=None)
    assert pdf.text_fingerprint is not None
    assert pdf.content_hash != later.content_hash
    assert pdf.text_fingerprint == later.text_fingerprint
