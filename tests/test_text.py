"""Text rules (pipeline/text.py): radical folding, spaces, where a URL starts.

Radical folding's expected values are written by hand from EquivalentUnifiedIdeograph-17.0.0.txt.

Rules pinned here:
- a radical that Unicode lists as equivalent to a unified ideograph becomes that ideograph
  (関⻄電⼒ → 関西電力), and the count says how many characters changed;
- everything else stays as printed: ①, full-width digits and brackets (no NFKC), ASCII,
  the ideographs themselves, radicals and strokes the file gives no equivalent, and the
  code points just outside the three blocks;
- the bundled data maps only code points of the three blocks, and only to CJK unified
  ideographs; all 214 Kangxi radicals have an equivalent;
- the count is of the characters replaced, not of the radical-block characters seen;
- tidy: runs of whitespace become one space, and none is left where it touches a wide
  character, whichever side it is on: East Asian Width W (漢), F (Ａ) and A (①, ※); between
  two narrow ones (Na: `a`, H: `ｱ`) one space stays; ends are stripped;
- URL_START: `http` or `https`, any case, with spaces extraction left inside `://`.
"""

import pytest

from pipeline.text import RADICAL_BLOCKS, URL_START, fold_radicals, radical_equivalents, tidy

# CJK Unified Ideographs, Extension A, Extension B and Extension C (Blocks.txt bounds).
UNIFIED_IDEOGRAPHS = (
    range(0x4E00, 0xA000),
    range(0x3400, 0x4DC0),
    range(0x20000, 0x2A6E0),
    range(0x2A700, 0x2B740),
)


@pytest.mark.parametrize(
    ("radical", "ideograph"),
    [
        ("\u2ec4", "西"),  # CJK RADICAL WEST TWO ⻄
        ("\u2f12", "力"),  # KANGXI RADICAL POWER ⼒
        ("\u2f47", "日"),  # KANGXI RADICAL SUN ⽇
        ("\u2ed1", "長"),  # CJK RADICAL LONG ONE ⻑
        ("\u2fbc", "高"),  # KANGXI RADICAL TALL ⾼
        ("\u2f92", "見"),  # KANGXI RADICAL SEE ⾒
        ("\u2e8c", "小"),  # CJK RADICAL SMALL ONE, first of the range 2E8C..2E8D
        ("\u2e8d", "小"),  # CJK RADICAL SMALL TWO, last of the range
        ("\u31d0", "一"),  # CJK STROKE H
        ("\u31c6", "\U000200cc"),  # CJK STROKE HZG, to Extension B
    ],
)
def test_radical_becomes_its_ideograph(radical: str, ideograph: str) -> None:
    assert fold_radicals(radical) == (ideograph, 1)


def test_company_name_in_radicals() -> None:
    assert fold_radicals("関⻄電⼒送配電") == ("関西電力送配電", 2)


@pytest.mark.parametrize(
    "text",
    [
        "①",
        "（１／６）",
        "低圧４画面",
        "Kansai Electric Power Co., Inc. https://www.kepco.co.jp/",
        "関西電力送配電 西 力 日 長 高 見",
        "",
        "\u2e80",  # CJK RADICAL REPEAT: listed as having no equivalent
        "\u2e9a",  # unassigned, inside CJK Radicals Supplement
        "\u31c0",  # CJK STROKE T: no equivalent
        "\u31e5",  # CJK STROKE SZP: no equivalent
        "\u2e7f",  # just below CJK Radicals Supplement
        "\u2fd6",  # just past the last Kangxi radical (U+2FD5)
        "\u2fe0",  # just past the Kangxi Radicals block
        "\u2ff0",  # IDEOGRAPHIC DESCRIPTION CHARACTER LEFT TO RIGHT ⿰
        "\u31bf",  # just below CJK Strokes
        "\u31f0",  # just past CJK Strokes (KATAKANA LETTER SMALL KU)
    ],
)
def test_text_without_mapped_radicals_is_unchanged(text: str) -> None:
    assert fold_radicals(text) == (text, 0)


def test_long_text_without_radicals_is_returned_as_is() -> None:
    text = "一般送配電事業者による非公開情報の情報漏えい（１／６）①" * 4000
    folded, count = fold_radicals(text)
    assert folded is text
    assert count == 0


def test_mapped_code_points_lie_in_the_radical_blocks() -> None:
    for code in radical_equivalents():
        assert any(code in block for block in RADICAL_BLOCKS), hex(code)


def test_every_equivalent_is_a_unified_ideograph() -> None:
    for code, ideograph in radical_equivalents().items():
        assert len(ideograph) == 1, hex(code)
        assert any(ord(ideograph) in block for block in UNIFIED_IDEOGRAPHS), hex(code)


@pytest.mark.parametrize(
    ("block", "mapped"),
    [
        (range(0x2E80, 0x2F00), 114),  # 115 radicals, all but 2E80 CJK RADICAL REPEAT
        (range(0x2F00, 0x2FE0), 214),  # every Kangxi radical, 2F00..2FD5
        (range(0x31C0, 0x31F0), 20),  # 38 strokes, 18 of them without an equivalent
    ],
)
def test_mapped_count_per_block(block: range, mapped: int) -> None:
    assert sum(code in block for code in radical_equivalents()) == mapped


def test_the_count_is_of_replaced_characters_only():
    # ⺀ (U+2E80) lies in a block but has no equivalent: it is neither replaced nor counted.
    assert fold_radicals("\u2e80関⻄\u2e80電⼒") == ("\u2e80関西\u2e80電力", 2)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("漢 a", "漢a"),  # W before
        ("a 漢", "a漢"),  # W after
        ("Ａ b", "Ａb"),  # F before
        ("b Ａ", "bＡ"),  # F after
        ("① a", "①a"),  # A before
        ("a ※", "a※"),  # A after
        ("a b", "a b"),  # Na and Na
        ("ｱ b", "ｱ b"),  # H and Na: half-width katakana is narrow
        ("a  \t\n b", "a b"),  # a run of whitespace is one space
        ("  a b  ", "a b"),
        ("漢 字 a b", "漢字a b"),
        ("a b c", "a b c"),
        ("a", "a"),
        ("", ""),
    ],
)
def test_tidy_keeps_a_space_only_between_two_narrow_characters(raw, expected):
    assert tidy(raw) == expected


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("報告 https://www.example.co.jp/", 3),
        ("http://www.example.co.jp/", 0),
        ("HTTPS://WWW.EXAMPLE.CO.JP/", 0),
        ("https : / / www.example.co.jp/", 0),
        ("Https:/ /x", 0),
    ],
)
def test_a_url_starts_at_http_or_https_with_spaces_inside_its_scheme(text, start):
    match = URL_START.search(text)
    assert match is not None and match.start() == start


@pytest.mark.parametrize("text", ["httpx://a", "https:/a", "www.example.co.jp", "ftp://a"])
def test_text_without_a_scheme_and_two_slashes_has_no_url(text):
    assert URL_START.search(text) is None
