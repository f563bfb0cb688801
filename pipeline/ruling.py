"""Rules: the ink on a page that draws a table's lines, however the writer drew it.

Stroked lines, thin filled rectangles, the edges of filled cells, dashes and dots drawn one
by one: each becomes segments along one line of the page, merged into rules that know which
stretches their ink covers. Pure geometry; what the rules mean is extract's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pdfplumber
from pdfminer.layout import LTComponent, LTContainer, LTCurve, LTLine, LTRect

# Rules are read from the page's ink, however the writer drew it. Ink closer than this
# (points) across a rule is one rule: a rule drawn as a thin filled rectangle has two edges
# 0.75pt apart, a double rule two strokes 2pt apart, and PowerPoint's filled cells leave white
# gaps of 1-3pt between the edges of neighbouring fills.
RULE_MERGE = 4.0
# A segment whose ends differ by at most this much across it is horizontal (or vertical).
AXIS_TOLERANCE = 0.5
# No column or row is narrower than this (points): it could not hold a line of text. Two
# rules closer than this with no text between them are the edges of one white gap between
# filled cells (PowerPoint tables with cell spacing).
MAX_GAP = 8.0
# A rectangle at most this thick (points) and longer than that is a rule along its length.
THIN_RECT = 2.0
# A rectangle covering this share of the page is its background, drawn first by office
# exporters; its edges are the page's, not rules.
BACKGROUND_SHARE = 0.8


@dataclass(frozen=True)
class Segment:
    """A straight horizontal or vertical stretch of ink: `at` across it, lo..hi along it."""

    at: float
    lo: float
    hi: float


@dataclass(frozen=True)
class Rule:
    """The ink along one horizontal or vertical line of the page, as disjoint spans."""

    at: float
    spans: tuple[tuple[float, float], ...]

    def coverage(self, lo: float, hi: float) -> float:
        """Given a stretch lo..hi along the rule, return the share of it the ink covers."""
        if hi <= lo:
            return 0.0
        covered = sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in self.spans)
        return covered / (hi - lo)

    @property
    def lo(self) -> float:
        return self.spans[0][0]

    @property
    def hi(self) -> float:
        return self.spans[-1][1]


def page_to_rules(page: pdfplumber.page.Page) -> tuple[list[Rule], list[Rule]]:
    """Given a page, return its horizontal and its vertical rules, top to bottom, left to right.

    Ink is taken from every drawing the writers use for rules: stroked lines, thin filled
    rectangles, the edges of filled cells (PowerPoint tables, whose "rules" are the white
    gaps between fills), dashes and dots drawn one by one; a page-size background is not ink.
    """
    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    page_area = float(page.width * page.height)
    rects, paths = _page_ink(page)
    for x0, top, x1, bottom, width, height in rects:
        if width * height >= BACKGROUND_SHARE * page_area:
            continue
        # A thin rectangle is a rule along its length; its short ends are not rules.
        if not (height <= THIN_RECT < width):
            vertical += [Segment(x0, top, bottom), Segment(x1, top, bottom)]
        if not (width <= THIN_RECT < height):
            horizontal += [Segment(top, x0, x1), Segment(bottom, x0, x1)]
    for points in paths:
        for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
            if abs(ya - yb) <= AXIS_TOLERANCE and abs(xa - xb) > AXIS_TOLERANCE:
                horizontal.append(Segment((ya + yb) / 2, min(xa, xb), max(xa, xb)))
            elif abs(xa - xb) <= AXIS_TOLERANCE:
                vertical.append(Segment((xa + xb) / 2, min(ya, yb), max(ya, yb)))
    return segments_to_rules(horizontal), segments_to_rules(vertical)


# A rectangle as (x0, top, x1, bottom, width, height); a line's or curve's points as (x, top).
Box = tuple[float, float, float, float, float, float]
Path = list[tuple[float, float]]


def _page_ink(page: pdfplumber.page.Page) -> tuple[list[Box], list[Path]]:
    """Given a page, return its rectangles, and the points of its lines then of its curves,
    with the values pdfplumber's page.rects, page.lines and page.curves give.

    They are read from pdfminer's layout of the page: pdfplumber would first turn every object
    the page draws, each char among them, into a dict of all its attributes, which costs about
    as much as pdfminer's parse itself. A cropped page, or a PDF opened with layout analysis,
    is read through pdfplumber.
    """
    if not page.is_original or page.pdf.laparams is not None:
        rects = [
            (r["x0"], r["top"], r["x1"], r["bottom"], r["width"], r["height"]) for r in page.rects
        ]
        return rects, [line["pts"] for line in page.lines] + [c["pts"] for c in page.curves]
    # pdfplumber's Page.process_object and point2coord, for these three kinds of object.
    height = page.height
    shift_x, shift_top = page.mediabox[0], page.mediabox[1]
    boxes: list[Box] = []
    lines: list[Path] = []
    curves: list[Path] = []
    for obj in layout_objects(page.layout):
        if not isinstance(obj, LTCurve):  # chars, images
            continue
        # pdfplumber files each object under its class's name: only an LTRect is a rect.
        kind = type(obj)
        if kind is LTRect:
            x0, x1 = (obj.x0 + shift_x, obj.x1 + shift_x) if shift_x != 0 else (obj.x0, obj.x1)
            top, bottom = (height - obj.y1) + shift_top, (height - obj.y0) + shift_top
            boxes.append((x0, top, x1, bottom, obj.width, obj.height))
        elif kind is LTLine or kind is LTCurve:
            points = [(shift_x + x, shift_top + height - y) for x, y in obj.pts]
            (lines if kind is LTLine else curves).append(points)
    return boxes, lines + curves


def layout_objects(objects: Iterable[LTComponent]) -> Iterator[LTComponent]:
    """Given pdfminer's layout of a page, return the objects it draws, those inside forms
    (figures) included, in drawing order, as pdfplumber lists them."""
    for obj in objects:
        if isinstance(obj, LTContainer):
            yield from layout_objects(obj)
        else:
            yield obj


def close_gaps(rules: list[Rule], chars: list[dict[str, Any]]) -> list[Rule]:
    """Given horizontal rules, return them with each white gap between fills made one rule.

    Two rules closer than MAX_GAP with no char between them, where both run, are the top and
    bottom edges of neighbouring fills: one rule, in the gap's middle.
    """
    closed: list[Rule] = []
    for rule in rules:
        last = closed[-1] if closed else None
        if (
            last is not None
            and rule.at - last.at < MAX_GAP
            and not _text_between(last, rule, chars)
        ):
            spans = sorted(last.spans + rule.spans)
            closed[-1] = _segments_to_rule(
                [Segment((last.at + rule.at) / 2, lo, hi) for lo, hi in spans]
            )
        else:
            closed.append(rule)
    return closed


def _text_between(upper: Rule, lower: Rule, chars: list[dict[str, Any]]) -> bool:
    lo, hi = max(upper.lo, lower.lo), min(upper.hi, lower.hi)
    return any(
        upper.at < (c["top"] + c["bottom"]) / 2 < lower.at and lo <= (c["x0"] + c["x1"]) / 2 <= hi
        for c in chars
    )


def segments_to_rules(segments: list[Segment]) -> list[Rule]:
    """Given parallel segments, return rules: segments within RULE_MERGE across merged.

    A rule is never wider than RULE_MERGE: the dots of a dotted rule, side by side, do not
    chain into one wide vertical rule.
    """
    rules: list[Rule] = []
    group: list[Segment] = []
    for segment in sorted(segments, key=attrgetter("at")):
        if group and segment.at - group[0].at > RULE_MERGE:
            rules.append(_segments_to_rule(group))
            group = []
        group.append(segment)
    if group:
        rules.append(_segments_to_rule(group))
    return rules


def _segments_to_rule(group: list[Segment]) -> Rule:
    spans: list[tuple[float, float]] = []
    for segment in sorted(group, key=attrgetter("lo")):
        if spans and segment.lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], segment.hi))
        else:
            spans.append((segment.lo, segment.hi))
    return Rule(at=(group[0].at + group[-1].at) / 2, spans=tuple(spans))


def gaps_to_dividers(xs: list[float]) -> list[float]:
    """Given the x of vertical rules, return them with the two edges of a gap made one.

    Filled cells may leave a white gap wider than RULE_MERGE between them: its two edges,
    closer than MAX_GAP, divide two columns once, in the gap's middle.
    """
    dividers: list[float] = []
    for x in xs:
        if dividers and x - dividers[-1] < MAX_GAP:
            dividers[-1] = (dividers[-1] + x) / 2
        else:
            dividers.append(x)
    return dividers
