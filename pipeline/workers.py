"""Worker processes, shared by the stages and commands that read in parallel."""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.pool import Pool


def pool(workers: int) -> Pool:
    """Return a pool of `workers` processes forked from this one (they start with every
    module it has imported), which leave Ctrl-C to this process: it stops the pool."""
    return multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
