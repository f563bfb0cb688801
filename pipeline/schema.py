"""The output tables' columns, declared once: name, Arrow type, nullability, description."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    """One output column."""

    name: str
    type: pa.DataType
    nullable: bool
    description: str


DISCLOSURES: tuple[Column, ...] = (
    Column("page", pa.int16(), False, "1-based page of the PDF the row is printed on."),
    Column("row", pa.int16(), False, "1-based position of the row in that page's table."),
    Column("company", pa.string(), False, "事業者名: the company, as printed (lines joined)."),
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
