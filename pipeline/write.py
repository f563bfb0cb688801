"""Write stage: every output table (Parquet and CSV) and JSON file, all replaced or none."""

from __future__ import annotations

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
from pipeline.schema import CSV_ENCODING, TABLES, Column, arrow_schema

logger = logging.getLogger(__name__)

DOCUMENT_NAME = "document.json"
VALIDATION_NAME = "validation.json"
# Where a failed validation's findings go, so that the last good validation.json survives.
FAILED_VALIDATION_NAME = "validation.failed.json"


def write(tables: Tables, out_dir: Path) -> list[Path]:
    """Given the tables stage's output, write every output into out_dir, all or none.

    Writes each table of schema.TABLES (.parquet and .csv), document.json and
    validation.json. If the findings hold an error nothing is replaced: validation.json's
    content goes to validation.failed.json and ValidationError names the first error.
    """
    report = _json_bytes(tables.validation.model_dump(mode="json"))
    errors = [f for f in tables.findings if f.level == ERROR]
    if errors:
        failed = replace_all(out_dir, {FAILED_VALIDATION_NAME: report})[0]
        raise ValidationError(
            f"{tables.validation.source}: {len(errors)} validation "
            f"error{'s' if len(errors) > 1 else ''}, first: {errors[0]}"
            f" (all in {failed})"
        )
    document = tables.document.model_dump(mode="json")
    metadata = file_metadata(document)
    files = {DOCUMENT_NAME: _json_bytes(document), VALIDATION_NAME: report}
    for name, columns in TABLES.items():
        table = _table(columns, getattr(tables, name), metadata)
        files[f"{name}.parquet"] = _parquet_bytes(table)
        files[f"{name}.csv"] = _csv_bytes(table)
    written = replace_all(out_dir, files)
    for path in written:
        logger.info("wrote %s", path)
    (out_dir / FAILED_VALIDATION_NAME).unlink(missing_ok=True)  # this run's report supersedes it
    return written


def file_metadata(document: dict[str, Any]) -> dict[str, str]:
    """Return the provenance stored in every Parquet file's metadata."""
    return {
        "source_url": document["source_url"] or "",
        "source_kind": document["source_kind"] or "",
        "source_sha256": document["sha256"],
        "document_date": document["date"],
        "pipeline_version": __version__,
        "document": json.dumps(document, ensure_ascii=False),
    }


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
