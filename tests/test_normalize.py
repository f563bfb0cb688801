"""Dates against the document's own date, company names, empty cells."""

import datetime as dt

import pytest

from pipeline.errors import NormalizeError
from pipeline.normalize import MAX_ROW_ERRORS, document_date, normalize, published_date
from pipeline.records import Line, Repaired, RepairedRow, Source

DOC = dt.date(2023, 5, 22)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("昨年12/27", dt.date(2022, 12, 27)),
        ("1/13", dt.date(2023, 1, 13)),
        ("5/12", dt.date(2023, 5, 12)),
        ("5/22", dt.date(2023, 5, 22)),  # the document's own day
        ("12/27", dt.date(2022, 12, 27)),  # after the document's date: the year before
        ("５/１２", dt.date(2023, 5, 12)),  # full-width digits
        ("2022/12/27", dt.date(2022, 12, 27)),
        ("1月13日", dt.date(2023, 1, 13)),
        ("昨年 12/27", dt.date(2022, 12, 27)),
        ("1/13（金）", dt.date(2023, 1, 13)),
        ("2023年1月13日(金)", dt.date(2023, 1, 13)),
    ],
)
def test_published_date(raw, expected):
    assert published_date(raw, DOC) == expected


@pytest.mark.parametrize("raw", ["", "未定", "13/45", "2/30", "12/27頃"])
def test_published_date_rejects_non_dates_quoting_them(raw):
    with pytest.raises(ValueError, match="not a date"):
        published_date(raw, DOC)


@pytest.mark.parametrize(
    ("cover", "expected"),
    [
        (
            ("第85回制度設計 専門会合", "事務局提出資料", "2023年５月 22日資料３－２"),
            dt.date(2023, 5, 22),
        ),
        (("令和５年１月１５日",), dt.date(2023, 1, 15)),
        (("令和元年5月7日",), dt.date(2019, 5, 7)),
        (("資料３－２", "2023/5/22"), dt.date(2023, 5, 22)),
        (("資料3", "2023年5月22日"), dt.date(2023, 5, 22)),
    ],
)
def test_document_date(cover, expected):
    assert document_date("x.pdf", cover) == expected


def test_document_date_missing_names_the_file():
    with pytest.raises(NormalizeError, match=r"^x\.pdf: page 1: no document date"):
        document_date("x.pdf", ("第85回制度設計 専門会合",))


# --- Row problems, all reported together ---------------------------------------------------


def _repaired(rows: list[tuple[int, int, tuple[str, ...], str]]) -> Repaired:
    """Given (page, 0-based row, company lines, 公表日) per row, return a small Repaired."""
    cover = (Line(text="2023年5月22日", x0=0, x1=100, top=0, bottom=10, size=10),)
    source = Source(
        document="x", path="x.pdf", sha256="0" * 64, page_count=9, cover=cover, pages=()
    )
    return Repaired(
        source=source,
        rows=tuple(
            RepairedRow(
                page=page,
                index=index,
                bbox=(0, 0, 1, 1),
                company_lines=company,
                published_raw=date,
                location="トップページ",
                title="報告について",
                url="https://example.com/a.pdf",
                summary="－",
                link_uris=(),
            )
            for page, index, company, date in rows
        ),
    )


def test_every_row_problem_is_reported_by_page_and_row_with_the_count():
    repaired = _repaired(
        [
            (2, 0, (), "1/13"),  # no company yet
            (2, 1, ("関西電力",), "1/13"),
            (3, 0, ("関西電力",), "未定"),
            (3, 1, ("関西電力",), ""),
            (4, 0, ("九州電力",), "2/30"),
        ]
    )
    with pytest.raises(NormalizeError) as error:
        normalize(repaired)
    assert str(error.value).splitlines() == [
        "x.pdf: page 2, row 1: no company name (事業者名)",
        "x.pdf: page 3, row 1: 公表日 not a date: '未定'",
        "x.pdf: page 3, row 2: no date (公表日)",
        "x.pdf: page 4, row 1: 公表日 not a date: '2/30' (day is out of range for month)",
        "4 errors in x.pdf",
    ]


def test_one_row_problem_is_one_line():
    repaired = _repaired([(2, 0, ("関西電力",), "1/13"), (2, 1, ("関西電力",), "未定")])
    with pytest.raises(NormalizeError) as error:
        normalize(repaired)
    assert str(error.value) == "x.pdf: page 2, row 2: 公表日 not a date: '未定'"


def test_row_problems_stop_at_the_limit_and_say_how_many_there_were():
    rows = [(page, index, ("関西電力",), "未定") for page in (2, 3) for index in range(15)]
    with pytest.raises(NormalizeError) as error:
        normalize(_repaired(rows))
    lines = str(error.value).splitlines()
    assert len(lines) == MAX_ROW_ERRORS + 1
    assert lines[0] == "x.pdf: page 2, row 1: 公表日 not a date: '未定'"
    assert lines[-2] == "x.pdf: page 3, row 5: 公表日 not a date: '未定'"  # the 20th
    assert lines[-1] == "30 errors in x.pdf (the first 20 shown)"
