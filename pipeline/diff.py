"""Diff: the disclosures added, removed and changed between two versions of the table."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import DiffError

logger = logging.getLogger(__name__)

# The table diff reads from an output folder.
DISCLOSURES_FILE = "disclosures.parquet"
# The column naming each row's document (the PDF's file stem) in an output of several PDFs.
DOCUMENT = "document"
# A disclosure is the same one on both sides when these match, wherever it is printed.
IDENTITY = ("company", "url")
# Where a row is printed: one (company, url) listed twice is paired in this order.
POSITION = ("page", "row")
# A disclosure's content: a row whose only difference is its position is unchanged.
CONTENT = (
    "published",
    "published_raw",
    "location",
    "title",
    "summary",
    "url_confirmed",
    "company_legal_name",
    "company_role",
    "company_group",
)
REQUIRED = (*POSITION, *IDENTITY, *CONTENT)

ADDED_HEADING = "追加 (added)"
REMOVED_HEADING = "削除 (removed)"
CHANGED_HEADING = "変更 (changed)"
DOCUMENTS_ADDED_HEADING = "文書の追加 (documents added)"
DOCUMENTS_REMOVED_HEADING = "文書の削除 (documents removed)"

Row = Mapping[str, Any]  # one row of a disclosures table, by column, as pyarrow reads it


@dataclass(frozen=True)
class Identity:
    """What names a disclosure on its side: (company, url) and which occurrence of them."""

    company: str
    url: str
    occurrence: int


@dataclass(frozen=True)
class Disclosure:
    """One row of a disclosures table; occurrence counts its (company, url) on its side from 1,
    in document order (page, row)."""

    row: Row
    occurrence: int

    @property
    def document(self) -> str | None:
        """The row's document (file stem), or None in a table without a document column."""
        value = self.row.get(DOCUMENT)
        return None if value is None else str(value)


@dataclass(frozen=True)
class FieldChange:
    """One content column whose value differs: its name, the old and the new value."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Changed:
    """A disclosure on both sides whose content differs, with every field that does."""

    old: Disclosure
    new: Disclosure
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DocumentCount:
    """A document present on one side only: its name (the PDF's file stem) and its rows."""

    document: str
    rows: int


@dataclass(frozen=True)
class Changes:
    """What differs from the old table to the new one.

    by_document: the two sides were paired document by document (several documents on a
    side); documents on one side only are then listed whole, not row by row.
    """

    added: tuple[Disclosure, ...]
    removed: tuple[Disclosure, ...]
    changed: tuple[Changed, ...]
    documents_added: tuple[DocumentCount, ...] = ()
    documents_removed: tuple[DocumentCount, ...] = ()
    by_document: bool = False

    @property
    def has_differences(self) -> bool:
        """True if anything was added, removed or changed, rows or documents."""
        parts = (self.added, self.removed, self.changed)
        return any(parts) or bool(self.documents_added or self.documents_removed)

    def summary(self) -> str:
        """Return one line: `2 added, 1 removed, 3 changed`, or `no differences`."""
        if not self.has_differences:
            return "no differences"
        counts = [f"{len(self.added)} added", f"{len(self.removed)} removed"]
        counts.append(f"{len(self.changed)} changed")
        if self.by_document:
            counts.append(f"{_documents(len(self.documents_added))} added")
            counts.append(f"{_documents(len(self.documents_removed))} removed")
        return ", ".join(counts)


@dataclass(frozen=True)
class _Side:
    """One side of a diff: the file read, its rows, and its documents (None: no column)."""

    path: Path
    rows: tuple[Row, ...]
    documents: tuple[str, ...] | None


def diff(old: Path, new: Path) -> Changes:
    """Given two output folders or disclosures.parquet files, return what changed from old to new.

    A disclosure is named by (company, url); one listed more than once on a side is paired
    occurrence by occurrence in document order (page, row). Changed compares CONTENT, not
    the position: a row that only moved is unchanged. Without a document column on a side,
    or with one document on each, the two tables are compared directly; otherwise the
    documents are paired by name and one present on one side only is added or removed whole.
    """
    before, after = _read_side(old), _read_side(new)
    if before.documents is None or after.documents is None:
        return _rows_to_changes(before.rows, after.rows)
    if len(before.documents) == 1 and len(after.documents) == 1:
        return _rows_to_changes(before.rows, after.rows)
    return _documents_to_changes(before, after)


def _read_side(path: Path) -> _Side:
    """Given an output folder or a disclosures.parquet, return its rows; DiffError says what
    is wrong (missing, not Parquet, not a disclosures table)."""
    import pyarrow.parquet as pq  # here, so that the other commands start without it

    if not path.exists():
        raise DiffError(
            f"{path}: not found (diff takes output folders or {DISCLOSURES_FILE} files)"
        )
    file = path / DISCLOSURES_FILE if path.is_dir() else path
    if not file.is_file():
        raise DiffError(
            f"{path}: no {DISCLOSURES_FILE} in this folder "
            f"(python -m pipeline run --out {path} writes one)"
        )
    try:
        table = pq.ParquetFile(file).read()
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DiffError(f"{file}: cannot read as Parquet ({exc})") from exc
    missing = [column for column in REQUIRED if column not in table.column_names]
    if missing:
        raise DiffError(f"{file}: not a disclosures table: no column {', '.join(missing)}")
    rows = tuple(table.to_pylist())
    if DOCUMENT not in table.column_names:
        return _Side(file, rows, None)
    return _Side(file, rows, tuple(sorted({str(row[DOCUMENT]) for row in rows})))


def _documents_to_changes(before: _Side, after: _Side) -> Changes:
    """Given two sides of several documents, pair them by name: the rows of a document on
    both sides are compared; a document on one side only is listed with its row count."""
    old, new = _rows_by_document(before.rows), _rows_by_document(after.rows)
    parts = [_rows_to_changes(old[name], new[name]) for name in sorted(old.keys() & new.keys())]
    return Changes(
        added=tuple(d for part in parts for d in part.added),
        removed=tuple(d for part in parts for d in part.removed),
        changed=tuple(c for part in parts for c in part.changed),
        documents_added=_only_in(new, old),
        documents_removed=_only_in(old, new),
        by_document=True,
    )


def _rows_by_document(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Given a table's rows, return them grouped by their document."""
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(str(row[DOCUMENT]), []).append(row)
    return grouped


def _only_in(
    side: Mapping[str, Sequence[Row]], other: Mapping[str, object]
) -> tuple[DocumentCount, ...]:
    """Return the documents of side that other lacks, by name, with their row counts."""
    return tuple(
        DocumentCount(name, len(rows)) for name, rows in sorted(side.items()) if name not in other
    )


def _rows_to_changes(old: Iterable[Row], new: Iterable[Row]) -> Changes:
    """Given the rows of the old and the new table, pair them by Identity and return the
    ones only in new (added), only in old (removed), and on both whose content differs."""
    before, after = _rows_to_disclosures(old), _rows_to_disclosures(new)
    changed = []
    for identity, disclosure in after.items():
        if identity in before:
            fields = _changed_fields(before[identity].row, disclosure.row)
            if fields:
                changed.append(Changed(before[identity], disclosure, fields))
    return Changes(
        added=tuple(d for identity, d in after.items() if identity not in before),
        removed=tuple(d for identity, d in before.items() if identity not in after),
        changed=tuple(changed),
    )


def _rows_to_disclosures(rows: Iterable[Row]) -> dict[Identity, Disclosure]:
    """Given a table's rows, return them in document order (document, page, row) by Identity,
    counting each (company, url)'s occurrences from 1."""
    seen: Counter[tuple[str, str]] = Counter()
    disclosures = {}
    for row in sorted(rows, key=_document_order):
        pair = (str(row["company"]), str(row["url"]))
        seen[pair] += 1
        disclosures[Identity(*pair, seen[pair])] = Disclosure(row, seen[pair])
    return disclosures


def _document_order(row: Row) -> tuple[str, int, int]:
    return (str(row.get(DOCUMENT) or ""), int(row["page"]), int(row["row"]))


def _changed_fields(old: Row, new: Row) -> tuple[FieldChange, ...]:
    """Given one disclosure's old and new row, return each CONTENT column that differs."""
    return tuple(FieldChange(f, old[f], new[f]) for f in CONTENT if old[f] != new[f])


def _documents(count: int) -> str:
    return f"{count} document{'' if count == 1 else 's'}"


# --- Rendering: JSON and text ------------------------------------------------------------------


def changes_to_json(changes: Changes) -> dict[str, Any]:
    """Return changes as JSON data: added and removed rows whole, changed ones by identity with
    [old, new] per field; dates as ISO strings, None for null. Paired by document, it also
    lists documents_added and documents_removed ({"document", "rows"})."""
    data: dict[str, Any] = {
        "added": [_json_row(d.row) for d in changes.added],
        "removed": [_json_row(d.row) for d in changes.removed],
        "changed": [_json_changed(c, changes.by_document) for c in changes.changed],
    }
    if changes.by_document:
        for key, documents in (
            ("documents_added", changes.documents_added),
            ("documents_removed", changes.documents_removed),
        ):
            data[key] = [{"document": d.document, "rows": d.rows} for d in documents]
    return data


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _json_row(row: Row) -> dict[str, Any]:
    return {column: _json_value(value) for column, value in row.items()}


def _json_changed(changed: Changed, by_document: bool) -> dict[str, Any]:
    """Return one changed disclosure: its identity (and document) and {field: [old, new]}."""
    new = changed.new
    entry: dict[str, Any] = {"document": new.document} if by_document else {}
    entry |= {"company": new.row["company"], "url": new.row["url"]}
    entry["occurrence"] = new.occurrence
    entry["fields"] = {f.field: [_json_value(f.old), _json_value(f.new)] for f in changed.fields}
    return entry


def changes_to_text(changes: Changes) -> str:
    """Return changes for a reader: a heading per kind, a line per disclosure (company, date,
    title, URL), under a changed one each field's old → new value; the summary line last."""
    sections = []
    for heading, found in ((ADDED_HEADING, changes.added), (REMOVED_HEADING, changes.removed)):
        if found:
            lines = [_disclosure_line(d, changes.by_document) for d in found]
            sections.append([f"{heading}: {len(found)}", *lines])
    if changes.changed:
        lines = [f"{CHANGED_HEADING}: {len(changes.changed)}"]
        for changed in changes.changed:
            lines.append(_disclosure_line(changed.new, changes.by_document))
            lines += [f"    {f.field}: {_shown(f.old)} → {_shown(f.new)}" for f in changed.fields]
        sections.append(lines)
    for heading, documents in (
        (DOCUMENTS_ADDED_HEADING, changes.documents_added),
        (DOCUMENTS_REMOVED_HEADING, changes.documents_removed),
    ):
        if documents:
            lines = [f"  {d.document}: {d.rows} 件 (rows)" for d in documents]
            sections.append([f"{heading}: {len(documents)}", *lines])
    sections.append([changes.summary()])
    return "\n\n".join("\n".join(section) for section in sections)


def _disclosure_line(disclosure: Disclosure, by_document: bool) -> str:
    """Return `  company date 「title」 url`, with the document first when paired by document
    and `（2件目 / occurrence 2）` after a (company, url) listed more than once."""
    row = disclosure.row
    line = f"  {row['company']} {_json_value(row['published'])} 「{row['title']}」 {row['url']}"
    if by_document:
        line = f"  [{disclosure.document}]{line[1:]}"
    if disclosure.occurrence > 1:
        line += f" （{disclosure.occurrence}件目 / occurrence {disclosure.occurrence}）"
    return line


def _shown(value: Any) -> str:
    """Return a value on one line: a date as 2023-02-06, anything else as JSON writes it
    ("text" quoted, true, null)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)
