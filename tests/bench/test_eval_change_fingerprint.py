"""benchmarks/eval_change_fingerprint.py's edits and measurement, on synthetic texts.

No gold data needed: the texts are made-up German-looking sentences from a seeded generator.
The full measurement on the trafilatura gold set is the script's job (docs/dataset.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from random import Random
from types import ModuleType

import pytest
from benchmark_scripts import load_benchmark

from extractors.text.fingerprint import CHANGE_THRESHOLD, simhash_text

SYLLABLES = ("ge", "mein", "de", "rat", "bür", "ger", "schu", "le", "kar", "te", "stadt", "park")


def _load_benchmark() -> ModuleType:
    return load_benchmark("eval_change_fingerprint")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load_benchmark()


def _text(rng: Random, words: int) -> str:
    """Sentences of 8 made-up words each (letters only: words with digits are collapsed)."""
    made_up = [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(words)
    ]
    sentences = [" ".join(made_up[i : i + 8]).capitalize() + "." for i in range(0, words, 8)]
    return " ".join(sentences)


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    rng = Random(3)
    return {f"https://example.org/{n}": _text(rng, 40 + 60 * n) for n in range(8)}


def test_same_seed_same_edits_other_seed_other_edits(
    bench: ModuleType, corpus: dict[str, str]
) -> None:
    def edited(seed: int) -> list[tuple[str, str]]:
        edits = bench.Edits(Random(seed), corpus)
        return [edit(key, corpus[key]) for key in edits.keys for edit in edits.kinds().values()]

    assert edited(7) == edited(7)
    assert edited(7) != edited(8)


def test_replace_share_swaps_one_block_of_the_right_length(
    bench: ModuleType, corpus: dict[str, str]
) -> None:
    edits = bench.Edits(Random(1), corpus)
    key = edits.keys[-1]
    words = corpus[key].split()
    new = edits.replace_share(key, corpus[key], 0.25).split()
    assert len(new) == len(words)
    changed = [i for i, (a, b) in enumerate(zip(words, new, strict=True)) if a != b]
    assert changed, "a quarter of the words must change"
    # One contiguous block of round(25 %) words (a donor word may equal the one it replaces).
    assert changed[-1] - changed[0] < round(0.25 * len(words))


def test_a_donor_is_never_the_page_itself(bench: ModuleType, corpus: dict[str, str]) -> None:
    edits = bench.Edits(Random(2), corpus)
    key = edits.keys[0]
    assert all(edits.donor(key) != corpus[key] for _ in range(50))


def test_date_and_counter_edits_leave_the_fingerprint_alone(
    bench: ModuleType, corpus: dict[str, str]
) -> None:
    edits = bench.Edits(Random(4), corpus)
    for key in edits.keys:
        for edit in (edits.numeric_date, edits.visitor_counter):
            old, new = edit(key, corpus[key])
            assert old != new
            assert simhash_text(old) == simhash_text(new)


def test_measure_fires_on_a_different_page_and_never_on_a_date(
    bench: ModuleType, corpus: dict[str, str]
) -> None:
    measurement = bench.measure(corpus, seed=5)
    numeric_date, *_, other_page = measurement.distances.values()
    assert [distance for distance, _ in numeric_date] == [0] * len(corpus)
    assert all(distance > CHANGE_THRESHOLD for distance, _ in other_page)
    assert len(measurement.distances) == len(bench.Edits(Random(0), corpus).kinds())


def test_drift_is_caught_against_the_baseline(bench: ModuleType, corpus: dict[str, str]) -> None:
    result = bench.drift(bench.Edits(Random(6), corpus))
    long_pages = [t for t in corpus.values() if len(t.split()) >= bench.DRIFT_MIN_WORDS]
    assert result.pages == len(long_pages)
    assert len(result.caught_after) == len(long_pages)
    assert all(1 <= night <= bench.DRIFT_NIGHTS for night in result.caught_after)
    assert result.nights == sum(result.caught_after)


def test_report_has_one_row_per_edit_and_the_product_threshold_in_bold(
    bench: ModuleType, corpus: dict[str, str]
) -> None:
    measurement = bench.measure(corpus, seed=5)
    report = bench.render(
        measurement=measurement,
        costs=bench.Cost(mean_ms=0.5, longest_words=500, longest_ms=2.0, pathological_s=0.3),
        gold_entries=len(corpus),
        pages=len(corpus),
        seed=5,
        thresholds=(40, CHANGE_THRESHOLD, 56),
        command="python benchmarks/eval_change_fingerprint.py --seed 5",
        eval_dir=Path("/nowhere"),
        run_day=dt.date(2026, 11, 26),
    )
    assert f"| **T={CHANGE_THRESHOLD}** |" in report
    assert "| a different page | " in report and "| **100 %** |" in report
    for name in measurement.distances:
        assert report.count(f"| {name} |") == 2  # the main table and the by-length table


def test_share_text_marks_only_exact_extremes_as_whole_numbers(bench: ModuleType) -> None:
    assert bench.share_text(0.0) == "0 %"
    assert bench.share_text(1.0) == "100 %"
    assert bench.share_text(0.9996) == "100.0 %"
    assert bench.share_text(0.052) == "5.2 %"


def test_missing_gold_set_is_reported_not_raised(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--eval-dir", str(tmp_path), "--no-save"]) == 2
    assert "no trafilatura gold set" in capsys.readouterr().err


def test_half_cut_keeps_the_first_half_and_appending_keeps_all(
    bench: ModuleType, corpus: dict[str, str]
) -> None:
    edits = bench.Edits(Random(9), corpus)
    key = edits.keys[3]
    words = corpus[key].split()
    assert edits.half_cut(key, corpus[key])[1].split() == words[: len(words) // 2]
    old, new = edits.appended(0.25)(key, corpus[key])
    assert new.startswith(old)
    assert len(new.split()) == len(words) + round(0.25 * len(words))
