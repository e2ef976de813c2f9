"""When does the text fingerprint say "changed substantially"? Simulated edits of real pages.

    .venv/bin/python benchmarks/eval_change_fingerprint.py                # all pages, ~1-3 min
    .venv/bin/python benchmarks/eval_change_fingerprint.py --sample 150 --no-save
    .venv/bin/python benchmarks/eval_change_fingerprint.py --threshold 32 40 48 56 64

Reproduces the table in docs/dataset.md, "What counts as a change", with the product's own
code: each page of the trafilatura gold set (`../shared/eval/trafilatura`) is decoded,
parsed and reduced to its main text exactly as the nightly flow does it
(`text_decoding.decode_html`, `html_tree.parse_html`, `html_facts.main_text_of`), and
fingerprinted with `text_fingerprint.simhash_text`. Each page with main text is then edited
once per kind below; an edit "fires" when the Hamming distance of the two fingerprints is
above T. Replacement words come from a random other page of the set, as one contiguous block
at a random position.

Randomness: one `random.Random(--seed)`, drawn from in a fixed order (pages sorted by gold
key, edits in table order, then the drift simulation), so a run is repeatable to the digit;
the default seed is the one the docs table was measured with. `--sample N` takes the N pages
with the smallest stable hash (sha256 of the gold key) and draws donors from those pages
only, so its figures are not a subset of the full run's.

Also printed: the share firing at the product's CHANGE_THRESHOLD by main-text length; drift
(2 % of the words replaced every night, pages with ≥ 50 words, up to 40 nights: how many
nights until the comparison with the baseline fires, and how often a night-to-night
comparison would have fired); CPU cost of `simhash_text` per page (`time.process_time`; on a
shared machine it varies by tens of percent between runs). The report goes to stdout and to
`benchmarks/results/change_fingerprint-YYYY-MM-DD.md` (`…-sampleN.md` for a sample).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random

import numpy as np
from results_files import save_report

from extractors.facts.html_facts import main_text_of
from extractors.text.decoding import decode_html
from extractors.text.fingerprint import (
    CHANGE_THRESHOLD,
    FINGERPRINT_BITS,
    SHINGLE_WORDS,
    fingerprint_distance,
    simhash_text,
    substantially_changed,
    text_words,
)
from extractors.text.html_tree import parse_html

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
GOLD_SET = "trafilatura"
DEFAULT_SEED = 20261126
DEFAULT_THRESHOLDS = (40, 44, 48, 52, 56)
# Main-text length buckets (words as the fingerprint sees them); None = no upper bound.
LENGTH_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 50), (50, 200), (200, 1000), (1000, None))
DRIFT_SHARE = 0.02
DRIFT_MIN_WORDS = 50
DRIFT_NIGHTS = 40
# A pathological page: one word repeated, 5 MB.
PATHOLOGICAL_TEXT = "wort " * 1_000_000

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


# ---------------------------------------------------------------------------------------------
# Pages


def stable_hash(key: str) -> int:
    """The same number for the same key on every machine and Python run (unlike hash())."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def main_texts(eval_dir: Path, sample: int | None) -> tuple[int, dict[str, str]]:
    """(gold entries, {gold key: main text}) for the pages whose main text has a word."""
    gold: dict[str, dict] = json.loads(
        (eval_dir / GOLD_SET / "evaldata.json").read_text(encoding="utf-8")
    )
    keys = list(gold)
    if sample is not None:
        keys = sorted(keys, key=stable_hash)[:sample]
    texts: dict[str, str] = {}
    for key in keys:
        path = eval_dir / GOLD_SET / "pages" / f"{gold[key]['file']}.gz"
        if not path.exists():
            continue
        root = parse_html(decode_html(gzip.decompress(path.read_bytes()), "text/html"))
        if root is None:
            continue
        # The key is the URL, except for the set's "hard::…" and "xhttps://…" labels.
        text = main_text_of(root, key if key.startswith("http") else "")
        if text.split():
            texts[key] = text
    return len(keys), texts


# ---------------------------------------------------------------------------------------------
# Edits: each returns (old text, new text) of one page; all randomness from `Edits.rng`.


@dataclass
class Edits:
    """The random edits of one run: its random generator and the pages donating words."""

    rng: Random
    texts: dict[str, str]

    def __post_init__(self) -> None:
        self.keys = sorted(self.texts)

    def donor(self, key: str) -> str:
        """The main text of a random other page."""
        other = self.rng.choice(self.keys)
        while other == key:
            other = self.rng.choice(self.keys)
        return self.texts[other]

    def donor_words(self, key: str, count: int) -> list[str]:
        """`count` consecutive words of other pages (more pages when one is too short)."""
        words = self.donor(key).split()
        while len(words) < count:
            words = words + self.donor(key).split()
        start = self.rng.randrange(len(words) - count + 1)
        return words[start : start + count]

    def replace_share(self, key: str, text: str, share: float) -> str:
        """`text` with a contiguous block of `share` of its words replaced by other words."""
        words = text.split()
        count = max(1, round(share * len(words)))
        start = self.rng.randrange(len(words) - count + 1)
        return " ".join(words[:start] + self.donor_words(key, count) + words[start + count :])

    def numeric_date(self, key: str, text: str) -> tuple[str, str]:
        return text + "\nStand: 24.11.2026", text + "\nStand: 25.11.2026"

    def spelled_date(self, key: str, text: str) -> tuple[str, str]:
        first = f"{self.rng.randint(1, 28)}. {self.rng.choice(_MONTHS)} 2026"
        second = f"{self.rng.randint(1, 28)}. {self.rng.choice(_MONTHS)} 2026"
        footer = "\nZuletzt aktualisiert am "
        return text + footer + first, text + footer + second

    def visitor_counter(self, key: str, text: str) -> tuple[str, str]:
        count = self.rng.randint(1000, 99999)
        later = count + self.rng.randint(1, 500)
        return text + f"\nSie sind Besucher Nr. {count}", text + f"\nSie sind Besucher Nr. {later}"

    def one_word(self, key: str, text: str) -> tuple[str, str]:
        words = text.split()
        at = self.rng.randrange(len(words))
        return text, " ".join(words[:at] + self.donor_words(key, 1) + words[at + 1 :])

    def teaser(self, key: str, text: str) -> tuple[str, str]:
        first = " ".join(self.donor_words(key, 12))
        second = " ".join(self.donor_words(key, 12))
        return text + "\nAktuell: " + first, text + "\nAktuell: " + second

    def one_sentence(self, key: str, text: str) -> tuple[str, str]:
        sentences = _SENTENCE_END.split(text)
        at = self.rng.randrange(len(sentences))
        new = self.rng.choice(_SENTENCE_END.split(self.donor(key)))
        return text, " ".join([*sentences[:at], new, *sentences[at + 1 :]])

    def replaced(self, share: float) -> Callable[[str, str], tuple[str, str]]:
        def edit(key: str, text: str) -> tuple[str, str]:
            return text, self.replace_share(key, text, share)

        return edit

    def half_cut(self, key: str, text: str) -> tuple[str, str]:
        words = text.split()
        return text, " ".join(words[: len(words) // 2])

    def appended(self, share: float) -> Callable[[str, str], tuple[str, str]]:
        def edit(key: str, text: str) -> tuple[str, str]:
            count = max(1, round(share * len(text.split())))
            return text, text + "\n" + " ".join(self.donor_words(key, count))

        return edit

    def other_page(self, key: str, text: str) -> tuple[str, str]:
        return text, self.donor(key)

    def kinds(self) -> dict[str, Callable[[str, str], tuple[str, str]]]:
        """Edit kinds in table order (which is also the order the random numbers are drawn in)."""
        return {
            "numeric date in a footer line (`Stand: 24.11.2026` → `25.11.2026`)": self.numeric_date,
            "spelled date (`3. Mai 2026` → `17. Oktober 2026`)": self.spelled_date,
            "visitor counter": self.visitor_counter,
            "one word replaced": self.one_word,
            "rotating 12-word teaser": self.teaser,
            "one sentence replaced": self.one_sentence,
            "5 % of the words replaced": self.replaced(0.05),
            "10 % replaced": self.replaced(0.10),
            "15 % replaced": self.replaced(0.15),
            "20 % replaced": self.replaced(0.20),
            "25 % replaced (a paragraph)": self.replaced(0.25),
            "30 % replaced": self.replaced(0.30),
            "50 % replaced": self.replaced(0.50),
            "second half cut": self.half_cut,
            "25 % new text appended": self.appended(0.25),
            "a different page": self.other_page,
        }


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass(frozen=True, slots=True)
class Drift:
    pages: int
    caught_after: tuple[int, ...]  # nights until the baseline comparison fired, per caught page
    nightly_fires: int
    nights: int


@dataclass(frozen=True, slots=True)
class Cost:
    mean_ms: float
    longest_words: int
    longest_ms: float
    pathological_s: float


@dataclass(frozen=True, slots=True)
class Measurement:
    median_words: float
    # edit kind → (distance, main-text words of the page) per page where both texts have words
    distances: dict[str, list[tuple[int, int]]]
    drift: Drift


def bucket_label(bucket: tuple[int, int | None]) -> str:
    low, high = bucket
    return f"{low}–{high}" if high is not None else f"≥ {low}"


def in_bucket(words: int, bucket: tuple[int, int | None]) -> bool:
    low, high = bucket
    return low <= words and (high is None or words < high)


def measure(texts: dict[str, str], seed: int) -> Measurement:
    """Every edit kind once per page, then the drift simulation; one random stream, in order."""
    edits = Edits(Random(seed), texts)
    kinds = edits.kinds()
    distances: dict[str, list[tuple[int, int]]] = {name: [] for name in kinds}
    for key in edits.keys:
        text = texts[key]
        words = len(text_words(text))
        for name, edit in kinds.items():
            old, new = edit(key, text)
            old_fp, new_fp = simhash_text(old), simhash_text(new)
            if old_fp is None or new_fp is None:
                continue
            distances[name].append((fingerprint_distance(old_fp, new_fp), words))
    return Measurement(
        median_words=float(np.median([len(text_words(t)) for t in texts.values()])),
        distances=distances,
        drift=drift(edits),
    )


def drift(edits: Edits) -> Drift:
    """Small edits night after night: caught against the baseline, never night-to-night?"""
    caught: list[int] = []
    pages = nightly_fires = nights = 0
    for key in edits.keys:
        text = edits.texts[key]
        if len(text.split()) < DRIFT_MIN_WORDS:
            continue
        pages += 1
        baseline = previous = simhash_text(text)
        assert baseline is not None  # ≥ 50 words
        for night in range(1, DRIFT_NIGHTS + 1):
            text = edits.replace_share(key, text, DRIFT_SHARE)
            tonight = simhash_text(text)
            assert tonight is not None
            nights += 1
            nightly_fires += substantially_changed(previous, tonight)
            previous = tonight
            if substantially_changed(baseline, tonight):
                caught.append(night)
                break
    return Drift(pages, tuple(caught), nightly_fires, nights)


def cost(texts: dict[str, str]) -> Cost:
    """CPU time of `simhash_text`: mean over the pages, the longest page, a pathological one."""
    started = time.process_time()
    for text in texts.values():
        simhash_text(text)
    mean_ms = (time.process_time() - started) / len(texts) * 1000
    longest = max(texts.values(), key=len)
    started = time.process_time()
    simhash_text(longest)
    longest_ms = (time.process_time() - started) * 1000
    started = time.process_time()
    simhash_text(PATHOLOGICAL_TEXT)
    return Cost(
        mean_ms=mean_ms,
        longest_words=len(longest.split()),
        longest_ms=longest_ms,
        pathological_s=time.process_time() - started,
    )


# ---------------------------------------------------------------------------------------------
# Report


def share_text(share: float) -> str:
    """ "0 %" and "100 %" only when exact; one decimal otherwise."""
    if share == 0:
        return "0 %"
    if share == 1:
        return "100 %"
    return f"{share * 100:.1f} %"


def edit_table(measurement: Measurement, thresholds: Sequence[int]) -> list[str]:
    def head(threshold: int) -> str:
        return f"**T={threshold}**" if threshold == CHANGE_THRESHOLD else f"T={threshold}"

    lines = [
        "| edit of the main text | median distance | p95 | "
        + " | ".join(head(t) for t in thresholds)
        + " |",
        "|---|---|---|" + "---|" * len(thresholds),
    ]
    for name, pairs in measurement.distances.items():
        values = np.array([distance for distance, _ in pairs])
        cells = []
        for threshold in thresholds:
            cell = share_text(float(np.mean(values > threshold)))
            cells.append(f"**{cell}**" if threshold == CHANGE_THRESHOLD else cell)
        lines.append(
            f"| {name} | {np.median(values):.0f} | {np.percentile(values, 95):.0f} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def length_table(measurement: Measurement) -> list[str]:
    first = next(iter(measurement.distances.values()))
    counts = [sum(in_bucket(words, b) for _, words in first) for b in LENGTH_BUCKETS]
    lines = [
        f"| fires at T={CHANGE_THRESHOLD}, main text of … words | "
        + " | ".join(
            f"{bucket_label(b)} (n={n})" for b, n in zip(LENGTH_BUCKETS, counts, strict=True)
        )
        + " |",
        "|---|" + "---|" * len(LENGTH_BUCKETS),
    ]
    for name, pairs in measurement.distances.items():
        cells = []
        for bucket in LENGTH_BUCKETS:
            values = [distance for distance, words in pairs if in_bucket(words, bucket)]
            fired = sum(distance > CHANGE_THRESHOLD for distance in values)
            cells.append(share_text(fired / len(values)) if values else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def drift_line(result: Drift) -> str:
    caught = np.array(result.caught_after)
    never = result.pages - len(caught)
    if len(caught):
        when = (
            f"caught against the baseline after p5 {np.percentile(caught, 5):.0f} / "
            f"median {np.median(caught):.0f} / p95 {np.percentile(caught, 95):.0f} nights"
        )
    else:
        when = "never caught against the baseline"
    nightly = result.nightly_fires / result.nights if result.nights else 0.0
    return (
        f"- drift, {DRIFT_SHARE * 100:.0f} % of the words replaced every night "
        f"({result.pages:,} pages ≥ {DRIFT_MIN_WORDS} words): {when}, "
        f"not caught within {DRIFT_NIGHTS} nights: {never} pages; the night-to-night comparison "
        f"fired on {result.nightly_fires:,} of {result.nights:,} nights ({share_text(nightly)})"
    )


def cost_line(result: Cost, pages: int) -> str:
    return (
        f"- cost of `simhash_text` (CPU time, one core): {result.mean_ms:.2f} ms per page on "
        f"average over {pages:,} main texts, {result.longest_ms:.1f} ms for the longest "
        f"({result.longest_words:,} words), {result.pathological_s:.2f} s for one word repeated "
        f"to 5 MB (1 M words)"
    )


def git_revision() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()


def render(
    *,
    measurement: Measurement,
    costs: Cost,
    gold_entries: int,
    pages: int,
    seed: int,
    thresholds: Sequence[int],
    command: str,
    eval_dir: Path,
    run_day: dt.date,
) -> str:
    return "\n".join(
        [
            f"### Change fingerprint, {run_day.isoformat()}",
            "",
            f"- pages: {pages:,} of {gold_entries:,} gold entries of `{eval_dir / GOLD_SET}` "
            f"have main text (`html_facts.main_text_of`), median {measurement.median_words:g} "
            "words",
            f"- fingerprint: SimHash, {FINGERPRINT_BITS} bits, {SHINGLE_WORDS}-word shingles; "
            f"product threshold CHANGE_THRESHOLD = {CHANGE_THRESHOLD}; seed {seed}",
            f"- Python {sys.version.split()[0]}, git {git_revision()}",
            f"- command: `{command}`",
            "",
            "Share of pages whose edit fires (Hamming distance > T):",
            "",
            *edit_table(measurement, thresholds),
            "",
            *length_table(measurement),
            "",
            drift_line(measurement.drift),
            cost_line(costs, pages),
            "",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--sample", type=int, help="only the N pages with the smallest hash")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"({DEFAULT_SEED})")
    parser.add_argument(
        "--threshold",
        type=int,
        nargs="+",
        default=list(DEFAULT_THRESHOLDS),
        help="Hamming thresholds, one column each (" + " ".join(map(str, DEFAULT_THRESHOLDS)) + ")",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    eval_dir: Path = args.eval_dir.resolve()
    if not (eval_dir / GOLD_SET / "evaldata.json").is_file():
        print(
            f"eval_change_fingerprint: no trafilatura gold set under {eval_dir} (expected "
            f"{eval_dir / GOLD_SET / 'evaldata.json'}; the data lives outside the repository, "
            "in ../shared/eval); nothing measured",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    gold_entries, texts = main_texts(eval_dir, args.sample)
    if len(texts) < 2:
        print("eval_change_fingerprint: fewer than two pages with main text", file=sys.stderr)
        return 2
    measurement = measure(texts, args.seed)
    costs = cost(texts)
    run_day = dt.date.today()  # a benchmark may read the clock: the report's date
    report = render(
        measurement=measurement,
        costs=costs,
        gold_entries=gold_entries,
        pages=len(texts),
        seed=args.seed,
        thresholds=args.threshold,
        command=" ".join(["python benchmarks/eval_change_fingerprint.py", *argv]),
        eval_dir=eval_dir,
        run_day=run_day,
    )
    print(report)
    print(f"{time.monotonic() - started:.0f} s wall")
    if not args.no_save:
        suffix = f"-sample{args.sample}" if args.sample is not None else ""
        save_report(report, "change_fingerprint", run_day, suffix)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
