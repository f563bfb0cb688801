"""Rules read from a page's ink (pipeline/ruling.py), each rule pinned at its boundary.

Rules pinned:
- ink within RULE_MERGE across is one rule, further apart two; a rule is never wider than
  RULE_MERGE (dots side by side do not chain);
- a rule's coverage counts only its ink inside the stretch asked about (dashes, gaps);
- a filled rectangle at most THIN_RECT thick is one rule along its length, its short ends not
  rules; a rectangle of BACKGROUND_SHARE of the page or more is its background, not a rule;
- two rules closer than MAX_GAP with no text between are one white gap between fills, across
  (close_gaps) and down (gaps_to_dividers); with text between they stay two.
"""

import pdfplumber
import pytest
from reportlab.pdfgen import canvas

import pipeline.ruling as ruling


def _char(text, x0, top, size=9.0):
    return {"text": text, "x0": x0, "x1": x0 + size, "top": top, "bottom": top + size}


def _seg(at, lo, hi):
    return ruling.Segment(at=at, lo=lo, hi=hi)


def test_ink_within_rule_merge_across_is_one_rule():
    # A thin filled rectangle's two edges, or the edges of two fills either side of a white gap.
    rules = ruling.segments_to_rules([_seg(100.0, 0, 50), _seg(100.0 + ruling.RULE_MERGE, 50, 90)])
    assert [(r.at, r.spans) for r in rules] == [(102.0, ((0, 90),))]


def test_ink_further_apart_than_rule_merge_is_two_rules():
    rules = ruling.segments_to_rules(
        [_seg(100.0, 0, 50), _seg(100.0 + ruling.RULE_MERGE + 0.01, 0, 50)]
    )
    assert len(rules) == 2


def test_dashes_drawn_one_by_one_are_one_rule_with_gaps():
    dashes = [_seg(50.0, x, x + 3) for x in range(0, 70, 7)]  # 3pt on, 4pt off
    (rule,) = ruling.segments_to_rules(dashes)
    assert len(rule.spans) == 10
    assert rule.coverage(0, 70) == pytest.approx(30 / 70)


def test_coverage_counts_only_ink_inside_the_stretch():
    rule = ruling.Rule(at=0.0, spans=((0.0, 10.0), (20.0, 30.0)))
    assert rule.coverage(5, 25) == pytest.approx(10 / 20)
    assert rule.coverage(10, 20) == 0.0
    assert rule.coverage(30, 30) == 0.0


def test_a_rule_is_never_wider_than_rule_merge():
    # The short sides of a dotted rule's dots, 0.75pt apart every 3pt, do not chain into one.
    dots = [_seg(x, 10.0, 10.75) for x in (0.0, 0.75, 3.0, 3.75, 6.0, 6.75, 9.0, 9.75)]
    assert [rule.at for rule in ruling.segments_to_rules(dots)] == [1.875, 7.875]


def _page_with_rect(tmp_path, width, height):
    path = tmp_path / "rect.pdf"
    page = canvas.Canvas(str(path), pagesize=(400, 300), invariant=1)
    page.rect(100, 150, width, height, stroke=0, fill=1)
    page.showPage()
    page.save()
    return path


@pytest.mark.parametrize(
    ("height", "vertical_rules"), [(ruling.THIN_RECT, 0), (ruling.THIN_RECT + 0.01, 2)]
)
def test_a_thin_filled_rectangle_is_one_rule_along_its_length(tmp_path, height, vertical_rules):
    with pdfplumber.open(_page_with_rect(tmp_path, 50, height)) as pdf:
        horizontal, vertical = ruling.page_to_rules(pdf.pages[0])
    assert len(horizontal) == 1 and horizontal[0].spans == ((100.0, 150.0),)
    assert len(vertical) == vertical_rules


def test_a_page_size_background_is_not_a_rule(tmp_path):
    with pdfplumber.open(_page_with_rect(tmp_path, 400 * ruling.BACKGROUND_SHARE, 300)) as pdf:
        assert ruling.page_to_rules(pdf.pages[0]) == ([], [])
    with pdfplumber.open(_page_with_rect(tmp_path, 400 * ruling.BACKGROUND_SHARE - 1, 300)) as pdf:
        assert [len(rules) for rules in ruling.page_to_rules(pdf.pages[0])] == [2, 2]


@pytest.mark.parametrize(
    ("xs", "dividers"),
    [
        (
            [100.0, 100.0 + ruling.MAX_GAP - 0.01],
            [100.0 + (ruling.MAX_GAP - 0.01) / 2],
        ),  # a white gap
        ([100.0, 100.0 + ruling.MAX_GAP], [100.0, 100.0 + ruling.MAX_GAP]),  # a narrow column
    ],
)
def test_two_vertical_rules_closer_than_max_gap_are_one_gap(xs, dividers):
    assert ruling.gaps_to_dividers(xs) == pytest.approx(dividers)


def _hrule(at):
    return ruling.Rule(at=at, spans=((0.0, 100.0),))


@pytest.mark.parametrize(
    ("lower", "rules"), [(100.0 + ruling.MAX_GAP - 0.01, 1), (100.0 + ruling.MAX_GAP, 2)]
)
def test_two_horizontal_rules_closer_than_max_gap_are_one_gap(lower, rules):
    assert len(ruling.close_gaps([_hrule(100.0), _hrule(lower)], [])) == rules


def test_rules_with_text_between_are_two_rules_however_close():
    chars = [_char("1", 40.0, 101.0, size=5.0)]  # a 5pt line between rules 7pt apart
    assert len(ruling.close_gaps([_hrule(100.0), _hrule(107.0)], chars)) == 2
