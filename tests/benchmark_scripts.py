"""Load a script of benchmarks/ as a module (benchmarks/ is not a package).

Import as `from benchmark_scripts import load_benchmark` (pyproject puts tests/ on the path).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_benchmark(script: str) -> ModuleType:
    """benchmarks/<script>.py as a module named `<script>_under_test`."""
    # As when run as a script: its folder on the path, for the sibling modules it imports.
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(
        f"{script}_under_test", BENCHMARKS / f"{script}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module
