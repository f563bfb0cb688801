"""The replica builder (tests/fixtures/build_replica.py) and the 085_03_02.pdf replica it made."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SPEC = FIXTURES / "replica_085_03_02.json"
REPLICA = FIXTURES / "085_03_02.replica.pdf"
HEADERS = ["事業者名", "公表日", "掲載箇所", "タイトル、リンク", "補足（主な掲載内容・事案）"]

_loader = importlib.util.spec_from_file_location("build_replica", FIXTURES / "build_replica.py")
build_replica = importlib.util.module_from_spec(_loader)
sys.modules["build_replica"] = build_replica  # dataclasses look their module up by name
_loader.loader.exec_module(build_replica)


def _content(path: Path) -> list[tuple[Any, ...]]:
    """Given a PDF, return what a reader sees of it: chars, rules and links, rounded."""
    with pdfplumber.open(path) as pdf:
        return [
            (
                [
                    (c["text"], round(c["x0"], 2), round(c["top"], 2), round(c["size"], 2))
                    for c in page.chars
                ],
                [
                    tuple(round(e[key], 2) for key in ("x0", "top", "x1", "bottom"))
                    for e in page.lines
                ],
                [a["uri"] for a in page.annots],
            )
            for page in pdf.pages
        ]


def _small_spec(**changes: Any) -> dict[str, Any]:
    """Return a one-table-page spec in the CID font, with `changes` applied on top."""
    spec = {
        "page": {"width": 400, "height": 200},
        "font": {"cid": "HeiseiKakuGo-W5"},
        "font_size": 10.0,
        "line_height": 12.0,
        "padding": {"x": 4.0, "y": 3.0},
        "valign": "top",
        "gap": 4.5,
        "line_width": 0.5,
        "table": {"x": 20.0, "top": 60.0},
        "columns": [{"header": "事業者名", "width": 80}, {"header": "補足", "width": 108}],
        "cover": {"lines": [{"text": "表紙", "size": 20, "x": 20, "top": 40}]},
        "pages": [
            {
                "title": "表",
                "number": "2",
                "rows": [
                    {
                        "company": ["東北電力"],
                        "cells": {"補足": {"text": "上記①及び②の事案について、改めて"}},
                    },
                    {"company": None, "cells": {"補足": ["付与した ID"]}},
                ],
            }
        ],
    }
    spec.update(changes)
    return spec


def test_committed_replica_is_what_the_builder_makes_from_the_spec(tmp_path):
    out = tmp_path / "replica.pdf"
    build_replica.build(json.loads(SPEC.read_text(encoding="utf-8")), out)
    assert _content(out) == _content(REPLICA)


def test_replica_has_a_cover_and_six_pages_each_with_one_five_column_table():
    with pdfplumber.open(REPLICA) as pdf:
        assert len(pdf.pages) == 7
        assert pdf.pages[0].find_tables() == []
        for page in pdf.pages[1:]:
            (table,) = page.find_tables()
            assert table.extract()[0] == HEADERS


def test_replica_page_4_rows_read_back_from_the_table_cells():
    with pdfplumber.open(REPLICA) as pdf:
        rows = pdf.pages[3].find_tables()[0].extract()
    assert len(rows) == 1 + 9
    assert rows[1][:3] == ["中国電力\nNW", "2/10", "トップページ／プレスリリース"]
    assert rows[2][0] is None  # the company cell spans the rows of 中国電力NW
    assert rows[4][4] == "上記公表済みの事案 a～gを再掲"


def test_a_space_in_a_line_is_a_gap_not_a_glyph():
    with pdfplumber.open(REPLICA) as pdf:
        page = pdf.pages[2]
        chars = page.chars
        text = page.extract_text()
    assert " " not in {c["text"] for c in chars}
    assert "社員等に付与した ID・パスワードの漏えいについ" in text
    assert "https://www.kyuden.co.jp/td_press_2023_230315b -" in text


def test_text_cells_wrap_and_cid_fonts_work(tmp_path):
    out = tmp_path / "small.pdf"
    build_replica.build(_small_spec(), out)
    with pdfplumber.open(out) as pdf:
        rows = pdf.pages[1].find_tables()[0].extract()
    assert rows == [
        ["事業者名", "補足"],
        ["東北電力", "上記①及び②の事案に\nついて、改めて"],  # 10 full-width chars fit in 100pt
        [None, "付与した ID"],
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"table": {"x": 20.0, "top": 190.0}}, "table ends at"),
        (
            {"columns": [{"header": "事業者名", "width": 80}, {"header": "補足", "width": 50}]},
            r"page 2, row 2, column '補足': line '付与した ID' is 5\d\.\dpt wide, "
            r"the column fits 42\.0pt",
        ),
        ({"valign": "bottom"}, "valign must be one of"),
    ],
)
def test_what_does_not_fit_is_an_error(tmp_path, changes, message):
    with pytest.raises(ValueError, match=message):
        build_replica.build(_small_spec(**changes), tmp_path / "bad.pdf")
