"""The written files, read back with pyarrow and pandas: schema, descriptions, provenance, CSV.

Rules covered:
- Parquet: the declared types and nullability, a description on every field, provenance in
  the metadata (one document: its facts, "" for a missing source_url or source_kind; several:
  each one's row of the documents table as JSON, both UTF-8 rather than \\u escapes),
  zstd compression;
- CSV: UTF-8 with a BOM, CRLF line ends, dates as 2023-05-22, newlines kept in quoted cells;
- JSON files: UTF-8 (Japanese as written, not escaped), indented by one, ending in a newline;
- what is written, in order: validation.json, document.json (one document only), then each
  table's .parquet and .csv; no temporary file left;
- an error finding replaces nothing: validation.failed.json gets the report, ValidationError
  names the failing PDF (for several documents the first that failed, else "the
  documents"), the count ("1 validation error", "2 validation errors"), the first error and
  the failed file; the next good write removes validation.failed.json;
- a write of several documents removes an earlier run's document.json, and writes into a
  folder that has none.
"""

import dataclasses
import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline import __version__
from pipeline.cli import cli
from pipeline.errors import ValidationError
from pipeline.findings import ERROR, WARNING, Finding
from pipeline.records import Tables, load
from pipeline.schema import CorpusValidationJson
from pipeline.write import file_metadata, write

REPLICA = Path(__file__).parent / "fixtures" / "085_03_02.replica.pdf"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(REPLICA), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_parquet_has_the_declared_types(out):
    schema = pq.read_schema(out / "disclosures.parquet")
    assert schema.field("page").type == pa.int16()
    assert schema.field("published").type == pa.date32()
    assert schema.field("url_confirmed").type == pa.bool_()
    assert schema.field("summary").nullable and not schema.field("url").nullable
    assert schema.names == [
        "document", "page", "row", "company", "company_legal_name", "company_role", "company_group",
        "published", "published_raw", "location", "title", "url", "url_confirmed", "summary",
    ]  # fmt: skip


def test_every_field_has_a_description(out):
    for name in ("disclosures", "incidents", "disclosure_incidents", "documents"):
        schema = pq.read_schema(out / f"{name}.parquet")
        for field in schema:
            assert field.metadata and field.metadata[b"description"], (name, field.name)


def test_parquet_metadata_carries_provenance(out):
    metadata = pq.read_schema(out / "incidents.parquet").metadata
    assert metadata[b"source_sha256"].decode() == hashlib.sha256(REPLICA.read_bytes()).hexdigest()
    assert metadata[b"document_date"] == b"2023-05-22"
    assert json.loads(metadata[b"document"])["material"] == "資料３－２"


def test_pandas_reads_dates_and_nulls(out):
    frame = pd.read_parquet(out / "disclosures.parquet")
    assert len(frame) == 43
    assert str(frame.loc[0, "published"]) == "2022-12-27"
    assert frame["summary"].isna().sum() == 5  # the five － cells


def test_csv_is_utf8_with_bom_and_quoted_newlines(out):
    raw = (out / "disclosures.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfdocument,page,row,company,")
    frame = pd.read_csv(out / "disclosures.csv", encoding="utf-8-sig", dtype=str)
    assert frame.loc[19, "summary"] == (
        "a.営業システム（セールスセンター等）に係る事案\n"
        "b.お客さま台帳検索システムに係る事案\n"
        "c.営業システム（カスタマーセンター）に係る事案"
    )


def test_document_json(out):
    document = json.loads((out / "document.json").read_text(encoding="utf-8"))
    assert document["title"] == (
        "一般送配電事業者による非公開情報の情報漏えいに係る各事業者における"
        "事案の内容及び発生原因の公表状況"
    )
    assert (document["meeting"], document["material"], document["date"]) == (
        "第85回制度設計専門会合",
        "資料３－２",
        "2023-05-22",
    )
    assert document["page_count"] == 7
    assert document["page_titles"][0] == {
        "page": 2,
        "title": "各事業者における事案の内容及び発生原因の公表状況（１／６）",
    }
    [note] = document["footnotes"]
    assert note["text"].startswith("※上記は命令または勧告対象の事業者から提出された情報")
    assert note["text"].endswith("原則記載せず。（以下同様）")
    assert note["applies_to_pages"] == [2, 3, 4, 5, 6, 7]


def test_validation_report_passes(out):
    report = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert (report["passed"], report["rows"], report["errors"]) == (True, 43, [])


def test_no_temporary_files_left(out):
    assert not list(out.glob(".*.tmp"))


# --- write() on the tables stage's output ------------------------------------------------------

OLD_PDF = Path(__file__).parent / "fixtures" / "diff" / "old.pdf"


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Tables:
    """tests/fixtures/diff/old.pdf through the stage commands up to tables, read back."""
    root = tmp_path_factory.mktemp("tables")
    previous = ["--pdf", str(OLD_PDF)]
    for step in ("extract", "repair", "normalize", "tables"):
        result = CliRunner().invoke(cli, ["-q", step, *previous, "--out", str(root / step)])
        assert result.exit_code == 0, (step, result.output)
        previous = ["--in", str(root / step)]
    return load(Tables, root / "tables")


def _error(message: str, row: int) -> Finding:
    return Finding(level=ERROR, check="url_host", message=message, page=2, row=row, column="url")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _corpus(tables: Tables, passed: list[bool]) -> Tables:
    """The same tables as a run over several documents, each passing or not as given."""
    validation = tables.validation
    parts = [
        validation.model_copy(update={"source": f"raw/doc{i}.pdf", "passed": ok})
        for i, ok in enumerate(passed, 1)
    ]
    corpus = CorpusValidationJson(passed=all(passed), rows=0, documents=parts, failed=[])
    return dataclasses.replace(tables, document=None, validation=corpus)


def test_write_returns_validation_document_then_each_tables_parquet_and_csv(tables, tmp_path):
    written = write(tables, tmp_path)
    assert [p.name for p in written] == [
        "validation.json", "document.json",
        "disclosures.parquet", "disclosures.csv", "incidents.parquet", "incidents.csv",
        "disclosure_incidents.parquet", "disclosure_incidents.csv",
        "documents.parquet", "documents.csv",
    ]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_json_files_are_utf8_indented_by_one_and_end_in_a_newline(tables, tmp_path):
    write(tables, tmp_path)
    raw = (tmp_path / "document.json").read_bytes()
    assert raw.startswith(b'{\n "')
    assert raw.endswith(b"}\n") and not raw.endswith(b"\n\n")
    assert "制度設計専門会合".encode() in raw
    assert json.loads(raw.decode("utf-8")) == tables.document.model_dump(mode="json")
    report = (tmp_path / "validation.json").read_bytes()
    assert report.startswith(b'{\n "') and report.endswith(b"}\n")


def test_parquet_is_zstd_compressed(tables, tmp_path):
    write(tables, tmp_path)
    metadata = pq.ParquetFile(tmp_path / "disclosures.parquet").metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"


def test_csv_lines_end_in_crlf_and_dates_read_2023_05_22(tables, tmp_path):
    write(tables, tmp_path)
    raw = (tmp_path / "documents.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfdocument,")
    assert raw.endswith(b"\r\n") and raw.count(b"\n") == raw.count(b"\r\n") == 2
    assert b",2023-05-22," in raw


def test_one_documents_metadata_is_its_facts(tables, tmp_path):
    write(tables, tmp_path)
    metadata = pq.read_schema(tmp_path / "incidents.parquet").metadata
    document = tables.document
    assert metadata[b"source_sha256"].decode() == document.sha256
    assert metadata[b"document_date"] == b"2023-05-22"
    assert metadata[b"pipeline_version"].decode() == __version__
    assert metadata[b"source_kind"].decode() == (document.source_kind or "")
    assert json.loads(metadata[b"document"]) == document.model_dump(mode="json")
    assert "制度設計専門会合".encode() in metadata[b"document"]  # UTF-8, not \u escapes


def test_a_document_without_source_url_or_kind_stores_empty_strings(tables):
    document = tables.document.model_copy(update={"source_url": None, "source_kind": None})
    metadata = file_metadata(dataclasses.replace(tables, document=document))
    assert (metadata["source_url"], metadata["source_kind"]) == ("", "")
    with_url = tables.document.model_copy(
        update={"source_url": "https://example.org/a.pdf", "source_kind": "network"}
    )
    metadata = file_metadata(dataclasses.replace(tables, document=with_url))
    assert (metadata["source_url"], metadata["source_kind"]) == (
        "https://example.org/a.pdf",
        "network",
    )


def test_several_documents_store_each_ones_row_and_remove_an_earlier_document_json(
    tables, tmp_path
):
    write(tables, tmp_path)
    assert (tmp_path / "document.json").is_file()

    written = write(_corpus(tables, [True, True]), tmp_path)

    assert "document.json" not in [p.name for p in written]
    assert not (tmp_path / "document.json").exists()
    metadata = pq.read_schema(tmp_path / "disclosures.parquet").metadata
    assert set(metadata) == {b"pipeline_version", b"documents"}
    assert metadata[b"pipeline_version"].decode() == __version__
    [row] = json.loads(metadata[b"documents"].decode("utf-8"))
    assert row["document"] == tables.documents[0].document
    assert row["date"] == "2023-05-22"
    assert "\\u" not in metadata[b"documents"].decode("utf-8")


def test_several_documents_write_into_a_new_folder(tables, tmp_path):
    out = tmp_path / "new"
    written = write(_corpus(tables, [True, True]), out)
    assert [p.name for p in written][:2] == ["validation.json", "disclosures.parquet"]
    assert not (out / "document.json").exists()


def test_an_error_replaces_nothing_and_names_the_pdf_the_count_and_the_first(tables, tmp_path):
    write(tables, tmp_path)
    before = _snapshot(tmp_path)
    first = _error("not an allowed host", 3)
    failing = dataclasses.replace(tables, findings=(first,))

    with pytest.raises(ValidationError) as raised:
        write(failing, tmp_path)

    failed = tmp_path / "validation.failed.json"
    assert str(raised.value) == (
        f"{tables.validation.source}: 1 validation error, first: {first} (all in {failed})"
    )
    after = _snapshot(tmp_path)
    assert after.pop("validation.failed.json") == (
        json.dumps(tables.validation.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"
    ).encode("utf-8")
    assert after == before


def test_two_errors_are_counted_and_the_first_is_named_warnings_are_not(tables, tmp_path):
    warning = Finding(level=WARNING, check="x", message="only a warning")
    first, second = _error("first", 3), _error("second", 4)
    failing = dataclasses.replace(tables, findings=(warning, first, second))

    with pytest.raises(ValidationError, match=r": 2 validation errors, first: ") as raised:
        write(failing, tmp_path)
    assert f"first: {first} (all in" in str(raised.value)


def test_a_warning_alone_does_not_stop_the_write(tables, tmp_path):
    warning = Finding(level=WARNING, check="x", message="only a warning")
    write(dataclasses.replace(tables, findings=(warning,)), tmp_path)
    assert (tmp_path / "disclosures.parquet").is_file()


def test_a_good_write_removes_the_failed_report(tables, tmp_path):
    failing = dataclasses.replace(tables, findings=(_error("bad", 3),))
    with pytest.raises(ValidationError):
        write(failing, tmp_path)
    assert (tmp_path / "validation.failed.json").is_file()

    write(tables, tmp_path)

    assert not (tmp_path / "validation.failed.json").exists()


@pytest.mark.parametrize(
    ("passed", "named"),
    [([True, False, False], "raw/doc2.pdf"), ([True, True], "the documents")],
)
def test_several_documents_name_the_first_that_failed(tables, tmp_path, passed, named):
    failing = dataclasses.replace(_corpus(tables, passed), findings=(_error("bad", 3),))
    with pytest.raises(ValidationError, match=rf"^{named}: 1 validation error, "):
        write(failing, tmp_path)
