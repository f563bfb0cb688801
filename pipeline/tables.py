"""Tables stage: the normalized rows in; every output table, the document's facts and the
findings out, validated against their declarations. Pure: nothing is read or written."""

from __future__ import annotations

import logging
from pathlib import PurePath

from pipeline.document import describe
from pipeline.findings import ERROR, WARNING, Finding, in_document_order
from pipeline.incidents import incidents
from pipeline.records import Normalized, Tables
from pipeline.schema import DocumentJson, FindingJson, PageAccount, ValidationJson
from pipeline.validate import validate

logger = logging.getLogger(__name__)


def tables(
    normalized: Normalized,
    *,
    source_url: str | None = None,
    source_kind: str | None = None,
    fetched_at: str | None = None,
) -> Tables:
    """Given the normalized rows, return every output table, document.json, validation.json
    and the findings (errors included: write refuses to replace the outputs if any).

    source_url, source_kind ("network", "replica", "local file") and fetched_at (from the
    download manifest) record where the PDF came from.
    """
    found, mentions, incident_findings = incidents(normalized.disclosures)
    by_name = {
        "disclosures": normalized.disclosures,
        "incidents": found,
        "disclosure_incidents": mentions,
    }
    findings = tuple(
        in_document_order([*validate(normalized.document, by_name), *incident_findings])
    )
    document = DocumentJson.model_validate(describe(normalized.document, source_url, source_kind))
    return Tables(
        disclosures=normalized.disclosures,
        incidents=found,
        disclosure_incidents=mentions,
        document=document,
        validation=_validation(normalized, findings, source_kind, source_url, fetched_at),
        findings=findings,
    )


def _validation(
    normalized: Normalized,
    findings: tuple[Finding, ...],
    source_kind: str | None,
    source_url: str | None,
    fetched_at: str | None,
) -> ValidationJson:
    document = normalized.document
    pages = document.source.pages
    source = document.source
    return ValidationJson(
        provenance=provenance(source_kind, source_url, fetched_at, source.path, source.sha256),
        source=source.path,
        sha256=source.sha256,
        source_kind=source_kind,
        source_url=source_url,
        fetched_at=fetched_at,
        document_date=document.date,
        rows=len(normalized.disclosures),
        # Every page of the PDF and what extract made of it: table rows, or before or after
        # the table (the cover, an annex); see records.PageText.role.
        pages=[
            PageAccount(page=page.page, role=page.role, rows=page.rows, unified=page.unified)
            for page in pages
        ],
        # Characters whose font mapped them to a radical code point (関⻄電⼒), read as the
        # unified ideograph Unicode lists as equivalent (関西電力).
        unified_radicals=sum(page.unified for page in pages),
        passed=not any(f.level == ERROR for f in findings),
        errors=[_finding(f) for f in findings if f.level == ERROR],
        warnings=[_finding(f) for f in findings if f.level == WARNING],
    )


def provenance(
    kind: str | None, url: str | None, fetched_at: str | None, path: str, sha256: str
) -> str:
    """Return where the PDF came from in one sentence, for validation.json and the run's
    summary line: `downloaded from URL at TIME`, `REPLICA …`, `local file NAME`, + sha256."""
    when = f" at {fetched_at}" if fetched_at else ""
    if kind == "network":
        where = f"downloaded from {url or '(URL not recorded)'}{when}"
    elif kind == "replica":
        # The offline fallback: said as loudly as download says it, wherever it is read.
        copied = f", copied{when}" if when else ""
        published = f" at {url}" if url else ""
        where = f"the bundled REPLICA{copied}, not the published document{published}"
    else:
        where = f"{kind or 'file'} {PurePath(path).name}"
    return f"{where}, sha256 {sha256}"


def _finding(finding: Finding) -> FindingJson:
    return FindingJson(
        level=finding.level,
        check=finding.check,
        message=finding.message,
        page=finding.page,
        row=finding.row,
        column=finding.column,
        value=finding.value,
    )
