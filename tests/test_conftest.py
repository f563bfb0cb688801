"""`make mutate`'s narrowing (tests/conftest.py, pyproject.toml's [tool.mutmut] and
[tool.pipeline.mutation-tests]).

Rules pinned:
- a mutant is judged by the test files listed for its module, or else tests/test_<module>.py,
  for a function's mutant (`pipeline.m.x_f__mutmut_1`) and a method's (`pipeline.m.xǁCǁf__…`);
- a name that is not a mutant's (mutmut's stats run) narrows nothing;
- every module of pipeline/ that mutmut mutates has judging files, and every one exists;
- mutmut's test selection is exactly the union of the judging files, so that every judging
  test is run for the stats and no other test slows them;
- while mutmut collects its stats, what a module- or session-scoped fixture calls as it is set
  up is recorded for every test that uses the fixture, directly or through another fixture,
  and for no other test; a function-scoped fixture's calls stay its test's; outside the stats
  run nothing is recorded;
- the stats run also records each test's cost: its call and the set-up of every fixture it
  uses (a shared fixture's for each of its tests, another test's fixture for none), added to
  the costs of an earlier stats run (a test run again gets its new cost); no other run
  records any;
- a mutant's tests run file by file in the files' order, each file's cheapest test first, a
  test without a recorded cost last, ties in their order; without the costs file the order
  is the collection's; a run that is no mutant's is not reordered.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import COSTS_NAME, mutant_tests

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
        ("pipeline.limits.xǁWatchǁcheck_clock__mutmut_12", ["tests/test_limits.py"]),
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


# A small suite run through tests/conftest.py's hooks, with a stand-in for mutmut's collector:
# like mutmut's, it gives each test the calls recorded up to its teardown, then clears them.
SUITE = """
import pytest
from mutmut.state import state


@pytest.fixture(scope="module")
def shared():
    state()._stats.add("shared")


@pytest.fixture(scope="session")
def session_wide():
    state()._stats.add("session_wide")


@pytest.fixture
def through(shared):
    state()._stats.add("through")


@pytest.fixture(scope="module")
def fetched_late():
    state()._stats.add("fetched_late")


@pytest.fixture
def own():
    state()._stats.add("own")


@pytest.fixture
def late(request):
    state()._stats.add("late")
    request.getfixturevalue("fetched_late")


def test_first(shared, own):
    state()._stats.add("first")


def test_second(shared):
    pass


def test_through_another_fixture(through):
    pass


def test_session_wide(session_wide):
    pass


def test_session_wide_again(session_wide):
    pass


def test_late(late):
    pass


def test_late_again(fetched_late):
    pass


def test_without_the_fixtures():
    pass
"""


class _Collector:
    def __init__(self) -> None:
        self.calls: dict[str, set[str]] = {}

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        from mutmut.state import state

        self.calls[item.name] = set(state()._stats)
        state()._stats.clear()


def _recorded(pytester: pytest.Pytester, mutant: str | None) -> dict[str, set[str]]:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_suite=SUITE)
    collector = _Collector()
    with pytest.MonkeyPatch.context() as patch:
        if mutant is None:
            patch.delenv("MUTANT_UNDER_TEST", raising=False)
        else:
            patch.setenv("MUTANT_UNDER_TEST", mutant)
        run = pytester.inline_run(
            "-p", "no:cacheprovider", "--disable-plugin-autoload", plugins=[collector]
        )
    run.assertoutcome(passed=8)
    return collector.calls


def test_a_shared_fixtures_calls_are_recorded_for_every_test_that_uses_it(pytester):
    assert _recorded(pytester, "stats") == {
        "test_first": {"shared", "own", "first"},
        "test_second": {"shared"},
        "test_through_another_fixture": {"shared", "through"},
        "test_session_wide": {"session_wide"},
        "test_session_wide_again": {"session_wide"},
        "test_late": {"late", "fetched_late"},
        "test_late_again": {"fetched_late"},
        "test_without_the_fixtures": set(),
    }


@pytest.mark.parametrize("mutant", [None, "pipeline.text.x_tidy__mutmut_3"])
def test_outside_the_stats_run_a_shared_fixtures_calls_stay_where_they_were_made(pytester, mutant):
    assert _recorded(pytester, mutant) == {
        "test_first": {"shared", "own", "first"},
        "test_second": set(),
        "test_through_another_fixture": {"through"},
        "test_session_wide": {"session_wide"},
        "test_session_wide_again": set(),
        "test_late": {"late", "fetched_late"},
        "test_late_again": set(),
        "test_without_the_fixtures": set(),
    }


# A suite whose costs are known from its sleeps: a shared fixture, a test's own, a slow call.
TIMED_SUITE = """
import time
import pytest


@pytest.fixture(scope="module")
def shared():
    time.sleep(0.3)


@pytest.fixture
def own():
    time.sleep(0.15)


def test_slow_call():
    time.sleep(0.3)


def test_shared(shared):
    pass


def test_shared_again(shared):
    pass


def test_own(own):
    pass


def test_plain():
    pass
"""


def _costs_after(pytester: pytest.Pytester, mutant: str | None) -> dict[str, float] | None:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_timed=TIMED_SUITE)
    with pytest.MonkeyPatch.context() as patch:
        if mutant is None:
            patch.delenv("MUTANT_UNDER_TEST", raising=False)
        else:
            patch.setenv("MUTANT_UNDER_TEST", mutant)
        pytester.inline_run("-p", "no:cacheprovider", "--disable-plugin-autoload").assertoutcome(
            passed=5
        )
    path = pytester.path / COSTS_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def test_the_stats_run_records_each_tests_call_and_the_set_up_of_its_fixtures(pytester):
    costs = _costs_after(pytester, "stats")
    assert costs is not None
    assert sorted(costs) == [
        f"test_timed.py::{name}"
        for name in ["test_own", "test_plain", "test_shared", "test_shared_again", "test_slow_call"]
    ]
    cost = {key.split("::")[1]: value for key, value in costs.items()}
    # Each bound lies halfway to what a wrong sum would give (a set-up counted twice, or
    # another test's fixture counted), so a loaded machine's delays do not cross it.
    assert 0.3 <= cost["test_slow_call"] < 0.6
    assert 0.3 <= cost["test_shared"] < 0.6
    assert 0.3 <= cost["test_shared_again"] < 0.6  # the shared fixture's set-up counts for each
    assert 0.15 <= cost["test_own"] < 0.45  # its own fixture only, not the shared one
    assert cost["test_plain"] < 0.15


def test_the_stats_run_adds_its_costs_to_those_of_an_earlier_one(pytester):
    earlier = {"test_other.py::test_kept": 7.0, "test_timed.py::test_plain": 9.0}
    (pytester.path / COSTS_NAME).write_text(json.dumps(earlier), encoding="utf-8")
    costs = _costs_after(pytester, "stats")
    assert costs is not None
    assert costs["test_other.py::test_kept"] == 7.0
    assert costs["test_timed.py::test_plain"] < 0.15
    assert len(costs) == 6


@pytest.mark.parametrize("mutant", [None, "pipeline.text.x_tidy__mutmut_3", "fail"])
def test_no_run_but_the_stats_run_records_costs(pytester, mutant):
    assert _costs_after(pytester, mutant) is None


ORDER_FILE = """
def test_{0}_first():
    pass


def test_{0}_second():
    pass


def test_{0}_third():
    pass


def test_{0}_fourth():
    pass
"""


def _run_order(pytester: pytest.Pytester, mutant: str, costs: dict[str, float] | None) -> list[str]:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyprojecttoml(
        '[tool.pipeline.mutation-tests]\n"pipeline/m.py" = ["test_b.py", "test_a.py"]\n'
    )
    pytester.makepyfile(test_b=ORDER_FILE.format("b"), test_a=ORDER_FILE.format("a"))
    if costs is not None:
        (pytester.path / COSTS_NAME).write_text(json.dumps(costs), encoding="utf-8")
    started: list[str] = []

    class Order:
        def pytest_runtest_logstart(self, nodeid: str) -> None:
            started.append(nodeid.split("::")[1])

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUTANT_UNDER_TEST", mutant)
        pytester.inline_run(
            "-p",
            "no:cacheprovider",
            "--disable-plugin-autoload",
            "test_b.py",
            "test_a.py",
            plugins=[Order()],
        ).assertoutcome(passed=8)
    return started


COSTS = {
    "test_b.py::test_b_first": 3.0,
    "test_b.py::test_b_second": 0.5,
    "test_b.py::test_b_fourth": 0.5,  # the same cost as second: their order stays
    "test_a.py::test_a_first": 2.0,
    "test_a.py::test_a_second": 0.01,
    "test_a.py::test_a_third": 1.0,
    "test_a.py::test_a_fourth": 0.02,
}


def test_a_mutants_tests_run_file_by_file_each_files_cheapest_first(pytester):
    assert _run_order(pytester, "pipeline.m.x_f__mutmut_1", COSTS) == [
        "test_b_second",
        "test_b_fourth",
        "test_b_first",
        "test_b_third",  # no recorded cost: last of its file
        "test_a_second",
        "test_a_fourth",
        "test_a_third",
        "test_a_first",
    ]


@pytest.mark.parametrize(
    ("mutant", "costs"), [("pipeline.m.x_f__mutmut_1", None), ("stats", COSTS), ("fail", COSTS)]
)
def test_without_costs_or_a_mutant_the_order_is_the_collections(pytester, mutant, costs):
    assert _run_order(pytester, mutant, costs) == [
        f"test_{f}_{n}" for f in "ba" for n in ["first", "second", "third", "fourth"]
    ]
