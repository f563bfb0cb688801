"""document.json's facts from the text around the table; expected values written by hand.

Rules covered:
- the cover gives the title (largest type), the meeting (MEETING: 第, a number, 回, up to the
  first 会合, spaces allowed, half- or full-width digits, over two lines) and the material
  (MATERIAL: 資料 and a number, then dash-number parts with each dash as printed: － − - ー ‐);
- a title takes every line within half a point of the largest type (0.5 smaller is in, 0.6
  is out), page numbers aside; page 1 and pages with only a page number have no page title;
- notes: a ※ line starts one, another line continues the last note of its page, a line on
  a new page starts one; page numbers are skipped; （以下同様） extends a note to the last
  page; document.json records the source file, sha256, page count, URL and kind.
"""

import datetime as dt

import pytest

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


def _cover(*texts):
    source = Source(
        document="x",
        path="x.pdf",
        sha256="0" * 64,
        page_count=4,
        cover=tuple(_line(text, 14.0) for text in texts),
        pages=(),
    )
    return describe(Document(source=source, date=dt.date(2025, 1, 15)), None)


@pytest.mark.parametrize(
    ("text", "meeting"),
    [
        ("第85回制度設計専門会合", "第85回制度設計専門会合"),
        ("第 85 回 制度設計 専門会合", "第85回制度設計専門会合"),
        ("第８５回制度設計専門会合", "第８５回制度設計専門会合"),
        ("第85回会合", "第85回会合"),
        ("第85回制度設計専門会合 資料3 第86回会合", "第85回制度設計専門会合"),  # the first
        ("第回制度設計専門会合", None),  # no number
        ("85回制度設計専門会合", None),
        ("第85回制度設計専門部会", None),
    ],
)
def test_the_meeting_is_the_first_numbered_session_up_to_its_kaigo(text, meeting):
    assert _cover(text)["meeting"] == meeting


def test_the_meeting_may_run_over_two_cover_lines():
    assert _cover("第85回制度設計", "専門会合")["meeting"] == "第85回制度設計専門会合"


@pytest.mark.parametrize(
    ("text", "material"),
    [
        ("資料３", "資料３"),
        ("資料 12", "資料12"),
        ("資料３－２", "資料３－２"),
        ("資料３−２", "資料３−２"),
        ("資料3-2", "資料3-2"),
        ("資料３ー２", "資料３ー２"),
        ("資料３‐２", "資料３‐２"),
        ("資料３ － ２ － １", "資料３－２－１"),
        ("資料３－", "資料３"),  # a dash with no number after it is not part of it
        ("資料３＋２", "資料３"),
        ("参考資料", None),
        ("資料", None),
    ],
)
def test_the_material_number_takes_every_dash_as_printed(text, material):
    assert _cover(text)["material"] == material


@pytest.mark.parametrize(
    ("sizes", "title"),
    [
        ((26.0, 25.5), "大小"),  # half a point smaller is still the title's type
        ((26.0, 25.4), "大"),
        ((25.5, 26.0), "大小"),
    ],
)
def test_the_title_takes_lines_within_half_a_point_of_the_largest_type(sizes, title):
    page = PageText(page=2, above=(_line("大", sizes[0]), _line("小", sizes[1])), below=())
    assert describe(_document((page,)), None)["page_titles"] == [{"page": 2, "title": title}]


def test_page_one_and_pages_with_only_a_page_number_have_no_title():
    pages = (
        PageText(page=1, above=(_line("表紙の見出し", 20.0),), below=()),
        PageText(page=2, above=(_line(" ２ ", 20.0),), below=()),
        PageText(page=3, above=(), below=()),
        PageText(page=4, above=(_line("公表状況", 20.0),), below=()),
    )
    assert describe(_document(pages), None)["page_titles"] == [{"page": 4, "title": "公表状況"}]


def test_a_cover_of_page_numbers_only_has_no_title():
    assert _cover("1")["title"] is None


def test_document_json_records_the_source():
    facts = describe(_document(()), None)
    assert (facts["source_url"], facts["source_kind"], facts["source_file"]) == (
        None,
        None,
        "x.pdf",
    )
    assert (facts["sha256"], facts["page_count"]) == ("0" * 64, 4)


def test_a_note_without_its_mark_continues_the_last_note_of_its_page_only():
    pages = (
        PageText(page=2, above=(), below=(_line("前置きの行", 8.0), _line("続き", 8.0))),
        PageText(page=3, above=(), below=(_line("次の頁の行", 8.0), _line("※ 注記", 8.0))),
        PageText(page=4, above=(), below=(_line("４", 10.0), _line("※最後（以下同様）", 8.0))),
    )
    assert describe(_document(pages), None)["footnotes"] == [
        {"page": 2, "text": "前置きの行続き", "applies_to_pages": [2]},
        {"page": 3, "text": "次の頁の行", "applies_to_pages": [3]},
        {"page": 3, "text": "※注記", "applies_to_pages": [3]},
        {"page": 4, "text": "※最後（以下同様）", "applies_to_pages": [4]},
    ]
