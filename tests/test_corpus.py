"""A run over several PDFs (versions of the table) as one dataset.

Rules covered:
- every table carries the `document` column (the PDF's file stem); documents.parquet/.csv has
  one row per document; labels of incidents are scoped per document and company;
- the outputs are byte-identical whatever --jobs is and whatever order the PDFs are named in;
  a folder given to --pdf means every *.pdf in it;
- each document's rows are its golden rows, and its dates take their year from its own cover;
- two inputs with one file stem are an error;
- all or nothing: a failed document fails the run naming it, earlier outputs untouched;
  --keep-going writes the documents that passed, lists the failed ones with their error in
  validation.json, and exits 1;
- one input keeps document.json and the one-document validation.json; several have none and
  a validation.json with a part per document;
- a run longer than PROGRESS_DELAY (2 s) shows a progress bar of pages on a terminal's stderr,
  none in a pipe.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import json
import os
import pty
import shutil
import struct
import termios
from pathlib import Path

import forked
import pytest
from click.testing import CliRunner
from replica import builder as replica_builder
from replica import main_spec

from pipeline import cli as cli_module
from pipeline.check import check
from pipeline.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
REPLICA = FIXTURES / "085_03_02.replica.pdf"
VARIANT = FIXTURES / "variant_a.pdf"
WRITER = FIXTURES / "office" / "085_03_02.writer.pdf"
GOLDEN = FIXTURES / "golden"


def _run(*args: str):
    return CliRunner().invoke(cli, ["-q", "run", *args])


def _pdf_args(*pdfs: Path) -> list[str]:
    return [arg for pdf in pdfs for arg in ("--pdf", str(pdf))]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The replica, the variant and a LibreOffice Writer export, read as one dataset."""
    out = tmp_path_factory.mktemp("corpus") / "out"
    result = _run(*_pdf_args(REPLICA, VARIANT, WRITER), "--out", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    return out


# --- One dataset, the same bytes however it is run ----------------------------------------------


def test_two_jobs_and_another_order_give_the_same_bytes(corpus, tmp_path):
    out = tmp_path / "out"
    result = _run(*_pdf_args(WRITER, REPLICA, VARIANT), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert _snapshot(out) == _snapshot(corpus)


def test_a_folder_means_every_pdf_in_it(corpus, tmp_path):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    for pdf in (REPLICA, VARIANT, WRITER):
        shutil.copy(pdf, folder / pdf.name)
    (folder / "notes.txt").write_text("not a PDF", encoding="utf-8")
    out = tmp_path / "out"
    result = _run("--pdf", str(folder), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    documents = _rows(out / "documents.csv")
    assert [d["document"] for d in documents] == [
        "085_03_02.replica",
        "085_03_02.writer",
        "variant_a",
    ]
    assert [d["source_file"] for d in documents] == [
        str(folder / p.name) for p in (REPLICA, WRITER, VARIANT)
    ]


def test_each_document_gives_its_golden_rows(corpus):
    assert check(corpus, GOLDEN / "085_03_02", "085_03_02.replica") == []
    assert check(corpus, GOLDEN / "variant_a", "variant_a") == []


def test_the_office_export_gives_the_golden_rows_but_its_own_places(corpus):
    rows = [r for r in _rows(corpus / "disclosures.csv") if r["document"] == "085_03_02.writer"]
    golden = _rows(GOLDEN / "085_03_02" / "disclosures.csv")
    placed = ("document", "page", "row")
    assert [{k: v for k, v in r.items() if k not in placed} for r in rows] == [
        {k: v for k, v in r.items() if k not in placed} for r in golden
    ]


def test_every_table_names_the_document_and_keys_stay_unique(corpus):
    stems = {"085_03_02.replica", "085_03_02.writer", "variant_a"}
    keys = {
        "disclosures.csv": ("document", "page", "row"),
        "incidents.csv": ("document", "company", "label"),
        "disclosure_incidents.csv": ("document", "page", "row", "label"),
    }
    for name, key in keys.items():
        rows = _rows(corpus / name)
        assert {r["document"] for r in rows} == stems, name
        assert len({tuple(r[c] for c in key) for r in rows}) == len(rows), name


def test_incident_labels_are_scoped_per_document(corpus):
    incidents = _rows(corpus / "incidents.csv")
    first = [
        (i["document"], i["label"])
        for i in incidents
        if i["company"] == "東北電力" and i["label"] == "①"
    ]
    assert sorted(first) == [("085_03_02.replica", "①"), ("085_03_02.writer", "①")]


def test_the_documents_table_has_a_row_per_document(corpus):
    documents = _rows(corpus / "documents.csv")
    assert [(d["document"], d["date"], d["page_count"], d["rows"]) for d in documents] == [
        ("085_03_02.replica", "2023-05-22", "7", "43"),
        ("085_03_02.writer", "2023-05-22", "6", "43"),
        ("variant_a", "2025-01-15", "4", "12"),
    ]
    assert [(d["meeting"], d["material"]) for d in documents] == [
        ("第85回制度設計専門会合", "資料３－２"),
        ("第85回制度設計専門会合", "資料３－２"),
        ("第99回制度設計専門会合", "資料４−１"),
    ]


def test_several_documents_have_one_validation_part_each_and_no_document_json(corpus, tmp_path):
    validation = json.loads((corpus / "validation.json").read_text(encoding="utf-8"))
    assert validation["passed"] is True and validation["failed"] == []
    assert [v["document"] for v in validation["documents"]] == [
        "085_03_02.replica",
        "085_03_02.writer",
        "variant_a",
    ]
    assert validation["rows"] == 43 + 43 + 12
    assert not (corpus / "document.json").exists()


def test_a_corpus_run_over_one_documents_outputs_removes_its_document_json(tmp_path):
    out = tmp_path / "out"
    assert _run("--pdf", str(REPLICA), "--out", str(out)).exit_code == 0
    assert (out / "document.json").exists()
    assert _run(*_pdf_args(REPLICA, VARIANT), "--out", str(out)).exit_code == 0
    assert not (out / "document.json").exists()


def test_check_needs_the_document_named_in_a_corpus(corpus):
    with pytest.raises(Exception, match="holds 3 documents .*--document"):
        check(corpus, GOLDEN / "085_03_02")
    with pytest.raises(Exception, match="no document 'nope'"):
        check(corpus, GOLDEN / "085_03_02", "nope")


# --- Dates against each document's own cover --------------------------------------------------


def test_each_document_dates_against_its_own_cover(tmp_path):
    """A version dated a year later: 昨年12/27 is then 2023-12-27, 1/13 is 2024-01-13."""
    spec = main_spec()
    for line in spec["cover"]["lines"]:
        line["text"] = line["text"].replace("2023年", "2024年")
    later = tmp_path / "later.pdf"
    replica_builder().build(spec, later)
    out = tmp_path / "out"
    result = _run(*_pdf_args(REPLICA, later), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    rows = _rows(out / "disclosures.csv")
    golden = _rows(GOLDEN / "085_03_02" / "disclosures.csv")
    by_document = {
        stem: [r for r in rows if r["document"] == stem] for stem in ("085_03_02.replica", "later")
    }
    assert [r["published"] for r in by_document["085_03_02.replica"]] == [
        g["published"] for g in golden
    ]
    shifted = [dt.date.fromisoformat(g["published"]) for g in golden]
    assert [r["published"] for r in by_document["later"]] == [
        d.replace(year=d.year + 1).isoformat() for d in shifted
    ]


# --- Bad inputs -----------------------------------------------------------------------------------


def test_two_inputs_with_one_file_name_are_an_error(tmp_path):
    other = tmp_path / "elsewhere" / REPLICA.name
    other.parent.mkdir()
    shutil.copy(REPLICA, other)
    result = _run(*_pdf_args(REPLICA, other), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "same file name" in result.output and str(other) in result.output
    assert not (tmp_path / "out").exists()


def test_an_empty_folder_is_an_error(tmp_path):
    result = _run("--pdf", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path}: no *.pdf files in the folder\n"


@pytest.fixture()
def broken(tmp_path) -> Path:
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(b"<html>not a pdf</html>")
    return pdf


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failed_document_fails_the_run_and_leaves_the_outputs(broken, corpus, tmp_path, jobs):
    out = tmp_path / "out"
    shutil.copytree(corpus, out)
    before = _snapshot(out)
    result = _run(*_pdf_args(REPLICA, broken, VARIANT), "--out", str(out), "--jobs", jobs)
    assert result.exit_code == 1
    assert result.output == f"Error: {broken}: not a PDF (it begins b'<html>not a pdf</html>')\n"
    assert _snapshot(out) == before


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_keep_going_writes_the_others_and_lists_the_failed(broken, tmp_path, jobs):
    out = tmp_path / "out"
    result = _run(
        *_pdf_args(REPLICA, broken, VARIANT), "--out", str(out), "--keep-going", "--jobs", jobs
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: 1 of 3 documents left out (broken), the others written to {out};"
        f" {out / 'validation.json'} says why"
    )
    validation = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert validation["passed"] is False
    assert validation["failed"] == [
        {
            "document": "broken",
            "source": str(broken),
            "error": f"{broken}: not a PDF (it begins b'<html>not a pdf</html>')",
        }
    ]
    assert [d["document"] for d in _rows(out / "documents.csv")] == [
        "085_03_02.replica",
        "variant_a",
    ]
    assert check(out, GOLDEN / "variant_a", "variant_a") == []


def test_keep_going_with_nothing_readable_writes_nothing(broken, tmp_path):
    out = tmp_path / "out"
    result = _run("--pdf", str(broken), "--out", str(out), "--keep-going")
    assert result.exit_code == 1
    assert "no document could be read" in result.output and str(broken) in result.output
    assert not out.exists()


def test_one_input_keeps_document_json_and_its_validation_json(tmp_path):
    out = tmp_path / "out"
    assert _run("--pdf", str(REPLICA), "--out", str(out)).exit_code == 0
    document = json.loads((out / "document.json").read_text(encoding="utf-8"))
    validation = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert document["material"] == "資料３－２" and "document" not in document
    assert validation["document"] == "085_03_02.replica" and "documents" not in validation
    assert [d["document"] for d in _rows(out / "documents.csv")] == ["085_03_02.replica"]


def test_a_run_that_changes_the_outputs_records_the_changes(tmp_path):
    out = tmp_path / "out"
    assert _run("--pdf", str(REPLICA), "--out", str(out)).exit_code == 0
    assert not (out / "changes.json").exists()
    result = CliRunner().invoke(cli, ["run", *_pdf_args(REPLICA, VARIANT), "--out", str(out)])
    assert result.exit_code == 0, result.output
    changes = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    assert changes["documents_added"] == [{"document": "variant_a", "rows": 12}]
    assert changes["added"] == changes["removed"] == changes["changed"] == []
    assert f"{out}: " in result.output and "since the previous outputs" in result.output


# --- The progress bar: on a terminal, after PROGRESS_DELAY; never in a pipe ------------------


def _copies(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        shutil.copy(REPLICA, folder / f"copy{i:02d}.pdf")
    return folder


def _shown_on_a_terminal(args: list[str]) -> bytes:
    """Run the command line (forked, tests/forked.py) with a terminal as its stderr; return what
    the terminal showed."""
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    done = forked.run(args, timeout=60, stderr=terminal)
    os.close(terminal)
    assert done.returncode == 0, done.stdout
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # read everything the closed terminal held
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return shown


@pytest.mark.parametrize(("delay", "shown"), [(0.0, True), (60.0, False)])
def test_a_run_on_a_terminal_shows_a_progress_bar_of_pages_once_the_delay_has_passed(
    delay, shown, monkeypatch, tmp_path
):
    monkeypatch.setattr(cli_module, "PROGRESS_DELAY", delay)
    folder = _copies(tmp_path / "pdfs", 2)
    args = ["run", "--pdf", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1"]

    terminal = _shown_on_a_terminal(args)

    assert (b"page/s" in terminal and b"/14 " in terminal) is shown  # 2 documents of 7 pages


def test_the_progress_bar_waits_two_seconds_by_default():
    assert cli_module.PROGRESS_DELAY == 2.0


def test_a_run_shows_no_progress_bar_in_a_pipe(monkeypatch, tmp_path):
    monkeypatch.setattr(cli_module, "PROGRESS_DELAY", 0.0)
    folder = _copies(tmp_path / "pdfs", 2)
    args = ["run", "--pdf", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1"]

    done = forked.run(args, timeout=60)

    assert done.returncode == 0
    assert "page/s" not in done.stderr and "\r" not in done.stderr
