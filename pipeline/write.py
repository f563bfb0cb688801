"""Write stage: every output table (Parquet and CSV) and JSON file, all replaced or none."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.errors import ValidationError
from pipeline.files import replace_all
from pipeline.findings import ERROR
from pipeline.records import Tables
from pipeline.schema import (
    CSV_ENCODING,
    TABLES,
    Column,
    CorpusValidationJson,
    ValidationJson,
    arrow_schema,
)

logger = logging.getLogger(__name__)

DOCUMENT_NAME = "document.json"
VALIDATION_NAME = "validation.json"
# Where a failed validation's findings go, so that the last good validation.json survives.
FAILED_VALIDATION_NAME = "validation.failed.json"


def write(tables: Tables, out_dir: Path) -> list[Path]:
    """Given the tables stage's output, write every output into out_dir, all or none.

    Writes each table of schema.TABLES (.parquet and .csv), validation.json, and for one
    document its document.json. If the findings hold an error nothing is replaced:
    validation.json's content goes to validation.failed.json and ValidationError names the
    first error and its document.
    """
    report = _json_bytes(tables.validation.model_dump(mode="json"))
    errors = [f for f in tables.findings if f.level == ERROR]
    if errors:
        failed = replace_all(out_dir, {FAILED_VALIDATION_NAME: report})[0]
        raise ValidationError(
            f"{_first_failing(tables.validation)}: {len(errors)} validation "
            f"error{'s' if len(errors) > 1 else ''}, first: {errors[0]}"
            f" (all in {failed})"
        )
    files = {VALIDATION_NAME: report}
    if tables.document is not None:
        files[DOCUMENT_NAME] = _json_bytes(tables.document.model_dump(mode="json"))
    metadata = file_metadata(tables)
    for name, columns in TABLES.items():
        table = _table(columns, getattr(tables, name), metadata)
        files[f"{name}.parquet"] = _parquet_bytes(table)
        files[f"{name}.csv"] = _csv_bytes(table)
    written = replace_all(out_dir, files)
    for path in written:
        logger.info("wrote %s", path)
    (out_dir / FAILED_VALIDATION_NAME).unlink(missing_ok=True)  # this run's report supersedes it
    if tables.document is None:  # several documents: an earlier run's document.json is stale
        (out_dir / DOCUMENT_NAME).unlink(missing_ok=True)
    return written


def file_metadata(tables: Tables) -> dict[str, str]:
    """Return the provenance stored in every Parquet file's metadata: the document's facts,
    or for several documents each one's row of the documents table."""
    if tables.document is None:
        documents = [dataclasses.asdict(row) for row in tables.documents]
        return {
            "pipeline_version": __version__,
            "documents": json.dumps(documents, ensure_ascii=False, default=str),
        }
    document = tables.document.model_dump(mode="json")
    return {
        "source_url": document["source_url"] or "",
        "source_kind": document["source_kind"] or "",
        "source_sha256": document["sha256"],
        "document_date": document["date"],
        "pipeline_version": __version__,
        "document": json.dumps(document, ensure_ascii=False),
    }


def _first_failing(validation: ValidationJson | CorpusValidationJson) -> str:
    """The PDF whose tables hold the first error."""
    if isinstance(validation, ValidationJson):
        return validation.source
    return next((v.source for v in validation.documents if not v.passed), "the documents")


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _table(
    columns: tuple[Column, ...], records: Sequence[object], metadata: dict[str, str]
) -> pa.Table:
    schema = arrow_schema(columns, metadata)
    rows = [{c.name: getattr(r, c.name) for c in columns} for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def _csv_bytes(table: pa.Table) -> bytes:
    frame = table.to_pandas()
    text = frame.to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d")
    return str(text).encode(CSV_ENCODING)
