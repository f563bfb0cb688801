"""Tables stage: the normalized rows in; every output table, the document's facts and the
findings out, validated against their declarations. Pure: nothing is read or written."""

from __future__ import annotations

import logging

from pipeline.document import describe
from pipeline.findings import ERROR, WARNING, Finding, in_document_order
from pipeline.incidents import incidents
from pipeline.records import Normalized, Tables
from pipeline.schema import DocumentJson, FindingJson, PageAccount, ValidationJson
from pipeline.validate import validate

logger = logging.getLogger(__name__)


def tables(
    normalized: Normalized, *, source_url: str | None = None, source_kind: str | None = None
) -> Tables:
    """Given the normalized rows, return every output table, document.json, validation.json
    and the findings (errors included: write refuses to replace the outputs if any).

    source_url and source_kind ("network", "replica", "local file") record where the PDF
    came from.
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
        validation=_validation(normalized, findings),
        findings=findings,
    )


def _validation(normalized: Normalized, findings: tuple[Finding, ...]) -> ValidationJson:
    document = normalized.document
    pages = document.source.pages
    return ValidationJson(
        source=document.source.path,
        sha256=document.source.sha256,
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
