"""tests/mutation_scores.py, the per-module table `make mutate` prints.

Rules pinned: a test failure (exit 1) and a time-out count as killed, exit 0 as survived,
"no tests" apart, a mutant without a result as not run; the share is killed over the mutants
run; a module without mutants is left out.
"""

from __future__ import annotations

import json

from mutation_scores import main, scores


def _meta(folder, name, exit_codes):
    (folder / "pipeline").mkdir(parents=True, exist_ok=True)
    meta = {"exit_code_by_key": exit_codes, "durations_by_key": {}}
    (folder / "pipeline" / f"{name}.meta").write_text(json.dumps(meta), encoding="utf-8")


def test_each_mutant_is_counted_by_its_result(tmp_path):
    _meta(tmp_path, "a.py", {"k1": 1, "k2": 36, "s": 0, "n": 33, "r": None})
    _meta(tmp_path, "empty.py", {})

    table = scores(tmp_path)

    assert list(table) == ["pipeline/a.py"]
    counts = table["pipeline/a.py"]
    assert [counts[c] for c in ("mutants", "killed", "survived", "no tests", "not run")] == [
        5,
        2,
        1,
        1,
        1,
    ]


def test_the_share_is_killed_over_the_mutants_run(tmp_path, capsys):
    _meta(tmp_path, "a.py", {"k": 1, "s": 0, "r": None})
    _meta(tmp_path, "b.py", {"r": None})

    main([str(tmp_path)])

    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| `pipeline/a.py` | 3 | 1 | 1 | 0 | 1 | 50.0% |"
    assert lines[3] == "| `pipeline/b.py` | 1 | 0 | 0 | 0 | 1 | - |"
