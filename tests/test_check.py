"""The check stage finds every difference from a golden file, as decoded tables."""

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.check import check
from pipeline.cli import cli

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


def test_a_changed_golden_value_is_reported_with_row_and_field(out, tmp_path):
    with (GOLDEN / "disclosures.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[2]["url"] = "https://example.invalid/"
    golden = tmp_path / "disclosures.csv"
    with golden.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    found = [str(d) for d in check(out, golden)]
    url = "https://www.kansai-td.co.jp/corporate/press-release/2023/pdf/0217_1j_01.pdf"
    assert found == [
        f"disclosures.parquet: row 3, url: expected 'https://example.invalid/', got '{url}'",
        f"disclosures.csv: row 3, url: expected 'https://example.invalid/', got '{url}'",
    ]


def test_a_missing_row_is_reported(out, tmp_path):
    lines = (GOLDEN / "incidents.csv").read_text(encoding="utf-8-sig").splitlines()
    (tmp_path / "incidents.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8-sig")
    found = [str(d) for d in check(out, tmp_path / "incidents.csv")]
    assert found[0] == "incidents.parquet: row 0, rows: expected '24', got '25'"


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
        "incidents.csv: row 14, text: expected '委託先', got '委託先からの情報漏えい'"
        in result.output
    )
    assert result.output.rstrip().endswith(f"Error: {out}: 2 differences from {golden}")
