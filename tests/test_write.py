"""The written files, read back with pyarrow and pandas: schema, descriptions, provenance, CSV."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import cli

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
