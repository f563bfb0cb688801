"""pipeline/workers.py: the pool of forked processes that read page ranges and documents.

Rules pinned:
- a pool has the number of processes asked for, not one per core;
- its processes leave Ctrl-C (SIGINT) to the process that started them: they ignore it, so
  that only the main process reports the interruption and cleans up.
"""

from __future__ import annotations

import signal

from pipeline import workers


def test_a_pool_has_the_workers_asked_for_not_one_per_core():
    with workers.pool(1) as pool:
        assert pool._processes == 1  # multiprocessing's own count (no public accessor)


def test_the_workers_initializer_ignores_ctrl_c():
    previous = signal.getsignal(signal.SIGINT)
    try:
        workers._ignore_interrupts()  # here, in the test process, where a mutant is seen
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_pool_worker_leaves_ctrl_c_to_the_process_that_started_it():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with workers.pool(1) as pool:
            handler = pool.apply_async(signal.getsignal, (signal.SIGINT,)).get(timeout=30)
        assert handler == signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # kept here
    finally:
        signal.signal(signal.SIGINT, previous)
