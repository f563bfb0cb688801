"""extract() on the replica: cells rebuilt from geometry, not from the text stream.

The seed text shows where a text-stream reader runs neighbouring cells together
(`送配電昨年`, `…/14539.htmla.営業システム…`, `めの取組み業務改善計画`); here each
must come back in its own cell, line by line, as printed.
"""

from pathlib import Path

import pytest

from pipeline.extract import extract

REPLICA = Path(__file__).parent / "fixtures" / "085_03_02.replica.pdf"


@pytest.fixture(scope="module")
def extraction():
    return extract(REPLICA)


def _row(extraction, page, row):
    return next(r for r in extraction.rows if r.page == page and r.index == row - 1)


def _lines(extraction, page, row, field):
    return [line.text for line in _row(extraction, page, row).cells[field].lines]


def test_rows_per_page(extraction):
    counts = {}
    for row in extraction.rows:
        counts[row.page] = counts.get(row.page, 0) + 1
    assert counts == {2: 10, 3: 9, 4: 9, 5: 4, 6: 5, 7: 6}


def test_company_and_date_cells_that_the_text_stream_glues(extraction):
    assert _lines(extraction, 2, 1, "company") == ["関西電力", "送配電"]
    assert _lines(extraction, 2, 1, "published") == ["昨年", "12/27"]


def test_url_and_summary_that_the_text_stream_glues(extraction):
    assert _lines(extraction, 4, 1, "title_link")[-1] == (
        "https://www.energia.co.jp/nw/press/2022/14539.html"
    )
    assert _lines(extraction, 4, 1, "summary")[0] == "a.営業システム（セールスセンター等）に係る事"


def test_location_and_title_that_the_text_stream_glues(extraction):
    assert _lines(extraction, 3, 7, "location") == [
        "トップページ／当社の事業・",
        "取組み／中立性確保のた",
        "めの取組み",
    ]
    assert _lines(extraction, 3, 7, "title_link")[0] == "業務改善計画"


def test_a_merged_company_cell_belongs_to_every_row_it_spans(extraction):
    first, last = _row(extraction, 2, 1), _row(extraction, 2, 6)
    assert first.cells["company"] == last.cells["company"]
    assert first.cells["company"].bbox[3] >= last.bbox[3] - 1
    assert _lines(extraction, 2, 7, "company") == ["関西電力"]


def test_gaps_before_half_width_runs_come_back_as_spaces(extraction):
    assert _lines(extraction, 2, 1, "title_link")[1] == (
        "https://www.kansai -td.co.jp/corporate/press -"
    )


def test_provenance_page_bbox_and_links(extraction):
    row = _row(extraction, 6, 1)
    x0, top, x1, bottom = row.bbox
    assert x0 < x1 and top < bottom
    cell = row.cells["summary"]
    assert cell.page == 6 and x0 <= cell.bbox[0] < cell.bbox[2] <= x1
    assert [link.uri for link in row.links] == [
        "https://nw.tohoku-epco.co.jp/news/pdf/__icsFiles/afieldfile/2023/01/13/230113002.pdf"
    ]


def test_text_outside_the_table(extraction):
    cover = [line.text for line in extraction.source.cover]
    assert "2023年５月 22日" in cover and "資料３－２" in cover
    page2 = extraction.source.pages[1]
    assert "各事業者における事案の内容及び発生原因の公表状況（１／６）" in [
        line.text for line in page2.above
    ]
    assert page2.below[0].text.startswith("※上記は命令または勧告対象の事業者")
