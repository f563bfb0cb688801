"""Validate stage: check the finished table against the declared schema and the data rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow

from pipeline.companies import companies
from pipeline.records import Normalized
from pipeline.schema import DISCLOSURES, Column

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


@dataclass(frozen=True)
class Finding:
    """One broken rule: an error stops the run, a warning is reported and the run goes on."""

    level: str  # "error" or "warning"
    check: str
    page: int | None
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = f"page {self.page}, row {self.row}, " if self.page is not None else ""
        return f"{where}{self.column or 'table'}: {self.message} ({self.value!r})"


def validate(normalized: Normalized) -> tuple[Finding, ...]:
    """Given the finished table, return every finding, errors and warnings, all together."""
    frame = pd.DataFrame([dataclasses.asdict(d) for d in normalized.disclosures])
    if frame.empty:
        return (Finding("error", "rows", None, None, None, "0", "the table has no rows"),)
    frame["published"] = pd.to_datetime(frame["published"])
    schema = _schema(normalized.document.date, normalized.document.source.page_count)
    findings: list[Finding] = []
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        findings += _schema_findings(exc.failure_cases, frame)
    findings += _warnings(frame)
    for finding in findings:
        log = logger.error if finding.level == "error" else logger.warning
        log("%s: %s", normalized.document.source.path, finding)
    return tuple(findings)


def is_http_url(value: object) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace."""
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in parts.hostname


def _schema(document_date: dt.date, page_count: int) -> pa.DataFrameSchema:
    """Build the pandera schema from the declared columns plus the data rules."""
    rules = {
        "page": [pa.Check.in_range(1, page_count, error="page outside the PDF")],
        "published": [
            pa.Check.in_range(
                pd.Timestamp(document_date - DATE_WINDOW_BEFORE),
                pd.Timestamp(document_date),
                error=f"date outside the window before the document's date {document_date}",
            )
        ],
        "url": [pa.Check(is_http_url, element_wise=True, error="not an http(s) URL with a host")],
    }
    return pa.DataFrameSchema(
        {c.name: _column(c, rules.get(c.name, [])) for c in DISCLOSURES},
        strict=True,
        ordered=True,
    )


def _column(column: Column, checks: list[pa.Check]) -> pa.Column:
    if not column.nullable and column.type == pyarrow.string():
        checks = [*checks, pa.Check.str_length(min_value=1, error="empty")]
    return pa.Column(_PANDAS_TYPES[column.type], checks, nullable=column.nullable, coerce=True)


def _schema_findings(cases: pd.DataFrame, frame: pd.DataFrame) -> list[Finding]:
    findings = []
    for case in cases.itertuples(index=False):
        index = case.index
        located = index is not None and not pd.isna(index) and int(index) in frame.index
        row = frame.loc[int(index)] if located else None
        findings.append(
            Finding(
                level="error",
                check=str(case.check),
                page=int(row["page"]) if row is not None else None,
                row=int(row["row"]) if row is not None else None,
                column=case.column,
                value=_value(case.failure_case),
                message=_message(str(case.check)),
            )
        )
    # pandera reports column by column; the first error shown should be the first in the PDF.
    return sorted(findings, key=lambda f: (f.page or 0, f.row or 0))


def _value(value: object) -> str | None:
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


def _warnings(frame: pd.DataFrame) -> list[Finding]:
    """Rules that do not stop the run, each naming the rows it doubts."""
    known = companies()
    findings = [
        Finding(
            "warning",
            "unknown_company",
            None,
            None,
            "company",
            name,
            "not in data/companies.csv: legal name, role and group left null",
        )
        for name in dict.fromkeys(frame["company"])
        if name not in known
    ]
    repeated = {url for url, n in Counter(frame["url"]).items() if n > 1}
    for record in frame.itertuples(index=False):
        for check, message in _url_doubts(record, known.get(record.company), repeated):
            findings.append(
                Finding("warning", check, record.page, record.row, "url", record.url, message)
            )
    # One rule after another, as the checks are listed in docs and tests.
    order = ["unknown_company", "link_annotation", "url_nested_scheme", "url_host", "repeated_url"]
    return sorted(findings, key=lambda f: order.index(f.check))


def _url_doubts(record, company, repeated: set[str]) -> list[tuple[str, str]]:
    """Return (check, message) for each doubt about one row's URL."""
    doubts = []
    if record.url_confirmed is False:
        doubts.append(
            ("link_annotation", "the PDF's link annotation over this title points elsewhere")
        )
    if isinstance(record.url, str) and "://" in record.url.split("://", 1)[-1]:
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
