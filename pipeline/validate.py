"""Validation: every table against its declaration in schema.TABLES and its data rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow

from pipeline.companies import Company, companies
from pipeline.findings import ERROR, WARNING, Finding, in_document_order
from pipeline.records import Disclosure, Document
from pipeline.schema import TABLES, Column

logger = logging.getLogger(__name__)

# A disclosure listed in the document was published before it, and not long before:
# the cases it covers are a year old at most. Outside this window a date is misread.
DATE_WINDOW_BEFORE = dt.timedelta(days=2 * 366)

# How each declared Arrow type is checked in pandas.
_PANDAS_TYPES = {
    pyarrow.int16(): "int16",
    pyarrow.string(): str,
    pyarrow.date32(): "datetime64[ns]",
    pyarrow.bool_(): "boolean",
}


def validate(document: Document, tables: Mapping[str, Sequence[Any]]) -> tuple[Finding, ...]:
    """Given the document and its tables by name (records), return every finding, all together.

    Each table is checked against its declaration in schema.TABLES (types, nulls, empty
    strings) and its data rules; the disclosures also against the rules that only warn.
    """
    findings: list[Finding] = []
    for name, records in tables.items():
        frame = pd.DataFrame([dataclasses.asdict(r) for r in records])
        if frame.empty:
            if name == "disclosures":
                findings.append(
                    Finding(level=ERROR, check="rows", value="0", message="the table has no rows")
                )
            continue
        for column in TABLES[name]:
            if column.type == pyarrow.date32():
                frame[column.name] = pd.to_datetime(frame[column.name])
        schema = _schema(name, document.date, document.source.page_count)
        try:
            schema.validate(frame, lazy=True, inplace=True)  # the frame is ours to coerce
        except pa.errors.SchemaErrors as exc:
            findings += _schema_findings(exc.failure_cases, frame)
        if name == "disclosures":
            findings += _warnings(records)
    findings = in_document_order(findings)
    for finding in findings:
        log = logger.error if finding.level == ERROR else logger.warning
        log("%s: %s", document.source.path, finding)
    return tuple(findings)


def is_http_url(value: object) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace."""
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    host = parts.hostname
    return parts.scheme in ("http", "https") and host is not None and "." in host


@functools.cache
def _schema(name: str, document_date: dt.date, page_count: int) -> pa.DataFrameSchema:
    """Build a table's pandera schema from its declared columns plus its data rules."""
    on_a_page = [pa.Check.in_range(1, page_count, error="page outside the PDF")]
    in_window = [
        pa.Check.in_range(
            pd.Timestamp(document_date - DATE_WINDOW_BEFORE),
            pd.Timestamp(document_date),
            error=f"date outside the window before the document's date {document_date}",
        )
    ]
    rules: dict[str, dict[str, list[pa.Check]]] = {
        "disclosures": {
            "page": on_a_page,
            "published": in_window,
            "url": [
                pa.Check(is_http_url, element_wise=True, error="not an http(s) URL with a host")
            ],
        },
        "incidents": {"first_page": on_a_page, "first_published": in_window},
        "disclosure_incidents": {"page": on_a_page},
    }
    return pa.DataFrameSchema(
        {c.name: _column(c, rules[name].get(c.name, [])) for c in TABLES[name]},
        strict=True,
        ordered=True,
    )


def _column(column: Column, checks: list[pa.Check]) -> pa.Column:
    if not column.nullable and column.type == pyarrow.string():
        checks = [*checks, pa.Check.str_length(min_value=1, error="empty")]
    return pa.Column(_PANDAS_TYPES[column.type], checks, nullable=column.nullable, coerce=True)


def _schema_findings(cases: pd.DataFrame, frame: pd.DataFrame) -> list[Finding]:
    """Given pandera's failure cases, return one finding each, placed by the row's page and row
    (an incident by its first page and row)."""
    rows: list[dict[Any, Any]] = frame.to_dict("records")
    findings = []
    for case in cases.to_dict("records"):
        index = case["index"]
        located = isinstance(index, int | float) and not pd.isna(index) and 0 <= index < len(rows)
        row = rows[int(index)] if located else {}
        page, number = row.get("page", row.get("first_page")), row.get("row", row.get("first_row"))
        column = case["column"]
        findings.append(
            Finding(
                level=ERROR,
                check=str(case["check"]),
                page=int(page) if page is not None else None,
                row=int(number) if number is not None else None,
                column=str(column) if isinstance(column, str) else None,
                value=_value(case["failure_case"]),
                message=_message(str(case["check"])),
            )
        )
    return findings


def _value(value: Any) -> str | None:
    """Return a failing value as the user would write it: a date without its midnight."""
    if pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _message(check: str) -> str:
    if check == "not_nullable":
        return "missing"
    if check.startswith("str_length"):
        return "empty"
    return check


def _warnings(disclosures: Sequence[Disclosure]) -> list[Finding]:
    """Rules that do not stop the run, each naming the rows it doubts."""
    known = companies()
    findings = [
        Finding(
            level=WARNING,
            check="unknown_company",
            column="company",
            value=name,
            message="not in data/companies.csv: legal name, role and group left null",
        )
        for name in dict.fromkeys(d.company for d in disclosures)
        if name not in known
    ]
    repeated = {url for url, n in Counter(d.url for d in disclosures).items() if n > 1}
    for d in disclosures:
        for check, message in _url_doubts(d, known.get(d.company), repeated):
            findings.append(
                Finding(
                    level=WARNING,
                    check=check,
                    page=d.page,
                    row=d.row,
                    column="url",
                    value=d.url,
                    message=message,
                )
            )
    return findings


def _url_doubts(
    record: Disclosure, company: Company | None, repeated: set[str]
) -> list[tuple[str, str]]:
    """Return (check, message) for each doubt about one row's URL."""
    doubts = []
    if record.url_confirmed is False:
        doubts.append(
            ("link_annotation", "the PDF's link annotation over this title points elsewhere")
        )
    if "://" in record.url.split("://", 1)[-1]:
        doubts.append(
            ("url_nested_scheme", "a second scheme inside the URL: did two URLs run together?")
        )
    host = urlsplit(record.url).hostname if is_http_url(record.url) else None
    if company and host and not company.owns(host):
        doubts.append(
            (
                "url_host",
                f"host {host} is not one of {record.company}'s domains "
                f"({', '.join(company.domains)}): is the row under the right company?",
            )
        )
    if record.url in repeated:
        doubts.append(("repeated_url", "the same URL is listed on more than one row"))
    return doubts
