"""Run `python -m pipeline ARGS` in a forked copy of the test process.

The child is a process of its own, as with `subprocess.run`: its own file descriptors 1 and 2
(files, or a terminal given as `stderr`), its own exit status, signals and a time bound. What
it skips is importing the pipeline again (pandas, pyarrow, pandera, pdfplumber: about 1.3 s a
run). The child starts from a fresh root logger, as a new interpreter would, and an exception
that escapes the command line prints its traceback on fd 2 and exits 1, as Python does.

A few tests still run the real `python -m pipeline` (tests/test_errors.py, tests/test_cli.py):
the entry point itself is pinned there.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from conftest import fresh_progress_lock

import pipeline.check  # noqa: F401 - imported once here, not in every child
import pipeline.extract  # noqa: F401
import pipeline.normalize  # noqa: F401
import pipeline.repair  # noqa: F401
import pipeline.tables  # noqa: F401
import pipeline.write  # noqa: F401
from pipeline.cli import main

POLL_SECONDS = 0.005


def run(
    args: Sequence[str],
    *,
    timeout: float,
    stderr: int | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the command line with `args` in a forked child; return what it printed and its exit
    status. `stderr` is a file descriptor to give the child as fd 2 (a terminal, say) instead
    of a file read back. Raise subprocess.TimeoutExpired (after killing the child) if it runs
    longer than `timeout` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            _child(list(args), out.fileno(), err.fileno() if stderr is None else stderr, cwd)
        status = _wait(pid, timeout, list(args))
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(
            ["python", "-m", "pipeline", *args],
            os.waitstatus_to_exitcode(status),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def _child(args: list[str], out: int, err: int, cwd: Path | None) -> None:
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        fresh_progress_lock()
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        logging.root.handlers.clear()
        logging.root.setLevel(logging.WARNING)
        if cwd is not None:
            os.chdir(cwd)
        sys.argv = ["pipeline", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        except BaseException:
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _wait(pid: int, timeout: float, args: list[str]) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise subprocess.TimeoutExpired(["python", "-m", "pipeline", *args], timeout)
        time.sleep(POLL_SECONDS)
