"""The command line: the stage commands one by one, help, error lines, the run's summary
line, and Ctrl-C.

Rules covered:
- every stage is a command; the stages one by one give the golden outputs;
- a PipelineError is one `Error: …` line and exit 1, with --debug it goes through with its
  traceback; any other exception is one `Error: internal error: TYPE: message (rerun with
  --debug for details)` line, with --debug it goes through; Ctrl-C is exit 130 and one line
  saying whether the outputs are old or new, with --debug after its traceback;
  `main` calls the program `python -m pipeline`;
- a stage file is JSON indented by one, read back as the record it was; a missing, unreadable
  (a folder), truncated or wrongly shaped one names the file, what is wrong (1 problem or N
  problems, the first at its dotted place or "the top level"; invalid JSON at line and
  column, or as pydantic says it when it gives no place), "a" or "an" and its kind, and the
  command that writes it;
- the PDFs a run reads: ordered by file name, a folder gives its *.pdf files, one named twice
  is read once; an empty folder and two PDFs of one file name are errors naming them; the
  default jobs are the cores this process may run on (without affinity: the CPU count, or 1);
- `download` fetches source.toml's URL unless --url is given, from its allowed hosts only,
  passes --timeout and --max-bytes on, falls back to the replica unless --no-replica, and
  keeps a cached copy unless --force;
- documents are read here when there is one or jobs is 1, else by worker processes (and no
  progress bar thread runs in this process meanwhile), and come back in the order given; a
  failure is the document's Failure (stem, path, error) with --keep-going and fails the run
  without; extract's progress reaches the callback, and the bar counts the pages of every
  document so far; on a terminal the bar counts pages and clears itself at the end; none
  with -q or before PROGRESS_DELAY;
- the download manifest beside a PDF gives its URL, kind (network when it names none) and
  fetch time; no manifest, one about other bytes, one that is not a JSON object, or not JSON
  at all: a local file;
- the last line says what was written where and from which source (one document: its
  provenance; several: each one's name and provenance); -q leaves it out;
- changes.json: written (JSON, UTF-8, indented by one) after a write that changed the
  disclosures, with one line on stderr unless -q; nothing when nothing changed or on a first
  write; a previous table diff cannot read, or a changes.json that cannot be written, is a
  warning naming the folder's file, and the write stands; the previous table is read before
  the write, and is None when missing or unreadable.
"""

import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tqdm
from click.testing import CliRunner
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError
from tqdm._monitor import TMonitor

from pipeline.cli import (
    _advance,
    _cores,
    _first_problem,
    _inputs,
    _load,
    _origin,
    _previous_disclosures,
    _read_document,
    _read_documents,
    _record_changes,
    _summary,
    cli,
    main,
)
from pipeline.errors import ExtractError, PipelineError
from pipeline.records import (
    Extraction,
    Failure,
    Normalized,
    Origin,
    Repaired,
    Source,
    Tables,
    dump,
    load,
)
from pipeline.schema import DISCLOSURES, CorpusValidationJson, ValidationJson, arrow_schema

FIXTURES = Path(__file__).parent / "fixtures"
REPLICA = FIXTURES / "085_03_02.replica.pdf"
REPLICA_SHA256 = hashlib.sha256(REPLICA.read_bytes()).hexdigest()
OLD_PDF = FIXTURES / "diff" / "old.pdf"  # 13 rows on 4 pages, read in about 0.2 s
URL = "https://www.emsc.meti.go.jp/activity/emsc_system/pdf/085_03_02.pdf"
NO_TABLE = (
    "no table with the header 事業者名 | 公表日 | 掲載箇所 | タイトル、リンク"
    " | 補足（主な掲載内容・事案） found on any page"
)


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


def test_a_folder_where_an_output_file_goes_is_one_error_line_and_the_others_stay(tmp_path):
    pdf = FIXTURES / "085_03_02.replica.pdf"
    out = tmp_path / "out"
    (out / "disclosures.parquet" / "inside").mkdir(parents=True)
    (out / "disclosures.csv").write_text("earlier", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(pdf), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {out / 'disclosures.parquet'}: cannot write output (Is a directory)\n"
    )
    assert (out / "disclosures.csv").read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in out.iterdir()) == ["disclosures.csv", "disclosures.parquet"]


# --- The run's summary line, and where the PDF came from ------------------------------------------


def _summary_line(out: Path, source: str) -> str:
    return (
        f"Wrote 4 tables to {out}: disclosures 43 rows, incidents 25 rows,"
        f" disclosure_incidents 60 rows, documents 1 row; source: {source}"
    )


def test_a_run_ends_with_one_line_saying_what_it_wrote_and_from_what(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", "--pdf", str(REPLICA), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == _summary_line(
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


def _with_manifest(folder: Path, source: str, sha256: str = REPLICA_SHA256, url: str = URL) -> Path:
    """Copy the replica into folder with a manifest as download writes it; return the PDF."""
    folder.mkdir()
    pdf = folder / "085_03_02.pdf"
    shutil.copyfile(REPLICA, pdf)
    manifest = {
        "url": url,
        "final_url": url,
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
    assert result.stderr.splitlines()[-1] == _summary_line(out, provenance)
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
    assert result.stderr.splitlines()[-1] == _summary_line(
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


# --- Errors at the command line's edge ------------------------------------------------------------


def _extraction_file(path: Path) -> Path:
    """Write an extract stage file of no rows (an input `repair` loads), and return it."""
    source = Source(
        document="doc", path="raw/doc.pdf", sha256="0" * 64, page_count=1, cover=(), pages=()
    )
    dump(Extraction(source=source, rows=()), path)
    return path


def test_debug_lets_a_pipeline_error_through_instead_of_one_line(tmp_path):
    missing = tmp_path / "nothing.json"
    args = ["--debug", "repair", "--in", str(missing), "--out", str(tmp_path / "r.json")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert isinstance(result.exception, PipelineError)
    assert str(result.exception).startswith(f"{missing}: not found")
    assert "Error:" not in result.output


def test_an_unexpected_exception_is_one_internal_error_line_unless_debug(tmp_path, monkeypatch):
    def broken(extraction):
        raise ValueError("boom")

    monkeypatch.setattr("pipeline.repair.repair", broken)
    args = ["repair", "--in", str(_extraction_file(tmp_path / "e.json")), "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.output == (
        "Error: internal error: ValueError: boom (rerun with --debug for details)\n"
    )
    debug = CliRunner().invoke(cli, ["--debug", *args])
    assert debug.exit_code == 1
    assert isinstance(debug.exception, ValueError)
    assert "internal error" not in debug.output


def test_ctrl_c_shows_its_traceback_only_with_debug(tmp_path, monkeypatch):
    def interrupted(extraction):
        raise KeyboardInterrupt

    monkeypatch.setattr("pipeline.repair.repair", interrupted)
    args = ["repair", "--in", str(_extraction_file(tmp_path / "e.json")), "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.output) == (130, "Error: interrupted; outputs unchanged\n")
    debug = CliRunner().invoke(cli, ["--debug", *args]).output.splitlines()
    assert debug[0] == "Traceback (most recent call last):"
    assert debug[-2:] == ["KeyboardInterrupt", "Error: interrupted; outputs unchanged"]


def test_main_names_the_program_python_m_pipeline(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["meti-disclosures", "--help"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("Usage: python -m pipeline [OPTIONS] COMMAND")


# --- Stage files: written indented, read back, and what a bad one says -----------------------


@pytest.mark.filterwarnings("error")  # pydantic warns of a record it cannot serialize
def test_a_record_is_written_as_json_indented_by_one_and_read_back(tmp_path):
    origin = Origin(source_url="https://例.jp/a.pdf", source_kind="network")
    path = tmp_path / "origin.json"
    dump(origin, path)
    assert path.read_text(encoding="utf-8") == (
        '{\n "source_url": "https://例.jp/a.pdf",\n "source_kind": "network",\n'
        ' "fetched_at": null\n}'
    )
    assert load(Origin, path) == origin


@pytest.mark.parametrize(
    ("kind", "named", "command"),
    [
        (Extraction, "an Extraction", "extract"),
        (Repaired, "a Repaired", "repair"),
        (Normalized, "a Normalized", "normalize"),
        (Tables, "a Tables", "tables"),
    ],
)
def test_a_stage_file_of_the_wrong_shape_names_its_kind_and_the_command_that_writes_it(
    tmp_path, kind, named, command
):
    path = tmp_path / "stage.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(PipelineError) as error:
        _load(kind, path)
    assert str(error.value) == (
        f"{path}: not {named} file: 1 problem at the top level: Input should be an object;"
        f" run `python -m pipeline {command} --out {path}` again"
    )


def test_a_stage_file_that_cannot_be_read_says_why_and_what_to_run(tmp_path):
    with pytest.raises(PipelineError) as error:
        _load(Tables, tmp_path)  # a folder
    assert str(error.value) == (
        f"{tmp_path}: cannot read (Is a directory);"
        f" run `python -m pipeline tables --out {tmp_path}`"
    )


def _problem(raw: bytes) -> str:
    with pytest.raises(PydanticError) as error:
        TypeAdapter(Extraction).validate_json(raw)
    return _first_problem(error.value)


SOURCE_JSON = (
    '{"document": "d", "path": "p", "sha256": "s", "page_count": 1, "cover": [], "pages": []}'
)


def test_one_problem_is_named_with_its_dotted_place():
    assert _problem(f'{{"source": {SOURCE_JSON}, "rows": [1]}}'.encode()) == (
        "1 problem at rows.0: Input should be an object"
    )


def test_two_problems_are_counted_and_the_first_named():
    assert _problem(b'{"source": 1, "rows": [1]}') == (
        "2 problems, the first at source: Input should be an object"
    )


def test_broken_json_is_named_by_line_and_column():
    assert _problem(b'{"rows": [1]') == (
        "invalid JSON at line 1, column 12 (EOF while parsing an object)"
    )


def test_broken_json_without_a_place_is_named_as_pydantic_says_it():
    error = PydanticError.from_exception_data(
        "Extraction",
        [{"type": "json_invalid", "loc": (), "input": b"", "ctx": {"error": "no place"}}],
    )
    assert _first_problem(error) == "invalid JSON (no place)"


# --- The PDFs a run reads -------------------------------------------------------------------------


def test_inputs_are_ordered_by_file_name_and_a_folder_gives_its_pdfs(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    for name in ("b.pdf", "a.pdf", "notes.txt"):
        (folder / name).write_bytes(b"")
    last = tmp_path / "c.pdf"
    assert _inputs((last, folder)) == [folder / "a.pdf", folder / "b.pdf", last]


def test_one_pdf_named_twice_is_read_once(tmp_path):
    pdf = tmp_path / "a.pdf"
    assert _inputs((pdf, pdf)) == [pdf]


def test_a_folder_without_pdfs_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_bytes(b"")
    with pytest.raises(PipelineError) as error:
        _inputs((tmp_path,))
    assert str(error.value) == f"{tmp_path}: no *.pdf files in the folder"


def test_two_pdfs_of_one_file_name_are_an_error_naming_both(tmp_path):
    first, second = tmp_path / "x" / "doc.pdf", tmp_path / "y" / "doc.pdf"
    with pytest.raises(PipelineError) as error:
        _inputs((tmp_path / "other.pdf", first, second))
    assert str(error.value) == (
        "two inputs have the same file name, so their rows could not be told apart:"
        f" {first}, {second}"
    )


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs two cores to take one away",
)
def test_the_default_jobs_are_the_cores_this_process_may_run_on():
    allowed = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(allowed)})
        assert _cores() == 1
    finally:
        os.sched_setaffinity(0, allowed)
    assert _cores() == len(allowed)


@pytest.mark.parametrize(("count", "cores"), [(3, 3), (None, 1)])
def test_without_affinity_the_default_jobs_are_the_cpu_count_or_one(monkeypatch, count, cores):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # as on macOS and Windows
    monkeypatch.setattr(os, "cpu_count", lambda: count)
    assert _cores() == cores


# --- download: the options and data/source.toml passed on ------------------------------------


@pytest.fixture
def unreachable(monkeypatch) -> dict:
    """data/source.toml as it would read for a document on a port of 127.0.0.1 that nobody
    listens on (refused at once, so the download falls back to the replica)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = {
        "url": f"https://127.0.0.1:{port}/doc.pdf",
        "allowed_hosts": ["127.0.0.1"],
        "replica": REPLICA,
        "pdf": Path("raw/doc.pdf"),
        "golden": None,
    }
    monkeypatch.setattr("pipeline.cli._config", lambda: source)
    return source


def test_download_fetches_the_configured_url_and_falls_back_to_the_replica(unreachable, tmp_path):
    dest = tmp_path / "raw" / "doc.pdf"
    result = CliRunner().invoke(cli, ["download", "--to", str(dest)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{dest}\n"
    assert dest.read_bytes() == REPLICA.read_bytes()
    manifest = json.loads(dest.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    assert (manifest["url"], manifest["source"]) == (unreachable["url"], "replica")


def test_download_with_no_replica_fails_when_the_host_cannot_be_reached(unreachable, tmp_path):
    dest = tmp_path / "raw" / "doc.pdf"
    result = CliRunner().invoke(cli, ["download", "--to", str(dest), "--no-replica"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {unreachable['url']}: connection failed after 1")
    assert not dest.exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [("--timeout", "timeout must be more than 0, not 0.0"), ("--max-bytes", "max_bytes must")],
)
def test_download_passes_its_limits_on(unreachable, tmp_path, option, message):
    dest = tmp_path / "doc.pdf"
    result = CliRunner().invoke(cli, ["download", "--to", str(dest), option, "0"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {unreachable['url']}: {message}")


def test_download_checks_a_given_url_against_the_configured_hosts(unreachable, tmp_path):
    url = "https://example.org/doc.pdf"
    result = CliRunner().invoke(cli, ["download", "--url", url, "--to", str(tmp_path / "d.pdf")])
    assert result.exit_code == 1
    assert result.output == f"Error: {url}: host example.org is not allowed (allowed: 127.0.0.1)\n"


def test_download_keeps_a_cached_copy_unless_forced(unreachable, tmp_path):
    dest = _with_manifest(tmp_path / "raw", "network", url=unreachable["url"])
    cached = CliRunner().invoke(cli, ["download", "--to", str(dest)])
    assert (cached.exit_code, cached.stdout) == (0, f"{dest}\n")
    forced = CliRunner().invoke(cli, ["download", "--to", str(dest), "--force"])
    assert forced.exit_code == 1
    assert forced.output.endswith(f"; kept the earlier download at {dest}, not the replica\n")
    assert dest.read_bytes() == REPLICA.read_bytes()


# --- Reading the documents ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_table(tmp_path_factory, make_pdf) -> tuple[Path, Path]:
    """Two one-page PDFs without the table (extract fails on each at once)."""
    folder = tmp_path_factory.mktemp("no_table")
    pdfs = (folder / "blank_a.pdf", folder / "blank_b.pdf")
    for pdf in pdfs:
        pdf.write_bytes(make_pdf(f"no table in {pdf.stem}"))
    return pdfs


@pytest.mark.parametrize(("count", "jobs", "here"), [(1, 2, True), (2, 1, True), (2, 2, False)])
def test_several_documents_with_several_jobs_are_read_by_workers_and_others_here(
    no_table, tmp_path, monkeypatch, count, jobs, here
):
    from pipeline import extract as extract_module

    real_extract, log = extract_module.extract, tmp_path / "pids"
    monitors = []

    def extract(pdf, **options):
        with log.open("a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")  # which process reads the document
        monitors.extend(t for t in threading.enumerate() if isinstance(t, TMonitor))
        return real_extract(pdf, **options)

    monkeypatch.setattr(extract_module, "extract", extract)
    read = _read_documents(list(no_table[:count]), jobs, True, quiet=True)
    assert [r.document for r in read] == ["blank_a", "blank_b"][:count]
    pids = {int(pid) for pid in log.read_text(encoding="utf-8").split()}
    assert pids == {os.getpid()} if here else os.getpid() not in pids
    assert monitors == []  # no progress bar thread in a process that forks workers


def test_documents_read_side_by_side_come_back_in_order_failures_kept(no_table):
    read = _read_documents([no_table[0], OLD_PDF], 2, True, quiet=True)
    assert read[0] == Failure(
        document="blank_a", source=str(no_table[0]), error=f"{no_table[0]}: {NO_TABLE}"
    )
    assert isinstance(read[1], Normalized)
    assert (read[1].document.source.path, len(read[1].disclosures)) == (str(OLD_PDF), 13)


def test_documents_read_side_by_side_fail_on_the_first_failure_unless_keeping_going(no_table):
    with pytest.raises(ExtractError) as error:
        _read_documents(list(no_table), 2, False, quiet=True)
    assert str(error.value) == f"{no_table[0]}: {NO_TABLE}"


@pytest.mark.parametrize("jobs", [1, 2])
def test_one_document_that_fails_fails_the_run_unless_keeping_going(no_table, jobs):
    with pytest.raises(ExtractError):
        _read_documents([no_table[0]], jobs, False, quiet=True)
    [failure] = _read_documents([no_table[0]], jobs, True, quiet=True)
    assert failure == Failure(
        document="blank_a", source=str(no_table[0]), error=f"{no_table[0]}: {NO_TABLE}"
    )


def test_reading_a_document_reports_its_pages_to_the_progress_callback():
    calls = []
    read = _read_document(OLD_PDF, False, 1, lambda done, count: calls.append((done, count)))
    assert isinstance(read, Normalized)
    assert calls and calls[-1] == (4, 4)


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, where the progress bar shows."""

    def isatty(self) -> bool:
        return True


def _bar(monkeypatch, paths: list[Path], jobs: int, *, quiet: bool, delay: float) -> str:
    """Read paths with stderr a terminal and the bar's delay as given; return what it showed."""
    monkeypatch.setattr("pipeline.cli.PROGRESS_DELAY", delay)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    _read_documents(paths, jobs, True, quiet=quiet)
    return sys.stderr.getvalue()


def test_on_a_terminal_the_bar_counts_pages_then_clears_itself(monkeypatch):
    shown = _bar(monkeypatch, [OLD_PDF], 1, quiet=False, delay=0.0)
    # Drawn at once (no delay) before any page is read; later counts show at tqdm's own pace.
    assert shown.startswith("\r0page [00:00, ?page/s]"), shown
    assert shown.rsplit("\r", 2)[1].strip() == ""  # the last thing drawn is a blank line


def test_on_a_terminal_documents_read_side_by_side_advance_the_bar(monkeypatch, no_table):
    shown = _bar(monkeypatch, list(no_table), 2, quiet=False, delay=0.0)
    assert shown.startswith("\r0page [00:00, ?page/s]"), shown


@pytest.mark.parametrize(("quiet", "delay"), [(True, 0.0), (False, 2.0)])
def test_no_bar_when_quiet_or_before_its_delay(monkeypatch, quiet, delay):
    assert _bar(monkeypatch, [OLD_PDF], 1, quiet=quiet, delay=delay) == ""


def test_the_progress_bar_counts_the_pages_of_every_document_so_far():
    with tqdm.tqdm(file=io.StringIO(), disable=False) as bar:
        first = _advance(bar, warm=False)
        first(1, 3)
        assert (bar.n, bar.total) == (1, 3)
        first(3, 3)
        second = _advance(bar, warm=True)
        second(0, 4)
        assert (bar.n, bar.total) == (3, 7)
        second(4, 4)
        assert (bar.n, bar.total) == (7, 7)


# --- Where a PDF came from: its download manifest ------------------------------------------------

LOCAL = Origin(source_kind="local file")


@pytest.mark.parametrize(
    ("manifest", "origin"),
    [
        (
            {"sha256": "ab", "url": "u", "source": "replica", "fetched_at": "t"},
            Origin(source_url="u", source_kind="replica", fetched_at="t"),
        ),
        ({"sha256": "ab"}, Origin(source_kind="network")),  # older manifests: no source
        ({"sha256": "cd", "url": "u"}, LOCAL),  # about other bytes
        ({"url": "u"}, LOCAL),  # about no bytes
        (["ab"], LOCAL),  # not an object
        ("{", LOCAL),  # not JSON
    ],
)
def test_the_manifest_beside_a_pdf_says_where_it_came_from(tmp_path, manifest, origin):
    pdf = tmp_path / "doc.pdf"
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    (tmp_path / "doc.manifest.json").write_text(text, encoding="utf-8")
    assert _origin(pdf, "ab") == origin


def test_a_pdf_without_a_manifest_file_is_a_local_file(tmp_path):
    (tmp_path / "doc.manifest.json").mkdir()  # a folder of that name is no manifest
    assert _origin(tmp_path / "doc.pdf", "ab") == LOCAL
    assert _origin(tmp_path / "other.pdf", "ab") == LOCAL


# --- The run's summary line, for several documents ------------------------------------------------


def _validation(document: str, provenance: str) -> ValidationJson:
    return ValidationJson(
        document=document,
        provenance=provenance,
        source=f"raw/{document}.pdf",
        sha256="0" * 64,
        source_kind=None,
        source_url=None,
        fetched_at=None,
        document_date=dt.date(2023, 5, 22),
        rows=0,
        pages=[],
        unified_radicals=0,
        passed=True,
        errors=[],
        warnings=[],
    )


def test_the_summary_of_several_documents_names_each_with_its_source():
    documents = [_validation("a", "local file a.pdf"), _validation("b", "local file b.pdf")]
    built = Tables(
        disclosures=(),
        incidents=(),
        disclosure_incidents=(),
        documents=(),
        document=None,
        validation=CorpusValidationJson(passed=True, rows=0, documents=documents, failed=[]),
        findings=(),
    )
    assert _summary(built, Path("out")) == (
        "Wrote 4 tables to out: disclosures 0 rows, incidents 0 rows, disclosure_incidents"
        " 0 rows, documents 0 rows; source: 2 documents: a (local file a.pdf); b (local file"
        " b.pdf)"
    )


# --- changes.json: what a write changed in the disclosures ----------------------------------------

ROW = {
    "document": "doc",
    "page": 2,
    "row": 1,
    "company": "東北電力",
    "company_legal_name": None,
    "company_role": None,
    "company_group": None,
    "published": dt.date(2023, 1, 13),
    "published_raw": "1/13",
    "location": "プレスリリース",
    "title": "情報漏えいについて",
    "url": "https://www.tohoku-epco.co.jp/1.pdf",
    "url_confirmed": None,
    "summary": None,
}


def _parquet(*rows: dict) -> bytes:
    """Return the bytes of a disclosures.parquet holding rows."""
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(list(rows), schema=arrow_schema(DISCLOSURES)), sink)
    return sink.getvalue()


def _outputs(folder: Path, *rows: dict) -> Path:
    folder.mkdir()
    (folder / "disclosures.parquet").write_bytes(_parquet(*rows))
    return folder


def _record(out: Path, previous: bytes | None, *, quiet: bool = False) -> None:
    """Record the changes as the write and run commands do, inside the command's context."""
    with click.Context(cli, obj={"debug": False, "quiet": quiet, "replaced": True}):
        _record_changes(out, previous)


CHANGED_JSON = """{
 "added": [],
 "removed": [],
 "changed": [
  {
   "company": "東北電力",
   "url": "https://www.tohoku-epco.co.jp/1.pdf",
   "occurrence": 1,
   "fields": {
    "title": [
     "情報漏えいについて",
     "情報漏えいについて（第2報）"
    ]
   }
  }
 ]
}
"""


@pytest.mark.parametrize("quiet", [False, True])
def test_a_write_that_changed_a_disclosure_writes_changes_json_and_says_so(tmp_path, capsys, quiet):
    out = _outputs(tmp_path / "out", {**ROW, "title": "情報漏えいについて（第2報）"})
    _record(out, _parquet(ROW), quiet=quiet)
    assert (out / "changes.json").read_text(encoding="utf-8") == CHANGED_JSON
    said = (
        f"{out}: 0 added, 0 removed, 1 changed since the previous outputs (see {out}/changes.json)"
    )
    assert capsys.readouterr().err == ("" if quiet else said + "\n")


def test_a_write_that_changed_nothing_leaves_an_earlier_changes_json(tmp_path, capsys):
    out = _outputs(tmp_path / "out", ROW)
    (out / "changes.json").write_text("earlier", encoding="utf-8")
    _record(out, _parquet(ROW))
    assert (out / "changes.json").read_text(encoding="utf-8") == "earlier"
    assert capsys.readouterr().err == ""


def test_a_first_write_records_no_changes(tmp_path, capsys):
    out = _outputs(tmp_path / "out", ROW)
    _record(out, None)
    assert sorted(p.name for p in out.iterdir()) == ["disclosures.parquet"]
    assert capsys.readouterr().err == ""


def test_a_previous_table_diff_cannot_read_is_named_as_the_folders_and_not_recorded(
    tmp_path, caplog
):
    out = _outputs(tmp_path / "out", ROW)
    with caplog.at_level(logging.WARNING):
        _record(out, b"not parquet")
    assert not (out / "changes.json").exists()
    [warning] = caplog.records
    assert warning.getMessage().startswith(
        f"{out / 'disclosures.parquet'} (previous version): cannot read as Parquet ("
    )
    assert warning.getMessage().endswith("; changes not recorded")


def test_changes_json_that_cannot_be_written_is_a_warning_not_a_failure(tmp_path, capsys, caplog):
    out = _outputs(tmp_path / "out", {**ROW, "title": "情報漏えいについて（第2報）"})
    (out / ".changes.json.tmp").mkdir()  # where the file would be written first
    with caplog.at_level(logging.WARNING):
        _record(out, _parquet(ROW))
    assert not (out / "changes.json").exists()
    assert [r.getMessage() for r in caplog.records] == [
        f"{out}: cannot write outputs (Is a directory); changes not recorded"
    ]
    assert capsys.readouterr().err == ""


def test_the_previous_disclosures_are_read_before_a_write(tmp_path, caplog):
    out = _outputs(tmp_path / "out", ROW)
    assert _previous_disclosures(out) == _parquet(ROW)
    assert _previous_disclosures(tmp_path / "none") is None
    assert _previous_disclosures(out / "disclosures.parquet") is None  # a file, not a folder
    (tmp_path / "odd" / "disclosures.parquet").mkdir(parents=True)
    with caplog.at_level(logging.WARNING):
        assert _previous_disclosures(tmp_path / "odd") is None
    assert "cannot read (Is a directory); changes not recorded" in caplog.text
