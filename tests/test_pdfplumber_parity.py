"""What extract and ruling read without pdfplumber's conversions equals what pdfplumber gives.

For speed, extract reads a page's chars and ruling its rectangles, lines and curves straight
from pdfminer's layout of the page, and extract makes a cell's text lines without
pdfplumber's text map. Rules pinned:
- the chars extract reads carry pdfplumber's page.chars values for every key extract reads,
  in the same order, on the fixtures' pages (rotated pages, a moved MediaBox, faux bold,
  radicals, office exports among them);
- the rectangles and paths ruling reads are pdfplumber's page.rects, page.lines and
  page.curves;
- a cell's text lines are pdfplumber's `chars_to_textmap(layout=False).extract_text_lines()`:
  the same text, box and chars (a ligature's twice), for chars set anywhere: on one line or
  several, with gaps, spaces, ligatures, multi-letter, empty and rotated texts; and, case by
  case, on both sides of the 3pt x and y tolerances (a gap, two tops, a chain of tops), for
  chars drawn right to left, a space or ideographic space between words, a ligature, a
  multi-letter char, and the chars that go through pdfplumber (empty text, a space or a line
  break beside letters, not upright);
- a cropped page, or a PDF opened with layout analysis or Unicode normalization, is read
  through pdfplumber's page.chars; any other page without it;
- a char's text is plain (read without the text map) when it is all space or holds letters
  and no space or line break; a word's chars come once per letter, a ligature's once per
  letter it expands to; values within the tolerance of the one before share a group.
"""

from pathlib import Path

import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfplumber.utils.text import chars_to_textmap

import pipeline.extract as ex
import pipeline.ruling as ruling

FIXTURES = Path(__file__).parent / "fixtures"
PDFS = sorted(
    [*FIXTURES.glob("*.pdf"), *FIXTURES.glob("quirks/*.pdf"), *FIXTURES.glob("office/*.pdf")]
)
# The cover and the first two table pages of each: every kind of page the fixtures have.
PAGES = 3
CHAR_KEYS = ("text", "x0", "x1", "top", "bottom", "doctop", "size", "upright")


@pytest.mark.parametrize("pdf_path", PDFS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_chars_and_ink_read_from_the_layout_are_pdfplumbers(pdf_path):
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages[:PAGES]:
            # repr tells -0.0 from 0.0, which a JSON output would show.
            expected_chars = [tuple(repr(c[k]) for k in CHAR_KEYS) for c in page.chars]
            expected_rects = [
                (r["x0"], r["top"], r["x1"], r["bottom"], r["width"], r["height"])
                for r in page.rects
            ]
            expected_paths = [o["pts"] for o in page.lines] + [o["pts"] for o in page.curves]
            chars = [tuple(repr(c[k]) for k in CHAR_KEYS) for c in ex._page_chars(page)]
            assert chars == expected_chars, f"page {page.page_number}"
            assert repr(ruling._page_ink(page)) == repr((expected_rects, expected_paths))
            page.close()


def _pdfplumber_lines(chars):
    found = chars_to_textmap(chars, layout=False).extract_text_lines(strip=True)
    return [line for line in found if line["text"]]


def _comparable(lines):
    return [
        (
            line["text"],
            (line["x0"], line["top"], line["x1"], line["bottom"]),
            [id(c) for c in line["chars"]],
        )
        for line in lines
    ]


TEXTS = [*"abあ漢1", "ﬁ", "ﬃ", " ", "\u3000", "\t", "(cid:3)", "ab", "", "a b", "x\n", "\n"]
CHAR = st.fixed_dictionaries(
    {
        "text": st.sampled_from(TEXTS),
        # Coarse positions, so that chars share tops and left edges and sit just within or
        # just past pdfplumber's 3pt tolerances.
        "x0": st.sampled_from([0.0, 2.5, 3.0, 5.0, 6.0, 9.0, 12.0, 20.0, 30.0]),
        "width": st.sampled_from([0.0, 2.0, 3.0, 9.0]),
        "top": st.sampled_from([0.0, 1.0, 2.9, 3.0, 3.1, 6.0, 9.5, 12.0, 20.0]),
        "size": st.sampled_from([9.0, 10.5]),
        "upright": st.sampled_from([True] * 19 + [False]),
    }
)


@settings(max_examples=400, deadline=None)
@given(st.lists(CHAR, min_size=1, max_size=30))
def test_text_lines_are_pdfplumbers(specs):
    chars = [
        {
            "text": s["text"],
            "x0": s["x0"],
            "x1": s["x0"] + s["width"],
            "top": s["top"],
            "bottom": s["top"] + s["size"],
            "doctop": s["top"],
            "size": s["size"],
            "upright": s["upright"],
        }
        for s in specs
    ]
    assert _comparable(ex._found_lines(chars)) == _comparable(_pdfplumber_lines(chars))


def _read_as(pdf_path, **kwargs):
    with pdfplumber.open(pdf_path, **kwargs) as pdf:
        page = pdf.pages[1]
        return [tuple(repr(c[k]) for k in CHAR_KEYS) for c in ex._page_chars(page)], [
            tuple(repr(c[k]) for k in CHAR_KEYS) for c in page.chars
        ]


REPLICA = FIXTURES / "085_03_02.replica.pdf"


@pytest.mark.parametrize("opened", [{"laparams": {}}, {"unicode_norm": "NFKC"}], ids=str)
def test_a_pdf_opened_with_layout_analysis_or_unicode_norm_is_read_through_pdfplumber(opened):
    """Layout analysis reorders the chars; NFKC turns the header's （１／６） into (1/6)."""
    plain, _ = _read_as(REPLICA)
    read, expected = _read_as(REPLICA, **opened)
    assert read == expected
    assert read != plain


def test_a_cropped_page_is_read_through_pdfplumber():
    with pdfplumber.open(REPLICA) as pdf:
        page = pdf.pages[1]
        cropped = page.crop((0, 0, 300, 200))
        read = [tuple(repr(c[k]) for k in CHAR_KEYS) for c in ex._page_chars(cropped)]
        assert read == [tuple(repr(c[k]) for k in CHAR_KEYS) for c in cropped.chars]
        assert 0 < len(read) < len(page.chars)


def test_an_uncropped_page_opened_plainly_is_read_without_page_chars(monkeypatch):
    def refuse(page):
        raise AssertionError("page.chars was read")

    with pdfplumber.open(REPLICA) as pdf:
        page = pdf.pages[1]
        expected = [tuple(repr(c[k]) for k in CHAR_KEYS) for c in page.chars]
        page.flush_cache()
        monkeypatch.setattr(pdfplumber.page.Page, "chars", property(refuse))
        read = [tuple(repr(c[k]) for k in CHAR_KEYS) for c in ex._page_chars(page)]
    assert read == expected


# --- Text lines, rule by rule, against pdfplumber ---------------------------------------------


def _chars(*specs):
    """(text, x0, top[, width[, upright]]) -> chars of size 9."""
    chars = []
    for text, x0, top, *rest in specs:
        width = rest[0] if rest else 9.0
        upright = rest[1] if len(rest) > 1 else True
        chars.append(
            {
                "text": text,
                "x0": x0,
                "x1": x0 + width,
                "top": top,
                "bottom": top + 9.0,
                "doctop": top,
                "size": 9.0,
                "upright": upright,
            }
        )
    return chars


X_TOL = 3.0  # pdfplumber's DEFAULT_X_TOLERANCE and DEFAULT_Y_TOLERANCE
CASES = {
    # x: a gap of exactly the tolerance keeps a word; a hair more starts a new one
    "gap_at_x_tolerance_one_word": (_chars(("a", 0.0, 0.0), ("b", 9.0 + X_TOL, 0.0)), ["ab"]),
    "gap_past_x_tolerance_two_words": (
        _chars(("a", 0.0, 0.0), ("b", 9.01 + X_TOL, 0.0)),
        ["a b"],
    ),
    # y: tops exactly the tolerance apart are one line; a hair more, two
    "tops_at_y_tolerance_one_line": (_chars(("a", 0.0, 0.0), ("b", 9.0, X_TOL)), ["ab"]),
    "tops_past_y_tolerance_two_lines": (_chars(("a", 0.0, 0.0), ("b", 9.0, 3.01)), ["a", "b"]),
    # a chain of tops each within the tolerance of the one before is one band, but a char
    # further than the tolerance from the last char of its word starts a new word
    "chained_tops_one_band_two_words": (
        _chars(("a", 0.0, 0.0), ("c", 9.0, 4.0), ("b", 30.0, 2.0)),
        ["a c b"],
    ),
    "same_left_edge_one_word": (_chars(("a", 0.0, 0.0), ("b", 0.0, 0.0)), ["ab"]),
    "overlapping_glyph_one_word": (_chars(("a", 0.0, 0.0), ("b", 4.0, 0.0)), ["ab"]),
    "drawn_right_to_left_read_left_to_right": (
        _chars(("c", 18.0, 0.0), ("b", 9.0, 0.0), ("a", 0.0, 0.0)),
        ["abc"],
    ),
    "a_space_char_splits_words": (
        _chars(("a", 0.0, 0.0), (" ", 9.0, 0.0, 2.0), ("b", 11.0, 0.0)),
        ["a b"],
    ),
    "an_ideographic_space_splits_words": (
        _chars(("a", 0.0, 0.0), ("\u3000", 9.0, 0.0), ("b", 18.0, 0.0)),
        ["a b"],
    ),
    "only_spaces_no_line": (_chars((" ", 0.0, 0.0), ("\u3000", 9.0, 0.0)), []),
    "ligature_expanded": (_chars(("ﬁ", 0.0, 0.0), ("x", 9.0, 0.0)), ["fix"]),
    "lone_ligature_expanded": (_chars(("ﬃ", 0.0, 0.0)), ["ffi"]),
    "multi_letter_text_one_char_per_letter": (_chars(("ab", 0.0, 0.0), ("c", 9.0, 0.0)), ["abc"]),
    "space_beside_letters_through_pdfplumber": (
        _chars(("a b", 0.0, 0.0), ("c", 9.0, 0.0)),
        ["a bc"],
    ),
    "line_break_beside_letters_through_pdfplumber": (
        _chars(("x\n", 0.0, 0.0), ("c", 9.0, 0.0)),
        ["x", "c"],
    ),
    "empty_text_through_pdfplumber": (_chars(("", 0.0, 0.0), ("c", 9.0, 0.0)), ["c"]),
    "not_upright_through_pdfplumber": (
        _chars(("a", 0.0, 0.0, 9.0, False), ("b", 0.0, 9.0, 9.0, False)),
        ["ab"],
    ),
    "words_of_a_line_apart_in_order_stay_apart": (
        _chars(("a", 0.0, 0.0), ("b", 0.0, 20.0), ("c", 30.0, 1.0)),
        ["a c", "b"],
    ),
    "lines_top_to_bottom": (
        _chars(("b", 0.0, 20.0), ("a", 0.0, 0.0), ("c", 9.0, 20.0)),
        ["a", "bc"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_text_lines_follow_pdfplumbers_rule(case):
    chars, texts = CASES[case]
    found = ex._found_lines(chars)
    assert [line["text"] for line in found] == texts
    assert _comparable(found) == _comparable(_pdfplumber_lines(chars))


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("", False),
        (" ", True),
        ("\u3000", True),
        ("\n", True),
        (" \n", True),
        ("a", True),
        ("ab", True),
        ("ﬁ", True),
        ("a b", False),
        (" a", False),
        ("x\n", False),
        ("\na", False),
    ],
)
def test_a_chars_text_is_plain_if_it_holds_letters_without_spaces_or_is_all_space(text, plain):
    assert ex._plain(text) is plain


def test_a_word_without_ligatures_keeps_its_chars_once_each():
    chars = _chars(("a", 0.0, 0.0), ("b", 9.0, 0.0))
    text, letters = ex._word_text(chars, {"ﬁ": "fi"})
    assert text == "ab"
    assert [id(c) for c in letters] == [id(c) for c in chars]


def test_a_ligature_and_a_multi_letter_char_come_once_per_letter():
    chars = _chars(("ﬁ", 0.0, 0.0), ("xy", 9.0, 0.0), ("z", 18.0, 0.0))
    text, letters = ex._word_text(chars, {"ﬁ": "fi"})
    assert text == "fixyz"
    assert [id(c) for c in letters] == [id(chars[i]) for i in (0, 0, 1, 1, 2)]


def test_a_ligature_in_a_word_whose_length_matches_is_still_expanded():
    """ﬁ beside an empty text: as many letters as chars, but ﬁ reads as two."""
    chars = _chars(("ﬁ", 0.0, 0.0), ("", 9.0, 0.0))
    text, letters = ex._word_text(chars, {"ﬁ": "fi"})
    assert text == "fi"
    assert [id(c) for c in letters] == [id(chars[0])] * 2


@pytest.mark.parametrize(
    ("values", "groups"),
    [
        ([0.0, 3.0], [0, 0]),  # exactly the tolerance apart: one group
        ([0.0, 3.01], [0, 1]),
        ([6.0, 0.0, 3.0, 3.0], [0, 0, 0, 0]),  # a chain, unsorted, a value twice
        ([10.0, 0.0, 20.0], [1, 0, 2]),
        ([-5.0, 0.0], [0, 1]),
    ],
)
def test_values_within_tolerance_of_the_one_before_share_a_group(values, groups):
    ids = ex._cluster_ids(values, 3.0)
    assert [ids[v] for v in values] == groups
    assert set(ids) == set(values)


def test_plain_upright_chars_are_read_without_the_text_map(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the text map was built")

    chars = _chars(("ﬁ", 0.0, 0.0), ("ab", 9.0, 0.0), (" ", 18.0, 0.0), ("c", 27.0, 0.0))
    monkeypatch.setattr(ex, "chars_to_textmap", refuse)
    assert [line["text"] for line in ex._found_lines(chars)] == ["fiab c"]
