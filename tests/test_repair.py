"""Repair rules, each on the document's own strings, expected values written by hand."""

import pytest

from pipeline.errors import RepairError
from pipeline.records import Cell, ExtractedRow, Line
from pipeline.repair import _split_title, join_lines, repair_url
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
