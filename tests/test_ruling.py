"""Rules read from a page's ink (pipeline/ruling.py), each rule pinned at its boundary.

Rules pinned:
- ink within RULE_MERGE across is one rule, further apart two; a rule is never wider than
  RULE_MERGE (dots side by side do not chain);
- a rule's coverage counts only its ink inside the stretch asked about (dashes, gaps);
- a filled rectangle at most THIN_RECT thick is one rule along its length, its short ends not
  rules; a rectangle of BACKGROUND_SHARE of the page or more is its background, not a rule;
- two rules closer than MAX_GAP with no text between are one white gap between fills, across
  (close_gaps) and down (gaps_to_dividers); with text between they stay two;
- a stroked line or a path's segment whose ends differ by at most AXIS_TOLERANCE across it is
  horizontal or vertical, at the mean of its ends; a steeper one is no rule; a path's
  segments are taken one by one (an L is one rule each way);
- a rectangle thicker than THIN_RECT both ways gives its four edges, a thin one across its
  length only, a dot (thin both ways) all four, and so does one exactly THIN_RECT long; every
  rectangle on the page counts, a background drawn first is skipped;
- ink no longer than AXIS_TOLERANCE either way (a dot) is a vertical segment;
- a cropped page has only the ink inside the crop; ink inside a form (an office exporter's
  figure) is the page's own;
- segments that touch or overlap along a rule are one span, one inside another adds nothing;
  a rule's lo and hi are its first span's start and its last span's end;
- a gap closed across becomes one rule in its middle, with the ink of both; only text whose
  centre lies strictly between the two rules and within the stretch both cover keeps them two.
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


def _page_with_lines(tmp_path, *lines, path=None):
    """A 400 x 300 page with stroked lines (x1, y1, x2, y2, from the bottom) and one path."""
    pdf = tmp_path / "lines.pdf"
    page = canvas.Canvas(str(pdf), pagesize=(400, 300), invariant=1)
    for line in lines:
        page.line(*line)
    if path:
        drawn = page.beginPath()
        drawn.moveTo(*path[0])
        for point in path[1:]:
            drawn.lineTo(*point)
        page.drawPath(drawn, stroke=1, fill=0)
    page.showPage()
    page.save()
    return pdf


def _rules_of(pdf):
    with pdfplumber.open(pdf) as opened:
        horizontal, vertical = ruling.page_to_rules(opened.pages[0])
    return [(r.at, r.spans) for r in horizontal], [(r.at, r.spans) for r in vertical]


def test_a_line_within_axis_tolerance_is_horizontal_at_the_mean_of_its_ends(tmp_path):
    # From the top: (100, 100) to (200, 99.5), 0.5pt across.
    pdf = _page_with_lines(tmp_path, (100, 200, 200, 200.5))
    assert _rules_of(pdf) == ([(99.75, ((100.0, 200.0),))], [])


def test_a_line_within_axis_tolerance_is_vertical_at_the_mean_of_its_ends(tmp_path):
    # From the top: (50, 250) to (50.5, 150), 0.5pt across.
    pdf = _page_with_lines(tmp_path, (50, 50, 50.5, 150))
    assert _rules_of(pdf) == ([], [(50.25, ((150.0, 250.0),))])


@pytest.mark.parametrize("line", [(100, 200, 200, 200.6), (50, 50, 50.6, 150), (10, 10, 40, 40)])
def test_a_line_steeper_than_axis_tolerance_is_no_rule(tmp_path, line):
    assert _rules_of(_page_with_lines(tmp_path, line)) == ([], [])


def test_each_segment_of_a_path_is_a_rule_of_its_own(tmp_path):
    pdf = _page_with_lines(tmp_path, path=[(300, 250), (350, 250), (350, 200)])
    assert _rules_of(pdf) == ([(50.0, ((300.0, 350.0),))], [(350.0, ((50.0, 100.0),))])


def test_a_thin_rectangle_standing_up_is_one_vertical_rule(tmp_path):
    with pdfplumber.open(_page_with_rect(tmp_path, ruling.THIN_RECT, 50)) as pdf:
        horizontal, vertical = ruling.page_to_rules(pdf.pages[0])
    assert horizontal == []
    assert [(r.at, r.spans) for r in vertical] == [(101.0, ((100.0, 150.0),))]


def test_a_rectangle_thicker_than_thin_rect_both_ways_gives_its_four_edges(tmp_path):
    with pdfplumber.open(_page_with_rect(tmp_path, 50, 20)) as pdf:
        horizontal, vertical = ruling.page_to_rules(pdf.pages[0])
    assert [(r.at, r.spans) for r in horizontal] == [
        (130.0, ((100.0, 150.0),)),
        (150.0, ((100.0, 150.0),)),
    ]
    assert [(r.at, r.spans) for r in vertical] == [
        (100.0, ((130.0, 150.0),)),
        (150.0, ((130.0, 150.0),)),
    ]


def test_a_dot_thin_both_ways_gives_its_edges_both_ways(tmp_path):
    with pdfplumber.open(_page_with_rect(tmp_path, 1, 1)) as pdf:
        horizontal, vertical = ruling.page_to_rules(pdf.pages[0])
    assert [(r.at, r.spans) for r in horizontal] == [(149.5, ((100.0, 101.0),))]
    assert [(r.at, r.spans) for r in vertical] == [(100.5, ((149.0, 150.0),))]


def test_a_segment_inside_another_adds_nothing_to_the_span():
    (rule,) = ruling.segments_to_rules([_seg(10.0, 0, 100), _seg(10.0, 20, 30)])
    assert rule.spans == ((0, 100),)


def test_segments_apart_along_a_rule_are_spans_in_order():
    (rule,) = ruling.segments_to_rules([_seg(10.0, 60, 90), _seg(10.0, 0, 50), _seg(10.5, 55, 58)])
    assert rule.spans == ((0, 50), (55, 58), (60, 90))
    assert (rule.lo, rule.hi) == (0, 90)
    assert rule.at == 10.25


def test_a_closed_gap_is_one_rule_in_its_middle_with_the_ink_of_both():
    upper = ruling.Rule(at=100.0, spans=((0.0, 40.0),))
    lower = ruling.Rule(at=106.0, spans=((30.0, 100.0), (120.0, 130.0)))
    closed = ruling.close_gaps([upper, lower], [])
    assert [(r.at, r.spans) for r in closed] == [(103.0, ((0.0, 100.0), (120.0, 130.0)))]


def test_a_third_rule_far_below_a_closed_gap_stays_a_rule():
    rules = [_hrule(100.0), _hrule(106.0), _hrule(150.0)]
    assert [r.at for r in ruling.close_gaps(rules, [])] == [103.0, 150.0]


@pytest.mark.parametrize(
    ("x0", "top", "size", "between"),
    [
        (40.0, 101.0, 5.0, True),  # centre (42.5, 103.5): inside
        (40.0, 98.0, 4.0, False),  # centre at 100, on the upper rule: not between
        (40.0, 105.0, 4.0, False),  # centre at 107, on the lower rule
        (8.0, 101.0, 4.0, True),  # centre x 10: the start of the stretch both rules cover
        (6.0, 101.0, 4.0, False),  # centre x 8: only the lower rule runs there
        (58.0, 101.0, 4.0, True),  # centre x 60: the end of the shared stretch
        (60.0, 101.0, 4.0, False),  # centre x 62: only the upper rule runs there
    ],
)
def test_only_text_between_the_rules_where_both_run_keeps_them_two(x0, top, size, between):
    upper = ruling.Rule(at=100.0, spans=((0.0, 60.0),))
    lower = ruling.Rule(at=107.0, spans=((10.0, 80.0),))
    closed = ruling.close_gaps([upper, lower], [_char("1", x0, top, size=size)])
    assert len(closed) == (2 if between else 1)


def test_coverage_of_an_empty_or_reversed_stretch_is_zero():
    rule = ruling.Rule(at=0.0, spans=((0.0, 10.0),))
    assert rule.coverage(5, 5) == 0.0
    assert rule.coverage(6, 4) == 0.0
    assert rule.coverage(0, 10) == 1.0
    assert rule.coverage(-10, 10) == pytest.approx(0.5)


def test_three_close_vertical_rules_chain_into_one_divider():
    assert ruling.gaps_to_dividers([100.0, 104.0, 108.0, 200.0]) == [105.0, 200.0]


def _page_with_rects(tmp_path, *rects):
    """A 400 x 300 page with filled rectangles (x, y from the bottom, width, height)."""
    path = tmp_path / "rects.pdf"
    page = canvas.Canvas(str(path), pagesize=(400, 300), invariant=1)
    for x, y, width, height in rects:
        page.rect(x, y, width, height, stroke=0, fill=1)
    page.showPage()
    page.save()
    return path


def test_every_rectangle_adds_its_edges_and_a_background_drawn_first_is_skipped(tmp_path):
    pdf = _page_with_rects(tmp_path, (0, 0, 400, 300), (100, 150, 50, 20), (200, 50, 50, 20))
    horizontal, vertical = _rules_of(pdf)
    assert [at for at, _ in horizontal] == [130.0, 150.0, 230.0, 250.0]
    assert [at for at, _ in vertical] == [100.0, 150.0, 200.0, 250.0]


@pytest.mark.parametrize(
    ("width", "height", "horizontal", "vertical"),
    [
        # THIN_RECT long and thinner across: not longer than THIN_RECT, so all four edges.
        (ruling.THIN_RECT, 1.0, [(149.5, ((100.0, 102.0),))], [(101.0, ((149.0, 150.0),))]),
        (1.0, ruling.THIN_RECT, [(149.0, ((100.0, 101.0),))], [(100.5, ((148.0, 150.0),))]),
    ],
)
def test_a_rectangle_exactly_thin_rect_long_is_not_a_rule_along_it(
    tmp_path, width, height, horizontal, vertical
):
    assert _rules_of(_page_with_rects(tmp_path, (100, 150, width, height))) == (
        horizontal,
        vertical,
    )


@pytest.mark.parametrize(
    "line",
    [(50, 150, 50, 150.3), (100, 200, 100.5, 200)],
    ids=["a-dot", "half-a-point-across"],
)
def test_ink_no_longer_than_axis_tolerance_either_way_is_vertical(tmp_path, line):
    horizontal, vertical = _rules_of(_page_with_lines(tmp_path, line))
    assert horizontal == []
    assert len(vertical) == 1


def _page_with_ink(path, right_line=False):
    """A 400 x 300 page: a filled rectangle, a line and an L-shaped path on its left half,
    and with right_line a line on its right half."""
    page = canvas.Canvas(str(path), pagesize=(400, 300), invariant=1)
    page.rect(100, 150, 50, 20, stroke=0, fill=1)
    page.line(20, 200, 80, 200)
    drawn = page.beginPath()
    drawn.moveTo(20, 50)
    drawn.lineTo(60, 50)
    drawn.lineTo(60, 90)
    page.drawPath(drawn, stroke=1, fill=0)
    if right_line:
        page.line(300, 100, 380, 100)
    page.showPage()
    page.save()
    return path


def test_a_cropped_page_has_only_the_ink_inside_the_crop(tmp_path):
    whole = _page_with_ink(tmp_path / "whole.pdf", right_line=True)
    with pdfplumber.open(whole) as opened:
        horizontal, vertical = ruling.page_to_rules(opened.pages[0].crop((0, 0, 200, 300)))
    cropped = ([(r.at, r.spans) for r in horizontal], [(r.at, r.spans) for r in vertical])
    assert cropped == _rules_of(_page_with_ink(tmp_path / "left.pdf"))
    assert len(cropped[0]) == 4 and len(cropped[1]) == 3


def test_ink_inside_a_form_is_read_as_the_page_ink(tmp_path):
    # Office exporters draw a table's rules inside a Form XObject, which pdfminer lays out as
    # a figure: its rectangles count as the page's own.
    path = tmp_path / "form.pdf"
    page = canvas.Canvas(str(path), pagesize=(400, 300), invariant=1)
    page.beginForm("table")
    page.rect(100, 150, 50, 20, stroke=0, fill=1)
    page.endForm()
    page.doForm("table")
    page.showPage()
    page.save()
    assert _rules_of(path) == _rules_of(_page_with_rects(tmp_path, (100, 150, 50, 20)))
