"""Write stage: validate, then write every output table and document.json, all or nothing."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.document import describe
from pipeline.errors import PipelineError, ValidationError
from pipeline.incidents import incidents
from pipeline.records import Normalized
from pipeline.schema import DISCLOSURE_INCIDENTS, DISCLOSURES, INCIDENTS, Column, arrow_schema
from pipeline.validate import Finding, validate

logger = logging.getLogger(__name__)

# Excel in Japan reads a CSV without a BOM as Shift_JIS; the BOM makes it read UTF-8.
CSV_ENCODING = "utf-8-sig"
DOCUMENT_NAME = "document.json"
VALIDATION_NAME = "validation.json"
# Where a failed validation's findings go, so that the last good validation.json survives.
FAILED_VALIDATION_NAME = "validation.failed.json"


def write(
    normalized: Normalized,
    out_dir: Path,
    *,
    source_url: str | None = None,
    source_kind: str | None = None,
) -> list[Path]:
    """Given the finished table, validate it, then write every output into out_dir.

    Writes disclosures, incidents and disclosure_incidents (each .parquet and .csv),
    document.json and validation.json, all or none. If validation finds errors nothing is
    replaced: the findings go to validation.failed.json and ValidationError names the first.
    source_url and source_kind ("network", "replica", "local file") record where the PDF
    came from.
    """
    found, mentions, incident_findings = incidents(normalized.disclosures)
    findings = validate(normalized) + incident_findings
    report = _json_bytes(_report(normalized, findings))
    errors = [f for f in findings if f.level == "error"]
    if errors:
        failed = replace_all(out_dir, {FAILED_VALIDATION_NAME: report})[0]
        raise ValidationError(
            f"{normalized.document.source.path}: {len(errors)} validation "
            f"error{'s' if len(errors) > 1 else ''}, first: {errors[0]}"
            f" (all in {failed})"
        )
    document = describe(normalized.document, source_url, source_kind)
    metadata = file_metadata(document)
    files = {DOCUMENT_NAME: _json_bytes(document), VALIDATION_NAME: report}
    for name, columns, records in (
        ("disclosures", DISCLOSURES, normalized.disclosures),
        ("incidents", INCIDENTS, found),
        ("disclosure_incidents", DISCLOSURE_INCIDENTS, mentions),
    ):
        table = _table(columns, records, metadata)
        files[f"{name}.parquet"] = _parquet_bytes(table)
        files[f"{name}.csv"] = _csv_bytes(table)
    written = replace_all(out_dir, files)
    (out_dir / FAILED_VALIDATION_NAME).unlink(missing_ok=True)  # this run's report supersedes it
    return written


def file_metadata(document: dict) -> dict[str, str]:
    """Return the provenance stored in every Parquet file's metadata."""
    return {
        "source_url": document["source_url"] or "",
        "source_kind": document["source_kind"] or "",
        "source_sha256": document["sha256"],
        "document_date": document["date"],
        "pipeline_version": __version__,
        "document": json.dumps(document, ensure_ascii=False),
    }


def replace_all(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file to a temporary name first, then rename them all into place.

    A failure while writing leaves the previous outputs untouched.
    """
    staged = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
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


def _report(normalized: Normalized, findings: tuple[Finding, ...]) -> dict:
    document = normalized.document
    return {
        "source": document.source.path,
        "sha256": document.source.sha256,
        "document_date": document.date.isoformat(),
        "rows": len(normalized.disclosures),
        # Every page of the PDF and what extract made of it: table rows, or before or after
        # the table (the cover, an annex); see PageText.role.
        "pages": [
            {"page": page.page, "role": page.role, "rows": page.rows, "unified": page.unified}
            for page in document.source.pages
        ],
        # Characters whose font mapped them to a radical code point (関⻄電⼒), read as the
        # unified ideograph Unicode lists as equivalent (関西電力).
        "unified_radicals": sum(page.unified for page in document.source.pages),
        "passed": not any(f.level == "error" for f in findings),
        "errors": [dataclasses.asdict(f) for f in findings if f.level == "error"],
        "warnings": [dataclasses.asdict(f) for f in findings if f.level == "warning"],
    }


def _json_bytes(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _table(columns: tuple[Column, ...], records, metadata: dict[str, str]) -> pa.Table:
    schema = arrow_schema(columns, metadata)
    rows = [{c.name: getattr(r, c.name) for c in columns} for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _csv_bytes(table: pa.Table) -> bytes:
    frame = table.to_pandas()
    text = frame.to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d")
    return text.encode(CSV_ENCODING)
