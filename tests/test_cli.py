"""The command line: the stage commands one by one, help, error lines, the run's summary
line, and Ctrl-C."""

import hashlib
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
REPLICA = FIXTURES / "085_03_02.replica.pdf"
REPLICA_SHA256 = hashlib.sha256(REPLICA.read_bytes()).hexdigest()
URL = "https://www.emsc.meti.go.jp/activity/emsc_system/pdf/085_03_02.pdf"


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


def test_a_stage_without_its_input_says_which_file_and_what_to_run(tmp_path):
    missing = tmp_path / "nothing.json"
    result = CliRunner().invoke(cli, ["repair", "--in", str(missing), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {missing}: not found "
        f"(run the previous stage first: python -m pipeline extract --out {missing})\n"
    )


def test_a_stage_given_the_wrong_kind_of_file_says_what_does_not_fit(tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"rows": 3}', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["normalize", "--in", str(wrong), "--out", str(tmp_path / "n")]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {wrong}: not a Repaired file: 2 problems, the first at source: Field required;"
        f" run `python -m pipeline repair --out {wrong}` again\n"
    )


def test_a_truncated_stage_file_says_where_the_json_breaks(tmp_path):
    extracted = tmp_path / "extracted.json"
    result = CliRunner().invoke(cli, ["extract", "--pdf", str(REPLICA), "--out", str(extracted)])
    assert result.exit_code == 0, result.output
    lines = extracted.read_text(encoding="utf-8").splitlines(keepends=True)
    extracted.write_text("".join(lines[:3]), encoding="utf-8")  # cut inside "source"
    result = CliRunner().invoke(cli, ["repair", "--in", str(extracted), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {extracted}: not an Extraction file: invalid JSON at line 4, column 0"
        f" (EOF while parsing a value); run `python -m pipeline extract --out {extracted}`"
        " again\n"
    )


def test_out_naming_an_existing_file_is_one_error_line(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    pdf = FIXTURES / "085_03_02.replica.pdf"
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(pdf), "--out", str(not_a_dir)])
    assert result.exit_code == 1
    assert result.output == f"Error: {not_a_dir}: cannot write outputs (File exists)\n"
    assert not_a_dir.read_text(encoding="utf-8") == "x"


# --- The run's summary line, and where the PDF came from ------------------------------------------


def _summary(out: Path, source: str) -> str:
    return (
        f"Wrote 4 tables to {out}: disclosures 43 rows, incidents 25 rows,"
        f" disclosure_incidents 60 rows, documents 1 row; source: {source}"
    )


def test_a_run_ends_with_one_line_saying_what_it_wrote_and_from_what(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", "--pdf", str(REPLICA), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == _summary(
        out, f"local file 085_03_02.replica.pdf, sha256 {REPLICA_SHA256}"
    )
    validation = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert list(validation)[:7] == [
        "document",
        "provenance",
        "source",
        "sha256",
        "source_kind",
        "source_url",
        "fetched_at",
    ]
    assert validation["provenance"] == (
        f"local file 085_03_02.replica.pdf, sha256 {REPLICA_SHA256}"
    )
    assert (validation["source_kind"], validation["source_url"], validation["fetched_at"]) == (
        "local file",
        None,
        None,
    )


def test_quiet_leaves_the_summary_line_out(tmp_path):
    result = CliRunner().invoke(
        cli, ["-q", "run", "--pdf", str(REPLICA), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""


def _with_manifest(folder: Path, source: str, sha256: str = REPLICA_SHA256) -> Path:
    """Copy the replica into folder with a manifest as download writes it; return the PDF."""
    folder.mkdir()
    pdf = folder / "085_03_02.pdf"
    shutil.copyfile(REPLICA, pdf)
    manifest = {
        "url": URL,
        "final_url": URL,
        "sha256": sha256,
        "size": pdf.stat().st_size,
        "fetched_at": "2025-06-01T09:30:00+00:00",
        "content_type": "application/pdf",
        "source": source,
        "history": [],
    }
    pdf.with_suffix(".manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return pdf


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        ("network", f"downloaded from {URL} at 2025-06-01T09:30:00+00:00"),
        (
            "replica",
            "the bundled REPLICA, copied at 2025-06-01T09:30:00+00:00,"
            f" not the published document at {URL}",
        ),
    ],
)
def test_the_download_manifest_says_where_the_pdf_came_from(tmp_path, kind, source):
    pdf = _with_manifest(tmp_path / "raw", kind)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", "--pdf", str(pdf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    provenance = f"{source}, sha256 {REPLICA_SHA256}"
    assert result.stderr.splitlines()[-1] == _summary(out, provenance)
    validation = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert validation["provenance"] == provenance
    assert (validation["source_kind"], validation["source_url"], validation["fetched_at"]) == (
        kind,
        URL,
        "2025-06-01T09:30:00+00:00",
    )


def test_a_manifest_about_other_bytes_is_not_believed(tmp_path, caplog):
    pdf = _with_manifest(tmp_path / "raw", "network", sha256="0" * 64)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", "--pdf", str(pdf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"describes other bytes than {pdf}" in caplog.text
    assert result.stderr.splitlines()[-1] == _summary(
        out, f"local file 085_03_02.pdf, sha256 {REPLICA_SHA256}"
    )


# --- Ctrl-C -----------------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """What an output folder holds after a run on variant_a (old) and on the replica (new)."""
    folder = tmp_path_factory.mktemp("runs")
    found = {}
    for name, pdf in (("old", FIXTURES / "variant_a.pdf"), ("new", REPLICA)):
        result = CliRunner().invoke(
            cli, ["-q", "run", "--pdf", str(pdf), "--out", str(folder / name)]
        )
        assert result.exit_code == 0, result.output
        found[name] = _snapshot(folder / name)
    return found


def _old_outputs(runs: dict[str, dict[str, bytes]], out: Path) -> Path:
    out.mkdir()
    for name, data in runs["old"].items():
        (out / name).write_bytes(data)
    return out


def test_ctrl_c_before_the_outputs_are_replaced_leaves_them(runs, tmp_path, monkeypatch):
    def interrupted(repaired):
        raise KeyboardInterrupt

    monkeypatch.setattr("pipeline.normalize.normalize", interrupted)
    out = _old_outputs(runs, tmp_path / "out")
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(REPLICA), "--out", str(out)])
    assert result.exit_code == 130
    assert result.output == "Error: interrupted; outputs unchanged\n"
    assert _snapshot(out) == runs["old"]


def test_ctrl_c_while_the_outputs_are_replaced_waits_until_all_are_new(runs, tmp_path, monkeypatch):
    from pipeline import write as write_module

    real_write = write_module.write

    def interrupted_write(tables, out_dir):
        signal.raise_signal(signal.SIGINT)  # Ctrl-C just as the files start to be replaced
        return real_write(tables, out_dir)

    monkeypatch.setattr(write_module, "write", interrupted_write)
    out = _old_outputs(runs, tmp_path / "out")
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(REPLICA), "--out", str(out)])
    assert result.exit_code == 130
    assert result.output == "Error: interrupted; new outputs complete\n"
    assert _snapshot(out) == runs["new"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_ctrl_c_after_the_outputs_are_replaced_says_they_are_new(runs, tmp_path, monkeypatch):
    def interrupted(out_dir, golden, document=None):
        raise KeyboardInterrupt

    monkeypatch.setattr("pipeline.check.check", interrupted)
    out = _old_outputs(runs, tmp_path / "out")
    golden = FIXTURES / "golden" / "085_03_02"
    args = ["-q", "run", "--pdf", str(REPLICA), "--out", str(out), "--golden", str(golden)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 130
    assert result.output == "Error: interrupted; new outputs complete\n"
    outputs = _snapshot(out)
    assert json.loads(outputs.pop("changes.json"))["added"]  # what the new outputs changed
    assert outputs == runs["new"]


def test_ctrl_c_on_the_real_command(runs, tmp_path):
    """SIGINT to `python -m pipeline run` once it has started: exit 130, one line, and the
    folder all old or all new, as the line says."""
    out = _old_outputs(runs, tmp_path / "out")
    command = [sys.executable, "-m", "pipeline", "run", "--pdf", str(REPLICA), "--out", str(out)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    try:
        first = process.stderr.readline()  # the run's first progress line: it has started
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert first.startswith("INFO pipeline.cli: run: "), first
    assert process.returncode == 130, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [stderr.splitlines()[-1]]
    if errors == ["Error: interrupted; outputs unchanged"]:
        assert _snapshot(out) == runs["old"]
    else:
        assert errors == ["Error: interrupted; new outputs complete"]
        assert _snapshot(out) == runs["new"]
