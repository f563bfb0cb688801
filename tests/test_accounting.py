"""Every page is accounted for: it holds table rows, or comes before or after the table.

Rules covered:

- a page between two pages with rows that holds no rows (blank, text only, or a table header
  without rows) is an error naming it and the page where the table continues;
- pages before the first page with rows (the cover) are "before table", pages after the last
  one are "after table", however many; the rest are "table" with their row count;
- a page with no table after the table has ended is fine: the rows are the golden ones, and
  validation.json lists every page with its role and row count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from replica import builder as replica_builder
from replica import main_spec

from pipeline.cli import cli
from pipeline.errors import ExtractError
from pipeline.extract import extract

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden" / "085_03_02"
# Rows on the replica's table pages, 2 to 7, counted by hand from its spec.
REPLICA_ROWS = {2: 10, 3: 9, 4: 9, 5: 4, 6: 5, 7: 6}
# A page of the spec drawn without a table: blank, or with this line of text.
NOTE = "Reference: the minutes of the meeting are published separately."


def _build(pages: list[dict | str | None], path: Path, monkeypatch) -> Path:
    """Build the replica with its table pages replaced by `pages`.

    A dict is a table page of the spec; None a blank page; a string a page with only that text.
    """
    builder = replica_builder()
    draw_table_page = builder._draw_table_page

    def draw(canvas, page, *args, **kwargs):
        if "no_table" not in page:
            draw_table_page(canvas, page, *args, **kwargs)
        elif page["no_table"]:
            canvas.setFont("Helvetica", 12)
            canvas.drawString(72, 300, page["no_table"])

    monkeypatch.setattr(builder, "_draw_table_page", draw)
    spec = main_spec()
    spec["pages"] = [p if isinstance(p, dict) else {"no_table": p} for p in pages]
    builder.build(spec, path)
    return path


def _table_pages() -> list[dict]:
    return main_spec()["pages"]


@pytest.mark.parametrize("filler", [None, NOTE], ids=["blank", "text_only"])
def test_a_page_without_a_table_inside_the_table_is_an_error_naming_it(
    filler, tmp_path, monkeypatch
):
    tables = _table_pages()
    pdf = _build([*tables[:2], filler, *tables[2:]], tmp_path / "gap.pdf", monkeypatch)

    with pytest.raises(ExtractError) as raised:
        extract(pdf)

    assert str(raised.value) == (f"{pdf}: page 4: no table rows, but the table continues on page 5")


def test_a_table_header_without_rows_inside_the_table_is_an_error_naming_it(tmp_path, monkeypatch):
    tables = _table_pages()
    tables[3]["rows"] = []  # the PDF's page 5
    pdf = _build(tables, tmp_path / "header_only.pdf", monkeypatch)

    with pytest.raises(ExtractError) as raised:
        extract(pdf)

    assert str(raised.value) == (f"{pdf}: page 5: no table rows, but the table continues on page 6")


def test_the_first_gap_is_named_when_there_are_several(tmp_path, monkeypatch):
    tables = _table_pages()
    pages = [tables[0], None, None, tables[1], None, tables[2]]
    pdf = _build(pages, tmp_path / "gaps.pdf", monkeypatch)

    with pytest.raises(ExtractError) as raised:
        extract(pdf)

    assert str(raised.value) == (f"{pdf}: page 3: no table rows, but the table continues on page 5")


def test_pages_before_and_after_the_table_are_accounted_for(tmp_path, monkeypatch):
    pages = [NOTE, *_table_pages(), None, NOTE]
    pdf = _build(pages, tmp_path / "around.pdf", monkeypatch)

    found = extract(pdf).source.pages

    assert [(p.page, p.role, p.rows) for p in found] == [
        (1, "before table", 0),  # the cover
        (2, "before table", 0),
        *((page + 1, "table", rows) for page, rows in REPLICA_ROWS.items()),
        (9, "after table", 0),
        (10, "after table", 0),
    ]


def test_a_page_after_the_table_is_fine_and_listed_in_validation_json(tmp_path, monkeypatch):
    pdf = _build([*_table_pages(), NOTE], tmp_path / "annex.pdf", monkeypatch)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli, ["-q", "run", "--pdf", str(pdf), "--out", str(out), "--golden", str(GOLDEN)]
    )

    assert result.exit_code == 0, result.output
    report = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert [{k: p[k] for k in ("page", "role", "rows")} for p in report["pages"]] == [
        {"page": 1, "role": "before table", "rows": 0},
        *({"page": page, "role": "table", "rows": rows} for page, rows in REPLICA_ROWS.items()),
        {"page": 8, "role": "after table", "rows": 0},
    ]
    assert report["rows"] == sum(REPLICA_ROWS.values())
