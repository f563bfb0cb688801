"""document.json's facts from the text around the table; expected values written by hand."""

import datetime as dt

from pipeline.records import Document, Line, PageText, Source
from pipeline.tables import describe


def _line(text, size, top=0.0):
    return Line(text=text, x0=0.0, x1=100.0, top=top, bottom=top + size, size=size)


COVER = (
    _line("資料４−１", 16.0),
    _line("一般送配電事業者による非公開情報の", 26.0),
    _line("情報漏えいに係る各事業者における", 26.0),
    _line("第99回制度設計 専門会合", 14.0),
    _line("2025年１月 15日", 14.0),
)


def _document(pages):
    source = Source(
        document="x", path="x.pdf", sha256="0" * 64, page_count=4, cover=COVER, pages=pages
    )
    return Document(source=source, date=dt.date(2025, 1, 15))


def test_cover_facts():
    facts = describe(_document(()), "https://example.go.jp/x.pdf", "network")
    assert facts["title"] == "一般送配電事業者による非公開情報の情報漏えいに係る各事業者における"
    assert (facts["meeting"], facts["material"], facts["date"]) == (
        "第99回制度設計専門会合",
        "資料４−１",
        "2025-01-15",
    )
    assert (facts["source_url"], facts["source_kind"]) == ("https://example.go.jp/x.pdf", "network")


def test_page_titles_skip_page_numbers_and_take_the_largest_type():
    page = PageText(
        page=2,
        above=(_line("2", 10.0), _line("公表状況（１／３）", 20.0), _line("●以下のとおり。", 14.0)),
        below=(),
    )
    assert describe(_document((page,)), None)["page_titles"] == [
        {"page": 2, "title": "公表状況（１／３）"}
    ]


def test_notes_join_their_lines_and_know_their_scope():
    pages = (
        PageText(
            page=2,
            above=(),
            below=(
                _line("※上記は提出された情報を", 8.0),
                _line("とりまとめたもの 。（以下同様）", 8.0),
            ),
        ),
        PageText(page=3, above=(), below=(_line("※この頁のみの注記", 8.0), _line("3", 10.0))),
    )
    assert describe(_document(pages), None)["footnotes"] == [
        {
            "page": 2,
            "text": "※上記は提出された情報をとりまとめたもの。（以下同様）",
            "applies_to_pages": [2, 3, 4],
        },
        {"page": 3, "text": "※この頁のみの注記", "applies_to_pages": [3]},
    ]
