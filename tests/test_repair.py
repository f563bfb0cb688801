"""Repair rules, each on the document's own strings, expected values written by hand.

Rules pinned here:
- tidy: whitespace collapsed, removed where it touches full-width text, kept between
  half-width words;
- a wrapped URL loses every whitespace character;
- soft wraps in 補足 are joined with nothing; a line starting an item keeps its break: every
  alternative of ITEM_START (a.  b)  ａ．  ①  （１）  1.  １）  事案１  ※  ＊  （参考), but not a
  number that goes on (1.5) nor a marker followed by a reference mark (①～③, a、, 事案１～);
- a line that fills less than SHORT_LINE_FILL (0.6) of the column's text width ends its item:
  0.59 keeps the break, 0.61 and exactly 0.6 do not; the text width runs from the leftmost
  line's x0 to the page's text edge, the rightmost x1 of any 補足 line on that page, wherever
  that line is;
- empty lines are dropped, and the lines after them still joined;
- the title cell splits at the first `http` into title and URL, the URL wherever it starts,
  its lines joined with nothing;
  a cell without a URL is an error naming file, page, row and the cell's lines;
- repair() keeps each row's provenance and fills every field from its own cell.
"""

from dataclasses import fields

import pytest

from pipeline.errors import RepairError
from pipeline.records import Cell, ExtractedRow, Extraction, Line, Link, RepairedRow, Source
from pipeline.repair import _split_title, join_lines, repair, repair_url
from pipeline.text import tidy


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "一般送配電事業者の社員等に付与した ID・パスワード",
            "一般送配電事業者の社員等に付与したID・パスワード",
        ),
        (
            "る過去 1年分のアクセスログの調査結果、原因およ",
            "る過去1年分のアクセスログの調査結果、原因およ",
        ),
        ("ク（以下、 NW）用設定端末を使用できる状況", "ク（以下、NW）用設定端末を使用できる状況"),
        ("③東北電力 NWにおける NW側システムの ID、", "③東北電力NWにおけるNW側システムのID、"),
        ("上記公表済みの事案 a～gを再掲", "上記公表済みの事案a～gを再掲"),
        ("2023年５月 22日", "2023年５月22日"),
        ("低圧４画面", "低圧４画面"),  # full-width digits stay as printed
        ("①～⑧の事案について", "①～⑧の事案について"),  # no NFKC: ① stays ①
        ("Power  Grid", "Power Grid"),  # a space between half-width words is real
        ("  ", ""),
    ],
)
def test_tidy(raw, expected):
    assert tidy(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://www.kansai -td.co.jp/corporate/press -release/2022/pdf/1227_2j_01.pdf",
            "https://www.kansai-td.co.jp/corporate/press-release/2022/pdf/1227_2j_01.pdf",
        ),
        (
            "https://www.kyuden.co.jp/td_press_2023_0512 -1.html",
            "https://www.kyuden.co.jp/td_press_2023_0512-1.html",
        ),
        ("https://x.example/a\tb\n c", "https://x.example/abc"),
    ],
)
def test_repair_url(raw, expected):
    assert repair_url(raw) == expected


def _line(text, x1, size=9.0):
    return Line(text=text, x0=10.0, x1=x1, top=0.0, bottom=9.0, size=size)


# The right text edge of a 補足 cell in these tests is 200: a wrapped line ends within a character.
RIGHT = 200.0


def test_join_lines_joins_soft_wraps():
    lines = [
        _line("法令等遵守体制の整備状況、低圧４画面におけ", 199.0),
        _line("る過去 1年分のアクセスログの調査結果、原因およ", 196.0),
        _line("び再発防止策等の報告", 100.0),
    ]
    assert join_lines(lines, RIGHT) == (
        "法令等遵守体制の整備状況、低圧４画面における過去1年分のアクセスログの調査結果、"
        "原因および再発防止策等の報告"
    )


def test_join_lines_breaks_before_items():
    lines = [
        _line("a.営業システム（セールスセンター等）に係る事", 198.0),
        _line("案", 20.0),
        _line("b.お客さま台帳検索システムに係る事案", 150.0),
        _line("c.営業システム（カスタマーセンター）に係る事", 198.0),
        _line("案", 20.0),
    ]
    assert join_lines(lines, RIGHT) == (
        "a.営業システム（セールスセンター等）に係る事案\n"
        "b.お客さま台帳検索システムに係る事案\n"
        "c.営業システム（カスタマーセンター）に係る事案"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("再発防止策", "※事案判明時や報告徴収受領・報告時には都"),
        ("事案１～７", "（参考扱いとして事案をすべて記載）"),
        ("事案１お客さま台帳検索システム", "事案２営業システム（未収督促画面）"),
        ("上記①及び、", "②カスタマーセンターにおける当社または当社委"),
    ],
)
def test_join_lines_item_markers_keep_the_break_even_after_a_full_line(first, second):
    lines = [_line(first, 199.5), _line(second, 199.5)]
    assert join_lines(lines, RIGHT) == f"{first}\n{second}"


def test_join_lines_short_line_keeps_the_break():
    lines = [_line("上記①、②及び、", 80.0), _line("東北電力NWにおける", 150.0)]
    assert join_lines(lines, RIGHT) == "上記①、②及び、\n東北電力NWにおける"


def test_join_lines_reference_wrapped_before_a_marker_is_joined():
    # `上記` + `①～③の事案` is one sentence that wrapped before ①, not a new item.
    lines = [_line("東北電力の事案については上記", 199.0), _line("①～③の事案と同じ", 120.0)]
    assert join_lines(lines, RIGHT) == "東北電力の事案については上記①～③の事案と同じ"


def _title_row(*texts):
    cell = Cell(
        page=3,
        column="title_link",
        bbox=(0, 0, 300, 50),
        lines=tuple(_line(t, 250.0) for t in texts),
    )
    return ExtractedRow(page=3, index=3, bbox=(0, 0, 300, 50), cells={}, links=()), cell


def test_split_title_wrapped_title_and_url():
    row, cell = _title_row(
        "一般送配電事業者の社員等に付与した ID・パスワードの漏えいについ",
        "て",
        "https://www.kyuden.co.jp/td_press_2023_230315b -",
        "1.html",
    )
    assert _split_title("x.pdf", row, cell) == (
        "一般送配電事業者の社員等に付与したID・パスワードの漏えいについて",
        "https://www.kyuden.co.jp/td_press_2023_230315b-1.html",
    )


def test_split_title_url_wrapped_mid_word():
    row, cell = _title_row(
        "新電力顧客情報の取扱いに係る調査結果の報告について",
        "https://www.kepco.co.jp/corporate/pr/2023/pdf/20230113",
        "_2j.pdf",
    )
    assert _split_title("x.pdf", row, cell)[1] == (
        "https://www.kepco.co.jp/corporate/pr/2023/pdf/20230113_2j.pdf"
    )


def test_split_title_without_url_names_file_page_and_row():
    row, cell = _title_row("業務改善計画")
    with pytest.raises(RepairError, match=r"^x\.pdf: page 3, row 4: no URL in the title cell"):
        _split_title("x.pdf", row, cell)


# --- Item starts: every alternative of ITEM_START, and what is not one ---------------------


@pytest.mark.parametrize(
    "second",
    [
        "a.営業システム",
        "Z.営業システム",
        "b)営業システム",
        "ａ．営業システム",
        "ｚ）営業システム",
        "Ｂ．営業システム",
        "c．営業システム",
        "d）営業システム",
        "①小売業務",
        "⑳小売業務",
        "㉑小売業務",
        "㊿小売業務",
        "（１）小売業務",
        "(12)小売業務",
        "（3)小売業務",
        "1.小売業務",
        "１．小売業務",
        "2)小売業務",
        "１０）小売業務",
        "事案１お客さま",
        "事案12お客さま",
        "事案7お客さま",
        "※過去公表経緯",
        "＊過去公表経緯",
        "（参考扱いとして事案をすべて記載）",
        "(参考)再発防止策",
    ],
)
def test_every_item_marker_starts_a_new_line_after_a_full_line(second):
    lines = [_line("法令等遵守体制の整備状況、低圧４画面におけ", 199.0), _line(second, 150.0)]
    assert join_lines(lines, RIGHT) == f"法令等遵守体制の整備状況、低圧４画面におけ\n{second}"


@pytest.mark.parametrize(
    "second",
    [
        "1.5倍の件数",  # a decimal number, not item 1
        "１．５倍の件数",
        "ab.営業システム",  # two letters: a word, not a label
        "①～③の事案と同じ",  # a range referred to
        "①〜③の事案と同じ",
        "①~③の事案と同じ",
        "①、②の事案",  # a conjunction
        "①，②の事案",
        "①及び②の事案",
        "a～gの事案",
        "a.～gの事案",
        "事案１～７",
        "事案1、2",
        "参考資料",  # （参考 needs its bracket
        "案",
    ],
)
def test_a_reference_or_a_number_that_goes_on_is_joined(second):
    lines = [_line("東北電力の事案については上記", 199.0), _line(second, 150.0)]
    assert join_lines(lines, RIGHT) == f"東北電力の事案については上記{second}"


def test_an_item_marker_on_the_first_line_adds_no_break():
    assert join_lines([_line("①小売業務", 150.0)], RIGHT) == "①小売業務"


# --- SHORT_LINE_FILL: a line that ends well short of the text edge ends its item -------------

# The lines start at x0 = 10 and the text edge is 210: 200 points of text width.
WIDE = 210.0


@pytest.mark.parametrize(
    ("fill", "joined"),
    [
        (0.30, "上記①、②及び、\n東北電力NWにおける"),
        (0.59, "上記①、②及び、\n東北電力NWにおける"),
        (0.60, "上記①、②及び、東北電力NWにおける"),
        (0.61, "上記①、②及び、東北電力NWにおける"),
        (0.95, "上記①、②及び、東北電力NWにおける"),
    ],
)
def test_a_line_filling_less_than_six_tenths_of_the_column_ends_its_item(fill, joined):
    lines = [_line("上記①、②及び、", 10.0 + fill * 200.0), _line("東北電力NWにおける", 150.0)]
    assert join_lines(lines, WIDE) == joined


def test_the_text_width_starts_at_the_leftmost_line():
    # The first line is indented to x0 = 60; the width is measured from the second's x0 = 10,
    # so the first fills 0.55 of 200 points (short), not 0.64 of 150 (full).
    first = Line(text="上記①、②及び、", x0=60.0, x1=120.0, top=0.0, bottom=9.0, size=9.0)
    second = Line(text="東北電力NWにおける", x0=10.0, x1=150.0, top=12.0, bottom=21.0, size=9.0)
    assert join_lines([first, second], WIDE) == "上記①、②及び、\n東北電力NWにおける"


def test_a_short_line_is_judged_by_the_line_before_not_the_line_after():
    lines = [_line("法令等遵守体制の整備状況", 200.0), _line("び再発防止策等の報告", 60.0)]
    assert join_lines(lines, WIDE) == "法令等遵守体制の整備状況び再発防止策等の報告"


def test_blank_lines_are_dropped_and_the_lines_around_them_joined():
    lines = [_line("法令等遵守体制の", 200.0), _line("  ", 200.0), _line("整備状況", 100.0)]
    assert join_lines(lines, WIDE) == "法令等遵守体制の整備状況"


def test_a_leading_blank_line_adds_no_break():
    lines = [_line(" ", 20.0), _line("①小売業務", 100.0)]
    assert join_lines(lines, WIDE) == "①小売業務"


def test_a_cell_without_lines_is_empty():
    assert join_lines([], WIDE) == ""


# --- repair(): the page's text edge, and every field from its own cell ------------------------


def _cell(page, column, *lines):
    return Cell(page=page, column=column, bbox=(0.0, 0.0, 300.0, 50.0), lines=tuple(lines))


def _at(text, x1, x0=10.0):
    return Line(text=text, x0=x0, x1=x1, top=0.0, bottom=9.0, size=9.0)


def _row(page, index, summary_lines, company=("関西電力", "送配電")):
    cells = {
        "company": _cell(page, "company", *(_at(t, 60.0) for t in company)),
        "published": _cell(page, "published", _at("昨年", 40.0), _at("12/27", 40.0)),
        "location": _cell(page, "location", _at("トップページ／", 90.0), _at("プレス", 50.0)),
        "title_link": _cell(
            page,
            "title_link",
            _at("小売顧客情報の漏洩に係る報告について", 250.0),
            _at("https://www.kansai -td.co.jp/a -", 250.0),
            _at("b.pdf", 40.0),
        ),
        "summary": _cell(page, "summary", *summary_lines),
    }
    link = Link(page=page, uri="https://www.kansai-td.co.jp/a-b.pdf", bbox=(0, 0, 1, 1))
    return ExtractedRow(
        page=page, index=index, bbox=(1.0, 2.0, 3.0, 4.0), cells=cells, links=(link,)
    )


def _extraction(*rows):
    # Only the path matters to repair; built from Source's own fields, whichever it has.
    values = {"document": "x", "path": "x.pdf", "sha256": "0", "page_count": 3}
    values |= {"cover": (), "pages": ()}
    source = Source(**{field.name: values[field.name] for field in fields(Source)})
    return Extraction(source=source, rows=rows)


def test_repair_fills_every_field_from_its_own_cell():
    row = _row(2, 4, [_at("低圧４画面における至近１週間分", 200.0), _at("の実績", 50.0)])
    repaired = repair(_extraction(row))
    assert repaired.source is not None and repaired.source.path == "x.pdf"
    assert repaired.rows == (
        RepairedRow(
            page=2,
            index=4,
            bbox=(1.0, 2.0, 3.0, 4.0),
            company_lines=("関西電力", "送配電"),
            published_raw="昨年12/27",
            location="トップページ／プレス",
            title="小売顧客情報の漏洩に係る報告について",
            url="https://www.kansai-td.co.jp/a-b.pdf",
            summary="低圧４画面における至近１週間分の実績",
            link_uris=("https://www.kansai-td.co.jp/a-b.pdf",),
        ),
    )


def test_the_text_edge_is_the_rightmost_summary_line_on_the_page():
    # On page 2 a line of another row reaches 210, so a line ending at 120 fills 0.55: short.
    # On page 3 the same lines alone set the edge at 130, where 120 fills 0.92: a soft wrap.
    pair = [_at("上記①、②及び、", 120.0), _at("東北電力NWにおける", 130.0)]
    rows = (
        _row(2, 0, pair),
        _row(2, 1, [_at("法令等遵守体制の整備状況", 210.0)]),
        _row(3, 0, pair),
    )
    summaries = [row.summary for row in repair(_extraction(*rows)).rows]
    assert summaries == [
        "上記①、②及び、\n東北電力NWにおける",
        "法令等遵守体制の整備状況",
        "上記①、②及び、東北電力NWにおける",
    ]


def test_a_page_whose_summaries_are_empty_has_its_edge_at_zero():
    assert repair(_extraction(_row(5, 0, []))).rows[0].summary == ""


def test_company_lines_are_tidied_one_by_one():
    row = _row(2, 0, [], company=("関西電力 ", " 送配電"))
    assert repair(_extraction(row)).rows[0].company_lines == ("関西電力", "送配電")


def test_split_title_url_starting_on_a_title_line():
    row, cell = _title_row("経済産業省への報告について https://www.example.co.jp/a", "b.html")
    assert _split_title("x.pdf", row, cell) == (
        "経済産業省への報告について",
        "https://www.example.co.jp/ab.html",
    )


def test_split_title_takes_the_first_url():
    row, cell = _title_row("報告", "https://a.example/1", "https://b.example/2")
    assert _split_title("x.pdf", row, cell) == ("報告", "https://a.example/1https://b.example/2")


def test_split_title_error_lists_the_cells_lines():
    row, cell = _title_row("業務改善計画", "について")
    with pytest.raises(RepairError) as raised:
        _split_title("x.pdf", row, cell)
    assert str(raised.value) == (
        "x.pdf: page 3, row 4: no URL in the title cell (業務改善計画 / について)"
    )


def test_split_title_error_says_an_empty_cell_is_empty():
    row, cell = _title_row()
    with pytest.raises(RepairError) as raised:
        _split_title("x.pdf", row, cell)
    assert str(raised.value) == "x.pdf: page 3, row 4: no URL in the title cell (empty)"


def test_repair_names_the_pdf_page_and_row_of_a_title_without_url():
    row = _row(4, 2, [])
    cells = dict(row.cells, title_link=_cell(4, "title_link", _at("業務改善計画", 100.0)))
    bad = ExtractedRow(page=4, index=2, bbox=row.bbox, cells=cells, links=())
    with pytest.raises(RepairError) as raised:
        repair(_extraction(bad))
    assert str(raised.value) == "x.pdf: page 4, row 3: no URL in the title cell (業務改善計画)"


def test_the_text_edge_is_the_widest_line_not_the_last():
    # The widest line (210) comes first: a later line ending at 120 still fills only 0.55.
    rows = (
        _row(2, 0, [_at("法令等遵守体制の整備状況", 210.0)]),
        _row(2, 1, [_at("上記①、②及び、", 120.0), _at("東北電力NWにおける", 130.0)]),
    )
    assert repair(_extraction(*rows)).rows[1].summary == "上記①、②及び、\n東北電力NWにおける"


def test_split_title_url_over_three_lines_is_joined_with_nothing():
    row, cell = _title_row("報告", "https://www.example.co.jp/a", "/b", "/c.html")
    assert _split_title("x.pdf", row, cell) == ("報告", "https://www.example.co.jp/a/b/c.html")
