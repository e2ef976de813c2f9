"""The documentation keeps up with the code.

Every `linkpflege` subcommand and every long option of it, and every setting of
`flows.run_settings.Settings`, is named somewhere in docs/; every relative link in README.md,
docs/ and benchmarks/ points at a file that exists (and, for a Markdown target with `#anchor`,
at a heading that exists). The lists come from the parser and the settings record themselves,
so a new option or setting fails here until docs/operations.md describes it.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

from flows.cli import build_parser
from flows.run_settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LINKED_FILES = sorted(
    [ROOT / "README.md", *DOCS.rglob("*.md"), *(ROOT / "benchmarks").rglob("*.md")]
)
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = ("http://", "https://", "mailto:")


def docs_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(DOCS.rglob("*.md")))


def subcommands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(command path, its parser) for every subcommand, nested ones (`catalog import`) too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                path = (*prefix, name)
                yield path, subparser
                yield from subcommands(subparser, path)


def long_options(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }


def setting_names() -> list[str]:
    return [field.name for field in dataclasses.fields(Settings)]


def mentions(text: str, word: str) -> bool:
    """`word` stands alone in `text`: `--date` is not found inside `--data-dir`."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def prose_lines(path: Path) -> Iterator[str]:
    """The lines of a Markdown file outside fenced code blocks."""
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def github_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(path):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))  # a link: its text
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def relative_links(path: Path) -> Iterator[tuple[str, str]]:
    """(target path, anchor) of every link in the file that is neither external nor `#…` only."""
    for line in prose_lines(path):
        for target in LINK.findall(line):
            if target.startswith(EXTERNAL) or target.startswith("#"):
                continue
            file_part, _, anchor = target.partition("#")
            yield file_part, anchor


def test_the_lists_built_from_the_code_are_not_empty() -> None:
    commands = dict(subcommands(build_parser()))
    assert {("run",), ("serve",), ("check",), ("catalog", "import")} <= set(commands)
    assert "--data-dir" in long_options(commands[("run",)])
    assert "--no-progress" in long_options(commands[("run",)])
    assert {"data_dir", "per_host", "schedule_cron"} <= set(setting_names())
    assert sum(1 for path in LINKED_FILES for _ in relative_links(path)) > 10
    assert docs_text().strip()


def test_every_subcommand_is_documented() -> None:
    text = docs_text()
    missing = [
        "linkpflege " + " ".join(path)
        for path, _ in subcommands(build_parser())
        if not re.search(r"linkpflege\s+" + r"\s+".join(map(re.escape, path)) + r"(?![\w-])", text)
    ]
    assert not missing, f"subcommands not mentioned in docs/: {missing}"


def test_every_long_option_of_every_subcommand_is_documented() -> None:
    text = docs_text()
    missing = sorted(
        f"linkpflege {' '.join(path)} {option}"
        for path, subparser in subcommands(build_parser())
        for option in long_options(subparser)
        if not mentions(text, option)
    )
    assert not missing, f"options not in docs/ (add them to docs/operations.md): {missing}"


def test_every_setting_is_documented() -> None:
    text = docs_text()
    missing = [name for name in setting_names() if f"`{name}`" not in text]
    assert not missing, f"settings not named in docs/ (add them to docs/operations.md): {missing}"


def test_relative_links_point_at_existing_files() -> None:
    broken = [
        f"{path.relative_to(ROOT)}: {target}"
        for path in LINKED_FILES
        for target, _ in relative_links(path)
        if target and not (path.parent / target).exists()
    ]
    assert not broken, f"links to files that do not exist: {broken}"


def test_anchors_point_at_existing_headings() -> None:
    broken = []
    for path in LINKED_FILES:
        own = [
            (path, anchor)
            for line in prose_lines(path)
            for anchor in re.findall(r"\]\(#([^)\s]+)\)", line)
        ]
        others = [
            ((path.parent / target).resolve(), anchor)
            for target, anchor in relative_links(path)
            if anchor and target.endswith(".md")
        ]
        for target, anchor in own + others:
            if target.exists() and anchor not in github_anchors(target):
                broken.append(f"{path.relative_to(ROOT)}: {target.name}#{anchor}")
    assert not broken, f"links to headings that do not exist: {broken}"
