"""Bad inputs: each is refused with one `Error: …` line naming the file, and earlier outputs stay.

Every bad PDF is a real one, built from the replica's spec with one thing changed (a header
renamed, a date replaced, a URL replaced…) or made by reportlab, or the replica's own bytes cut
short or edited in place.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from replica import builder as replica_builder
from replica import main_spec
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from pipeline.cli import cli
from pipeline.errors import ExtractError, NormalizeError, RepairError, ValidationError

FIXTURES = Path(__file__).parent / "fixtures"
REPLICA = FIXTURES / "085_03_02.replica.pdf"
FAILED_VALIDATION = "validation.failed.json"
WANTED_HEADER = "事業者名 | 公表日 | 掲載箇所 | タイトル、リンク | 補足（主な掲載内容・事案）"
# Stands for text the message quotes from pdfminer, which is not ours to pin down.
ANY = "…"


def _spec() -> dict:
    return main_spec()


def _build(spec: dict, path: Path, encrypt: StandardEncryption | None = None) -> None:
    builder = replica_builder()
    if encrypt is None:
        builder.build(spec, path)
        return
    # The builder makes its own Canvas: give it one that encrypts, for this build only.
    builder.Canvas = functools.partial(Canvas, encrypt=encrypt)
    try:
        builder.build(spec, path)
    finally:
        builder.Canvas = Canvas


# --- The bad inputs -----------------------------------------------------------------------------
# The spec's pages[0] is the PDF's page 2 (page 1 is the cover); rows count from 1 in messages.


def _rename_column(spec: dict, old: str, new: str) -> None:
    for column in spec["columns"]:
        if column["header"] == old:
            column["header"] = new
    for page in spec["pages"]:
        for row in page["rows"]:
            row["cells"][new] = row["cells"].pop(old)


def _drop_column(spec: dict, header: str) -> None:
    spec["columns"] = [c for c in spec["columns"] if c["header"] != header]
    for page in spec["pages"]:
        for row in page["rows"]:
            del row["cells"][header]


def _set_date(spec: dict, page: int, row: int, lines: list[str]) -> None:
    spec["pages"][page - 2]["rows"][row - 1]["cells"]["公表日"] = lines


def _set_url(spec: dict, page: int, row: int, url: str, *, keep_link: bool = True) -> None:
    """Replace the URL lines of a title cell; without keep_link, drop its link annotation."""
    spec_row = spec["pages"][page - 2]["rows"][row - 1]
    cell = spec_row["cells"]["タイトル、リンク"]
    start = next(i for i, line in enumerate(cell) if line.startswith("http"))
    cell[start:] = [url]
    if not keep_link:
        spec_row.pop("link")


def _delete_rows(spec: dict) -> None:
    for page in spec["pages"]:
        page["rows"] = []


def _from_spec(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        spec = _spec()
        change(spec)
        _build(spec, path)

    return make


def _edit_replica(old: bytes, new: bytes) -> Callable[[Path], None]:
    """Return a maker of the replica with its first `old` replaced by `new` of the same length."""

    def make(path: Path) -> None:
        data = REPLICA.read_bytes()
        assert len(old) == len(new) and old in data
        path.write_bytes(data.replace(old, new, 1))

    return make


def _write(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _encrypted(user_password: str) -> Callable[[Path], None]:
    return lambda path: _build(_spec(), path, StandardEncryption(user_password, "owner"))


def _text_page(path: Path) -> None:
    canvas = Canvas(str(path), invariant=1)
    canvas.drawString(72, 720, "Minutes of the meeting: no table here.")
    canvas.showPage()
    canvas.save()


@dataclass(frozen=True)
class Bad:
    """A bad input, how to make it, and the one error line it must give."""

    name: str
    make: Callable[[Path], None] | None  # None: the file does not exist
    error: type[Exception]
    line: str  # the whole line, with {pdf}, {out} and ANY for text quoted from pdfminer


BAD_INPUTS = [
    Bad(
        "missing_file", None, ExtractError, "Error: {pdf}: cannot read (No such file or directory)"
    ),
    Bad(
        "text_file",
        _write(b"not a PDF\n"),
        ExtractError,
        "Error: {pdf}: not a PDF (it begins b'not a PDF\\n')",
    ),
    Bad(
        "html_page",
        _write(b"<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>\n"),
        ExtractError,
        "Error: {pdf}: not a PDF (it begins b'<!DOCTYPE html><html><he')",
    ),
    Bad("empty_file", _write(b""), ExtractError, "Error: {pdf}: not a PDF (the file is empty)"),
    Bad(
        "truncated",
        lambda path: path.write_bytes(REPLICA.read_bytes()[: REPLICA.stat().st_size // 2]),
        ExtractError,
        "Error: {pdf}: truncated or damaged PDF (Unexpected EOF)",
    ),
    Bad(
        "page_box_not_numbers",
        _edit_replica(b"/MediaBox [ 0 0 960 540 ]", b"/MediaBox [ 0 0 960 5x0 ]"),
        ExtractError,
        "Error: {pdf}: truncated or damaged PDF "
        "(Bounding box contains non-number coordinate(s): …)",
    ),
    Bad(
        "link_without_rect",
        _edit_replica(b"/Rect [ 296 410.5", b"/Rekt [ 296 410.5"),
        ExtractError,
        "Error: {pdf}: page 2: damaged link annotation (KeyError: 'Rect')",
    ),
    Bad(
        "encrypted",
        _encrypted("user"),
        ExtractError,
        "Error: {pdf}: the PDF is encrypted and needs a password",
    ),
    Bad(
        "no_table_cover_only",
        _from_spec(lambda spec: spec.update(pages=[])),
        ExtractError,
        f"Error: {{pdf}}: no table with the header {WANTED_HEADER} found on any page",
    ),
    Bad(
        "no_table_text_page",
        _text_page,
        ExtractError,
        f"Error: {{pdf}}: no table with the header {WANTED_HEADER} found on any page",
    ),
    Bad(
        "header_renamed",
        _from_spec(lambda spec: _rename_column(spec, "掲載箇所", "掲載場所")),
        ExtractError,
        "Error: {pdf}: page 2: table header changed: missing 掲載箇所; unrecognised '掲載場所'",
    ),
    Bad(
        "column_missing",
        _from_spec(lambda spec: _drop_column(spec, "公表日")),
        ExtractError,
        "Error: {pdf}: page 2: table header changed: missing 公表日",
    ),
    Bad(
        "header_but_no_rows",
        _from_spec(_delete_rows),
        ExtractError,
        "Error: {pdf}: the table has its header but no rows on any page",
    ),
    Bad(
        "date_missing",
        _from_spec(lambda spec: _set_date(spec, 3, 3, [])),
        NormalizeError,
        "Error: {pdf}: page 3, row 3: no date (公表日)",
    ),
    Bad(
        "date_undecided",
        _from_spec(lambda spec: _set_date(spec, 3, 3, ["未定"])),
        NormalizeError,
        "Error: {pdf}: page 3, row 3: 公表日 not a date: '未定'",
    ),
    Bad(
        "date_impossible",
        _from_spec(lambda spec: _set_date(spec, 3, 3, ["2/30"])),
        NormalizeError,
        "Error: {pdf}: page 3, row 3: 公表日 not a date: '2/30' (day is out of range for month)",
    ),
    Bad(
        "url_bad_scheme",
        _from_spec(lambda spec: _set_url(spec, 2, 2, "htps://x", keep_link=False)),
        RepairError,
        "Error: {pdf}: page 2, row 2: no URL in the title cell "
        "(小売顧客情報の漏洩等に係る報告について / htps://x)",
    ),
    Bad(
        "url_without_host",
        _from_spec(lambda spec: _set_url(spec, 2, 2, "https:///path")),
        ValidationError,
        "Error: {pdf}: 1 validation error, first: page 2, row 2, url: "
        "not an http(s) URL with a host ('https:///path') (all in {out}/validation.failed.json)",
    ),
]


@pytest.fixture(scope="module")
def bad_pdfs(tmp_path_factory) -> dict[str, Path]:
    """Make every bad input once: {name: path}."""
    folder = tmp_path_factory.mktemp("bad")
    paths = {}
    for bad in BAD_INPUTS:
        paths[bad.name] = folder / f"{bad.name}.pdf"
        if bad.make is not None:
            bad.make(paths[bad.name])
    return paths


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["-q", *args])


def _run(pdf: Path, out: Path, *, debug: bool = False):
    return _invoke(*(["--debug"] if debug else []), "run", "--pdf", str(pdf), "--out", str(out))


def _expected(bad: Bad, pdf: Path, out: Path) -> re.Pattern[str]:
    line = bad.line.format(pdf=pdf, out=out)
    return re.compile(".+".join(re.escape(part) for part in line.split(ANY)))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _good_run(out: Path) -> dict[str, bytes]:
    """Run the pipeline on the replica into out; return the bytes of every file it holds."""
    result = _run(REPLICA, out)
    assert result.exit_code == 0, result.output
    files = _snapshot(out)
    assert "disclosures.parquet" in files and "disclosures.csv" in files
    return files


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A good run's outputs, run once for the module."""
    out = tmp_path_factory.mktemp("good") / "out"
    _good_run(out)
    return out


def _earlier_outputs(good: Path, out: Path) -> dict[str, bytes]:
    """Copy a good run's outputs to out; return the bytes of every file it holds."""
    shutil.copytree(good, out)
    return _snapshot(out)


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error: ")]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_bad_input_is_one_error_line_and_earlier_outputs_stay(bad, bad_pdfs, good, tmp_path):
    out = tmp_path / "out"
    before = _earlier_outputs(good, out)

    result = _run(bad_pdfs[bad.name], out)

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # no exception escaped to the user
    assert "Traceback" not in result.output
    assert result.stdout == ""
    [line] = _error_lines(result.stderr)
    assert _expected(bad, bad_pdfs[bad.name], out).fullmatch(line), line
    after = _snapshot(out)
    assert {name: after.get(name) for name in before} == before
    new = set(after) - set(before)
    assert new == ({FAILED_VALIDATION} if bad.error is ValidationError else set())


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_debug_lets_the_error_propagate(bad, bad_pdfs, tmp_path):
    result = _run(bad_pdfs[bad.name], tmp_path / "out", debug=True)

    assert type(result.exception) is bad.error
    message = f"Error: {result.exception}"
    assert _expected(bad, bad_pdfs[bad.name], tmp_path / "out").fullmatch(message), message
    assert _error_lines(result.output) == []


def test_a_failure_before_validation_creates_no_output_folder(bad_pdfs, tmp_path):
    result = _run(bad_pdfs["header_renamed"], tmp_path / "out")

    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


def test_every_validation_failure_is_reported_together(good, tmp_path):
    """Two bad URLs and a date outside the window: one error line, all three in the report."""
    spec = _spec()
    _set_url(spec, 2, 2, "https:///path")
    _set_url(spec, 4, 4, "http://localhost/x")  # a host, but not one on the internet
    _set_date(spec, 5, 1, ["2019/", "1/13"])  # over two years before the document's date
    pdf = tmp_path / "three_errors.pdf"
    _build(spec, pdf)
    out = tmp_path / "out"
    before = _earlier_outputs(good, out)

    result = _run(pdf, out)

    assert result.exit_code == 1
    assert _error_lines(result.stderr) == [
        f"Error: {pdf}: 3 validation errors, first: page 2, row 2, url: "
        f"not an http(s) URL with a host ('https:///path') (all in {out / FAILED_VALIDATION})"
    ]
    report = json.loads((out / FAILED_VALIDATION).read_text(encoding="utf-8"))
    assert report["passed"] is False
    assert [(e["page"], e["row"], e["column"], e["value"]) for e in report["errors"]] == [
        (2, 2, "url", "https:///path"),
        (4, 4, "url", "http://localhost/x"),
        (5, 1, "published", "2019-01-13"),
    ]
    assert {name: data for name, data in _snapshot(out).items() if name in before} == before

    # The next good run replaces everything and takes the failed report away.
    assert _good_run(out) == before


def test_every_bad_row_is_reported_together_by_page_and_row(good, tmp_path):
    """Three bad dates, given out of order: the Error line names the first, one line for each
    of the others, and the count last."""
    spec = _spec()
    _set_date(spec, 5, 1, ["2/30"])
    _set_date(spec, 3, 3, ["未定"])
    _set_date(spec, 2, 2, [])
    pdf = tmp_path / "three_bad_dates.pdf"
    _build(spec, pdf)
    out = tmp_path / "out"
    before = _earlier_outputs(good, out)

    result = _run(pdf, out)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {pdf}: page 2, row 2: no date (公表日)",
        f"{pdf}: page 3, row 3: 公表日 not a date: '未定'",
        f"{pdf}: page 5, row 1: 公表日 not a date: '2/30' (day is out of range for month)",
        f"3 errors in {pdf}",
    ]
    assert _snapshot(out) == before


@pytest.mark.parametrize(
    "permissions",
    [{}, {"canPrint": 0, "canModify": 0, "canCopy": 0, "canAnnotate": 0}],
    ids=["empty_user_password", "empty_user_password_no_copying"],
)
def test_encrypted_without_a_user_password_is_read_as_usual(permissions, good, tmp_path):
    """Anyone can open it without a password, so its table is read like the replica's."""
    pdf = tmp_path / "encrypted" / REPLICA.name  # the same name: the same document column
    pdf.parent.mkdir()
    _build(_spec(), pdf, StandardEncryption("", "owner", **permissions))
    assert b"/Encrypt" in pdf.read_bytes()
    expected = _snapshot(good)

    result = _run(pdf, tmp_path / "out")

    assert result.exit_code == 0, result.output
    for name in ("disclosures.csv", "incidents.csv", "disclosure_incidents.csv"):
        assert (tmp_path / "out" / name).read_bytes() == expected[name], name


def _python_m_pipeline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_the_real_command_exits_1_with_one_line_on_stderr(bad_pdfs, tmp_path):
    pdf = bad_pdfs["header_renamed"]

    done = _python_m_pipeline("run", "--pdf", str(pdf), "--out", str(tmp_path / "out"))

    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert _error_lines(done.stderr) == [
        f"Error: {pdf}: page 2: table header changed: missing 掲載箇所; unrecognised '掲載場所'"
    ]


def test_the_real_command_with_debug_shows_the_traceback(bad_pdfs, tmp_path):
    pdf = bad_pdfs["header_renamed"]

    done = _python_m_pipeline("--debug", "run", "--pdf", str(pdf), "--out", str(tmp_path / "out"))

    assert done.returncode == 1
    assert "Traceback (most recent call last):" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == (
        f"pipeline.errors.ExtractError: {pdf}: page 2: table header changed: "
        "missing 掲載箇所; unrecognised '掲載場所'"
    )
    assert _error_lines(done.stderr) == []
