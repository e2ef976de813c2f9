"""The import direction between packages, as each package's `__init__` docstring states it,
and the size rule: a long module says why it is one module.

Read from the source with `ast` (every `import`, also those inside functions), so a break fails
here before it becomes a cycle or a pure core that suddenly needs the network.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Package -> the project packages it may import besides itself. A module belongs to the
# longest package prefix listed; `flows` and `flows.demo` are entry points and may import all.
ALLOWED: dict[str, set[str]] = {
    "extractors": {"extractors"},  # top level (records, page_observation): the whole core
    "extractors.records": set(),
    "extractors.urls": set(),
    "extractors.text": set(),
    "extractors.dates": {"extractors.text", "extractors.records"},
    "extractors.facts": {"extractors.text", "extractors.dates", "extractors.records"},
    "extractors.health": {"extractors.text", "extractors.urls", "extractors.records"},
    "extractors.catalog": {"extractors.urls", "extractors.records"},
    "extractors.verdicts": {"extractors.text", "extractors.records"},
    "extractors.relocation": {
        "extractors.text",
        "extractors.facts",
        "extractors.health",
        "extractors.records",
    },
    "flows": {"flows", "extractors"},
    "flows.fetch": {"extractors"},
    "flows.dataset": {"extractors"},
    "flows.report": {"extractors", "flows.dataset"},
    "flows.shards": {"extractors", "flows.fetch", "flows.dataset"},
    "flows.archive": {"extractors", "flows.fetch"},
    "flows.relocation": {"extractors", "flows.fetch", "flows.archive"},
    "flows.demo": {"flows", "extractors"},
    "flows.desk": {"flows", "extractors"},
}
# Third-party packages that would make the pure core a shell.
SHELL_LIBRARIES = {"httpx", "httpcore", "prefect", "anyio", "asyncio", "socket", "h11"}
# A module longer than this states in its docstring, in a paragraph that begins with
# SIZE_REASON_OPENING, why it is one module.
MAX_LINES_WITHOUT_REASON = 500
SIZE_REASON_OPENING = "Why one module:"


def owner(module: str) -> str:
    """The package in ALLOWED that `module` belongs to (longest dotted prefix)."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        candidate = ".".join(parts[:length])
        if candidate in ALLOWED:
            return candidate
    raise AssertionError(f"{module} belongs to no package in ALLOWED")


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement in the file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from flows.fetch import engine` imports the submodule flows.fetch.engine
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def source_files() -> list[Path]:
    return sorted(path for top in ("extractors", "flows") for path in (ROOT / top).rglob("*.py"))


def allowed(importer: str, imported: str) -> bool:
    home = owner(importer)
    if imported.split(".")[0] not in {"flows", "extractors"}:
        return True
    target = owner(imported)
    if target == home or target.startswith(home + "."):
        return True
    return any(target == rule or target.startswith(rule + ".") for rule in ALLOWED[home])


def test_every_source_file_belongs_to_a_package() -> None:
    for path in source_files():
        owner(module_name(path))


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_package_rules(path: Path) -> None:
    importer = module_name(path)
    broken = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for line, imported in imports_of(path)
        if not allowed(importer, imported)
    ]
    assert not broken, f"{owner(importer)} may import only {sorted(ALLOWED[owner(importer)])}: " + (
        "; ".join(broken)
    )


@pytest.mark.parametrize(
    "path", sorted((ROOT / "extractors").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_pure_core_never_touches_network_or_prefect(path: Path) -> None:
    shell = [
        f"line {line}: {imported}"
        for line, imported in imports_of(path)
        if imported.split(".")[0] in SHELL_LIBRARIES
    ]
    assert not shell, f"{path.relative_to(ROOT)} imports shell libraries: {shell}"


def test_the_rules_catch_a_forbidden_import() -> None:
    # The checker itself: these must be refused, or the tests above assert nothing.
    assert not allowed("extractors.dates.page_dates", "flows.fetch.engine")
    assert not allowed("flows.fetch.engine", "flows.report.render")
    assert not allowed("flows.report.view", "flows.fetch.engine")
    assert not allowed("flows.report.view", "flows.shards.check")
    assert not allowed("extractors.text.summary", "extractors.dates.grammar")
    assert allowed("flows.report.view", "extractors.verdicts.entry_verdicts")
    assert allowed("flows.harvest_flow", "flows.report.render")


def test_every_package_says_what_it_holds_and_may_import() -> None:
    for init in sorted(
        path for top in ("extractors", "flows") for path in (ROOT / top).rglob("__init__.py")
    ):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert len(doc.split()) >= 15, f"{init.relative_to(ROOT)}: say what the package holds"
        if init.parent.name not in {"extractors", "flows"}:
            assert "May import" in doc, f"{init.relative_to(ROOT)}: say what it may import"


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def says_why_one_module(docstring: str) -> bool:
    """Does a paragraph of the docstring begin with SIZE_REASON_OPENING?"""
    paragraphs = re.split(r"\n\s*\n", docstring)
    return any(paragraph.strip().startswith(SIZE_REASON_OPENING) for paragraph in paragraphs)


def module_docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), str(path))) or ""


def test_every_long_module_says_why_it_is_one_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} ({lines} lines)"
        for path in source_files()
        if (lines := line_count(path)) > MAX_LINES_WITHOUT_REASON
        and not says_why_one_module(module_docstring(path))
    ]
    assert not offenders, (
        f"over {MAX_LINES_WITHOUT_REASON} lines without a {SIZE_REASON_OPENING!r} paragraph in "
        "the module docstring (split the module, or say why it is one): " + "; ".join(offenders)
    )


def test_the_size_rule_reads_only_a_paragraph_that_begins_with_the_reason() -> None:
    # The checker itself: a mention inside a paragraph is not a reason.
    assert says_why_one_module("What it holds.\n\nWhy one module: one mapping.")
    assert says_why_one_module("What it holds.\n   \nWhy one module: one mapping,\nshared.")
    assert not says_why_one_module("What it holds. Why one module: not a paragraph of its own.")
    assert not says_why_one_module("")
