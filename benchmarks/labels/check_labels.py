"""Check the hand labels in ``public_sector_dates.csv`` against the stored pages.

For every row the page is read from the public gold sets in ``/work/shared/eval``
(``<set>/pages/<file>.gz``) and reduced to its visible text: ``head``, ``script``,
``style``, ``noscript``, ``template`` and comments are dropped, the remaining text is
joined with spaces, soft hyphens and zero-width characters are removed and runs of
whitespace collapse to one space. Then:

- rows of kind ``as_of`` or ``published``: the evidence quote must occur in that text
  and the labelled ``content_date`` must be written in the quote (``03.11.2015``,
  ``3.11.15``, ``3. November 2015``, ``2015-11-03`` ...);
- rows of kind ``none``: ``content_date`` must be empty, location ``none`` or
  ``metadata_only``;
- rows with a ``metadata_date``: the named metadata key must exist in the page and one
  of its values must parse to that calendar day (taken as written, no UTC shift).

The script never runs a date extractor; it only re-reads what the labeller wrote. It
prints the counts and exits 0 when all checks pass, 1 otherwise. Without
``/work/shared/eval`` it prints a notice and exits 0.

Usage: ``python benchmarks/labels/check_labels.py [--eval-dir DIR] [--csv FILE]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import re
import sys
import warnings
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup, Comment, UnicodeDammit, XMLParsedAsHTMLWarning

warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)

HERE = Path(__file__).resolve().parent
DEFAULT_CSV = HERE / "public_sector_dates.csv"
DEFAULT_EVAL = Path("/work/shared/eval")

COLUMNS = [
    "set",
    "file",
    "url",
    "host",
    "content_date",
    "kind",
    "location",
    "metadata_date",
    "metadata_key",
    "gold_published",
    "evidence",
    "note",
]
KINDS = {"as_of", "published", "none"}
LOCATIONS = {"main", "footer", "byline", "metadata_only", "none"}

MONTHS_DE = [
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
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DROP_TAGS = ["head", "script", "style", "noscript", "template"]
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


def normalise(text: str) -> str:
    """Remove soft hyphens and zero-width characters and collapse whitespace."""
    return re.sub(r"\s+", " ", text.translate(INVISIBLE)).strip()


def load_soup(raw: bytes) -> BeautifulSoup:
    """Decode the page bytes (charset detection as a browser would guess it) and parse."""
    markup = UnicodeDammit(raw, is_html=True).unicode_markup or raw.decode("utf-8", "replace")
    return BeautifulSoup(markup, "lxml")


def visible_text(soup: BeautifulSoup) -> str:
    """Visible text of a page in document order, whitespace-normalised."""
    body = BeautifulSoup(str(soup), "lxml")
    for tag in body(DROP_TAGS):
        tag.decompose()
    for comment in body.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    return normalise(body.get_text(" "))


def date_pattern(day: dt.date) -> re.Pattern[str]:
    """Regex matching the ways a German page writes ``day``."""
    d, m, y = day.day, day.month, day.year
    dd = rf"0?{d}"
    mm = rf"0?{m}"
    yy = rf"(?:{y}|{y % 100:02d})"
    month_de = MONTHS_DE[m - 1]
    month_alts = [re.escape(month_de), re.escape(month_de[:3]) + r"\.?"]
    if m == 3:
        month_alts.append("Maerz")
    months = "|".join(month_alts)
    forms = [
        rf"(?<!\d){dd}\.\s?{mm}\.\s?{yy}(?!\d)",
        rf"(?<!\d){dd}\.\s*(?:{months})\s+{y}(?!\d)",
        rf"{y}-{m:02d}-{d:02d}",
        rf"{MONTHS_EN[m - 1]}\s+{d}(?:st|nd|rd|th)?,?\s+{y}",
    ]
    return re.compile("|".join(forms), re.IGNORECASE)


def parse_meta_date(value: str) -> dt.date | None:
    """Calendar day of a metadata value, as written (no time-zone conversion)."""
    value = value.strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if match:
        return dt.date(*map(int, match.groups()))
    match = re.match(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value)
    if match:
        d, m, y = map(int, match.groups())
        return dt.date(y, m, d)
    # Java Date.toString(): "Mon Oct 11 14:57:21 CEST 2021"
    match = re.match(r"\w{3} (\w{3}) (\d{1,2}) [\d:]+ \w+ (\d{4})$", value)
    if match:
        month = [m[:3] for m in MONTHS_EN].index(match.group(1)) + 1
        return dt.date(int(match.group(3)), month, int(match.group(2)))
    return None


def metadata_values(soup: BeautifulSoup, key: str) -> list[str]:
    """Values of one metadata key.

    Key forms: ``meta[name=X]`` / ``meta[property=X]`` / ``meta[itemprop=X]`` /
    ``meta[http-equiv=X]``, ``json-ld:X``, ``itemprop=X`` (any element) and
    ``time[datetime]``.
    """
    found: list[str] = []
    match = re.fullmatch(r"meta\[([\w-]+)=([^\]]+)\]", key)
    if match:
        attr, name = match.groups()
        for tag in soup.find_all("meta"):
            if str(tag.get(attr, "")).lower() == name.lower() and tag.get("content"):
                found.append(str(tag["content"]))
        return found
    if key.startswith("json-ld:"):
        prop = key.split(":", 1)[1]
        for script in soup.find_all("script", type="application/ld+json"):
            text = script.string or script.get_text()
            found += re.findall(rf'"{re.escape(prop)}"\s*:\s*"([^"]*)"', text)
        return found
    if key.startswith("itemprop="):
        prop = key.split("=", 1)[1]
        for tag in soup.find_all(attrs={"itemprop": prop}):
            value = tag.get("content") or tag.get("datetime") or tag.get_text(strip=True)
            if value:
                found.append(str(value))
        return found
    if key == "time[datetime]":
        return [str(t["datetime"]) for t in soup.find_all("time") if t.get("datetime")]
    raise ValueError(f"unknown metadata key form: {key!r}")


def check_row(row: dict[str, str], eval_dir: Path) -> list[str]:
    """Return the problems found in one CSV row (empty list when it is fine)."""
    problems: list[str] = []
    page = eval_dir / row["set"] / "pages" / f"{row['file']}.gz"
    if not page.exists():
        return [f"page missing: {page}"]
    raw = gzip.decompress(page.read_bytes())
    soup = load_soup(raw)
    text = visible_text(soup)
    kind, location, evidence = row["kind"], row["location"], row["evidence"]
    if kind not in KINDS:
        problems.append(f"bad kind {kind!r}")
    if location not in LOCATIONS:
        problems.append(f"bad location {location!r}")
    if len(evidence) > 80 or "\n" in evidence:
        problems.append("evidence longer than 80 characters or multi-line")
    if kind in {"as_of", "published"}:
        if location in {"none", "metadata_only"}:
            problems.append(f"kind {kind} with location {location}")
        try:
            day = dt.date.fromisoformat(row["content_date"])
        except ValueError:
            return [*problems, f"bad content_date {row['content_date']!r}"]
        if normalise(evidence) not in text:
            problems.append(f"evidence not in visible text: {evidence!r}")
        if not date_pattern(day).search(evidence):
            problems.append(f"content_date {day} not written in evidence {evidence!r}")
    elif kind == "none":
        if row["content_date"]:
            problems.append("kind none but content_date set")
        if location not in {"none", "metadata_only"}:
            problems.append(f"kind none with location {location}")
        if (location == "metadata_only") != bool(row["metadata_date"]):
            problems.append("location metadata_only must go with a metadata_date")
    if row["metadata_date"] or row["metadata_key"]:
        try:
            meta_day = dt.date.fromisoformat(row["metadata_date"])
            values = metadata_values(soup, row["metadata_key"])
        except ValueError as exc:
            return [*problems, f"metadata: {exc}"]
        days = {parse_meta_date(v) for v in values}
        if meta_day not in days:
            problems.append(f"metadata {row['metadata_key']} has {values[:3]}, not {meta_day}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run all checks and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = parser.parse_args(argv)
    if not args.eval_dir.is_dir():
        print(f"{args.eval_dir} not found: the gold-set pages are not available here, skipped.")
        return 0
    with args.csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            print(f"unexpected columns: {reader.fieldnames}")
            return 1
        rows = list(reader)

    failures = 0
    seen: set[tuple[str, str]] = set()
    for row in rows:
        ident = (row["set"], row["file"])
        problems = check_row(row, args.eval_dir)
        if ident in seen:
            problems.append("duplicate page")
        seen.add(ident)
        for problem in problems:
            print(f"FAIL {row['set']}/{row['file']}: {problem}")
        failures += bool(problems)

    kinds = Counter(r["kind"] for r in rows)
    locations = Counter(r["location"] for r in rows)
    with_meta = sum(bool(r["metadata_date"]) for r in rows)
    summary = {
        "pages": len(rows),
        "kind": dict(sorted(kinds.items())),
        "location": dict(sorted(locations.items())),
        "metadata_date_present": with_meta,
        "metadata_but_no_visible_date": locations.get("metadata_only", 0),
        "as_of_in_footer": sum(r["kind"] == "as_of" and r["location"] == "footer" for r in rows),
        "rows_failing": failures,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    print("OK" if not failures else f"{failures} row(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
