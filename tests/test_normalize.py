"""Dates against the document's own date, company names, empty cells.

Rules pinned here:
- the document's date: Gregorian (full-width digits and spaces allowed), 令和 and 平成 (元 for
  year 1), failing those a numeric 2023/5/22 or 2023.5.22 not inside a longer number; a date
  that does not exist is an error quoting it, no date an error naming the file;
- the cover's lines first, the lines above the tables when there is no cover;
- a published date: every prefix (昨年, 前年, 去年 the year before; 本年, 今年 the document's
  year), every year, month and day separator, every weekday; without a year it is the latest
  such day on or before the document's date (the document's own day is its year, the day
  after the year before, 2/29 the last year that has one); a day that does not exist is an
  error quoting it as printed;
- rows: every field of a disclosure comes from its row, its document and companies.csv;
  the company carries down to the rows below its cell, is looked up in companies.csv
  (unknown: nulls), rows count from 1; a dash of any kind or nothing in 補足 is null;
  url_confirmed is null without a link, true when a link is the URL (whitespace ignored);
- row problems are reported together, by page and row, at most MAX_ROW_ERRORS, with the count.
"""

import datetime as dt
from dataclasses import fields

import pytest

from pipeline.errors import NormalizeError
from pipeline.normalize import MAX_ROW_ERRORS, document_date, normalize, published_date
from pipeline.records import Disclosure, Line, PageText, Repaired, RepairedRow, Source

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


# --- Every alternative of the date patterns, both sides of the date window ---------------------


@pytest.mark.parametrize(
    ("cover", "expected"),
    [
        (("平成31年4月30日",), dt.date(2019, 4, 30)),
        (("平成元年1月8日",), dt.date(1989, 1, 8)),
        (("令和 5 年 5 月 22 日",), dt.date(2023, 5, 22)),
        (("２０２３年５月２２日",), dt.date(2023, 5, 22)),
        (("2023.5.22",), dt.date(2023, 5, 22)),
        (("2023/05/02",), dt.date(2023, 5, 2)),
        (("2023/5/22", "2022年1月2日"), dt.date(2022, 1, 2)),  # 年月日 before numeric
        (("2023", "年5月22日"), dt.date(2023, 5, 22)),  # the cover's lines read as one text
    ],
)
def test_document_date_every_form(cover, expected):
    assert document_date("x.pdf", cover) == expected


@pytest.mark.parametrize("cover", ["12023/5/22", "2023/5/223", "資料３－２"])
def test_document_date_inside_a_longer_number_is_no_date(cover):
    with pytest.raises(NormalizeError, match=r"^x\.pdf: page 1: no document date \(年月日\)"):
        document_date("x.pdf", (cover,))


def test_a_document_date_that_does_not_exist_is_quoted():
    with pytest.raises(NormalizeError) as error:
        document_date(
            "x.pdf",
            (
                "資料",
                " 2023年2月30日 ",
            ),
        )
    assert str(error.value) == "x.pdf: page 1: bad document date '2023年2月30日'"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("前年12/27", dt.date(2022, 12, 27)),
        ("去年1/13", dt.date(2022, 1, 13)),
        ("昨年5/23", dt.date(2022, 5, 23)),
        ("本年1/13", dt.date(2023, 1, 13)),
        ("今年12/27", dt.date(2023, 12, 27)),  # this year, though after the document's date
        ("2022.12.27", dt.date(2022, 12, 27)),
        ("2022-12-27", dt.date(2022, 12, 27)),
        ("2022年12月27日", dt.date(2022, 12, 27)),
        ("2024/12/27", dt.date(2024, 12, 27)),  # a year printed is taken as printed
        ("1.13", dt.date(2023, 1, 13)),
        ("1-13", dt.date(2023, 1, 13)),
        ("1月13", dt.date(2023, 1, 13)),
        ("01/03", dt.date(2023, 1, 3)),
        ("5/23", dt.date(2022, 5, 23)),  # the day after the document's date: the year before
        ("5/21", dt.date(2023, 5, 21)),
        ("1/13(月)", dt.date(2023, 1, 13)),
        ("1/13(火)", dt.date(2023, 1, 13)),
        ("1/13(水)", dt.date(2023, 1, 13)),
        ("1/13(木)", dt.date(2023, 1, 13)),
        ("1/13(土)", dt.date(2023, 1, 13)),
        ("1/13(日)", dt.date(2023, 1, 13)),
    ],
)
def test_published_date_every_form(raw, expected):
    assert published_date(raw, DOC) == expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (dt.date(2025, 1, 31), dt.date(2024, 2, 29)),  # 2025 has no 2/29
        (dt.date(2024, 3, 1), dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), dt.date(2024, 2, 29)),  # the document's own day
    ],
)
def test_a_leap_day_is_the_latest_one_on_or_before_the_document(reference, expected):
    assert published_date("2/29", reference) == expected


def test_a_leap_day_before_the_documents_in_a_year_without_one_is_no_date():
    # 2024-02-28: 2024's 2/29 is after it, and 2023 has none.
    with pytest.raises(ValueError, match=r"^not a date: '2/29' \(day is out of range"):
        published_date("2/29", dt.date(2024, 2, 28))


@pytest.mark.parametrize(
    "raw", ["昨年2/30", "今年2/30", "2023/2/30", "1/13(金", "1/13(祝)", "x1/13"]
)
def test_published_date_rejects_what_is_no_date(raw):
    with pytest.raises(ValueError, match=r"^not a date: "):
        published_date(raw, DOC)


# --- normalize(): rows become disclosures -----------------------------------------------------


def _source(cover_lines=("2023年5月22日",), above=()):
    def line(text):
        return Line(text=text, x0=0, x1=100, top=0, bottom=10, size=10)

    values = {"document": "doc", "path": "x.pdf", "sha256": "0" * 64, "page_count": 3}
    values["cover"] = tuple(line(t) for t in cover_lines)
    values["pages"] = (PageText(page=2, above=tuple(line(t) for t in above), below=()),)
    return Source(**{field.name: values[field.name] for field in fields(Source)})


def _row(index, company=(), summary="－", links=(), url="https://example.com/a.pdf", page=2):
    return RepairedRow(
        page=page,
        index=index,
        bbox=(0, 0, 1, 1),
        company_lines=company,
        published_raw="1/13",
        location="トップページ",
        title="報告について",
        url=url,
        summary=summary,
        link_uris=links,
    )


def test_a_company_carries_down_and_is_looked_up():
    rows = (_row(0, ("関西電力", "送配電")), _row(1), _row(2, ("どこか電力",)), _row(3))
    normalized = normalize(Repaired(source=_source(), rows=rows))
    got = [
        (d.row, d.company, d.company_legal_name, d.company_role, d.company_group)
        for d in normalized.disclosures
    ]
    assert got == [
        (1, "関西電力送配電", "関西電力送配電株式会社", "一般送配電事業者", "関西電力グループ"),
        (2, "関西電力送配電", "関西電力送配電株式会社", "一般送配電事業者", "関西電力グループ"),
        (3, "どこか電力", None, None, None),
        (4, "どこか電力", None, None, None),
    ]
    assert normalized.document.date == dt.date(2023, 5, 22)
    assert {d.published for d in normalized.disclosures} == {dt.date(2023, 1, 13)}


@pytest.mark.parametrize("summary", ["－", "−", "-", "―", "‐", "—", "–", "ー", ""])
def test_a_dash_of_any_kind_or_nothing_in_the_summary_is_null(summary):
    normalized = normalize(Repaired(source=_source(), rows=(_row(0, ("関西電力",), summary),)))
    assert normalized.disclosures[0].summary is None


def test_a_summary_is_kept_as_it_is():
    rows = (_row(0, ("関西電力",), "①－\n②"),)
    assert normalize(Repaired(source=_source(), rows=rows)).disclosures[0].summary == "①－\n②"


@pytest.mark.parametrize(
    ("links", "confirmed"),
    [
        ((), None),
        (("https://example.com/a.pdf",), True),
        (("https://example.com/ a.pdf",), True),  # whitespace inside the annotation's URI
        (("https://example.com/b.pdf", "https://example.com/a.pdf"), True),
        (("https://example.com/b.pdf",), False),
    ],
)
def test_url_confirmed_says_whether_a_link_over_the_title_is_the_url(links, confirmed):
    rows = (_row(0, ("関西電力",), links=links),)
    assert (
        normalize(Repaired(source=_source(), rows=rows)).disclosures[0].url_confirmed is confirmed
    )


def test_without_a_cover_the_date_is_read_above_the_tables():
    source = _source(cover_lines=(), above=("各事業者の公表状況", "令和5年5月22日"))
    normalized = normalize(Repaired(source=source, rows=(_row(0, ("関西電力",)),)))
    assert normalized.document.date == dt.date(2023, 5, 22)


def test_row_problems_are_sorted_by_page_and_row():
    rows = (_row(0, page=3), _row(0, page=2), _row(1, page=2))
    with pytest.raises(NormalizeError) as error:
        normalize(Repaired(source=_source(), rows=rows))
    assert str(error.value).splitlines() == [
        "x.pdf: page 2, row 1: no company name (事業者名)",
        "x.pdf: page 2, row 2: no company name (事業者名)",
        "x.pdf: page 3, row 1: no company name (事業者名)",
        "3 errors in x.pdf",
    ]


def test_exactly_max_row_errors_are_all_shown_without_the_note():
    rows = tuple(_row(i) for i in range(MAX_ROW_ERRORS))
    with pytest.raises(NormalizeError) as error:
        normalize(Repaired(source=_source(), rows=rows))
    lines = str(error.value).splitlines()
    assert len(lines) == MAX_ROW_ERRORS + 1
    assert lines[-1] == f"{MAX_ROW_ERRORS} errors in x.pdf"


def test_a_disclosure_takes_every_field_from_its_row_and_document():
    source = _source()
    normalized = normalize(Repaired(source=source, rows=(_row(3, ("関西電力",), "①a", page=4),)))
    assert normalized.document.source is source
    expected = {
        "document": "doc",
        "page": 4,
        "row": 4,
        "company": "関西電力",
        "company_legal_name": "関西電力株式会社",
        "company_role": "小売電気事業者",
        "company_group": "関西電力グループ",
        "published": dt.date(2023, 1, 13),
        "published_raw": "1/13",
        "location": "トップページ",
        "title": "報告について",
        "url": "https://example.com/a.pdf",
        "url_confirmed": None,
        "summary": "①a",
    }
    (disclosure,) = normalized.disclosures
    names = [field.name for field in fields(Disclosure)]
    assert {n: getattr(disclosure, n) for n in names} == {n: expected[n] for n in names}


def test_no_date_on_the_cover_names_the_pdf():
    source = _source(cover_lines=("事務局提出資料",))
    with pytest.raises(NormalizeError) as error:
        normalize(Repaired(source=source, rows=(_row(0, ("関西電力",)),)))
    assert str(error.value) == "x.pdf: page 1: no document date (年月日) on the cover"


@pytest.mark.parametrize(
    "raw", ["2023/2/30", "昨年2/30", "今年2/30"], ids=["year", "last-year", "this-year"]
)
def test_a_day_that_does_not_exist_is_quoted_as_printed(raw):
    with pytest.raises(ValueError) as error:
        published_date(raw, DOC)
    assert str(error.value) == f"not a date: {raw!r} (day is out of range for month)"
