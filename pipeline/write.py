"""Write stage: the finished table as Parquet and CSV, replaced together or not at all."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.errors import PipelineError, ValidationError
from pipeline.records import Normalized
from pipeline.schema import DISCLOSURES, arrow_schema
from pipeline.validate import Finding, validate

logger = logging.getLogger(__name__)

PARQUET_NAME = "disclosures.parquet"
CSV_NAME = "disclosures.csv"
VALIDATION_NAME = "validation.json"
# Where a failed validation's findings go, so that the last good validation.json survives.
FAILED_VALIDATION_NAME = "validation.failed.json"
# Excel in Japan reads a CSV without a BOM as Shift_JIS; the BOM makes it read UTF-8.
CSV_ENCODING = "utf-8-sig"


def write(normalized: Normalized, out_dir: Path, *, source_url: str | None = None) -> list[Path]:
    """Given the finished table, validate it, then write its files into out_dir.

    Writes disclosures.parquet, disclosures.csv and validation.json, all or none. If
    validation finds errors, nothing is replaced: the findings go to validation.failed.json
    and ValidationError names the first.
    """
    findings = validate(normalized)
    report = _report(normalized, findings)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        failed = replace_all(out_dir, {FAILED_VALIDATION_NAME: report})[0]
        raise ValidationError(
            f"{normalized.document.source}: {len(errors)} validation errors, first: {errors[0]}"
            f" (all in {failed})"
        )
    table = _table(normalized, source_url)
    files = {
        PARQUET_NAME: _parquet_bytes(table),
        CSV_NAME: _csv_bytes(table),
        VALIDATION_NAME: report,
    }
    (out_dir / FAILED_VALIDATION_NAME).unlink(missing_ok=True)
    return replace_all(out_dir, files)


def _report(normalized: Normalized, findings: tuple[Finding, ...]) -> bytes:
    document = normalized.document
    report = {
        "source": document.source,
        "sha256": document.sha256,
        "document_date": document.date.isoformat(),
        "rows": len(normalized.disclosures),
        "passed": not any(f.level == "error" for f in findings),
        "errors": [dataclasses.asdict(f) for f in findings if f.level == "error"],
        "warnings": [dataclasses.asdict(f) for f in findings if f.level == "warning"],
    }
    return (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def file_metadata(normalized: Normalized, source_url: str | None) -> dict[str, str]:
    """Return the provenance stored in every output file's metadata."""
    document = normalized.document
    return {
        "source_url": source_url or "",
        "source_file": Path(document.source).name,
        "source_sha256": document.sha256,
        "source_pages": str(document.page_count),
        "document_date": document.date.isoformat(),
        "pipeline_version": __version__,
    }


def replace_all(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file to a temporary name first, then rename them all into place.

    A failure while writing leaves the previous outputs untouched.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for name, data in files.items():
            tmp = out_dir / f".{name}.tmp"
            tmp.write_bytes(data)
            staged.append((tmp, out_dir / name))
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise PipelineError(f"{out_dir}: cannot write outputs ({exc.strerror})") from exc
    for tmp, final in staged:
        os.replace(tmp, final)
        logger.info("wrote %s", final)
    return [final for _, final in staged]


def _table(normalized: Normalized, source_url: str | None) -> pa.Table:
    metadata = file_metadata(normalized, source_url)
    metadata["columns"] = json.dumps(
        {c.name: c.description for c in DISCLOSURES}, ensure_ascii=False
    )
    schema = arrow_schema(DISCLOSURES, metadata)
    rows = [dataclasses.asdict(d) for d in normalized.disclosures]
    return pa.Table.from_pylist(rows, schema=schema)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _csv_bytes(table: pa.Table) -> bytes:
    frame = table.to_pandas(types_mapper=None)
    text = frame.to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d")
    return text.encode(CSV_ENCODING)
