"""What `extractors.health.link_health.classify` costs per page, and proof that a change keeps
its verdicts.

Corpora (built in memory, nothing is copied):
- `sim`: the answers `sim_web.py` serves (16 KiB pages, 404s, 301s, the home page), each
  with the host probe the link benchmark sees (an honest 404) and once with a 2xx probe
  whose text differs (so the fingerprint comparison runs).
- `eval`: the real pages of the htmldate and trafilatura gold sets (read from
  ../shared/eval, see SCORING.md), as 2xx answers without a probe, with an honest 404
  probe, with a 2xx probe of other text, and with a 2xx probe of their own text.
- `mutated` (equivalence only, timed too): real pages with error/parking phrases injected
  where a cheap test could be fooled (split by tags and entities, inside script, nav,
  quotes, noise boxes), and short synthetic error and parking pages.

    .venv/bin/python benchmarks/profile_classify.py                       # timings
    .venv/bin/python benchmarks/profile_classify.py --record /tmp/classify_before.json
    .venv/bin/python benchmarks/profile_classify.py --compare /tmp/classify_before.json
    .venv/bin/python benchmarks/profile_classify.py --profile --corpus eval

`--record` stores every verdict (health, detail) and every `fingerprint_text`; `--compare`
counts the cases whose verdict or fingerprint differs (and prints the first few).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import re
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sim_web import SimWebConfig, _Pages  # noqa: E402
from extractors.health.host_probe import (  # noqa: E402
    PROBE_PATH_PREFIX,
    fingerprint_text,
    page_echoes,
)
from extractors.health.link_health import classify  # noqa: E402
from extractors.health.page_text import page_text  # noqa: E402
from extractors.records import FetchResult, Hop, HostProbe  # noqa: E402
from extractors.text.decoding import decode_html  # noqa: E402
from extractors.text.html_tree import parse_html  # noqa: E402
from extractors.text.main_text_bound import main_text_bound  # noqa: E402

DEFAULT_EVAL_DIR = ROOT.parent / "shared" / "eval"
SIM_HOST = "http://127.0.0.2:8080"
SIM_PAGES = 600
_URL_IN_KEY = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class Case:
    """One answer to classify: a stable id, its corpus and the fetch result."""

    key: str
    corpus: str
    result: FetchResult
    variant: str = "all"


def _answer_bytes(parts: list[bytes]) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    """Status, headers and body of one pre-built sim_web answer."""
    head, _, rest = b"".join(parts).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = tuple(
        (name.strip(), value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:])
    )
    return status, headers, rest


def _probe(url: str, status: int, text: str = "") -> HostProbe:
    base = url.split("/", 3)
    probe_url = f"{base[0]}//{base[2]}{PROBE_PATH_PREFIX}0123456789abcdef"
    return HostProbe(url=probe_url, status=status, final_url=probe_url, text=text)


def sim_cases() -> Iterator[Case]:
    pages = _Pages(SimWebConfig())
    other = fingerprint_text(b"<title>Startseite</title><h1>Willkommen</h1>", "text/html")
    for number in range(SIM_PAGES):
        url = f"{SIM_HOST}/p/{number}"
        status, headers, body = _answer_bytes(pages.page(str(number)))
        for variant, probe in (
            ("probe404", _probe(url, 404)),
            ("probe200-other", _probe(url, 200, other)),
        ):
            yield Case(
                f"sim/p/{number}/{variant}",
                "sim",
                FetchResult(url, url, status, (), headers, body, probe=probe),
                variant,
            )
    for number in range(0, SIM_PAGES, 10):
        url = f"{SIM_HOST}/moved/{number}"
        final = f"{SIM_HOST}/p/{number}"
        _, headers, body = _answer_bytes(pages.page(str(number)))
        yield Case(
            f"sim/moved/{number}",
            "sim",
            FetchResult(url, final, 200, (Hop(url, 301),), headers, body, probe=_probe(url, 404)),
            "moved",
        )
        gone = f"{SIM_HOST}/gone/{number}"
        status, headers, body = _answer_bytes(pages.not_found)
        result = FetchResult(gone, gone, status, (), headers, body)
        yield Case(f"sim/gone/{number}", "sim", result, "gone")
    status, headers, body = _answer_bytes(pages.home)
    home = FetchResult(SIM_HOST + "/", SIM_HOST + "/", status, (), headers, body)
    yield Case("sim/home", "sim", home, "home")


def eval_pages(eval_dir: Path) -> Iterator[tuple[str, str, bytes]]:
    """(id, url, body) of every gold page, each set on its own (SCORING.md)."""
    sets = {
        "htmldate": ("eval_default.json", "eval_mediacloud_2020.json"),
        "trafilatura": ("evaldata.json",),
    }
    for name, gold_files in sets.items():
        seen: set[str] = set()
        for gold_file in gold_files:
            gold = json.loads((eval_dir / name / gold_file).read_text(encoding="utf-8"))
            for key, value in gold.items():
                file = value["file"]
                if file in seen:
                    continue
                seen.add(file)
                match = _URL_IN_KEY.search(key)
                url = match.group(0) if match else f"https://example.org/{file}"
                body = gzip.decompress((eval_dir / name / "pages" / f"{file}.gz").read_bytes())
                yield f"{name}/{file}", url, body


_HTML = (("Content-Type", "text/html"),)
_ERROR_FINGERPRINT = fingerprint_text(
    b"<title>Seite nicht gefunden</title><h1>404</h1><p>Die Seite existiert leider nicht.</p>",
    "text/html",
)


def eval_cases(eval_dir: Path) -> Iterator[Case]:
    for page_id, url, body in eval_pages(eval_dir):
        own = fingerprint_text(body, "text/html", echoes=page_echoes(url))
        variants = (
            ("noprobe", None),
            ("probe404", _probe(url, 404)),
            ("probe200-other", _probe(url, 200, _ERROR_FINGERPRINT)),
            ("probe200-own", _probe(url, 200, own)),
        )
        for variant, probe in variants:
            result = FetchResult(url, url, 200, (), _HTML, body, probe=probe)
            yield Case(f"{page_id}/{variant}", "eval", result, variant)


# Phrases that each heuristic looks for, and places where a cheap text test could miss them.
_INJECTED_PHRASES = (
    "Seite nicht gefunden",
    "Die Seite wurde leider nicht gefunden",
    "Fehler 404",
    "404 - Page not found",
    "Page not found",
    "The page you requested could not be found",
    "Die Seite ist leider nicht mehr verf&uuml;gbar",
    "Seite <b>nicht</b> gefunden",
    "Seite nicht <span class='cookie-hint'>x</span>gefunden",
    "Fehler<script>var a=1;</script> 404",
    "„Seite nicht gefunden“",
    "Diese Domain steht zum Verkauf",
    "Diese Domain steht <i>zum</i> Verkauf",
    "This domain is for sale",
    "Hier entsteht eine neue Internetpr&auml;senz",
    "<a href='https://sedo.com/search'>sedo</a>",
    "Error&nbsp;404",
    "Seite&#160;nicht gefunden",
    "existiert leider nicht mehr",
    "file not found",
    "nicht gefunden",
    "404",
    # Words of a phrase cut by markup or by a box the main text leaves out.
    "Seite nicht ge<span hidden> x </span>funden",
    "Fehler 40<span class='cookie'>x</span>4",
    "Seite nicht gef<b>un</b>den",
    "This dom<span style='display:none'>x</span>ain is for sale",
)
_PLACES = (
    ("title", rb"(<title[^>]*>)"),
    ("h1", rb"(<h1[^>]*>)"),
    ("body-start", rb"(<body[^>]*>)"),
    ("main", rb"(<(?:main|article)[^>]*>)"),
    ("p", rb"(<p[^>]*>)"),
    ("before-end", rb"()</body>"),
    ("nav", rb"(<nav[^>]*>)"),
    ("script", rb"(<script[^>]*>)"),
)
_SHORT_TEMPLATES = (
    "<!doctype html><html><head><title>{p}</title></head><body><p>Bitte Suche nutzen.</p></body>",
    "<html><head><title>Stadt X</title></head><body><main><h1>{p}</h1><p>Zur Startseite</p></main>",
    "<html><body><div id='content'><p>{p}</p><p>Wir bitten um Entschuldigung.</p></div></body>",
    "<title>Stadt – {p}</title><p>{p}. Bitte prüfen Sie die Adresse.</p>",
    "<html><body><nav>{p}</nav><main><h1>Sprachcafé</h1><p>{filler}</p></main></body></html>",
    "<html><body><main><h1>Hinweis</h1><p>{p}</p><p>{p}</p><p>{filler}</p></main></body></html>",
    "<html><head><title>{p}</title></head><body><div id=root></div></body></html>",
    "{p}",
)
_FILLER = "Die Stadt bietet Beratung für Zugewanderte an. " * 12


def mutated_cases(eval_dir: Path, every: int = 3) -> Iterator[Case]:
    count = 0
    for index, (page_id, url, body) in enumerate(eval_pages(eval_dir)):
        if index % every:
            continue
        phrase = _INJECTED_PHRASES[count % len(_INJECTED_PHRASES)]
        place, pattern = _PLACES[(count // len(_INJECTED_PHRASES)) % len(_PLACES)]
        count += 1
        mutated, found = re.subn(pattern, rb"\1" + phrase.encode(), body, count=1)
        if not found:
            continue
        result = FetchResult(url, url, 200, (), _HTML, mutated, probe=_probe(url, 404))
        yield Case(f"mutated/{page_id}/{place}", "mutated", result)
    url = "https://www.musterstadt.de/integration/sprachcafe"
    for t_index, template in enumerate(_SHORT_TEMPLATES):
        for p_index, phrase in enumerate(_INJECTED_PHRASES):
            body = template.format(p=phrase, filler=_FILLER).encode()
            for variant, probe in (
                ("probe404", _probe(url, 404)),
                ("probe200-own", _probe(url, 200, fingerprint_text(body, "text/html"))),
            ):
                result = FetchResult(url, url, 200, (), _HTML, body, probe=probe)
                yield Case(f"mutated/short/{t_index}/{p_index}/{variant}", "mutated", result)


def all_cases(corpora: list[str], eval_dir: Path) -> list[Case]:
    builders = {
        "sim": sim_cases,
        "eval": lambda: eval_cases(eval_dir),
        "mutated": lambda: mutated_cases(eval_dir),
    }
    return [case for name in corpora for case in builders[name]()]


# --------------------------------------------------------------------------- measuring


def verdict(case: Case) -> list[str | None]:
    health = classify(case.result)
    return [health.health.value, health.detail]


def time_cases(cases: list[Case], repeat: int) -> dict[str, list[float]]:
    """Best-of-`repeat` seconds per case, grouped by corpus and variant."""
    timings: dict[str, list[float]] = {}
    for case in cases:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            classify(case.result)
            best = min(best, time.perf_counter() - started)
        timings.setdefault(case.corpus, []).append(best)
        timings.setdefault(f"{case.corpus}:{case.variant}", []).append(best)
    return timings


def report_timings(timings: dict[str, list[float]]) -> None:
    print(f"{'group':34} {'pages':>6} {'median ms':>10} {'p95 ms':>8} {'total s':>8}")
    for group in sorted(timings):
        values = sorted(timings[group])
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(
            f"{group:34} {len(values):6d} {statistics.median(values) * 1e3:10.3f}"
            f" {p95 * 1e3:8.3f} {sum(values):8.3f}"
        )


def record(cases: list[Case]) -> dict[str, object]:
    verdicts = {case.key: verdict(case) for case in cases}
    fingerprints = {
        case.key: fingerprint_text(
            case.result.body,
            case.result.header("content-type"),
            echoes=page_echoes(case.result.url),
        )
        for case in cases
        if case.key.endswith(("probe404", "noprobe")) or case.corpus == "mutated"
    }
    return {"verdicts": verdicts, "fingerprints": fingerprints}


def compare(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> int:
    differences = 0
    for part in ("verdicts", "fingerprints"):
        old, new = before[part], after[part]
        keys = old.keys() & new.keys()
        changed = sorted(key for key in keys if old[key] != new[key])
        differences += len(changed) + len(old.keys() ^ new.keys())
        print(
            f"{part}: {len(keys)} compared, {len(changed)} different,"
            f" {len(old.keys() ^ new.keys())} only on one side"
        )
        for key in changed[:10]:
            print(f"  {key}: {str(old[key])[:160]!r} -> {str(new[key])[:160]!r}")
    counts: dict[str, int] = {}
    for health, _ in after["verdicts"].values():  # type: ignore[misc]
        counts[health] = counts.get(health, 0) + 1
    print("verdicts after:", dict(sorted(counts.items())))
    return differences


def check_bound(cases: list[Case]) -> int:
    """Every word of every main text must lie in its bound's text whenever the bound is exact
    (both as `text` and as `may_contain`, which answers ASCII words from folded bytes)."""
    bodies = {case.result.body: case.key for case in cases}
    exact = violations = 0
    for body, key in bodies.items():
        root = parse_html(decode_html(body, "text/html"))
        parts = page_text(body, "text/html")
        if root is None or parts is None:
            continue
        bound = main_text_bound(root)
        if not bound.exact_words:
            continue
        exact += 1
        missing = [
            word
            for word in parts.main_text.lower().split()
            if word not in bound.text or not bound.may_contain(word)
        ]
        if missing:
            violations += 1
            print(f"  {key}: {missing[:5]}")
    print(f"bound: {len(bodies)} bodies, {exact} with an exact bound, {violations} violations")
    return violations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument(
        "--corpus", action="append", choices=["sim", "eval", "mutated"], help="default: all"
    )
    parser.add_argument("--repeat", type=int, default=1, help="time each case N times, keep best")
    parser.add_argument("--record", type=Path, help="write verdicts and fingerprints as JSON")
    parser.add_argument("--compare", type=Path, help="compare with a --record file; 1 on change")
    parser.add_argument("--profile", action="store_true", help="cProfile top functions")
    parser.add_argument(
        "--check-bound", action="store_true", help="check main_text_bound against the main text"
    )
    args = parser.parse_args(argv)
    corpora = args.corpus or ["sim", "eval", "mutated"]
    cases = all_cases(corpora, args.eval_dir)
    print(
        f"{len(cases)} cases: "
        + ", ".join(f"{c} {sum(k.corpus == c for k in cases)}" for c in corpora)
    )
    if args.check_bound:
        return 1 if check_bound(cases) else 0
    if args.record or args.compare:
        recorded = record(cases)
        if args.record:
            args.record.write_text(json.dumps(recorded, ensure_ascii=False, indent=0))
            print(f"recorded {len(recorded['verdicts'])} verdicts to {args.record}")
        if args.compare:
            before = json.loads(args.compare.read_text(encoding="utf-8"))
            return 1 if compare(before, recorded) else 0
        return 0
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for case in cases:
            classify(case.result)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return 0
    for case in cases[:50]:  # warm up regex caches and imports
        classify(case.result)
    report_timings(time_cases(cases, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
