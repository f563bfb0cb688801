"""Dates against the document's own date, company names, empty cells."""

import datetime as dt

import pytest

from pipeline.errors import NormalizeError
from pipeline.normalize import document_date, published_date

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
