"""Typed records that flow between the stages, each carrying its provenance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import TypeAdapter

from pipeline.files import write_atomic
from pipeline.findings import Finding
from pipeline.schema import CorpusValidationJson, DocumentJson, ValidationJson

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left


@dataclass(frozen=True)
class Line:
    """One text line rebuilt from the characters inside a cell."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float  # median font size of the line's characters


@dataclass(frozen=True)
class Cell:
    """The lines found inside one ruled cell of the table."""

    page: int
    column: str  # field name from data/headers.toml
    bbox: BBox
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Link:
    """A link annotation on a page."""

    page: int
    uri: str
    bbox: BBox


@dataclass(frozen=True)
class ExtractedRow:
    """One table row: its cells by field, spanning cells included."""

    page: int
    index: int  # 0-based row number within the page's table, header excluded
    bbox: BBox
    cells: dict[str, Cell]
    links: tuple[Link, ...]  # link annotations that overlap the row's title cell


@dataclass(frozen=True)
class PageText:
    """Text of a page that lies outside the table: the title above it, notes below it."""

    page: int
    above: tuple[Line, ...]
    below: tuple[Line, ...]
    # What extract made of the page, once it has seen them all: "table" (it holds table
    # rows), "before table" (it comes before the first page with rows: the cover) or "after
    # table" (no rows on it nor on any later page). None until then.
    role: str | None = None
    rows: int = 0  # table rows read on the page
    # Characters the font mapped to a radical code point (⻄), read as the ideograph (西).
    unified: int = 0


@dataclass(frozen=True)
class Source:
    """The PDF a run reads, and its text outside the table: cover, titles, notes."""

    document: str  # the file's stem: which document (version of the table) this is
    path: str
    sha256: str
    page_count: int
    cover: tuple[Line, ...]  # text lines of page 1, when it holds no table
    pages: tuple[PageText, ...]


@dataclass(frozen=True)
class Extraction:
    """Everything the extract stage read from one PDF."""

    source: Source
    rows: tuple[ExtractedRow, ...]


@dataclass(frozen=True)
class RepairedRow:
    """A row whose cells have been turned into clean text values."""

    page: int
    index: int
    bbox: BBox
    company_lines: tuple[str, ...]
    published_raw: str
    location: str
    title: str
    url: str
    summary: str
    link_uris: tuple[str, ...]


@dataclass(frozen=True)
class Repaired:
    """The repair stage's output: the source plus its repaired rows."""

    source: Source
    rows: tuple[RepairedRow, ...]


@dataclass(frozen=True)
class Disclosure:
    """One published disclosure: a finished, typed row of the output table."""

    document: str  # Source.document of the PDF it is printed in
    page: int
    row: int
    company: str
    company_legal_name: str | None
    company_role: str | None
    company_group: str | None
    published: dt.date
    published_raw: str
    location: str
    title: str
    url: str
    url_confirmed: bool | None  # the PDF's link annotation agrees (None: no annotation)
    summary: str | None


@dataclass(frozen=True)
class Document:
    """The source document and its date, read from the PDF itself."""

    source: Source
    date: dt.date


@dataclass(frozen=True)
class Normalized:
    """The normalize stage's output: the document and its finished rows."""

    document: Document
    disclosures: tuple[Disclosure, ...]


@dataclass(frozen=True)
class Incident:
    """One incident a company enumerates, with the disclosure that first describes it."""

    document: str
    company: str
    label: str
    ordinal: int
    text: str
    first_page: int
    first_row: int
    first_published: dt.date


@dataclass(frozen=True)
class Mention:
    """A disclosure's link to an incident: it `describes` it or `refers` back to it."""

    document: str
    page: int
    row: int
    company: str
    label: str
    ordinal: int
    kind: str


@dataclass(frozen=True)
class Origin:
    """Where a PDF came from, as the download manifest beside it records; a local file
    (no manifest) has no URL and no fetch time."""

    source_url: str | None = None
    source_kind: str | None = None  # network, replica or local file
    fetched_at: str | None = None


@dataclass(frozen=True)
class Failure:
    """A document a run could not read, and why (a --keep-going run leaves it out)."""

    document: str
    source: str
    error: str


@dataclass(frozen=True)
class DocumentRow:
    """One document of a run: a row of the documents table."""

    document: str
    source_file: str
    sha256: str
    source_kind: str | None
    date: dt.date
    meeting: str | None
    material: str | None
    title: str | None
    page_count: int
    rows: int


@dataclass(frozen=True)
class Tables:
    """The tables stage's output: every output table, the documents' facts and the findings.

    Field names of the tables are schema.TABLES' names; document and validation are the
    JSON files schema.JSON_FILES declares. A run over one document has its document.json
    and that document's validation.json; a run over several has no document.json (the
    documents table describes them) and a validation.json with one part per document.
    """

    disclosures: tuple[Disclosure, ...]
    incidents: tuple[Incident, ...]
    disclosure_incidents: tuple[Mention, ...]
    documents: tuple[DocumentRow, ...]
    document: DocumentJson | None
    validation: ValidationJson | CorpusValidationJson
    findings: tuple[Finding, ...]


T = TypeVar("T")


def dump(record: object, path: Path) -> None:
    """Write a record as indented JSON, through a temporary file."""
    write_atomic(path, TypeAdapter(type(record)).dump_json(record, indent=1))


def load(kind: type[T], path: Path) -> T:
    """Read a record of the given kind back from JSON written by `dump`."""
    return TypeAdapter(kind).validate_json(path.read_bytes())
