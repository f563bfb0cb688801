"""Header variants: every header text in pipeline/data/headers.toml is recognised.

Rules pinned here:
- extraction finds the table under every variant of every column's header, in a real PDF
  whose header row prints that variant; the cells land in the variant's field
  (parametrized from headers.toml itself, so a variant added there is tested too);
- headers.toml lists exactly the known variants (written out here by hand), so dropping one
  fails the extraction test of that variant rather than removing it;
- a header text that headers.toml does not list is not a header: the run stops and names it.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest
from replica import builder, main_spec

from pipeline.errors import ExtractError
from pipeline.extract import extract

HEADERS = tomllib.loads(
    resources.files("pipeline").joinpath("data/headers.toml").read_text(encoding="utf-8")
)["columns"]
LISTED = [(field, name) for field, spec in HEADERS.items() for name in spec["headers"]]
# The variants the project reads, written out by hand: a variant dropped from headers.toml is
# still tested here, and fails; one added there is tested through LISTED.
KNOWN = [
    ("company", "事業者名"),
    ("published", "公表日"),
    ("location", "掲載箇所"),
    ("title_link", "タイトル、リンク"),  # the document's own
    ("title_link", "タイトル・リンク"),
    ("summary", "補足（主な掲載内容・事案）"),  # the document's own
    ("summary", "補足"),
]
VARIANTS = LISTED + [variant for variant in KNOWN if variant not in LISTED]

# What one row prints in each column, by the field its header feeds.
ROW = {
    "company": ["関西電力", "送配電"],
    "published": ["1/13"],
    "location": ["トップページ／プレスリリース"],
    "title_link": ["小売顧客情報の漏洩等に係る報告について", "https://www.example.co.jp/a.pdf"],
    "summary": ["低圧４画面における至近３か月分のアクセス実績"],
}


def _one_row_pdf(tmp_path: Path, field: str, header: str) -> Path:
    """Build a cover and one table page of one row, `field`'s column headed `header`."""
    spec = main_spec()
    page = spec["pages"][0]
    printed = {column["header"]: column for column in spec["columns"]}
    by_field = dict(zip(HEADERS, printed, strict=True))  # headers.toml lists them in print order
    printed[by_field[field]]["header"] = header
    headers = {f: (header if f == field else by_field[f]) for f in HEADERS}
    cells = {headers[f]: ROW[f] for f in HEADERS if f != "company"}
    spec["pages"] = [
        {
            "title": page["title"],
            "number": page["number"],
            "rows": [{"company": ROW["company"], "cells": cells, "link": ROW["title_link"][1]}],
        }
    ]
    pdf = tmp_path / "one_row.pdf"
    builder().build(spec, pdf)
    return pdf


@pytest.mark.parametrize(("field", "header"), VARIANTS)
def test_every_header_variant_of_every_column_is_recognised(tmp_path, field, header):
    extraction = extract(_one_row_pdf(tmp_path, field, header))
    (row,) = extraction.rows
    assert {f: [line.text for line in row.cells[f].lines] for f in HEADERS} == ROW


def test_headers_toml_lists_the_known_variants_in_print_order():
    assert LISTED == KNOWN


def test_a_header_not_in_headers_toml_is_not_recognised(tmp_path):
    with pytest.raises(
        ExtractError, match="table header changed: missing 公表日; unrecognised '掲載日'"
    ):
        extract(_one_row_pdf(tmp_path, "published", "掲載日"))
