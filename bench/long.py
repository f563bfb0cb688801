"""Whole-command time of `run`, with one worker and with two, against a bare pdfplumber pass.

Usage: python bench/long.py [--long PDF] [--short PDF] [--repeat N] [--short-repeat N]

The bare pass opens the PDF with pdfplumber and reads every page's chars, lines and rects,
closing each page after reading it: what any pdfplumber-based extraction must do at least.
Every command runs in a fresh interpreter, so imports count. The commands take turns, round
after round (each round in the reverse order of the one before), so that whatever else the
machine is doing falls on all of them alike; the report gives each one's median wall time,
its ratio to the bare pass's median, its time per page, its CPU time (user + system, all
its processes) and each run's wall time, for the short replica and for the long document
(bench/build_long.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pdfplumber

ROOT = Path(__file__).resolve().parent.parent
SHORT = ROOT / "tests" / "fixtures" / "085_03_02.replica.pdf"
LONG = ROOT / "build" / "bench" / "long.pdf"
# A few repeats of the long document's ~10 s commands; the short one's take ~1-2 s each.
LONG_REPEAT = 3
SHORT_REPEAT = 7

BARE_CODE = (
    "import sys, pdfplumber\n"
    "with pdfplumber.open(sys.argv[1]) as pdf:\n"
    "    for page in pdf.pages:\n"
    "        page.chars, page.lines, page.rects\n"
    "        page.close()\n"
)


@dataclass(frozen=True)
class Timing:
    """One command's run: wall-clock seconds and CPU seconds of its processes."""

    wall: float
    cpu: float


def _timed(command: list[str]) -> Timing:
    """Run a command to completion (raising if it fails) and return its timing."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


def has_jobs_option() -> bool:
    """True if `run --help` lists --jobs."""
    help_text = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--help"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return "--jobs" in help_text


def commands(pdf: Path, out: Path, jobs: bool) -> dict[str, list[str]]:
    """Given a PDF and an output folder, return the commands to time, by label."""
    run = [sys.executable, "-m", "pipeline", "-q", "run", "--pdf", str(pdf), "--out", str(out)]
    timed = {"bare pass": [sys.executable, "-c", BARE_CODE, str(pdf)]}
    if jobs:
        timed["run --jobs 1"] = [*run, "--jobs", "1"]
        timed["run --jobs 2"] = [*run, "--jobs", "2"]
    else:
        timed["run"] = run
    return timed


def measure(timed: dict[str, list[str]], repeat: int) -> dict[str, list[Timing]]:
    """Run every command `repeat` times, taking turns, and return their timings by label."""
    timings: dict[str, list[Timing]] = {label: [] for label in timed}
    order = list(timed)
    for round_ in range(repeat):
        for label in order if round_ % 2 == 0 else reversed(order):
            timings[label].append(_timed(timed[label]))
    return timings


def report(pdf: Path, pages: int, repeat: int, timings: dict[str, list[Timing]]) -> None:
    """Print each command's median wall time, ratio to the bare pass, time per page, CPU."""
    wall = {label: statistics.median(t.wall for t in runs) for label, runs in timings.items()}
    cpu = {label: statistics.median(t.cpu for t in runs) for label, runs in timings.items()}
    bare = wall["bare pass"]
    print(
        f"{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}: {pages} pages, "
        f"median of {repeat} runs"
    )
    print(f"  {'':14}{'wall (s)':>10}{'ratio':>8}{'ms/page':>9}{'cpu (s)':>9}  wall of each run")
    for label, runs in timings.items():
        each = " ".join(f"{t.wall:.2f}" for t in runs)
        print(
            f"  {label:14}{wall[label]:10.2f}{wall[label] / bare:8.2f}"
            f"{1000 * wall[label] / pages:9.1f}{cpu[label]:9.2f}  {each}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=Path, default=LONG)
    parser.add_argument("--short", type=Path, default=SHORT)
    parser.add_argument("--repeat", type=int, default=LONG_REPEAT, help="runs on the long PDF")
    parser.add_argument("--short-repeat", type=int, default=SHORT_REPEAT)
    args = parser.parse_args()
    if not args.long.exists():
        sys.exit(f"{args.long} is missing: build it with `make build/bench/long.pdf`")
    jobs = has_jobs_option()
    print(
        f"{date.today()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pdfplumber {pdfplumber.__version__}"
    )
    if not jobs:
        print("`run --help` lists no --jobs: `run` is timed as it is, and --jobs 2 not at all")
    with tempfile.TemporaryDirectory() as tmp:
        warm_up = commands(args.short, Path(tmp), jobs)
        measure(warm_up, 1)  # the file cache and the bytecode caches, for every command alike
        for pdf, repeat in ((args.short, args.short_repeat), (args.long, args.repeat)):
            with pdfplumber.open(pdf) as document:
                pages = len(document.pages)
            report(pdf, pages, repeat, measure(commands(pdf, Path(tmp), jobs), repeat))


if __name__ == "__main__":
    main()
