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
  several, with gaps, spaces, ligatures, multi-letter, empty and rotated texts.
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
