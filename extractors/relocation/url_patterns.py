"""URL rewrite rules learnt from a provider's moved links, applied to a link that broke.

A site relaunch moves pages by rule: `/aktuelles/2016/x.html` became `/presse/x` for every x.
When one link of a host is known to have moved (old → new, e.g. from a permanent redirect),
the same rule proposes where another link of that host went. Rules are kept simple and exact:
the last path segment's name (its "slug", without `.html`, `.php` …) must be the same on both
sides; what may change is the directory before it, the file ending and a trailing slash. A
year directory (`/2016/`) is a wildcard, so a rule learnt from a 2016 page applies to a 2017
page, and is carried over when the new directory keeps it. Queries are not rewritten.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_YEAR = re.compile(r"(?:19|20)\d\d")
_SUFFIX = re.compile(r"\.(?:html?|php\d?|aspx?|jsp|cfm|shtml)$", re.IGNORECASE)
# Stands for any year segment in a rule's directories.
YEAR_WILDCARD = "{jahr}"


@dataclass(frozen=True, slots=True)
class RewriteRule:
    """`scheme://host/<old_dir>/<slug><old_suffix>` → `…/<new_dir>/<slug><new_suffix>[/]`."""

    host: str
    old_dir: tuple[str, ...]
    old_suffix: str
    new_scheme: str
    new_host: str
    new_dir: tuple[str, ...]
    new_suffix: str
    new_trailing_slash: bool


@dataclass(frozen=True, slots=True)
class _PathParts:
    scheme: str
    host: str
    directory: tuple[str, ...]
    slug: str
    suffix: str
    trailing_slash: bool


def _parts(url: str) -> _PathParts | None:
    try:
        split = urlsplit(url)
    except ValueError:
        return None
    if split.scheme not in {"http", "https"} or not split.netloc or split.query:
        return None
    segments = [segment for segment in split.path.split("/") if segment]
    if not segments:
        return None
    last = segments[-1]
    match = _SUFFIX.search(last)
    suffix = match.group(0) if match else ""
    slug = last[: len(last) - len(suffix)]
    if not slug:
        return None
    return _PathParts(
        scheme=split.scheme,
        host=_bare_host(split.netloc),
        directory=tuple(segments[:-1]),
        slug=slug,
        suffix=suffix,
        trailing_slash=split.path.endswith("/"),
    )


def _bare_host(netloc: str) -> str:
    host = netloc.lower()
    return host[4:] if host.startswith("www.") else host


def learn_rewrite_rules(moves: Iterable[tuple[str, str]]) -> list[RewriteRule]:
    """Rules from (old URL, new URL) pairs of one provider, most often seen first.

    A pair teaches a rule only when both URLs are on the same site (www. aside) and end in the
    same slug; a renamed page teaches nothing (its new name cannot be guessed for others).
    """
    seen: Counter[RewriteRule] = Counter()
    for old_url, new_url in moves:
        old, new = _parts(old_url), _parts(new_url)
        if old is None or new is None or old.host != new.host or old.slug != new.slug:
            continue
        if (old.directory, old.suffix) == (new.directory, new.suffix):
            continue  # only a slash or the scheme changed: nothing to learn for other pages
        years = {segment for segment in old.directory if _YEAR.fullmatch(segment)}
        rule = RewriteRule(
            host=old.host,
            old_dir=tuple(_wild_year(segment, years) for segment in old.directory),
            old_suffix=old.suffix.lower(),
            new_scheme=new.scheme,
            new_host=urlsplit(new_url).netloc,
            new_dir=tuple(_wild_year(segment, years) for segment in new.directory),
            new_suffix=new.suffix,
            new_trailing_slash=new.trailing_slash,
        )
        seen[rule] += 1
    return [rule for rule, _ in seen.most_common()]


def _wild_year(segment: str, years: set[str]) -> str:
    return YEAR_WILDCARD if segment in years else segment


def apply_rewrite_rules(rules: Iterable[RewriteRule], broken_url: str) -> list[str]:
    """Where `broken_url` would be under each rule that fits it; rule order, no repeats."""
    broken = _parts(broken_url)
    if broken is None:
        return []
    found: list[str] = []
    for rule in rules:
        year = _matched_year(rule, broken)
        if rule.host != broken.host or year is None or rule.old_suffix != broken.suffix.lower():
            continue
        directory = [year if segment == YEAR_WILDCARD else segment for segment in rule.new_dir]
        path = "/" + "/".join([*directory, broken.slug + rule.new_suffix])
        if rule.new_trailing_slash:
            path += "/"
        candidate = urlunsplit((rule.new_scheme, rule.new_host, path, "", ""))
        if candidate != broken_url:
            found.append(candidate)
    return list(dict.fromkeys(found))


def _matched_year(rule: RewriteRule, broken: _PathParts) -> str | None:
    """The year the rule's wildcard stands for ("" without one), or None when it does not fit."""
    if len(rule.old_dir) != len(broken.directory):
        return None
    year = ""
    for pattern, segment in zip(rule.old_dir, broken.directory, strict=True):
        if pattern == YEAR_WILDCARD and _YEAR.fullmatch(segment):
            year = segment
        elif pattern != segment:
            return None
    return year


def pattern_candidates(moves: Iterable[tuple[str, str]], broken_url: str) -> list[str]:
    """Candidates for `broken_url` from the provider's other moves (its own move left out)."""
    others = [(old, new) for old, new in moves if old != broken_url]
    return apply_rewrite_rules(learn_rewrite_rules(others), broken_url)
