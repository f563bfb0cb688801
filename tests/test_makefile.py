"""The Makefile knows what each output depends on.

Rules pinned:
- every module a stage's command imports (transitively, from pipeline/cli.py's module-level
  imports and the stage's own module) and every data file those modules read is a
  prerequisite of the outputs: `make -n -W FILE` after an edit of it rebuilds output/;
- a file no stage reads (download, report, inspect, …) rebuilds nothing;
- an edit rebuilds from the first stage that reads it: companies.csv reruns normalize,
  tables and write, but not extract.

The expected sets are derived from the imports, not listed by hand, so a new import that the
Makefile does not know fails here.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pipeline"
# The command of each stage, in pipeline order, and the module it runs.
STAGES = {
    "extract": "extract",
    "repair": "repair",
    "normalize": "normalize",
    "tables": "tables",
    "write": "write",
}
# The files make builds along the way, oldest first; everything else is a source.
BUILT = [
    "raw/085_03_02.pdf",
    "build/extracted.json",
    "build/repaired.json",
    "build/normalized.json",
    "build/tables.json",
    "output/disclosures.parquet",
    "output/disclosures.csv",
]
DATA_FILE = re.compile(r"data/[\w.]+")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _imports(module: str, *, top_level_only: bool = False) -> set[str]:
    """The pipeline modules a module imports (inside functions too, unless top_level_only)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            if node.module == "pipeline":
                found |= {a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists()}
                found.add("__init__")
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("pipeline.")}
    return found


def _closure(start: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        # The CLI imports each command's stage only when that command runs.
        todo += _imports(module, top_level_only=module == "cli")
    return seen


def _reads(modules: set[str]) -> set[str]:
    """The package's modules as files, plus every data file their source names."""
    files = {f"pipeline/{m}.py" for m in modules}
    for module in modules:
        tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
        files |= {
            f"pipeline/{node.value}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and DATA_FILE.fullmatch(node.value)
        }
    return {f for f in files if (ROOT / f).exists()}


@functools.cache
def _stage_inputs() -> dict[str, set[str]]:
    """Per stage, the package files its command reads."""
    cli = _closure({"__main__", "__init__"})
    return {stage: _reads(cli | _closure({module})) for stage, module in STAGES.items()}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the Makefile among empty sources, every built file newer than them all."""
    root = tmp_path_factory.mktemp("make")
    shutil.copy(ROOT / "Makefile", root / "Makefile")
    sources = [p.relative_to(ROOT) for p in PACKAGE.rglob("*") if p.is_file()]
    sources += [Path("pyproject.toml"), *(p.relative_to(ROOT) for p in ROOT.glob("*.lock"))]
    for i, path in enumerate([*sources, Path(".venv/.installed-stamp"), *map(Path, BUILT)]):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
        os.utime(target, (1_000_000 + i, 1_000_000 + i))
    return root


def _rebuilt(tree: Path, edited: str) -> list[str]:
    """The stages `make run` would rerun after an edit of one file."""
    shown = subprocess.run(
        ["make", "-n", "-W", edited, "output/disclosures.parquet"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [stage for stage in STAGES if f"-m pipeline {stage} " in shown]


def test_nothing_is_rebuilt_when_nothing_changed(tree):
    assert _rebuilt(tree, "README.md") == []


def _package_files() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


@pytest.mark.parametrize("edited", _package_files())
def test_an_edit_reruns_every_stage_that_reads_the_file_and_those_after(tree, edited):
    inputs = _stage_inputs()
    readers = [stage for stage in STAGES if edited in inputs[stage]]
    expected = list(STAGES)[list(STAGES).index(readers[0]) :] if readers else []
    assert _rebuilt(tree, edited) == expected


def test_companies_csv_reruns_normalize_not_extract(tree):
    assert _rebuilt(tree, "pipeline/data/companies.csv") == ["normalize", "tables", "write"]
