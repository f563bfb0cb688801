"""The check stage finds every difference from a golden file, as decoded tables."""

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.check import check
from pipeline.cli import cli
from pipeline.errors import CheckError

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden" / "085_03_02"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    pdf = FIXTURES / "085_03_02.replica.pdf"
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(pdf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_no_differences_from_the_golden_directory(out):
    assert check(out, GOLDEN) == []


def _golden_rows(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write_golden(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_changed_golden_value_is_named_by_the_tables_key(out, tmp_path):
    rows = _golden_rows("disclosures.csv")
    rows[2]["url"] = "https://example.invalid/"
    golden = _write_golden(tmp_path / "disclosures.csv", rows)
    found = [str(d) for d in check(out, golden)]
    url = "https://www.kansai-td.co.jp/corporate/press-release/2023/pdf/0217_1j_01.pdf"
    difference = f"page 2, row 3, url: expected 'https://example.invalid/', got '{url}'"
    assert found == [f"disclosures.parquet: {difference}", f"disclosures.csv: {difference}"]


def test_a_missing_row_is_named_and_the_rows_after_it_still_match(out, tmp_path):
    rows = _golden_rows("disclosures.csv")
    del rows[5]  # page 2, row 6
    found = [str(d) for d in check(out, _write_golden(tmp_path / "disclosures.csv", rows))]
    assert found == [
        "disclosures.parquet: page 2, row 6: expected no row, got one",
        "disclosures.csv: page 2, row 6: expected no row, got one",
    ]


def test_a_row_the_output_lacks_is_named_by_company_and_label(out, tmp_path):
    rows = _golden_rows("incidents.csv")
    extra = dict(rows[0], label="z", ordinal="26")
    found = [str(d) for d in check(out, _write_golden(tmp_path / "incidents.csv", [*rows, extra]))]
    assert found == [
        f"incidents.parquet: company {extra['company']}, label z: expected a row, got none",
        f"incidents.csv: company {extra['company']}, label z: expected a row, got none",
    ]


def test_rows_out_of_order_are_one_difference(out, tmp_path):
    rows = _golden_rows("disclosures.csv")
    rows[0], rows[1] = rows[1], rows[0]
    found = [str(d) for d in check(out, _write_golden(tmp_path / "disclosures.csv", rows))]
    assert found == [
        "disclosures.parquet: row order: expected 'page 2, row 2', got 'page 2, row 1'",
        "disclosures.csv: row order: expected 'page 2, row 2', got 'page 2, row 1'",
    ]


def test_a_table_without_a_key_is_compared_by_position(out, tmp_path):
    rows = _golden_rows("disclosures.csv")
    rows = [{k: v for k, v in row.items() if k != "row"} for row in rows]
    rows[0]["company"] = "関西"
    found = [str(d) for d in check(out, _write_golden(tmp_path / "disclosures.csv", rows))]
    assert found == [
        "disclosures.parquet: data row 1, company: expected '関西', got '関西電力送配電'",
        "disclosures.csv: data row 1, company: expected '関西', got '関西電力送配電'",
    ]


def test_an_empty_output_folder_says_what_to_run(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--out", str(tmp_path), "--golden", str(GOLDEN)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'disclosures.parquet'}: not found "
        f"(run the pipeline first: python -m pipeline run --out {tmp_path})\n"
    )


def test_an_unreadable_output_says_why_and_what_to_run(out, tmp_path):
    broken = tmp_path / "out"
    shutil.copytree(out, broken)
    (broken / "disclosures.parquet").write_bytes(b"PAR1 not really")
    result = CliRunner().invoke(cli, ["check", "--out", str(broken), "--golden", str(GOLDEN)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: {broken / 'disclosures.parquet'}: cannot read Parquet ("
    )
    assert result.output.endswith(
        f"); run the pipeline again: python -m pipeline run --out {broken}\n"
    )


def test_a_missing_golden_path_is_named(out, tmp_path):
    missing = tmp_path / "golden"
    with pytest.raises(CheckError, match=r"golden: not found \(--golden takes a folder"):
        check(out, missing)


def test_cli_check_exits_1_and_lists_differences(out, tmp_path):
    golden = tmp_path / "golden"
    shutil.copytree(GOLDEN, golden)
    text = (golden / "incidents.csv").read_text(encoding="utf-8-sig")
    (golden / "incidents.csv").write_text(
        text.replace("委託先からの情報漏えい", "委託先"), "utf-8-sig"
    )
    result = CliRunner().invoke(cli, ["check", "--out", str(out), "--golden", str(golden)])
    assert result.exit_code == 1
    assert (
        "incidents.csv: company 中国電力, label 事案７, text: "
        "expected '委託先', got '委託先からの情報漏えい'" in result.output
    )
    assert result.output.rstrip().endswith(f"Error: {out}: 2 differences from {golden}")


def test_cli_check_says_1_difference(out, tmp_path):
    rows = _golden_rows("incidents.csv")
    was = rows[0]["text"]
    rows[0]["text"] = "x"
    golden = _write_golden(tmp_path / "incidents.csv", rows)
    only = tmp_path / "only"  # the Parquet as written, and a CSV that matches the golden file
    only.mkdir()
    shutil.copy(out / "incidents.parquet", only)
    shutil.copy(golden, only / "incidents.csv")
    result = CliRunner().invoke(cli, ["check", "--out", str(only), "--golden", str(golden)])
    assert result.exit_code == 1
    assert result.output == (
        f"incidents.parquet: company 中国電力NW, label a, text: expected 'x', got {was!r}\n"
        f"Error: {only}: 1 difference from {golden}\n"
    )
