"""Fixtures shared by the tests."""

from __future__ import annotations

import io
import json
import math
import os
import signal
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

pytest_plugins = ["pytester"]  # tests/test_conftest.py runs small suites through these hooks


def pytest_sessionstart(session: pytest.Session) -> None:
    """Give the tests Python's own Ctrl-C handler even when the suite was started with SIGINT
    ignored (a shell's background job, nohup), which Python would otherwise keep: the tests of
    Ctrl-C and of workers that leave it to the main process need it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # mutmut runs each mutant's tests in a process forked from one that has drawn bars.
    fresh_progress_lock()


def fresh_progress_lock() -> None:
    """Give this process a progress-bar lock of its own. tqdm's write lock holds a
    multiprocessing lock, made by the first bar and shared with every process forked after
    it: one of them killed while it draws (a forked run stopped at its time bound, a mutant's
    run at mutmut's) would leave it taken, and every bar of the others would wait for ever."""
    import multiprocessing

    import tqdm
    from tqdm.std import TqdmDefaultWriteLock

    TqdmDefaultWriteLock.mp_lock = multiprocessing.RLock()
    tqdm.tqdm.set_lock(TqdmDefaultWriteLock())


# --- Mutation testing: a mutant is judged by its own module's tests ---------------------------


def mutant_tests(mutant: str, table: dict[str, list[str]]) -> list[str] | None:
    """The test files that judge `mutant` (mutmut's name for it, `pipeline.extract.x_f__mutmut_3`),
    from pyproject's [tool.pipeline.mutation-tests]: the files listed for its module, or else
    `tests/test_<module>.py`. None if the name is not a mutant's (mutmut's stats run)."""
    if "__mutmut_" not in mutant:
        return None
    module = mutant.rsplit(".", 1)[0]
    source = module.replace(".", "/") + ".py"
    return table.get(source, [f"tests/test_{module.rsplit('.', 1)[-1]}.py"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `make mutate`, keep only the mutated module's own tests (docs/testing.md): a
    mutant that no unit test of its module notices survives, and whole runs that pass through
    every module are not rerun for every survivor. Run them cheapest first (below)."""
    pyproject = config.rootpath / "pyproject.toml"
    if "MUTANT_UNDER_TEST" not in os.environ or not pyproject.is_file():
        return
    table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    files = mutant_tests(
        os.environ["MUTANT_UNDER_TEST"],
        table.get("tool", {}).get("pipeline", {}).get("mutation-tests", {}),
    )
    if files is None:
        return
    wanted = {(config.rootpath / name).resolve() for name in files}
    kept = [item for item in items if Path(item.path).resolve() in wanted]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = cheapest_first(kept, read_costs(config.rootpath / COSTS_NAME))


# --- Mutation testing: the cheapest tests first -----------------------------------------------

# What each test cost in mutmut's stats run, beside its stats in mutants/.
COSTS_NAME = ".test-costs.json"


def read_costs(path: Path) -> dict[str, float]:
    """The costs recorded in path by test id; none if there is no such file."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}


def cheapest_first(items: list[pytest.Item], costs: dict[str, float]) -> list[pytest.Item]:
    """Each file's tests, the files in their order, the cheapest test of a file first (a test
    without a recorded cost last). A mutant's run stops at its first failing test (-x), so a
    mutant that a quick test kills is not held up by the slow tests before it; a file's tests
    stay together, so its module-scoped fixtures are still set up once."""
    first_seen = {path: index for index, path in reversed(list(enumerate(i.path for i in items)))}
    return sorted(items, key=lambda i: (first_seen[i.path], costs.get(i.nodeid, math.inf)))


_FIXTURE_SECONDS: dict[pytest.FixtureDef[object], float] = {}
_COSTS: dict[str, float] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """While mutmut collects its stats, record what each test costs when it runs first: its
    call and the setting up of every fixture it uses, at whatever scope."""
    if not _in_stats_run() or not isinstance(item, pytest.Function):
        return (yield)
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        _COSTS[item.nodeid] = (
            time.perf_counter()
            - started
            + sum(_FIXTURE_SECONDS.get(fixturedef, 0.0) for fixturedef in _fixturedefs(item))
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """...and keep them beside mutmut's stats, added to those of an earlier stats run."""
    if not _in_stats_run() or not _COSTS:
        return
    path = session.config.rootpath / COSTS_NAME
    path.write_text(json.dumps(read_costs(path) | _COSTS, indent=0), encoding="utf-8")


def _in_stats_run() -> bool:
    """Whether mutmut is collecting its stats (MUTANT_UNDER_TEST=stats)."""
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def _fixturedefs(item: pytest.Function) -> set[pytest.FixtureDef[object]]:
    """Every fixture definition the test uses, directly or through another fixture."""
    return {
        fixturedef
        for name in item.fixturenames
        for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ())
    }


def _recorded_calls() -> set[str] | None:
    """mutmut's record of the functions the current test has called, while mutmut collects its
    stats; None otherwise."""
    if not _in_stats_run():
        return None
    from mutmut.state import state

    return state()._stats


_FIXTURE_CALLS: dict[pytest.FixtureDef[object], set[str]] = {}


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Iterator[object]:
    """While mutmut collects its stats, keep what a module- or session-scoped fixture calls as
    it is set up: mutmut would give those calls to the first test that uses the fixture only.
    Keep also how long each fixture, at any scope, took to set up (for the costs below)."""
    calls = _recorded_calls()
    if calls is None:
        return (yield)
    shared = fixturedef.scope != "function"
    before = set(calls)
    if shared:
        calls.clear()
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        _FIXTURE_SECONDS[fixturedef] = time.perf_counter() - started
        if shared:
            _FIXTURE_CALLS[fixturedef] = set(calls)
            calls |= before


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """...and give them to every test that uses the fixture, so that a mutant of a function the
    fixture calls is judged by all of them (its run sets the fixture up anew, mutated)."""
    result = yield
    calls = _recorded_calls()
    if calls is not None and isinstance(item, pytest.Function):
        for fixturedef in _fixturedefs(item):
            calls |= _FIXTURE_CALLS.get(fixturedef, set())
    return result


# --- Download: small real PDFs and a local HTTP server on 127.0.0.1 ---------------------------


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """Bind pytest-httpserver to 127.0.0.1 (any free port), so its URLs name that host."""
    return ("127.0.0.1", 0)


@pytest.fixture(scope="session")
def make_pdf() -> Callable[[str], bytes]:
    """Return a function from a line of text to the bytes of a one-page PDF showing it."""

    def _make_pdf(text: str) -> bytes:
        buffer = io.BytesIO()
        # invariant=1 leaves out timestamps and random ids: the same text gives the same bytes.
        page = canvas.Canvas(buffer, invariant=1)
        page.drawString(72, 720, text)
        page.showPage()
        page.save()
        return buffer.getvalue()

    return _make_pdf
