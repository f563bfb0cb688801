"""Time `make test`'s command against the suite as it was at an earlier commit, side by side.

    python bench/suite.py [--baseline COMMIT] [--repeat N]

The baseline commit is checked out into build/suite-baseline (a git worktree) and its suite
is run the way its Makefile ran it then (`pytest -q`, one process), importing that commit's
own `pipeline/`. The current suite runs as `make test` runs it (`pytest -q -n auto`). The two
alternate, N times each, and the script prints each time, the medians and their ratio. Run it
on a quiet machine: both suites use every core they are given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The commit at which `make test` ran the 229 tests the mutation-testing work started from.
BASELINE = "bc31c0d"
WORKTREE = ROOT / "build" / "suite-baseline"


def _worktree(commit: str) -> Path:
    if not WORKTREE.exists():
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
        subprocess.run(
            ["git", "worktree", "add", "--force", "--detach", str(WORKTREE), commit],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    subprocess.run(["git", "checkout", "--quiet", "--detach", commit], cwd=WORKTREE, check=True)
    return WORKTREE


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} in {cwd} failed:\n{done.stdout[-2000:]}")
    print(f"  {done.stdout.strip().splitlines()[-1]}  ({elapsed:.1f} s)", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="the earlier commit")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each suite")
    args = parser.parse_args()
    pytest = str(Path(sys.executable).with_name("pytest"))
    base = _worktree(args.baseline)
    base_env = {**os.environ, "PYTHONPATH": str(base)}
    times: dict[str, list[float]] = {"baseline": [], "current": []}
    for _ in range(args.repeat):
        print(f"baseline ({args.baseline}, pytest -q):", flush=True)
        times["baseline"].append(_timed([pytest, "-q", "-p", "no:cacheprovider"], base, base_env))
        print("current (make test: pytest -q -n auto):", flush=True)
        times["current"].append(
            _timed([pytest, "-q", "-n", "auto", "-p", "no:cacheprovider"], ROOT, dict(os.environ))
        )
    baseline, current = (statistics.median(times[k]) for k in ("baseline", "current"))
    print(f"median: baseline {baseline:.1f} s, current {current:.1f} s: {current / baseline:.2f}x")


if __name__ == "__main__":
    main()
