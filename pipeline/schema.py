"""Every output declared once: table columns (Arrow type, nulls, description), JSON files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

# Excel in Japan reads a CSV without a BOM as Shift_JIS; the BOM makes it read UTF-8.
CSV_ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class Column:
    """One output column."""

    name: str
    type: pa.DataType
    nullable: bool
    description: str


# Every table names its document first: a run over several PDFs (versions of the table)
# writes them all into one table of each kind.
DOCUMENT_COLUMN = Column(
    "document",
    pa.string(),
    False,
    "The PDF's file name without .pdf: which document (version of the table) the row is from.",
)

DISCLOSURES: tuple[Column, ...] = (
    DOCUMENT_COLUMN,
    Column("page", pa.int16(), False, "1-based page of the PDF the row is printed on."),
    Column("row", pa.int16(), False, "1-based position of the row in that page's table."),
    Column("company", pa.string(), False, "事業者名: the company, as printed (lines joined)."),
    Column(
        "company_legal_name",
        pa.string(),
        True,
        "The company's legal name, from data/companies.csv; null if the table does not know it.",
    ),
    Column(
        "company_role",
        pa.string(),
        True,
        "一般送配電事業者 (grid operator), 小売電気事業者 (retailer) or その他; null if unknown.",
    ),
    Column(
        "company_group", pa.string(), True, "The group the company belongs to; null if unknown."
    ),
    Column(
        "published", pa.date32(), False, "公表日: publication date, year from the document's date."
    ),
    Column("published_raw", pa.string(), False, "公表日 as printed, e.g. 昨年12/27 or 1/13."),
    Column("location", pa.string(), False, "掲載箇所: where on the company's site it was posted."),
    Column("title", pa.string(), False, "タイトル: the title of the release."),
    Column("url", pa.string(), False, "リンク: the release's URL, wraps and stray spaces removed."),
    Column(
        "url_confirmed",
        pa.bool_(),
        True,
        "True if the PDF's own link over the title points to url; null where it has no link.",
    ),
    Column(
        "summary",
        pa.string(),
        True,
        "補足: main contents and cases; one list item per line; null where the cell is －.",
    ),
)


INCIDENTS: tuple[Column, ...] = (
    DOCUMENT_COLUMN,
    Column("company", pa.string(), False, "The company that enumerates the incident (事案)."),
    Column("label", pa.string(), False, "The incident's label as printed: ①, a, 事案１."),
    Column("ordinal", pa.int16(), False, "The label's position in its series: ①, a, 事案１ → 1."),
    Column("text", pa.string(), False, "What the incident is, as the first describing item says."),
    Column("first_page", pa.int16(), False, "page of the disclosure that first describes it."),
    Column("first_row", pa.int16(), False, "row of the disclosure that first describes it."),
    Column("first_published", pa.date32(), False, "published date of that disclosure."),
)

DISCLOSURE_INCIDENTS: tuple[Column, ...] = (
    DOCUMENT_COLUMN,
    Column("page", pa.int16(), False, "page of the disclosure (with row, its key)."),
    Column("row", pa.int16(), False, "row of the disclosure."),
    Column(
        "company", pa.string(), False, "The company; labels are scoped per document and company."
    ),
    Column("label", pa.string(), False, "The incident's label as printed."),
    Column("ordinal", pa.int16(), False, "The label's position in its series."),
    Column(
        "kind",
        pa.string(),
        False,
        "describes: the disclosure's 補足 lists the item; refers: it only refers back to it.",
    ),
)

DOCUMENTS: tuple[Column, ...] = (
    DOCUMENT_COLUMN,
    Column("source_file", pa.string(), False, "The PDF the run read."),
    Column("sha256", pa.string(), False, "The PDF's SHA-256."),
    Column("source_kind", pa.string(), True, "network, replica or local file."),
    Column("date", pa.date32(), False, "The document's date, from its cover."),
    Column("meeting", pa.string(), True, "The meeting, e.g. 第85回制度設計専門会合."),
    Column("material", pa.string(), True, "The material's number, e.g. 資料３－２."),
    Column("title", pa.string(), True, "The cover's title (its largest type)."),
    Column("page_count", pa.int16(), False, "Pages in the PDF."),
    Column("rows", pa.int32(), False, "Its rows in disclosures."),
)


# Every output table, by file name.
TABLES: dict[str, tuple[Column, ...]] = {
    "disclosures": DISCLOSURES,
    "incidents": INCIDENTS,
    "disclosure_incidents": DISCLOSURE_INCIDENTS,
    "documents": DOCUMENTS,
}


def arrow_schema(columns: tuple[Column, ...], metadata: dict[str, str] | None = None) -> pa.Schema:
    """Return the Arrow schema of a table, each field carrying its description."""
    fields = [
        pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.description})
        for c in columns
    ]
    return pa.schema(fields, metadata=metadata)


def markdown_table(columns: tuple[Column, ...]) -> str:
    """Return the data dictionary of a table as a Markdown table (the README embeds it)."""
    lines = ["| column | type | null | description |", "|---|---|---|---|"]
    for c in columns:
        lines.append(
            f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.description} |"
        )
    return "\n".join(lines)


# --- The JSON files, declared as typed records; write dumps them, tests and users load them ---


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PageTitle(_Record):
    page: int = Field(description="1-based page.")
    title: str = Field(description="The page's title: its text in the largest type.")


class Footnote(_Record):
    page: int = Field(description="The page the note is printed on, under its table.")
    text: str = Field(description="The note, lines joined (※…).")
    applies_to_pages: list[int] = Field(description="Its page, and every later one for 以下同様.")


class DocumentJson(_Record):
    """document.json: what the PDF says about itself, and where it came from."""

    title: str | None = Field(description="The cover's title (its largest type).")
    meeting: str | None = Field(description="The meeting, e.g. 第85回制度設計専門会合.")
    material: str | None = Field(description="The material's number, e.g. 資料３－２.")
    date: dt.date = Field(description="The document's date, from its cover.")
    source_url: str | None = Field(description="Where it was downloaded from; null if not.")
    source_kind: str | None = Field(description="network, replica or local file.")
    source_file: str = Field(description="The PDF the run read.")
    sha256: str = Field(description="The PDF's SHA-256.")
    page_count: int = Field(description="Pages in the PDF.")
    page_titles: list[PageTitle]
    footnotes: list[Footnote]


class PageAccount(_Record):
    page: int = Field(description="1-based page.")
    role: str | None = Field(description="table, before table (the cover) or after table.")
    rows: int = Field(description="Table rows read on the page.")
    unified: int = Field(description="Characters read through a radical code point (⻄ as 西).")


class FindingJson(_Record):
    level: str = Field(description="error (the run stops) or warning.")
    check: str = Field(description="The rule's name.")
    message: str
    page: int | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None


class ValidationJson(_Record):
    """validation.json: every page accounted for and every rule's finding, for one document."""

    document: str = Field(description="The PDF's file name without .pdf.")

    provenance: str = Field(
        description="Where the PDF came from, in one sentence (the run's summary line says it"
        " too): downloaded from URL at TIME, the REPLICA (not the published document), or a"
        " local file; with its SHA-256."
    )
    source: str = Field(description="The PDF the run read.")
    sha256: str = Field(description="The PDF's SHA-256.")
    source_kind: str | None = Field(
        description="network (downloaded), replica (the bundled copy download falls back to"
        " offline: not the published document) or local file (no download manifest beside it)."
    )
    source_url: str | None = Field(
        description="The URL it was downloaded from, or that the replica stands in for; null"
        " for a local file."
    )
    fetched_at: str | None = Field(
        description="When it was downloaded or the replica copied (ISO 8601, UTC), from the"
        " download manifest; null for a local file."
    )
    document_date: dt.date
    rows: int = Field(description="Rows in disclosures.")
    pages: list[PageAccount]
    unified_radicals: int = Field(description="Characters read through radical code points.")
    passed: bool = Field(description="True if no finding is an error.")
    errors: list[FindingJson]
    warnings: list[FindingJson]


class FailedDocument(_Record):
    document: str = Field(description="The PDF's file name without .pdf.")
    source: str = Field(description="The PDF the run read.")
    error: str = Field(description="Why it was left out: the error, naming the page.")


class CorpusValidationJson(_Record):
    """validation.json of a run over several documents: each one's validation, and the
    documents left out (--keep-going)."""

    passed: bool = Field(description="True if every document passed and none was left out.")
    rows: int = Field(description="Rows in disclosures, all documents.")
    documents: list[ValidationJson] = Field(description="Each document's validation.json.")
    failed: list[FailedDocument] = Field(
        description="Documents left out by --keep-going, with their error."
    )


class KeptCopy(_Record):
    sha256: str = Field(description="The earlier document's SHA-256.")
    fetched_at: str | None = Field(description="When it was fetched (ISO 8601), if known.")
    final_url: str | None = Field(description="Where it was fetched from, if known.")
    size: int = Field(description="Its size in bytes.")
    kept_at: str = Field(description="Its file name beside the current copy.")


class ManifestJson(_Record):
    """raw/NAME.manifest.json, beside the downloaded PDF: where it came from, and its history."""

    url: str = Field(description="The URL asked for.")
    final_url: str = Field(description="The URL the bytes came from, redirects followed.")
    sha256: str = Field(description="The PDF's SHA-256.")
    size: int = Field(description="Its size in bytes.")
    fetched_at: str = Field(description="When it was fetched or copied (ISO 8601, UTC).")
    content_type: str = Field(description="The server's Content-Type.")
    source: str = Field(description="network, or replica (the bundled copy, used offline).")
    history: list[KeptCopy] = Field(description="Earlier documents, kept beside this one.")


# Every JSON file the pipeline writes into its output folder, by file name.
JSON_FILES: dict[str, tuple[type[BaseModel], ...]] = {
    "document.json": (DocumentJson,),
    "validation.json": (ValidationJson, CorpusValidationJson),
}
