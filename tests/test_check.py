"""The check stage finds every difference from a golden file, as decoded tables.

Rules pinned here:
- every row is compared, the first and the last included, in the Parquet and in the CSV;
- a row the output lacks is `expected a row, got none`, a row it adds `expected no row, got
  one`, a golden column it lacks `expected the column, got none`; a column it adds is not a
  difference;
- rows are paired by the table's key (KEYS) and named by it; a table without a key, with a
  key column missing, or whose key repeats is paired by position (`data row N`, from 1);
- rows out of order are one difference, the first pair out of the golden order; a column or
  the row order is a difference with an empty key, a whole row one with an empty field;
- golden files are read in KEYS' order, the others after by name; golden may be one file;
- Parquet values are compared as the CSV shows them: null as '', dates in ISO form;
- what cannot be read is an error naming the file and what to run;
- an output of several documents is compared by the rows of the document named, and one
  that holds several is an error without a name, as is a name it does not hold; a golden file
  with its own document column is compared with the whole table.
"""

import csv
import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.check import Difference, _count, check
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


# --- Small tables built for each rule: no pipeline run -----------------------------------------

COLUMNS = ("page", "row", "url")


def _rows(*keys: tuple[int, int]) -> list[dict[str, str]]:
    return [{"page": str(p), "row": str(r), "url": f"https://x.example/{p}/{r}"} for p, r in keys]


def _write_csv(path: Path, rows: list[dict[str, str]], columns=COLUMNS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_output(out: Path, name: str, rows: list[dict[str, str]], columns=COLUMNS) -> Path:
    """Write NAME.parquet and NAME.csv with these rows, as the write stage would."""
    out.mkdir(exist_ok=True)
    pq.write_table(
        pa.table({c: [row[c] for row in rows] for c in columns}),
        out / f"{name}.parquet",
    )
    _write_csv(out / f"{name}.csv", rows, columns)
    return out


def _differences(tmp_path, golden_rows, output_rows, name="disclosures", columns=COLUMNS):
    golden = _write_csv(tmp_path / f"{name}.csv", golden_rows, columns)
    out = _write_output(tmp_path / "out", name, output_rows, columns)
    return [str(d) for d in check(out, golden)]


def _both(difference: str, name: str = "disclosures") -> list[str]:
    return [f"{name}.parquet: {difference}", f"{name}.csv: {difference}"]


def test_identical_tables_have_no_differences(tmp_path):
    rows = _rows((1, 1), (1, 2), (2, 1))
    assert _differences(tmp_path, rows, rows) == []


def test_check_compares_the_first_data_row(tmp_path):
    golden = _rows((1, 1), (1, 2), (2, 1))
    output = _rows((1, 1), (1, 2), (2, 1))
    output[0]["url"] = "https://changed.example/"
    assert _differences(tmp_path, golden, output) == _both(
        "page 1, row 1, url: expected 'https://x.example/1/1', got 'https://changed.example/'"
    )


def test_check_compares_the_last_data_row(tmp_path):
    golden = _rows((1, 1), (1, 2), (2, 1))
    output = _rows((1, 1), (1, 2), (2, 1))
    output[-1]["url"] = "https://changed.example/"
    assert _differences(tmp_path, golden, output) == _both(
        "page 2, row 1, url: expected 'https://x.example/2/1', got 'https://changed.example/'"
    )


def test_check_compares_every_column_of_a_row(tmp_path):
    golden = _rows((1, 1))
    output = [{"page": "1", "row": "1", "url": "u"}]
    golden_columns = ("url", "page", "row")
    assert _differences(tmp_path, golden, output, columns=golden_columns) == _both(
        "page 1, row 1, url: expected 'https://x.example/1/1', got 'u'"
    )


@pytest.mark.parametrize("missing", [0, 1, 2])
def test_a_row_missing_from_the_output_is_reported(tmp_path, missing):
    golden = _rows((1, 1), (1, 2), (2, 1))
    output = [row for i, row in enumerate(golden) if i != missing]
    where = ("page 1, row 1", "page 1, row 2", "page 2, row 1")[missing]
    assert _differences(tmp_path, golden, output) == _both(f"{where}: expected a row, got none")


@pytest.mark.parametrize("extra", [0, 1, 3])
def test_an_extra_row_in_the_output_is_reported(tmp_path, extra):
    output = _rows((1, 1), (1, 2), (2, 1), (2, 2))
    golden = [row for i, row in enumerate(output) if i != extra]
    where = ("page 1, row 1", "page 1, row 2", "", "page 2, row 2")[extra]
    assert _differences(tmp_path, golden, output) == _both(f"{where}: expected no row, got one")


def test_a_missing_and_an_extra_row_are_both_reported_and_no_order_difference(tmp_path):
    golden = _rows((1, 1), (1, 2))
    output = _rows((1, 2), (1, 3))
    assert _differences(tmp_path, golden, output) == [
        "disclosures.parquet: page 1, row 1: expected a row, got none",
        "disclosures.parquet: page 1, row 3: expected no row, got one",
        "disclosures.csv: page 1, row 1: expected a row, got none",
        "disclosures.csv: page 1, row 3: expected no row, got one",
    ]


def test_a_missing_column_is_reported_and_its_rows_not_compared(tmp_path):
    golden = _rows((1, 1))
    output = [{"page": "1", "row": "2"}]  # another row too: not reported, the column is
    out = _write_output(tmp_path / "out", "disclosures", output, columns=("page", "row"))
    found = [str(d) for d in check(out, _write_csv(tmp_path / "disclosures.csv", golden))]
    assert found == _both("url: expected the column, got none")


def test_a_column_only_the_output_has_is_not_a_difference(tmp_path):
    golden = _rows((1, 1))
    output = [dict(golden[0], extra="x")]
    out = _write_output(tmp_path / "out", "disclosures", output, columns=(*COLUMNS, "extra"))
    assert check(out, _write_csv(tmp_path / "disclosures.csv", golden)) == []


def test_rows_out_of_order_name_the_first_pair_out_of_place(tmp_path):
    golden = _rows((1, 1), (1, 2), (1, 3), (1, 4))
    output = [golden[0], golden[2], golden[1], golden[3]]
    assert _differences(tmp_path, golden, output) == _both(
        "row order: expected 'page 1, row 2', got 'page 1, row 3'"
    )


def test_a_repeated_key_pairs_rows_by_position(tmp_path):
    golden = _rows((1, 1), (1, 1))
    output = _rows((1, 1), (1, 1))
    output[1]["url"] = "u"
    assert _differences(tmp_path, golden, output) == _both(
        "data row 2, url: expected 'https://x.example/1/1', got 'u'"
    )


def test_a_repeated_key_in_the_output_alone_pairs_rows_by_position(tmp_path):
    golden = _rows((1, 1), (1, 2))
    output = _rows((1, 1), (1, 1))
    assert _differences(tmp_path, golden, output) == [
        "disclosures.parquet: data row 2, row: expected '2', got '1'",
        "disclosures.parquet: data row 2, url: expected 'https://x.example/1/2', "
        "got 'https://x.example/1/1'",
        "disclosures.csv: data row 2, row: expected '2', got '1'",
        "disclosures.csv: data row 2, url: expected 'https://x.example/1/2', "
        "got 'https://x.example/1/1'",
    ]


def test_a_table_not_in_keys_pairs_rows_by_position_from_one(tmp_path):
    golden = [{"a": "1"}, {"a": "2"}]
    output = [{"a": "0"}, {"a": "2"}, {"a": "3"}]
    assert _differences(tmp_path, golden, output, name="other", columns=("a",)) == [
        "other.parquet: data row 1, a: expected '1', got '0'",
        "other.parquet: data row 3: expected no row, got one",
        "other.csv: data row 1, a: expected '1', got '0'",
        "other.csv: data row 3: expected no row, got one",
    ]


@pytest.mark.parametrize(
    ("name", "key", "where"),
    [
        ("incidents", ("company", "label"), "company c, label l"),
        ("disclosure_incidents", ("page", "row", "label"), "page c, row l, label m"),
    ],
)
def test_each_tables_rows_are_named_by_its_key(tmp_path, name, key, where):
    columns = (*key, "text")
    values = dict(zip(key, ("c", "l", "m"), strict=False))
    golden = [dict(values, text="expected")]
    output = [dict(values, text="got")]
    assert _differences(tmp_path, golden, output, name=name, columns=columns) == _both(
        f"{where}, text: expected 'expected', got 'got'", name
    )


def test_golden_files_are_read_in_key_order_then_by_name(tmp_path):
    golden = tmp_path / "golden"
    golden.mkdir()
    out = tmp_path / "out"
    for name in ("b_other", "a_other", "disclosure_incidents", "incidents", "disclosures"):
        _write_csv(golden / f"{name}.csv", [{"x": "1"}], ("x",))
        _write_output(out, name, [{"x": "2"}], ("x",))
    files = [d.file for d in check(out, golden)]
    assert files == [
        f"{name}.{ext}"
        for name in ("disclosures", "incidents", "disclosure_incidents", "a_other", "b_other")
        for ext in ("parquet", "csv")
    ]


def test_parquet_nulls_and_dates_compare_as_the_csv_shows_them(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    table = pa.table(
        {
            "page": pa.array([1], pa.int16()),
            "row": pa.array([1], pa.int16()),
            "published": pa.array([dt.date(2023, 1, 13)], pa.date32()),
            "summary": pa.array([None], pa.string()),
        }
    )
    pq.write_table(table, out / "disclosures.parquet")
    rows = [{"page": "1", "row": "1", "published": "2023-01-13", "summary": ""}]
    columns = ("page", "row", "published", "summary")
    _write_csv(out / "disclosures.csv", rows, columns)
    assert check(out, _write_csv(tmp_path / "disclosures.csv", rows, columns)) == []


def test_an_empty_golden_folder_is_an_error(tmp_path):
    (tmp_path / "golden").mkdir()
    with pytest.raises(CheckError, match=r"golden: no golden CSV files$"):
        check(tmp_path, tmp_path / "golden")


def test_an_unreadable_golden_csv_is_named(tmp_path):
    golden = tmp_path / "disclosures.csv"
    golden.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CheckError, match=r"disclosures\.csv: cannot read CSV \("):
        check(tmp_path, golden)


def test_an_unreadable_output_csv_says_to_run_again(tmp_path):
    rows = _rows((1, 1))
    out = _write_output(tmp_path / "out", "disclosures", rows)
    (out / "disclosures.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CheckError) as raised:
        check(out, _write_csv(tmp_path / "disclosures.csv", rows))
    message = str(raised.value)
    assert message.startswith(f"{out / 'disclosures.csv'}: cannot read CSV (")
    assert message.endswith(f"); run the pipeline again: python -m pipeline run --out {out}")


def test_a_missing_output_csv_says_to_run_the_pipeline(tmp_path):
    rows = _rows((1, 1))
    out = _write_output(tmp_path / "out", "disclosures", rows)
    (out / "disclosures.csv").unlink()
    with pytest.raises(CheckError) as raised:
        check(out, _write_csv(tmp_path / "disclosures.csv", rows))
    assert str(raised.value) == (
        f"{out / 'disclosures.csv'}: not found "
        f"(run the pipeline first: python -m pipeline run --out {out})"
    )


@pytest.mark.parametrize(
    ("difference", "text"),
    [
        (
            Difference("f.csv", "page 2, row 3", "url", "'a'", "'b'"),
            "f.csv: page 2, row 3, url: expected 'a', got 'b'",
        ),
        (
            Difference("f.csv", "", "url", "the column", "none"),
            "f.csv: url: expected the column, got none",
        ),
        (
            Difference("f.csv", "page 1, row 1", "", "a row", "none"),
            "f.csv: page 1, row 1: expected a row, got none",
        ),
    ],
)
def test_a_difference_names_its_file_row_and_column(difference, text):
    assert str(difference) == text


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 differences"), (1, "1 difference"), (2, "2 differences")]
)
def test_the_count_is_singular_for_one_difference(n, text):
    assert _count(n) == text


# --- Outputs of several documents ----------------------------------------------------------

DOCUMENT_COLUMNS = ("document", *COLUMNS)


def _of(document: str, *keys: tuple[int, int]) -> list[dict[str, str]]:
    return [dict(row, document=document) for row in _rows(*keys)]


def test_an_output_of_one_document_is_compared_without_naming_it(tmp_path):
    out = _write_output(tmp_path / "out", "disclosures", _of("a", (1, 1)), DOCUMENT_COLUMNS)
    golden = _write_csv(tmp_path / "disclosures.csv", _rows((1, 1)))
    assert check(out, golden) == []


def test_the_named_documents_rows_alone_are_compared(tmp_path):
    rows = _of("a", (1, 1), (1, 2)) + _of("b", (1, 1))
    rows[2]["url"] = "u"
    out = _write_output(tmp_path / "out", "disclosures", rows, DOCUMENT_COLUMNS)
    golden = _write_csv(tmp_path / "disclosures.csv", _rows((1, 1)))
    assert [str(d) for d in check(out, golden, document="b")] == _both(
        "page 1, row 1, url: expected 'https://x.example/1/1', got 'u'"
    )


def test_the_named_documents_rows_are_counted_from_one(tmp_path):
    rows = [{"document": "a", "x": "1"}, {"document": "b", "x": "2"}]
    out = _write_output(tmp_path / "out", "other", rows, ("document", "x"))
    golden = _write_csv(tmp_path / "other.csv", [{"x": "3"}], ("x",))
    assert [str(d) for d in check(out, golden, document="b")] == _both(
        "data row 1, x: expected '3', got '2'", "other"
    )


def test_an_output_of_several_documents_needs_the_documents_name(tmp_path):
    rows = _of("a", (1, 1)) + _of("b", (1, 1))
    out = _write_output(tmp_path / "out", "disclosures", rows, DOCUMENT_COLUMNS)
    with pytest.raises(CheckError) as raised:
        check(out, _write_csv(tmp_path / "disclosures.csv", _rows((1, 1))))
    assert str(raised.value) == (
        f"{out / 'disclosures.parquet'}: holds 2 documents (a, b); "
        "name the one the golden files are for with --document"
    )


def test_a_document_the_output_does_not_hold_is_named(tmp_path):
    rows = _of("a", (1, 1)) + _of("b", (1, 1))
    out = _write_output(tmp_path / "out", "disclosures", rows, DOCUMENT_COLUMNS)
    with pytest.raises(CheckError) as raised:
        check(out, _write_csv(tmp_path / "disclosures.csv", _rows((1, 1))), document="c")
    assert str(raised.value) == (f"{out / 'disclosures.parquet'}: no document 'c' (it holds a, b)")


def test_a_golden_file_with_a_document_column_is_compared_with_the_whole_table(tmp_path):
    rows = _of("a", (1, 1)) + _of("b", (1, 2))
    out = _write_output(tmp_path / "out", "disclosures", rows, DOCUMENT_COLUMNS)
    golden = _write_csv(tmp_path / "disclosures.csv", rows[:1], DOCUMENT_COLUMNS)
    assert [str(d) for d in check(out, golden, document="a")] == _both(
        "page 1, row 2: expected no row, got one"
    )


def test_a_column_or_the_row_order_has_an_empty_key_and_a_whole_row_an_empty_field(tmp_path):
    golden = _write_csv(tmp_path / "disclosures.csv", _rows((1, 1), (1, 2)))
    out = _write_output(tmp_path / "out", "disclosures", _rows((1, 2), (1, 1)))
    assert check(out, golden)[0] == Difference(
        "disclosures.parquet", "", "row order", "'page 1, row 1'", "'page 1, row 2'"
    )
    rows = [{"page": "1", "row": "1"}]
    out = _write_output(tmp_path / "cols", "disclosures", rows, ("page", "row"))
    assert check(out, golden)[0] == Difference(
        "disclosures.parquet", "", "url", "the column", "none"
    )
    out = _write_output(tmp_path / "rows", "disclosures", _rows((1, 2), (1, 3)))
    assert check(out, golden)[:2] == [
        Difference("disclosures.parquet", "page 1, row 1", "", "a row", "none"),
        Difference("disclosures.parquet", "page 1, row 3", "", "no row", "one"),
    ]


def test_a_missing_golden_path_says_what_golden_takes(tmp_path):
    with pytest.raises(CheckError) as raised:
        check(tmp_path, tmp_path / "golden")
    assert str(raised.value) == (
        f"{tmp_path / 'golden'}: not found (--golden takes a folder of NAME.csv files, or one)"
    )


def test_rows_after_a_missing_row_are_still_compared(tmp_path):
    golden = _rows((1, 1), (1, 2), (1, 3))
    output = [golden[0], dict(golden[2], url="u")]
    assert _differences(tmp_path, golden, output) == [
        "disclosures.parquet: page 1, row 2: expected a row, got none",
        "disclosures.parquet: page 1, row 3, url: expected 'https://x.example/1/3', got 'u'",
        "disclosures.csv: page 1, row 2: expected a row, got none",
        "disclosures.csv: page 1, row 3, url: expected 'https://x.example/1/3', got 'u'",
    ]


def test_an_output_without_rows_holds_no_document(tmp_path):
    out = _write_output(tmp_path / "out", "disclosures", [], DOCUMENT_COLUMNS)
    with pytest.raises(CheckError) as raised:
        check(out, _write_csv(tmp_path / "disclosures.csv", _rows((1, 1))), document="a")
    assert str(raised.value) == f"{out / 'disclosures.parquet'}: no document 'a' (it holds none)"


def test_an_unreadable_parquet_says_why_and_what_to_run(tmp_path):
    rows = _rows((1, 1))
    out = _write_output(tmp_path / "out", "disclosures", rows)
    (out / "disclosures.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(CheckError) as raised:
        check(out, _write_csv(tmp_path / "disclosures.csv", rows))
    message = str(raised.value)
    assert message.startswith(f"{out / 'disclosures.parquet'}: cannot read Parquet (")
    assert message.endswith(f"); run the pipeline again: python -m pipeline run --out {out}")
