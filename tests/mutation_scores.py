"""Print the mutation score of each module of pipeline/ from mutmut's results in mutants/.

    python tests/mutation_scores.py [MUTANTS_DIR]

One markdown row per module: mutants, killed (a test failed, or the mutant ran past its time
limit), survived, no tests (no test of the module calls the mutated function), not run yet,
and killed / mutants run. `make mutate` prints it after its run; docs/testing.md gives, per
module, which survivors are equivalent.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
COLUMNS = ("mutants", "killed", "survived", "no tests", "not run")


def scores(mutants: Path) -> dict[str, collections.Counter[str]]:
    """Per module file (pipeline/x.py), the count of its mutants in each column."""
    table: dict[str, collections.Counter[str]] = {}
    for meta in sorted((mutants / "pipeline").glob("*.py.meta")):
        exit_codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts: collections.Counter[str] = collections.Counter(mutants=len(exit_codes))
        for code in exit_codes.values():
            status = status_by_exit_code[code]
            counts[
                "killed"
                if status in KILLED
                else "survived"
                if status == "survived"
                else "no tests"
                if status == "no tests"
                else "not run"
            ] += 1
        if exit_codes:
            table[f"pipeline/{meta.name.removesuffix('.meta')}"] = counts
    return table


def main(argv: list[str]) -> None:
    mutants = Path(argv[0] if argv else "mutants")
    print("| module | " + " | ".join(COLUMNS) + " | killed / run |")
    print("|---|" + "---|" * (len(COLUMNS) + 1))
    for module, counts in scores(mutants).items():
        run = counts["mutants"] - counts["not run"]
        share = f"{counts['killed'] / run:.1%}" if run else "-"
        cells = " | ".join(str(counts[column]) for column in COLUMNS)
        print(f"| `{module}` | {cells} | {share} |")


if __name__ == "__main__":
    main(sys.argv[1:])
