"""Score Linkpflege's extractor against the shared gold sets, side by side with its peers.

    .venv/bin/python benchmarks/eval_extraction.py                 # everything, one table
    .venv/bin/python benchmarks/eval_extraction.py --sample 200 --no-peers --jobs 2
    .venv/bin/python benchmarks/eval_extraction.py --ablate-htmldate --per-entry out.csv

--sample N takes the N entries of each set with the smallest stable hash, --limit N the first
N; --ablate-htmldate adds a column for ours with its htmldate voter switched off; --per-entry
writes one CSV row per gold entry (gold, each extractor's date and outcome, our sources) for
error analysis. With the peers, the column "ours else htmldate" takes htmldate's date where
ours abstains: what our abstaining costs in accuracy and saves in false dates.

Scoring follows `../shared/eval/SCORING.md` (htmldate and trafilatura gold sets; the data stays
there, nothing of it is copied into this repository):

- Dates: the gold is the original publication date, so our prediction is our `published`
  claim (htmldate and trafilatura return one date each); the calendar day as written. Undated
  gold pages (htmldate `NaN`, trafilatura `""`) count in the false-date rate only. Our
  `modified` claim has no gold; the table also shows how often an undated page still gets a
  content date (`modified` or `published`), which is what the staleness check uses, and that
  count again without the dates our hand labels (`benchmarks/labels/undated-content-dates.csv`)
  class as the page's own statement about itself (class a); an unlabelled date counts as false.
- Held-out half: entries whose stable hash (sha256 of the gold key) is odd. Heuristics were
  tuned on the even half only; the trafilatura set is a second held-out check.
- Titles: the trafilatura set is the only one with gold titles (845 entries); lower-cased,
  non-word runs replaced by a space, then exact match and containment (either way round).
- Main text: trafilatura set, `with`/`without` snippets against the text we hash (SCORING.md).
  Summary: the same snippets against our ≤ 300-character summary; "with" is the share of
  must-contain snippets found (low by construction: a summary is short), "without" the share
  of must-not-contain snippets found (boilerplate leaking in; lower is better).
- Speed: CPU seconds per page on one core (`time.process_time` around each call), after an
  untimed warm-up over 50 pages spread over the run (the first date parses load dateparser's
  language data, which takes seconds). Ours is
  `extract_facts` (title, summary, language, dates, hash — what the nightly flow calls);
  htmldate is `find_date(extensive_search=True, original_date=True)`; trafilatura is
  `bare_extraction(with_metadata=True)` (main text + metadata).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import json
import math
import multiprocessing
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
# Every extractor gets the same notion of "today" (htmldate: max_date). Pinned so results do
# not drift with the clock; all gold dates are ≤ 2023.
DEFAULT_RUN_DATE = dt.date(2026, 11, 26)
# Untimed warm-up pages per worker, spread over the run: the first date parses load
# dateparser's language data (seconds), a one-off cost and not a per-page one.
WARM_UP_PAGES = 50
GERMAN_TLDS = (".de", ".at", ".ch")
HTMLDATE_SET = "htmldate"
TRAFILATURA_SET = "trafilatura"

# The four typos SCORING.md repairs (trafilatura set).
_GOLD_DATE_REPAIRS = {
    "2022-01.26": "2022-01-26",
    "2022-11-1": "2022-11-01",
    "2022-29-11": "2022-11-29",
    "2022-25-10": "2022-10-25",
}


# ---------------------------------------------------------------------------------------------
# Gold data


@dataclass(frozen=True, slots=True)
class GoldEntry:
    """One gold page. `gold_date` None with `undated` False: not annotated (no date score)."""

    dataset: str
    key: str
    url: str
    file: str
    gold_date: dt.date | None
    undated: bool
    title: str | None = None
    description: str | None = None
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()

    @property
    def dated(self) -> bool:
        return self.gold_date is not None

    @property
    def host(self) -> str:
        return host_of(self.key)

    @property
    def german(self) -> bool:
        return self.host.endswith(GERMAN_TLDS)

    @property
    def held_out(self) -> bool:
        return stable_hash(self.key) % 2 == 1


def stable_hash(key: str) -> int:
    """The same number for the same key on every machine and Python run (unlike hash())."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


_URL_IN_KEY = re.compile(r"https?://\S+")
_ARCHIVED = re.compile(r"^https?://web\.archive\.org/web/[^/]+/(https?://\S+)")


def url_of(key: str) -> str:
    """The page URL in a gold key ("xhttps://…" typos repaired; "hard::…" labels have none)."""
    match = _URL_IN_KEY.search(key)
    return match.group(0) if match else ""


def host_of(key: str) -> str:
    """Host of the gold URL; for web.archive.org captures the archived host (SCORING.md §7)."""
    url = url_of(key)
    archived = _ARCHIVED.match(url)
    if archived:
        url = archived.group(1)
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def normalise_gold_date(raw: object) -> tuple[dt.date | None, bool]:
    """(date, undated) from a gold value: NaN and "" mean undated; typos are repaired."""
    if raw is None:
        return None, False
    if isinstance(raw, float) and math.isnan(raw):
        return None, True
    text = str(raw).strip()
    if text == "" or text.lower() == "nan":
        return None, True
    text = _GOLD_DATE_REPAIRS.get(text, text)
    return dt.date.fromisoformat(text[:10]), False


def load_htmldate_set(eval_dir: Path) -> list[GoldEntry]:
    entries: list[GoldEntry] = []
    for name in ("eval_default.json", "eval_mediacloud_2020.json"):
        gold = json.loads((eval_dir / HTMLDATE_SET / name).read_text(encoding="utf-8"))
        for key, value in gold.items():
            gold_date, undated = normalise_gold_date(value.get("date"))
            entries.append(
                GoldEntry(HTMLDATE_SET, key, url_of(key), value["file"], gold_date, undated)
            )
    return entries


def load_trafilatura_set(eval_dir: Path) -> list[GoldEntry]:
    gold = json.loads((eval_dir / TRAFILATURA_SET / "evaldata.json").read_text(encoding="utf-8"))
    entries: list[GoldEntry] = []
    for key, value in gold.items():
        # A missing "date" key means "not annotated": no date score for this entry.
        gold_date, undated = (
            normalise_gold_date(value["date"]) if "date" in value else (None, False)
        )
        entries.append(
            GoldEntry(
                TRAFILATURA_SET,
                key,
                url_of(key),
                value["file"],
                gold_date,
                undated,
                title=(value.get("title") or "").strip() or None,
                description=(value.get("description") or "").strip() or None,
                with_snippets=tuple(value.get("with") or ()),
                without_snippets=tuple(value.get("without") or ()),
            )
        )
    return entries


def select(entries: list[GoldEntry], *, limit: int | None, sample: int | None) -> list[GoldEntry]:
    """--sample N: the N entries with the smallest stable hash; --limit N: the first N."""
    if sample is not None:
        entries = sorted(entries, key=lambda e: stable_hash(e.key))[:sample]
    if limit is not None:
        entries = entries[:limit]
    return entries


def page_bytes(eval_dir: Path, entry: GoldEntry) -> bytes:
    return gzip.decompress((eval_dir / entry.dataset / "pages" / f"{entry.file}.gz").read_bytes())


# ---------------------------------------------------------------------------------------------
# Running the extractors


@dataclass(frozen=True, slots=True)
class Prediction:
    """What one extractor said about one page, and the CPU seconds it took."""

    date: dt.date | None = None
    content_date: dt.date | None = None
    seconds: float = 0.0
    title: str | None = None
    summary: str | None = None
    main_text: str | None = None
    modified: dt.date | None = None
    source: str | None = None
    confidence: float | None = None
    crashed: bool = False
    content_evidence: str | None = None  # ours: the grade of the content date


def _day(value: str | None) -> dt.date | None:
    """The calendar day of an ISO date/datetime as written (no time-zone conversion)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def run_ours(body: bytes, entry: GoldEntry, run_date: dt.date, with_text: bool) -> Prediction:
    from extractors.facts.html_facts import main_text_of
    from extractors.facts.page_facts import extract_facts
    from extractors.text.decoding import decode_html
    from extractors.text.html_tree import parse_html

    started = time.process_time()
    try:
        facts = extract_facts(
            body, url=entry.url, content_type="text/html", last_modified=None, run_date=run_date
        )
    except Exception:  # extract_facts promises never to raise; a crash is a finding
        return Prediction(seconds=time.process_time() - started, crashed=True)
    seconds = time.process_time() - started
    main_text = None
    if with_text:  # not timed: extract_facts computes it too, but does not return it
        root = parse_html(decode_html(body, "text/html"))
        main_text = main_text_of(root, entry.url) if root is not None else ""
    claim = facts.published
    content = facts.content_date
    return Prediction(
        date=claim.value if claim else None,
        content_date=content.value if content else None,
        seconds=seconds,
        title=facts.title,
        summary=facts.summary,
        main_text=main_text,
        modified=facts.modified.value if facts.modified else None,
        source=claim.source if claim else None,
        confidence=claim.confidence if claim else None,
        content_evidence=str(content.evidence) if content and content.evidence else None,
    )


def run_htmldate(body: bytes, entry: GoldEntry, run_date: dt.date, with_text: bool) -> Prediction:
    import htmldate

    started = time.process_time()
    try:
        found = htmldate.find_date(
            body,
            url=entry.url or None,
            extensive_search=True,
            original_date=True,
            max_date=run_date.isoformat(),
        )
    except Exception:
        return Prediction(seconds=time.process_time() - started, crashed=True)
    return Prediction(date=_day(found), seconds=time.process_time() - started)


def run_trafilatura(
    body: bytes, entry: GoldEntry, run_date: dt.date, with_text: bool
) -> Prediction:
    import trafilatura

    started = time.process_time()
    try:
        document = trafilatura.bare_extraction(
            body,
            url=entry.url or None,
            with_metadata=True,
            date_extraction_params={
                "extensive_search": True,
                "original_date": True,
                "max_date": run_date.isoformat(),
            },
        )
    except Exception:
        return Prediction(seconds=time.process_time() - started, crashed=True)
    seconds = time.process_time() - started
    if document is None:
        return Prediction(seconds=seconds)
    return Prediction(
        date=_day(getattr(document, "date", None)),
        seconds=seconds,
        title=getattr(document, "title", None),
        summary=getattr(document, "description", None),
        main_text=getattr(document, "text", None),
    )


def run_ours_without_htmldate(
    body: bytes, entry: GoldEntry, run_date: dt.date, with_text: bool
) -> Prediction:
    """Ours with the htmldate voter switched off: what htmldate adds, measured."""
    from extractors.dates import page_dates

    original = page_dates._from_htmldate_on_page
    page_dates._from_htmldate_on_page = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        return run_ours(body, entry, run_date, with_text=False)
    finally:
        page_dates._from_htmldate_on_page = original  # type: ignore[assignment]


EXTRACTORS: dict[str, Callable[[bytes, GoldEntry, dt.date, bool], Prediction]] = {
    "ours": run_ours,
    "ours w/o htmldate": run_ours_without_htmldate,
    "htmldate": run_htmldate,
    "trafilatura": run_trafilatura,
}
# Extractors whose titles, summaries and main text the table scores.
TEXT_EXTRACTORS = ("ours", "trafilatura")
# Not an extractor: ours where it names a publication date, htmldate's date where it does not.
# The column shows what our abstaining costs in accuracy and saves in false dates.
FALLBACK = "ours else htmldate"

_worker_state: dict[str, object] = {}


def _init_worker(eval_dir: str, run_date: str, names: Sequence[str], warm_up: Sequence) -> None:
    import logging

    logging.disable(logging.CRITICAL)  # peers log every page they cannot use
    _worker_state.update(eval_dir=Path(eval_dir), run_date=dt.date.fromisoformat(run_date))
    _worker_state["names"] = tuple(names)
    # Warm-up: the first parse of each library costs seconds; not a per-page cost.
    for entry in warm_up:
        body = page_bytes(Path(eval_dir), entry)
        for name in names:
            EXTRACTORS[name](body, entry, dt.date.fromisoformat(run_date), False)


def _score_one(entry: GoldEntry) -> tuple[GoldEntry, dict[str, Prediction]]:
    body = page_bytes(_worker_state["eval_dir"], entry)  # type: ignore[arg-type]
    run_date: dt.date = _worker_state["run_date"]  # type: ignore[assignment]
    with_text = entry.dataset == TRAFILATURA_SET
    return entry, {
        name: EXTRACTORS[name](body, entry, run_date, with_text)
        for name in _worker_state["names"]  # type: ignore[attr-defined]
    }


def run_all(
    entries: list[GoldEntry],
    *,
    eval_dir: Path,
    run_date: dt.date,
    names: Sequence[str],
    jobs: int = 1,
    warm_up_pages: int = WARM_UP_PAGES,
) -> list[tuple[GoldEntry, dict[str, Prediction]]]:
    """Run every extractor on every entry; results in input order."""
    step = max(1, len(entries) // max(1, warm_up_pages))
    warm_up = entries[::step][:warm_up_pages]
    args = (str(eval_dir), run_date.isoformat(), tuple(names), warm_up)
    if jobs <= 1:
        _init_worker(*args)
        return [_score_one(entry) for entry in entries]
    # Timing is CPU time per call inside each worker, so it stays a one-core figure.
    with multiprocessing.get_context("fork").Pool(jobs, _init_worker, args) as pool:
        return pool.map(_score_one, entries, chunksize=8)


def add_fallback_column(results: list[tuple[GoldEntry, dict[str, Prediction]]]) -> None:
    """Add the `FALLBACK` prediction to every entry that has ours and htmldate's (no timing:
    its cost is theirs)."""
    for _, predictions in results:
        ours, peer = predictions.get("ours"), predictions.get("htmldate")
        if ours is not None and peer is not None:
            predictions[FALLBACK] = Prediction(date=ours.date or peer.date)


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass(slots=True)
class DateScore:
    """Outcome counts over gold-dated entries, plus predictions on undated ones."""

    correct: int = 0
    wrong: int = 0
    missing: int = 0
    within_day: int = 0
    same_month: int = 0
    same_year: int = 0
    too_late: int = 0
    undated: int = 0
    undated_dated: int = 0

    def add(self, gold: dt.date | None, undated: bool, predicted: dt.date | None) -> None:
        if undated:
            self.undated += 1
            self.undated_dated += predicted is not None
            return
        if gold is None:
            return
        if predicted is None:
            self.missing += 1
            return
        if predicted == gold:
            self.correct += 1
        else:
            self.wrong += 1
            self.too_late += predicted > gold
        self.within_day += abs((predicted - gold).days) <= 1
        self.same_month += (predicted.year, predicted.month) == (gold.year, gold.month)
        self.same_year += predicted.year == gold.year

    @property
    def dated(self) -> int:
        return self.correct + self.wrong + self.missing

    def share(self, count: int, total: int | None = None) -> float | None:
        total = self.dated if total is None else total
        return count / total if total else None

    @property
    def accuracy(self) -> float | None:
        return self.share(self.correct)

    @property
    def precision(self) -> float | None:
        return self.share(self.correct, self.correct + self.wrong)

    @property
    def coverage(self) -> float | None:
        return self.share(self.correct + self.wrong)

    @property
    def false_date_rate(self) -> float | None:
        return self.share(self.undated_dated, self.undated)

    def htmldate_convention(self) -> tuple[float | None, float | None]:
        """(accuracy, F1) as the htmldate docs count them, over dated and undated entries."""
        tp = self.correct
        fp = self.wrong + self.undated_dated
        fn = self.missing + (self.undated - self.undated_dated)
        accuracy = tp / (tp + fp + fn) if tp + fp + fn else None
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
        return accuracy, f1


def date_score(
    results: Iterable[tuple[GoldEntry, dict[str, Prediction]]],
    name: str,
    keep: Callable[[GoldEntry], bool] = lambda entry: True,
) -> DateScore:
    score = DateScore()
    for entry, predictions in results:
        if keep(entry) and name in predictions:
            score.add(entry.gold_date, entry.undated, predictions[name].date)
    return score


def outcome(entry: GoldEntry, predicted: dt.date | None) -> str:
    if entry.undated:
        return "undated_dated" if predicted else "undated_ok"
    if entry.gold_date is None:
        return "not_annotated"
    if predicted is None:
        return "missing"
    return "correct" if predicted == entry.gold_date else "wrong"


_NON_WORD = re.compile(r"\W+")


def fold_title(text: str | None) -> str:
    return _NON_WORD.sub(" ", (text or "").lower()).strip()


@dataclass(slots=True)
class MatchScore:
    """Exact and containment matches of a predicted string against a gold one."""

    total: int = 0
    exact: int = 0
    contained: int = 0

    def add(self, gold: str | None, predicted: str | None) -> None:
        if not gold:
            return
        self.total += 1
        wanted, got = fold_title(gold), fold_title(predicted)
        if not got or not wanted:
            return
        self.exact += got == wanted
        self.contained += got in wanted or wanted in got


@dataclass(slots=True)
class SnippetScore:
    """SCORING.md main-text counts: with found = TP, missed = FN; without found = FP."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, entry: GoldEntry, text: str | None) -> None:
        normalised = " ".join((text or "").split())
        for snippet in entry.with_snippets:
            found = " ".join(snippet.split()) in normalised if normalised else False
            self.tp += found
            self.fn += not found
        for snippet in entry.without_snippets:
            found = " ".join(snippet.split()) in normalised if normalised else False
            self.fp += found
            self.tn += not found

    @property
    def f1(self) -> float | None:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def with_rate(self) -> float | None:
        return self.recall

    @property
    def without_rate(self) -> float | None:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None


@dataclass(slots=True)
class Report:
    """Everything the table shows, per extractor."""

    names: tuple[str, ...]
    rows: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def add(self, label: str, values: dict[str, str]) -> None:
        self.rows.append((label, values))

    def render(self) -> str:
        header = ["metric", *self.names]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for label, values in self.rows:
            cells = [values.get(name, "–") for name in self.names]
            lines.append("| " + " | ".join([label, *cells]) + " |")
        return "\n".join(lines)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _date_rows(
    report: Report,
    results: list[tuple[GoldEntry, dict[str, Prediction]]],
    dataset: str,
    names: Sequence[str],
) -> None:
    in_set = [r for r in results if r[0].dataset == dataset]
    if not in_set:
        return
    scores = {name: date_score(in_set, name) for name in names}
    german = {name: date_score(in_set, name, lambda e: e.german) for name in names}
    dev = {name: date_score(in_set, name, lambda e: not e.held_out) for name in names}
    held = {name: date_score(in_set, name, lambda e: e.held_out) for name in names}
    n = next(iter(scores.values()))
    n_german, n_dev, n_held = (next(iter(s.values())).dated for s in (german, dev, held))

    def row(label: str, value: Callable[[str], str]) -> None:
        report.add(label, {name: value(name) for name in names})

    row(f"**{dataset} set** exact-day accuracy (n={n.dated})", lambda m: _fmt(scores[m].accuracy))
    row(f"— German .de/.at/.ch (n={n_german})", lambda m: _fmt(german[m].accuracy))
    if dataset == HTMLDATE_SET:
        row(f"— dev half, tuned on (n={n_dev})", lambda m: _fmt(dev[m].accuracy))
        row(f"— held-out half (n={n_held})", lambda m: _fmt(held[m].accuracy))
    row(
        "— precision / coverage",
        lambda m: f"{_fmt(scores[m].precision)} / {_fmt(scores[m].coverage)}",
    )
    row(
        "— within ±1 day / same month / same year",
        lambda m: " / ".join(
            _fmt(scores[m].share(count))
            for count in (scores[m].within_day, scores[m].same_month, scores[m].same_year)
        ),
    )
    row(
        "— wrong dates that are too late",
        lambda m: (
            f"{_fmt(scores[m].share(scores[m].too_late, scores[m].wrong))} "
            f"({scores[m].too_late}/{scores[m].wrong})"
        ),
    )
    if dataset == HTMLDATE_SET:
        row(
            f"— htmldate-docs convention (n={n.dated + n.undated}): accuracy / F1",
            lambda m: " / ".join(_fmt(v) for v in scores[m].htmldate_convention()),
        )


# Our hand labels of the content dates we give on undated gold pages (benchmarks/labels/):
# class "a" when the page itself states that date about itself, "b" when it is about something
# else. Keyed by (dataset, file, content date): a date the labels have not seen counts as false.
DEFAULT_CURRENCY_LABELS = REPO / "benchmarks" / "labels" / "undated-content-dates.csv"
CurrencyLabels = dict[tuple[str, str, str], str]


def load_currency_labels(path: Path) -> CurrencyLabels:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["dataset"], row["file"], row["content_date"]): row["class"]
            for row in csv.DictReader(handle)
            if row["content_date"]
        }


def _states_own_currency(entry: GoldEntry, ours: Prediction, labels: CurrencyLabels) -> bool:
    """Our content date on this page is one the labels say the page states about itself."""
    if ours.content_date is None:
        return False
    key = (entry.dataset, entry.file, ours.content_date.isoformat())
    return labels.get(key) == "a"


def build_report(
    results: list[tuple[GoldEntry, dict[str, Prediction]]],
    names: Sequence[str],
    currency_labels: CurrencyLabels | None = None,
) -> Report:
    report = Report(tuple(names))
    _date_rows(report, results, HTMLDATE_SET, names)
    _date_rows(report, results, TRAFILATURA_SET, names)

    undated = {name: date_score(results, name) for name in names}
    n_undated = next(iter(undated.values())).undated
    if n_undated:
        report.add(
            f"**false-date rate** on undated pages, both sets (n={n_undated})",
            {
                name: f"{_fmt(undated[name].false_date_rate)} "
                f"({undated[name].undated_dated}/{n_undated})"
                for name in names
            },
        )
        if "ours" in names:
            with_content = sum(
                1
                for entry, predictions in results
                if entry.undated and "ours" in predictions
                if predictions["ours"].content_date is not None
            )
            report.add(
                "— false content dates, any grade (our content date on undated pages)",
                {"ours": f"{_fmt(with_content / n_undated)} ({with_content}/{n_undated})"},
            )
            if currency_labels is not None:
                own = sum(
                    1
                    for entry, predictions in results
                    if entry.undated and "ours" in predictions
                    if _states_own_currency(entry, predictions["ours"], currency_labels)
                )
                false_dates = with_content - own
                report.add(
                    "— false content dates on undated pages, excluding dates the page itself "
                    "states as its currency (labelled)",
                    {
                        "ours": f"{_fmt(false_dates / n_undated)} ({false_dates}/{n_undated}; "
                        f"{own} of class a left out)"
                    },
                )
            by_grade: dict[str, int] = {}
            for entry, predictions in results:
                ours = predictions.get("ours")
                if entry.undated and ours is not None and ours.content_date is not None:
                    grade = ours.content_evidence or "unknown"
                    by_grade[grade] = by_grade.get(grade, 0) + 1
            report.add(
                "— false-date rate per grade (undated pages with a content date of that grade)",
                {
                    "ours": ", ".join(
                        f"{grade} {_fmt(count / n_undated)} ({count})"
                        for grade, count in sorted(by_grade.items())
                    )
                    or "–"
                },
            )

    trafilatura_results = [r for r in results if r[0].dataset == TRAFILATURA_SET]
    if trafilatura_results and any(name in TEXT_EXTRACTORS for name in names):
        text_names = [name for name in names if name in TEXT_EXTRACTORS]
        titles = {name: MatchScore() for name in text_names}
        descriptions = {name: MatchScore() for name in text_names}
        main = {name: SnippetScore() for name in text_names}
        summary = {name: SnippetScore() for name in text_names}
        for entry, predictions in trafilatura_results:
            for name in text_names:
                if name not in predictions:
                    continue
                prediction = predictions[name]
                titles[name].add(entry.title, prediction.title)
                descriptions[name].add(entry.description, prediction.summary)
                main[name].add(entry, prediction.main_text)
                summary[name].add(entry, prediction.summary)
        n_titles = titles[text_names[0]].total
        report.add(
            f"**title** (trafilatura set, n={n_titles}): exact / containment",
            {
                name: f"{_fmt(titles[name].exact / n_titles if n_titles else None)} / "
                f"{_fmt(titles[name].contained / n_titles if n_titles else None)}"
                for name in text_names
            },
        )
        n_desc = descriptions[text_names[0]].total
        report.add(
            f"summary vs gold description (n={n_desc}): containment",
            {
                name: _fmt(descriptions[name].contained / n_desc if n_desc else None)
                for name in text_names
            },
        )
        report.add(
            "**main text** (trafilatura set): precision / recall / F1",
            {
                name: f"{_fmt(main[name].precision)} / {_fmt(main[name].recall)} / "
                f"{_fmt(main[name].f1)}"
                for name in text_names
            },
        )
        report.add(
            "**summary** must-contain found / must-not-contain found",
            {
                name: f"{_fmt(summary[name].with_rate)} / {_fmt(summary[name].without_rate)}"
                for name in text_names
            },
        )

    speeds: dict[str, str] = {}
    crashes: dict[str, str] = {}
    for name in names:
        seconds = sum(p[name].seconds for _, p in results if name in p)
        speeds[name] = f"{len(results) / seconds:.0f}" if seconds else "–"
        crashes[name] = str(sum(p[name].crashed for _, p in results if name in p))
    report.add(f"**pages/s, one core** (CPU time, warm-up excluded; n={len(results)})", speeds)
    report.add("crashes", crashes)
    return report


# ---------------------------------------------------------------------------------------------
# The public-sector subset: content dates labelled by us (benchmarks/labels/)

DEFAULT_LABELS = REPO / "benchmarks" / "labels" / "public_sector_dates.csv"
# Staleness as the nightly run decides it: older than 730 days before a fixed day. The day is
# just after the newest labelled page (2022/2023), so the subset splits into stale and fresh
# pages instead of all being stale on today's date.
STALE_DAY = dt.date(2023, 1, 1)
STALE_AFTER_DAYS = 730


@dataclass(frozen=True, slots=True)
class ContentLabel:
    """Our label of one public-sector page: the date that says how current it is."""

    entry: GoldEntry
    content_date: dt.date | None
    kind: str  # as_of | published | none
    location: str  # main | footer | byline | metadata_only | none


def load_public_sector(path: Path) -> list[ContentLabel]:
    labels = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            day = dt.date.fromisoformat(row["content_date"]) if row["content_date"] else None
            entry = GoldEntry(row["set"], row["url"], row["url"], row["file"], day, day is None)
            labels.append(ContentLabel(entry, day, row["kind"], row["location"]))
    return labels


def stale_on(day: dt.date | None) -> bool | None:
    """The stale flag as the nightly run sets it; None for an undated page."""
    return None if day is None else (STALE_DAY - day).days > STALE_AFTER_DAYS


def public_sector_rows(
    report: Report,
    labels: list[ContentLabel],
    results: list[tuple[GoldEntry, dict[str, Prediction]]],
    names: Sequence[str],
) -> None:
    """Content-date accuracy (as-of date when the page states one, else its publication date;
    an undated page must stay undated) and agreement of the stale decision, per extractor.
    Ours answers with its content date; the peers with the one date they give."""
    n = len(labels)

    def predicted(prediction: Prediction, name: str) -> dt.date | None:
        return prediction.content_date if name == "ours" else prediction.date

    def share(test: Callable[[ContentLabel, dt.date | None], bool], name: str, kinds=None) -> str:
        pairs = [
            (label, predicted(predictions[name], name))
            for label, (_, predictions) in zip(labels, results, strict=True)
            if name in predictions and (kinds is None or label.kind in kinds)
        ]
        hits = sum(test(label, day) for label, day in pairs)
        return f"{_fmt(hits / len(pairs) if pairs else None)} ({hits}/{len(pairs)})"

    def exact(label: ContentLabel, day: dt.date | None) -> bool:
        return day == label.content_date

    def agrees(label: ContentLabel, day: dt.date | None) -> bool:
        return stale_on(day) == stale_on(label.content_date)

    counts = {k: sum(label.kind == k for label in labels) for k in ("as_of", "published", "none")}
    report.add(
        f"**public-sector subset** (ours labelled, n={n}) content-date accuracy",
        {name: share(exact, name) for name in names},
    )
    report.add(
        f"— pages stating an as-of date (n={counts['as_of']})",
        {name: share(exact, name, {"as_of"}) for name in names},
    )
    report.add(
        f"— pages with a publication date only (n={counts['published']})",
        {name: share(exact, name, {"published"}) for name in names},
    )
    report.add(
        f"— undated pages left undated (n={counts['none']})",
        {name: share(exact, name, {"none"}) for name in names},
    )
    report.add(
        f"— stale decision agrees (older than {STALE_AFTER_DAYS} days on {STALE_DAY})",
        {name: share(agrees, name) for name in names},
    )


# ---------------------------------------------------------------------------------------------
# Per-entry output


def write_per_entry(
    path: Path, results: list[tuple[GoldEntry, dict[str, Prediction]]], names: Sequence[str]
) -> None:
    columns = ["dataset", "key", "file", "host", "german", "held_out", "gold"]
    for name in names:
        columns += [f"{name}_date", f"{name}_outcome"]
    columns += ["ours_modified", "ours_source", "ours_confidence"]
    # The content date the staleness check uses, and its grade (visible, metadata, url …).
    columns += ["ours_content_date", "ours_date_evidence"]
    columns += ["gold_title", "ours_title", "ours_summary"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for entry, predictions in results:
            row: list[object] = [
                entry.dataset,
                entry.key,
                entry.file,
                entry.host,
                int(entry.german),
                int(entry.held_out),
                entry.gold_date or ("undated" if entry.undated else ""),
            ]
            for name in names:
                predicted = predictions[name].date if name in predictions else None
                row += [predicted or "", outcome(entry, predicted)]
            ours = predictions.get("ours", Prediction())
            row += [ours.modified or "", ours.source or ""]
            row += [ours.confidence if ours.confidence is not None else ""]
            row += [ours.content_date or "", ours.content_evidence or ""]
            row += [entry.title or "", ours.title or "", ours.summary or ""]
            writer.writerow(row)


# ---------------------------------------------------------------------------------------------
# Command line


def load_entries(
    eval_dir: Path, *, datasets: Sequence[str], limit: int | None, sample: int | None
) -> list[GoldEntry]:
    entries: list[GoldEntry] = []
    if HTMLDATE_SET in datasets:
        entries += select(load_htmldate_set(eval_dir), limit=limit, sample=sample)
    if TRAFILATURA_SET in datasets:
        entries += select(load_trafilatura_set(eval_dir), limit=limit, sample=sample)
    return entries


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--limit", type=int, help="first N entries of each set")
    parser.add_argument("--sample", type=int, help="N entries of each set, by stable hash")
    parser.add_argument("--set", choices=[HTMLDATE_SET, TRAFILATURA_SET], action="append")
    parser.add_argument("--no-peers", action="store_true", help="only our extractor")
    parser.add_argument(
        "--ablate-htmldate",
        action="store_true",
        help="add a column: ours with its htmldate voter switched off",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes (timing stays per core: CPU time per call)",
    )
    parser.add_argument("--run-date", type=dt.date.fromisoformat, default=DEFAULT_RUN_DATE)
    parser.add_argument("--per-entry", type=Path, help="write one CSV row per gold entry")
    parser.add_argument(
        "--labels",
        type=Path,
        default=DEFAULT_LABELS,
        help="public-sector content-date labels (CSV); scored when the file exists",
    )
    parser.add_argument(
        "--currency-labels",
        type=Path,
        default=DEFAULT_CURRENCY_LABELS,
        help="class a/b labels of our content dates on undated gold pages (CSV)",
    )
    args = parser.parse_args(argv)

    eval_dir: Path = args.eval_dir.resolve()
    if not (eval_dir / HTMLDATE_SET).is_dir() or not (eval_dir / TRAFILATURA_SET).is_dir():
        print(f"eval_extraction: no gold sets under {eval_dir}", file=sys.stderr)
        return 2
    datasets = args.set or [HTMLDATE_SET, TRAFILATURA_SET]
    entries = load_entries(eval_dir, datasets=datasets, limit=args.limit, sample=args.sample)
    names: tuple[str, ...] = ("ours",)
    if args.ablate_htmldate:
        names += ("ours w/o htmldate",)
    if not args.no_peers:
        names += ("htmldate", "trafilatura")
    started = time.monotonic()
    results = run_all(
        entries, eval_dir=eval_dir, run_date=args.run_date, names=names, jobs=args.jobs
    )
    if "htmldate" in names:
        add_fallback_column(results)
        names += (FALLBACK,)
    if args.per_entry:  # first: a reader that stops reading the table must not lose it
        write_per_entry(args.per_entry, results, names)
    currency_labels = (
        load_currency_labels(args.currency_labels) if args.currency_labels.is_file() else None
    )
    report = build_report(results, names, currency_labels)
    if args.labels.is_file():
        labels = load_public_sector(args.labels)
        labelled = run_all(
            [label.entry for label in labels],
            eval_dir=eval_dir,
            run_date=args.run_date,
            names=[name for name in names if name != FALLBACK],
            jobs=args.jobs,
            warm_up_pages=0,
        )
        public_sector_rows(report, labels, labelled, [n for n in names if n != FALLBACK])
    print(report.render())
    print(
        f"\n{len(entries)} pages, run date {args.run_date}, {time.monotonic() - started:.0f} s "
        f"wall with {args.jobs} job(s); data: {eval_dir}"
    )
    if args.per_entry:
        print(f"per-entry results: {args.per_entry}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
