"""Tables stage: the normalized rows in; every output table, the document's facts and the
findings out, validated against their declarations. Pure: nothing is read or written.

Its parts, in this order: the incidents (事案) the 補足 cells enumerate and the rows that
mention them; the facts the PDF gives about itself (document.json); and the validation of
every table against its declaration in schema.TABLES.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow

from pipeline.companies import Company, companies
from pipeline.errors import TablesError
from pipeline.findings import ERROR, WARNING, Finding, in_document_order
from pipeline.records import (
    Disclosure,
    Document,
    DocumentRow,
    Failure,
    Incident,
    Line,
    Mention,
    Normalized,
    Origin,
    Tables,
)
from pipeline.schema import (
    TABLES,
    Column,
    CorpusValidationJson,
    DocumentJson,
    FailedDocument,
    FindingJson,
    PageAccount,
    ValidationJson,
)
from pipeline.text import CIRCLED, RANGE_MARK, REFERENCE_MARK, tidy

logger = logging.getLogger(__name__)


def tables(
    documents: Sequence[Normalized],
    origins: Sequence[Origin] | None = None,
    *,
    failed: Sequence[Failure] = (),
    keep_going: bool = False,
) -> Tables:
    """Given each document's normalized rows, return every output table, document.json,
    validation.json and the findings (errors included: write refuses to replace the outputs
    if any).

    origins (one per document; default: local files) record where each PDF came from.
    failed lists documents that could not be read; with keep_going, a document whose tables
    break a rule joins them instead of failing the run. One document that passed, and none
    failed, gives that document's document.json and validation.json; otherwise the
    validation.json has a part per document and there is no document.json.
    """
    origins = origins if origins is not None else [Origin()] * len(documents)
    stems = Counter(n.document.source.document for n in documents)
    twice = sorted(stem for stem, count in stems.items() if count > 1)
    if twice:
        raise TablesError(f"two input PDFs have the same file name: {', '.join(twice)}")
    parts = [_document_tables(n, o) for n, o in zip(documents, origins, strict=True)]
    if keep_going:
        failed = [*failed, *(_failure(part) for part in parts if not part.validation.passed)]
        parts = [part for part in parts if part.validation.passed]
    if len(parts) == 1 and not failed:
        return parts[0]
    return _corpus(parts, failed)


def _document_tables(normalized: Normalized, origin: Origin) -> Tables:
    """One document's tables, document.json, validation.json and findings."""
    found, mentions, incident_findings = incidents(normalized.disclosures)
    document = DocumentJson.model_validate(
        describe(normalized.document, origin.source_url, origin.source_kind)
    )
    row = _document_row(normalized, document)
    by_name = {
        "disclosures": normalized.disclosures,
        "incidents": found,
        "disclosure_incidents": mentions,
        "documents": (row,),
    }
    findings = tuple(
        in_document_order([*validate(normalized.document, by_name), *incident_findings])
    )
    return Tables(
        disclosures=normalized.disclosures,
        incidents=found,
        disclosure_incidents=mentions,
        documents=(row,),
        document=document,
        validation=_validation(normalized, findings, origin),
        findings=findings,
    )


def _document_row(normalized: Normalized, document: DocumentJson) -> DocumentRow:
    source = normalized.document.source
    return DocumentRow(
        document=source.document,
        source_file=source.path,
        sha256=source.sha256,
        source_kind=document.source_kind,
        date=document.date,
        meeting=document.meeting,
        material=document.material,
        title=document.title,
        page_count=source.page_count,
        rows=len(normalized.disclosures),
    )


def _failure(part: Tables) -> Failure:
    """A document whose tables break a rule, as a run that keeps going leaves it out."""
    validation = part.validation
    assert isinstance(validation, ValidationJson)  # one document's
    errors = [f for f in part.findings if f.level == ERROR]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Failure(
        document=part.documents[0].document,
        source=validation.source,
        error=f"{validation.source}: validation error: {errors[0]}{more}",
    )


def _corpus(parts: Sequence[Tables], failed: Sequence[Failure]) -> Tables:
    """Several documents' tables as one: every table concatenated in the documents' order,
    and a validation.json with each document's part and the documents left out."""
    validations = [part.validation for part in parts]
    rows = sum(len(part.disclosures) for part in parts)
    return Tables(
        disclosures=tuple(d for part in parts for d in part.disclosures),
        incidents=tuple(i for part in parts for i in part.incidents),
        disclosure_incidents=tuple(m for part in parts for m in part.disclosure_incidents),
        documents=tuple(d for part in parts for d in part.documents),
        document=None,
        validation=CorpusValidationJson(
            passed=not failed and all(v.passed for v in validations),
            rows=rows,
            documents=[v for v in validations if isinstance(v, ValidationJson)],
            failed=[
                FailedDocument(document=f.document, source=f.source, error=f.error) for f in failed
            ],
        ),
        findings=tuple(f for part in parts for f in part.findings),
    )


def _validation(
    normalized: Normalized, findings: tuple[Finding, ...], origin: Origin
) -> ValidationJson:
    document = normalized.document
    pages = document.source.pages
    source = document.source
    kind, url, fetched_at = origin.source_kind, origin.source_url, origin.fetched_at
    return ValidationJson(
        document=source.document,
        provenance=provenance(kind, url, fetched_at, source.path, source.sha256),
        source=source.path,
        sha256=source.sha256,
        source_kind=kind,
        source_url=url,
        fetched_at=fetched_at,
        document_date=document.date,
        rows=len(normalized.disclosures),
        # Every page of the PDF and what extract made of it: table rows, or before or after
        # the table (the cover, an annex); see records.PageText.role.
        pages=[
            PageAccount(page=page.page, role=page.role, rows=page.rows, unified=page.unified)
            for page in pages
        ],
        # Characters whose font mapped them to a radical code point (⻄, U+2EC4), read as the
        # unified ideograph Unicode lists as equivalent (西).
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


# --- Incidents: the cases (事案) companies enumerate in 補足, and the rows that mention them


# Circled numbers sit in three Unicode runs: ①-⑳ (1-20), ㉑-㉟ (21-35), ㊱-㊿ (36-50).
CIRCLED_RUNS = ((0x2460, 1), (0x3251, 21), (0x32B1, 36))

# An item that describes an incident starts its line with the label:
# `a.営業システム…`, `①小売業務を…`, `事案１お客さま台帳検索システム`.
DESCRIBES = re.compile(
    rf"""^(?:
        (?P<letter>[a-z])[.．)）]
      | (?P<circled>[{CIRCLED}])
      | 事案\s*(?P<number>[0-9０-９]+)
    )(?![{REFERENCE_MARK}])\s*(?P<text>.+)$""",
    re.VERBOSE,
)
# Mentions inside a line, ranges first: `上記①～③`, `①～⑧の事案`, `事案１～７`,
# `事案a～g`, `上記①、②及び、`, `事案４`.
MENTION = re.compile(
    rf"""(?:
        (?P<c1>[{CIRCLED}])\s*[{RANGE_MARK}]\s*(?P<c2>[{CIRCLED}])
      | 事案\s*(?P<n1>[0-9０-９]+)\s*[{RANGE_MARK}]\s*(?:事案\s*)?(?P<n2>[0-9０-９]+)
      | (?:事案\s*)?(?<![A-Za-z])(?P<l1>[a-z])\s*[{RANGE_MARK}]
        \s*(?:事案\s*)?(?P<l2>[a-z])(?![A-Za-z])
      | (?P<c>[{CIRCLED}])
      | 事案\s*(?P<n>[0-9０-９]+)
      | 事案\s*(?P<l>[a-z])(?![A-Za-z])
    )""",
    re.VERBOSE,
)


# An incident's identity: its company, its label series ("letter", "circled", "number"), ordinal.
Key = tuple[str, str, int]


def incidents(
    disclosures: tuple[Disclosure, ...],
) -> tuple[tuple[Incident, ...], tuple[Mention, ...], tuple[Finding, ...]]:
    """Given the disclosures, return the incidents, every mention of them, and warnings."""
    described: dict[Key, Incident] = {}
    mentions: dict[tuple[int, int, Key], Mention] = {}
    for d in sorted(disclosures, key=lambda d: (d.published, d.page, d.row)):
        for line in (d.summary or "").split("\n"):
            item = _describes(d, line)
            if item is not None:
                key, incident = item
                described.setdefault(key, incident)
                mentions[(d.page, d.row, key)] = _mention(d, key, incident.label, "describes")
                continue
            for key, label in _mentioned(d.company, line):
                mentions.setdefault((d.page, d.row, key), _mention(d, key, label, "refers"))
    findings = _dangling(mentions, described) + _gaps(described)
    kept = [m for (p, r, key), m in mentions.items() if key in described]
    kept.sort(key=lambda m: (m.page, m.row, m.ordinal))
    # Group by company in the order the companies appear, then by series as first seen
    # (a company may enumerate `a.`… and later `①`…), then by label.
    companies = {name: i for i, name in enumerate(dict.fromkeys(d.company for d in disclosures))}
    series = {key[:2]: i for i, key in enumerate(dict.fromkeys(k[:2] for k in described))}
    found = [
        described[key]
        for key in sorted(described, key=lambda k: (companies[k[0]], series[k[:2]], k[2]))
    ]
    return tuple(found), tuple(kept), tuple(findings)


def _describes(d: Disclosure, line: str) -> tuple[Key, Incident] | None:
    match = DESCRIBES.match(line)
    if match is None:
        return None
    series, ordinal, label = _label(match["letter"], match["circled"], match["number"])
    incident = Incident(
        document=d.document,
        company=d.company,
        label=label,
        ordinal=ordinal,
        text=match["text"].strip(),
        first_page=d.page,
        first_row=d.row,
        first_published=d.published,
    )
    return (d.company, series, ordinal), incident


def _mentioned(company: str, line: str) -> list[tuple[Key, str]]:
    """Return the (key, label) of every incident a line mentions, ranges expanded."""
    found = []
    for m in MENTION.finditer(line):
        pairs: list[tuple[str | None, str | None, str | None]]  # (letter, circled, number)
        if m["c1"]:
            pairs = [(None, c, None) for c in _circled_range(m["c1"], m["c2"])]
        elif m["n1"]:
            wide = m["n1"] != unicodedata.normalize("NFKC", m["n1"])
            pairs = [
                (None, None, _digits(n, wide)) for n in range(_int(m["n1"]), _int(m["n2"]) + 1)
            ]
        elif m["l1"]:
            pairs = [(chr(c), None, None) for c in range(ord(m["l1"]), ord(m["l2"]) + 1)]
        else:
            pairs = [(m["l"], m["c"], m["n"])]
        for letter, circled, number in pairs:
            series, ordinal, label = _label(letter, circled, number)
            found.append(((company, series, ordinal), label))
    return found


def _label(letter: str | None, circled: str | None, number: str | None) -> tuple[str, int, str]:
    """Return (series, ordinal, label as printed) of one label."""
    if letter:
        return "letter", ord(letter) - ord("a") + 1, letter
    if circled:
        return "circled", _circled_ordinal(circled), circled
    if number is None:
        raise ValueError("a label is a letter, a circled number or a number")
    return "number", _int(number), f"事案{number}"


def _circled_ordinal(char: str) -> int:
    code = ord(char)
    start, first = max((s, f) for s, f in CIRCLED_RUNS if s <= code)
    return first + code - start


def _circled_range(start: str, end: str) -> list[str]:
    first, last = _circled_ordinal(start), _circled_ordinal(end)
    return [_circled(n) for n in range(first, last + 1)]


def _circled(n: int) -> str:
    start, first = max((s, f) for s, f in CIRCLED_RUNS if f <= n)
    return chr(start + n - first)


def _int(digits: str) -> int:
    return int(unicodedata.normalize("NFKC", digits))


def _digits(n: int, wide: bool) -> str:
    """Print n as the range's endpoints were printed: `事案１～７` gives １…７."""
    text = str(n)
    return text.translate(str.maketrans("0123456789", "０１２３４５６７８９")) if wide else text


def _mention(d: Disclosure, key: Key, label: str, kind: str) -> Mention:
    return Mention(
        document=d.document,
        page=d.page,
        row=d.row,
        company=d.company,
        label=label,
        ordinal=key[2],
        kind=kind,
    )


def _dangling(
    mentions: dict[tuple[int, int, Key], Mention], described: dict[Key, Incident]
) -> list[Finding]:
    """A reference to a label the company never describes: warn, and drop the link."""
    return [
        Finding(
            level=WARNING,
            check="incident_reference",
            page=m.page,
            row=m.row,
            column="summary",
            value=m.label,
            message=f"refers to {m.label}, which no {m.company} disclosure describes",
        )
        for (_, _, key), m in mentions.items()
        if key not in described
    ]


def _gaps(described: dict[Key, Incident]) -> list[Finding]:
    """An enumeration that skips a label (① and ③ but no ②): warn, keep what is there."""
    findings = []
    series: dict[tuple[str, str], list[int]] = {}
    for company, kind, ordinal in described:
        series.setdefault((company, kind), []).append(ordinal)
    for (company, kind), ordinals in series.items():
        missing = sorted(set(range(1, max(ordinals) + 1)) - set(ordinals))
        if missing:
            findings.append(
                Finding(
                    level=WARNING,
                    check="incident_gap",
                    column="summary",
                    value=company,
                    message=f"{company}'s {kind} enumeration skips ordinals {missing}",
                )
            )
    return findings


# --- Document facts: what the PDF says about itself (title, meeting, material, notes)


# `第85回制度設計 専門会合`: the meeting the material was submitted to.
MEETING = re.compile(r"第\s*[0-9０-９]+\s*回.*?会合")
# `資料３－２`: the material's number, dash as printed (－, −, - or ー).
MATERIAL = re.compile(r"資料\s*[0-9０-９]+(?:\s*[－−\-ー‐]\s*[0-9０-９]+)*")
# A note under a table starts with ※; `（以下同様）` says it holds for the pages after it too.
NOTE_START = "※"
SCOPE_FOLLOWING = "以下同様"
# A page number printed alone in a corner: `2`.
PAGE_NUMBER = re.compile(r"^[0-9０-９]+$")


def describe(
    document: Document, source_url: str | None, source_kind: str | None = None
) -> dict[str, Any]:
    """Given the document, return the facts document.json holds, all read from the PDF."""
    source = document.source
    cover = " ".join(line.text for line in source.cover)
    meeting = MEETING.search(cover)
    material = MATERIAL.search(cover)
    return {
        "title": _title(source.cover),
        "meeting": tidy(meeting.group(0)) if meeting else None,
        "material": tidy(material.group(0)) if material else None,
        "date": document.date.isoformat(),
        "source_url": source_url,
        "source_kind": source_kind,  # network, replica (offline fallback) or local file
        "source_file": source.path,
        "sha256": source.sha256,
        "page_count": source.page_count,
        "page_titles": [
            {"page": page.page, "title": title}
            for page in source.pages
            if page.page > 1 and (title := _title(page.above))
        ],
        "footnotes": _notes(document),
    }


def _title(lines: tuple[Line, ...]) -> str | None:
    """The text set in the largest type, page numbers aside, lines joined."""
    words = [line for line in lines if not PAGE_NUMBER.match(line.text.strip())]
    if not words:
        return None
    largest = max(line.size for line in words)
    return tidy("".join(line.text for line in words if line.size >= largest - 0.5))


def _notes(document: Document) -> list[dict[str, Any]]:
    """The ※ notes under the tables: text, page, and the pages they apply to."""
    notes: list[dict[str, Any]] = []
    last_page = document.source.page_count
    for page in document.source.pages:
        for line in page.below:
            text = line.text.strip()
            if PAGE_NUMBER.match(text):
                continue
            if text.startswith(NOTE_START) or not notes or notes[-1]["page"] != page.page:
                notes.append({"page": page.page, "text": text})
            else:
                notes[-1]["text"] += text
    for note in notes:
        note["text"] = tidy(note["text"])
        following = SCOPE_FOLLOWING in note["text"]
        note["applies_to_pages"] = list(
            range(note["page"], last_page + 1) if following else [note["page"]]
        )
    return notes


# --- Validation: every table against its declaration in schema.TABLES and its data rules


# A disclosure listed in the document was published before it, and not long before:
# the cases it covers are a year old at most. Outside this window a date is misread.
DATE_WINDOW_BEFORE = dt.timedelta(days=2 * 366)

# How each declared Arrow type is checked in pandas.
_PANDAS_TYPES = {
    pyarrow.int16(): "int16",
    pyarrow.int32(): "int32",
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
        "documents": {"page_count": [pa.Check.ge(1)], "rows": [pa.Check.ge(1)]},
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
