"""`make mutate`'s narrowing (tests/conftest.py, pyproject.toml's [tool.mutmut] and
[tool.pipeline.mutation-tests]).

Rules pinned:
- a mutant is judged by the test files listed for its module, or else tests/test_<module>.py,
  for a function's mutant (`pipeline.m.x_f__mutmut_1`) and a method's (`pipeline.m.xǁCǁf__…`);
- a name that is not a mutant's (mutmut's stats run) narrows nothing;
- every module of pipeline/ that mutmut mutates has judging files, and every one exists;
- mutmut's test selection is exactly the union of the judging files, so that every judging
  test is run for the stats and no other test slows them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import mutant_tests

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
TABLE = CONFIG["pipeline"]["mutation-tests"]
MUTATED = sorted(
    str(path.relative_to(ROOT))
    for path in (ROOT / "pipeline").glob("*.py")
    if str(path.relative_to(ROOT)) not in CONFIG["mutmut"]["do_not_mutate"]
)


@pytest.mark.parametrize(
    ("mutant", "files"),
    [
        ("pipeline.text.x_tidy__mutmut_3", ["tests/test_text.py"]),
        ("pipeline.limits.xǁWatchǁtick__mutmut_12", ["tests/test_limits.py"]),
        ("pipeline.ruling.x_rules__mutmut_1", ["tests/test_ruling.py", "tests/test_parity.py"]),
        ("stats", None),
        ("", None),
    ],
)
def test_a_mutant_is_judged_by_its_modules_files_or_its_test_file(mutant, files):
    table = {"pipeline/ruling.py": ["tests/test_ruling.py", "tests/test_parity.py"]}
    assert mutant_tests(mutant, table) == files


@pytest.mark.parametrize("module", MUTATED)
def test_every_mutated_module_has_judging_test_files_that_exist(module):
    files = mutant_tests(module.removesuffix(".py").replace("/", ".") + ".x_f__mutmut_1", TABLE)
    assert files
    for name in files:
        assert (ROOT / name).is_file(), name


def test_the_selection_is_the_union_of_the_judging_files():
    judging = {
        name
        for module in MUTATED
        for name in mutant_tests(module[:-3].replace("/", ".") + ".x_f__mutmut_1", TABLE) or []
    }
    assert sorted(CONFIG["mutmut"]["pytest_add_cli_args_test_selection"]) == sorted(judging)
