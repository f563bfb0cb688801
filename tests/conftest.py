"""Fixtures shared by the tests."""

from __future__ import annotations

import io
import os
import signal
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
    every module are not rerun for every survivor."""
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
    items[:] = kept


def _recorded_calls() -> set[str] | None:
    """mutmut's record of the functions the current test has called, while mutmut collects its
    stats (MUTANT_UNDER_TEST=stats); None otherwise."""
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return None
    from mutmut.state import state

    return state()._stats


_FIXTURE_CALLS: dict[pytest.FixtureDef[object], set[str]] = {}


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Iterator[object]:
    """While mutmut collects its stats, keep what a module- or session-scoped fixture calls as
    it is set up: mutmut would give those calls to the first test that uses the fixture only."""
    calls = _recorded_calls()
    if calls is None or fixturedef.scope == "function":
        return (yield)
    before = set(calls)
    calls.clear()
    try:
        return (yield)
    finally:
        _FIXTURE_CALLS[fixturedef] = set(calls)
        calls |= before


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """...and give them to every test that uses the fixture, so that a mutant of a function the
    fixture calls is judged by all of them (its run sets the fixture up anew, mutated)."""
    result = yield
    calls = _recorded_calls()
    if calls is not None and isinstance(item, pytest.Function):
        for name in item.fixturenames:
            for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
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
