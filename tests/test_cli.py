"""The command line: the stage commands one by one, help, and error lines."""

import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


def test_help_lists_every_stage():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1].split()
    for name in ("download", "extract", "repair", "normalize", "tables", "write", "check", "run"):
        assert name in commands


def test_stages_one_by_one_match_the_golden_files(tmp_path):
    build, out = tmp_path / "build", tmp_path / "out"
    runner = CliRunner()
    steps = [
        ["extract", "--pdf", str(FIXTURES / "variant_a.pdf"), "--out", str(build / "e.json")],
        ["repair", "--in", str(build / "e.json"), "--out", str(build / "r.json")],
        ["normalize", "--in", str(build / "r.json"), "--out", str(build / "n.json")],
        ["tables", "--in", str(build / "n.json"), "--out", str(build / "t.json")],
        ["write", "--in", str(build / "t.json"), "--out", str(out)],
        ["check", "--out", str(out), "--golden", str(FIXTURES / "golden" / "variant_a")],
    ]
    for step in steps:
        result = runner.invoke(cli, ["-q", *step])
        assert result.exit_code == 0, (step, result.output)
    extracted = json.loads((build / "e.json").read_text(encoding="utf-8"))
    first = extracted["rows"][0]
    assert first["page"] == 2 and len(first["bbox"]) == 4
    assert [line["text"] for line in first["cells"]["company"]["lines"]] == [
        "北海道電力",
        "ネットワーク",
    ]


def test_a_stage_without_its_input_says_which_file(tmp_path):
    missing = tmp_path / "nothing.json"
    result = CliRunner().invoke(cli, ["repair", "--in", str(missing), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert result.output == f"Error: {missing}: not found (run the previous stage first)\n"


def test_a_stage_given_the_wrong_kind_of_file_says_so(tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"rows": 3}', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["normalize", "--in", str(wrong), "--out", str(tmp_path / "n")]
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {wrong}: not a Repaired file (")


def test_out_naming_an_existing_file_is_one_error_line(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    pdf = FIXTURES / "085_03_02.replica.pdf"
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(pdf), "--out", str(not_a_dir)])
    assert result.exit_code == 1
    assert result.output == f"Error: {not_a_dir}: cannot write outputs (File exists)\n"
    assert not_a_dir.read_text(encoding="utf-8") == "x"
