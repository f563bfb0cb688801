"""Check stage: compare the written outputs with hand-checked golden CSVs, as decoded tables."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import CheckError
from pipeline.schema import CSV_ENCODING

logger = logging.getLogger(__name__)

Row = dict[Hashable, str]  # a table's row as the CSV shows it, by column

# The columns that name a row of each output table (schema.TABLES' names), so that a
# difference reads `disclosures.csv: page 2, row 3, url: …` wherever the row sits in the
# file. A table not listed here, or whose key repeats, is compared row by row in file order.
KEYS: dict[str, tuple[str, ...]] = {
    "disclosures": ("page", "row"),
    "incidents": ("company", "label"),
    "disclosure_incidents": ("page", "row", "label"),
}


# The column that names the document a row is from, in outputs of several documents.
DOCUMENT = "document"


@dataclass(frozen=True)
class Difference:
    """One place where an output disagrees with the golden file: a cell, a row or a column."""

    file: str
    key: str  # the row by the table's key, "page 2, row 3"; "" for a column or the row order
    field: str  # the column; "" for a whole row
    expected: str  # as shown: a value quoted ('1/13'), or what is missing (a row)
    got: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.key, self.field) if part)
        return f"{self.file}: {where}: expected {self.expected}, got {self.got}"


def check(out_dir: Path, golden: Path, document: str | None = None) -> list[Difference]:
    """Given an output directory and golden CSVs, return every difference (empty if none).

    golden is a directory of NAME.csv files or one such file; each is compared with
    out_dir/NAME.parquet and out_dir/NAME.csv, their rows paired by the table's key (KEYS).
    Outputs of several documents are compared by the rows of the one named by `document`
    (its `document` column), unless the golden file has that column itself.
    """
    if not golden.exists():
        raise CheckError(f"{golden}: not found (--golden takes a folder of NAME.csv files, or one)")
    goldens = _in_table_order(golden.glob("*.csv")) if golden.is_dir() else [golden]
    if not goldens:
        raise CheckError(f"{golden}: no golden CSV files")
    differences = []
    for path in goldens:
        expected = _read_csv(path)
        key = KEYS.get(path.stem, ())
        parquet, csv = out_dir / f"{path.stem}.parquet", out_dir / f"{path.stem}.csv"
        for output in (parquet, csv):
            got = _read_output(output, out_dir)
            if DOCUMENT not in expected.columns:
                got = _one_document(output, got, document)
            differences += _compare(output.name, key, expected, got)
    logger.info("checked %s against %s: %s", out_dir, golden, _count(len(differences)))
    return differences


def _one_document(path: Path, frame: pd.DataFrame, document: str | None) -> pd.DataFrame:
    """Given an output table, return the rows of the named document; without a name, the
    table must hold one document (or have no document column)."""
    if DOCUMENT not in frame.columns:
        return frame
    held = list(dict.fromkeys(frame[DOCUMENT]))
    if document is None:
        if len(held) > 1:
            raise CheckError(
                f"{path}: holds {len(held)} documents ({', '.join(held)}); name the one the"
                " golden files are for with --document"
            )
        return frame
    if document not in held:
        raise CheckError(f"{path}: no document {document!r} (it holds {', '.join(held) or 'none'})")
    return frame[frame[DOCUMENT] == document].reset_index(drop=True)


def _count(n: int) -> str:
    return f"{n} difference{'' if n == 1 else 's'}"


def _in_table_order(paths: Iterable[Path]) -> list[Path]:
    """Return golden files in KEYS' order, others after by name: an empty DIR is then named
    by its disclosures first."""
    order = {name: i for i, name in enumerate(KEYS)}
    return sorted(paths, key=lambda path: (order.get(path.stem, len(order)), path.name))


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=CSV_ENCODING)
    except (OSError, ValueError) as exc:
        raise CheckError(f"{path}: cannot read CSV ({exc})") from exc


def _read_output(path: Path, out_dir: Path) -> pd.DataFrame:
    """Read an output table as the CSV shows it; a missing or unreadable one says what to run."""
    run = f"python -m pipeline run --out {out_dir}"
    if not path.is_file():
        raise CheckError(f"{path}: not found (run the pipeline first: {run})")
    try:
        if path.suffix == ".csv":
            return _read_csv(path)
        frame = pq.read_table(path).to_pandas()
    except CheckError as exc:
        raise CheckError(f"{exc}; run the pipeline again: {run}") from exc
    except (OSError, ValueError) as exc:
        raise CheckError(
            f"{path}: cannot read Parquet ({exc}); run the pipeline again: {run}"
        ) from exc
    # Every value as the CSV renders it: ISO dates, '' for null.
    rendered: pd.DataFrame = frame.apply(
        lambda col: col.map(lambda v: "" if pd.isna(v) else str(v))
    )
    return rendered


def _compare(
    name: str, key: tuple[str, ...], expected: pd.DataFrame, got: pd.DataFrame
) -> list[Difference]:
    """Given the golden and the output table, return each missing column, row and value."""
    missing = [c for c in expected.columns if c not in got.columns]
    if missing:
        return [Difference(name, "", c, "the column", "none") for c in missing]
    want, have = _rows_by_key(expected, key), _rows_by_key(got, key)
    if want is None or have is None:  # a key that repeats names no row: pair by position
        want, have = _rows_by_position(expected), _rows_by_position(got)
    out = []
    for where, row in want.items():
        if where not in have:
            out.append(Difference(name, where, "", "a row", "none"))
            continue
        out += [
            Difference(name, where, field, repr(row[field]), repr(have[where][field]))
            for field in expected.columns
            if row[field] != have[where][field]
        ]
    out += [Difference(name, where, "", "no row", "one") for where in have if where not in want]
    return out + _order(name, list(want), list(have))


def _rows_by_key(frame: pd.DataFrame, key: tuple[str, ...]) -> dict[str, Row] | None:
    """Return {`page 2, row 3`: row} in file order, or None if there is no key, a column of
    it is missing or a key repeats."""
    records = frame.to_dict("records")
    if not key or any(column not in frame.columns for column in key):
        return None
    rows = {", ".join(f"{c} {row[c]}" for c in key): row for row in records}
    return rows if len(rows) == len(records) else None


def _rows_by_position(frame: pd.DataFrame) -> dict[str, Row]:
    """Return {`data row 1`: row}, counting the file's rows after the header from 1."""
    return {f"data row {i}": row for i, row in enumerate(frame.to_dict("records"), 1)}


def _order(name: str, want: list[str], have: list[str]) -> list[Difference]:
    """Given both files' keys in file order, return the first row out of the golden order."""
    common = set(want) & set(have)
    pairs = zip([k for k in want if k in common], [k for k in have if k in common], strict=True)
    first = next(((w, h) for w, h in pairs if w != h), None)
    if first is None:
        return []
    return [Difference(name, "", "row order", repr(first[0]), repr(first[1]))]
