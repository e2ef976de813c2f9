"""What `extract_facts` costs per page, and proof that a change keeps every page's facts.

Pages: every HTML page of the htmldate and trafilatura gold sets (read from ../shared/eval, see
SCORING.md; nothing is copied), the same 1,990 entries in the same order as
`eval_extraction.py` (560 pages appear in both sets and are run twice, as there).

Speed is measured the way `eval_extraction.py` measures it, so the two figures agree: CPU
seconds of this process (`time.process_time`, one core) around each `extract_facts` call, the
bytes already in memory, after the same untimed warm-up (50 pages spread over the run: the
first date parses load dateparser's language data). pages/s = pages / summed CPU seconds.
CPU time, not wall time: the machine is shared, and a busy neighbour stretches wall time far
more than CPU time (it still costs some: caches and a shared core are slower when busy).

    .venv/bin/python benchmarks/profile_extraction.py                      # CPU pages/s
    .venv/bin/python benchmarks/profile_extraction.py --profile --top 40  # + cProfile tables
    .venv/bin/python benchmarks/profile_extraction.py --record /tmp/facts_before.json
    .venv/bin/python benchmarks/profile_extraction.py --compare /tmp/facts_before.json

`--record` stores every page's facts (title, summary, language, published and modified with
source and confidence, content hash and any further PageFacts field); `--compare` counts the
pages whose facts differ from a recording and prints the first few differences.
`--profile` runs one more pass under cProfile (slower: cProfile's own overhead) and prints the
top functions by cumulative and by own time.

`--baseline DIR` compares with another revision's extractors (e.g. after
`git worktree add /tmp/base HEAD`): DIR/extractors is loaded under another package name, and
both run on every page in one process, in alternating order. On a busy machine this is the
comparison to trust: separate runs of the same code differ by ±10 % in CPU time there.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import importlib
import io
import json
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.eval_extraction import (  # noqa: E402
    DEFAULT_EVAL_DIR,
    DEFAULT_RUN_DATE,
    HTMLDATE_SET,
    TRAFILATURA_SET,
    WARM_UP_PAGES,
    GoldEntry,
    load_entries,
    page_bytes,
)
from extractors.facts.page_facts import extract_facts  # noqa: E402
from extractors.records import PageFacts  # noqa: E402


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    entry: GoldEntry
    body: bytes

    @property
    def label(self) -> str:
        return f"{self.entry.dataset}/{self.entry.file}"


def load_pages(eval_dir: Path, *, limit: int | None, sample: int | None) -> list[Page]:
    entries = load_entries(
        eval_dir, datasets=[HTMLDATE_SET, TRAFILATURA_SET], limit=limit, sample=sample
    )
    return [Page(entry, page_bytes(eval_dir, entry)) for entry in entries]


def facts_of(page: Page, run_date: dt.date) -> PageFacts:
    # content_type and last_modified as eval_extraction.py passes them
    return _facts_with(extract_facts, page, run_date)


def warm_up(pages: Sequence[Page], run_date: dt.date) -> None:
    """The pages eval_extraction.py warms up with (untimed)."""
    step = max(1, len(pages) // WARM_UP_PAGES)
    for page in pages[::step][:WARM_UP_PAGES]:
        facts_of(page, run_date)


def timed_pass(pages: Sequence[Page], run_date: dt.date) -> tuple[list[float], list[PageFacts]]:
    seconds: list[float] = []
    facts: list[PageFacts] = []
    for page in pages:
        started = time.process_time()
        result = facts_of(page, run_date)
        seconds.append(time.process_time() - started)
        facts.append(result)
    return seconds, facts


def profiled_pass(
    pages: Sequence[Page], run_date: dt.date, top: int, dump: Path | None = None
) -> str:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for page in pages:
        facts_of(page, run_date)
    profiler.disable()
    if dump is not None:  # for pstats / snakeviz
        profiler.dump_stats(dump)
    out = io.StringIO()
    for order in ("cumulative", "tottime"):
        out.write(f"\n=== top {top} by {order} (cProfile, CPU clock) ===\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Recording and comparing facts


def _plain(facts: PageFacts) -> dict[str, object]:
    return json.loads(json.dumps(dataclasses.asdict(facts), default=str))


def _rows(pages: Sequence[Page], facts: Sequence[PageFacts]) -> dict[str, dict[str, object]]:
    """Keyed by position and page: the 560 pages in both sets appear twice."""
    pairs = enumerate(zip(pages, facts, strict=True))
    return {f"{i:04d} {page.label}": _plain(found) for i, (page, found) in pairs}


def record(path: Path, pages: Sequence[Page], facts: Sequence[PageFacts]) -> None:
    rows = _rows(pages, facts)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def compare(path: Path, pages: Sequence[Page], facts: Sequence[PageFacts]) -> int:
    """Prints the differences; returns the number of pages that differ."""
    before: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    now = _rows(pages, facts)
    missing = sorted(set(before) ^ set(now))
    differing: list[tuple[str, str, object, object]] = []
    by_field: dict[str, int] = {}
    pages_differing = 0
    for key in sorted(set(before) & set(now)):
        # Only fields both recordings have: a field added since is not a difference.
        fields = sorted(set(before[key]) & set(now[key]))
        changed = [name for name in fields if before[key][name] != now[key][name]]
        if changed:
            pages_differing += 1
        for name in changed:
            by_field[name] = by_field.get(name, 0) + 1
            differing.append((key, name, before[key][name], now[key][name]))
    compared = len(set(before) & set(now))
    print(
        f"compared {compared} pages with {path}: {pages_differing} differ"
        f" {dict(sorted(by_field.items())) or ''}; {len(missing)} only in one of the two"
    )
    for key, name, old, new in differing[:20]:
        print(f"  {key} {name}: {old!r} -> {new!r}")
    return pages_differing + len(missing)


# ---------------------------------------------------------------------------------------------
# Against another revision

FactsFunction = Callable[..., PageFacts]
_BASELINE_PACKAGE = "baseline_extractors"
_OWN_IMPORT = re.compile(r"\b(from|import) extractors\b")


def load_baseline(checkout: Path, into: Path) -> FactsFunction:
    """`extract_facts` of checkout/extractors, imported as another package (copied to `into`)."""
    package = into / _BASELINE_PACKAGE
    package.mkdir()
    for source in (checkout / "extractors").glob("*.py"):
        text = _OWN_IMPORT.sub(rf"\1 {_BASELINE_PACKAGE}", source.read_text(encoding="utf-8"))
        (package / source.name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module(f"{_BASELINE_PACKAGE}.page_facts").extract_facts


def paired_pass(pages: Sequence[Page], run_date: dt.date, baseline: FactsFunction) -> None:
    """Both on every page, the order alternating; prints CPU pages/s and identical facts."""
    step = max(1, len(pages) // WARM_UP_PAGES)
    for page in pages[::step][:WARM_UP_PAGES]:
        _facts_with(baseline, page, run_date)
    seconds = {"baseline": 0.0, "this tree": 0.0}
    identical = 0
    for index, page in enumerate(pages):
        runs: list[tuple[str, FactsFunction]] = [
            ("baseline", baseline),
            ("this tree", extract_facts),
        ]
        found: dict[str, dict[str, object]] = {}
        for name, function in runs if index % 2 else runs[::-1]:
            started = time.process_time()
            result = _facts_with(function, page, run_date)
            seconds[name] += time.process_time() - started
            found[name] = _plain(result)
        identical += found["baseline"] == found["this tree"]
    rates = {name: len(pages) / total for name, total in seconds.items()}
    print(
        f"paired: baseline {rates['baseline']:.1f}, this tree {rates['this tree']:.1f} pages/s"
        f" per core (CPU time), ratio {rates['this tree'] / rates['baseline']:.3f};"
        f" identical facts on {identical} of {len(pages)} pages"
    )


def _facts_with(function: FactsFunction, page: Page, run_date: dt.date) -> PageFacts:
    return function(
        page.body,
        url=page.entry.url,
        content_type="text/html",
        last_modified=None,
        run_date=run_date,
    )


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--limit", type=int, help="first N entries of each set")
    parser.add_argument("--sample", type=int, help="N entries of each set, by stable hash")
    parser.add_argument("--run-date", type=dt.date.fromisoformat, default=DEFAULT_RUN_DATE)
    parser.add_argument(
        "--repeat", type=int, default=1, help="timed passes (the best counts; 0: none)"
    )
    parser.add_argument("--profile", action="store_true", help="one more pass under cProfile")
    parser.add_argument("--top", type=int, default=30, help="rows of each cProfile table")
    parser.add_argument("--profile-out", type=Path, help="also write the cProfile stats here")
    parser.add_argument("--record", type=Path, help="write every page's facts as JSON")
    parser.add_argument("--compare", type=Path, help="compare every page's facts with a recording")
    parser.add_argument(
        "--baseline", type=Path, help="a checkout whose extractors/ to time against, page by page"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 and (args.record or args.compare):
        parser.error("--record and --compare need a timed pass (--repeat >= 1)")

    eval_dir: Path = args.eval_dir.resolve()
    pages = load_pages(eval_dir, limit=args.limit, sample=args.sample)
    warm_up(pages, args.run_date)

    totals: list[float] = []
    facts: list[PageFacts] = []
    for attempt in range(args.repeat):
        wall = time.monotonic()
        seconds, facts = timed_pass(pages, args.run_date)
        wall = time.monotonic() - wall
        total = sum(seconds)
        totals.append(total)
        ms = sorted(s * 1000 for s in seconds)
        print(
            f"pass {attempt + 1}: {len(pages)} pages, {total:.1f} s CPU -> "
            f"{len(pages) / total:.1f} pages/s per core (CPU time);"
            f" median {statistics.median(ms):.1f} ms, p90 {ms[int(0.9 * (len(ms) - 1))]:.1f} ms,"
            f" max {ms[-1]:.0f} ms;"
            f" wall {wall:.1f} s (not the measure: shared machine)"
        )
    if len(totals) > 1:
        print(f"best pass: {len(pages) / min(totals):.1f} pages/s per core (CPU time)")

    if args.record:
        record(args.record, pages, facts)
        print(f"recorded the facts of {len(pages)} pages in {args.record}")
    status = 0
    if args.compare:
        status = 1 if compare(args.compare, pages, facts) else 0
    if args.baseline:
        with tempfile.TemporaryDirectory() as folder:
            paired_pass(pages, args.run_date, load_baseline(args.baseline.resolve(), Path(folder)))
    if args.profile or args.profile_out:
        print(profiled_pass(pages, args.run_date, args.top, args.profile_out))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
