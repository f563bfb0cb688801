"""Check stage: compare the written outputs with hand-checked golden CSVs, as decoded tables."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import CheckError
from pipeline.schema import CSV_ENCODING

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Difference:
    """One cell where an output disagrees with the golden file."""

    file: str
    row: int  # 1-based data row; 0 for the table as a whole
    field: str
    expected: str
    got: str

    def __str__(self) -> str:
        return (
            f"{self.file}: row {self.row}, {self.field}: "
            f"expected {self.expected!r}, got {self.got!r}"
        )


def check(out_dir: Path, golden: Path) -> list[Difference]:
    """Given an output directory and golden CSVs, return every difference (empty if none).

    golden is a directory of NAME.csv files or one such file; each is compared with
    out_dir/NAME.parquet and out_dir/NAME.csv.
    """
    goldens = sorted(golden.glob("*.csv")) if golden.is_dir() else [golden]
    if not goldens:
        raise CheckError(f"{golden}: no golden CSV files")
    differences = []
    for path in goldens:
        expected = _read_csv(path)
        name = path.stem
        differences += _compare(
            f"{name}.parquet", expected, _read_parquet(out_dir / f"{name}.parquet")
        )
        differences += _compare(f"{name}.csv", expected, _read_csv(out_dir / f"{name}.csv"))
    logger.info("checked %s against %s: %d differences", out_dir, golden, len(differences))
    return differences


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=CSV_ENCODING)
    except (OSError, ValueError) as exc:
        raise CheckError(f"{path}: cannot read CSV ({exc})") from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read Parquet and render every value as the CSV would: ISO dates, '' for null."""
    try:
        frame = pq.read_table(path).to_pandas()
    except (OSError, ValueError) as exc:
        raise CheckError(f"{path}: cannot read Parquet ({exc})") from exc
    return frame.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))


def _compare(name: str, expected: pd.DataFrame, got: pd.DataFrame) -> list[Difference]:
    missing = [c for c in expected.columns if c not in got.columns]
    if missing:
        return [Difference(name, 0, c, "column present", "missing") for c in missing]
    out = []
    if len(expected) != len(got):
        out.append(Difference(name, 0, "rows", str(len(expected)), str(len(got))))
    for i in range(min(len(expected), len(got))):
        for field in expected.columns:
            want, have = expected.at[i, field], got.at[i, field]
            if want != have:
                out.append(Difference(name, i + 1, field, want, have))
    return out
