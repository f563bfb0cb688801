"""Random table geometries for the main replica: every one must still give the golden rows.

test_layouts.py checks a few hand-picked changes; this draws the whole geometry at random
(page size, table position, font size, line height, paddings, the width of a space, vertical
alignment, rule width, column widths and order) and keeps every cell's lines as the spec
gives them, so the hand-checked golden files stay the expected output.

The default run draws a few examples; set LAYOUT_FUZZ_EXAMPLES for a longer search, e.g.
`LAYOUT_FUZZ_EXAMPLES=200 pytest tests/test_layout_fuzz.py`.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from replica import builder as replica_builder
from replica import main_spec

from pipeline.cli import cli

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "085_03_02"
EXAMPLES = int(os.environ.get("LAYOUT_FUZZ_EXAMPLES", "8"))

# The main spec's page; the cover's lines are placed for it and move with the page size.
SPEC_PAGE = (960.0, 540.0)
# The smallest page drawn (A4 landscape); a page grows beyond it to hold its table.
MIN_PAGE = (842.0, 595.0)
# The table's top is below page 2's title and intro line, which end 62pt down.
TABLE_TOP = (64.0, 140.0)
TABLE_X = (6.0, 80.0)
MAX_SLACK = 0.8


def _points(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats in [low, high], to the hundredth of a point (specs stay readable)."""
    return st.integers(round(low * 100), round(high * 100)).map(lambda n: n / 100)


def _up(value: float) -> float:
    """Round up to the hundredth, so a drawn width never ends below what it must hold."""
    return math.ceil(value * 100 - 1e-6) / 100


@functools.cache
def _base_face() -> Any:
    spec = main_spec()
    return replica_builder()._Face(spec["font"], float(spec["gap"]))


def _width(text: str, size: float, gap: float) -> float:
    """The width the builder draws `text` at (each space a gap of `gap` points)."""
    face = copy.copy(_base_face())
    face.gap = gap
    return face.width(text, size)


def _column_lines(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Every line each column must hold, header included."""
    lines: dict[str, list[str]] = {
        column["header"]: [column["header"]] for column in spec["columns"]
    }
    company = replica_builder().COMPANY_HEADER
    for page in spec["pages"]:
        for row in page["rows"]:
            lines[company] += row.get("company") or []
            for header, value in row["cells"].items():
                lines[header] += value
    return lines


def _page_height_needed(spec: dict[str, Any], page: dict[str, Any]) -> float:
    """How tall the page must be for its table and footnote, as the builder lays them out."""
    line_height, pad_y = spec["line_height"], spec["padding"]["y"]
    bottom = spec["table"]["top"] + line_height + 2 * pad_y
    for row in page["rows"]:
        cells = [row.get("company") or [], *row["cells"].values()]
        bottom += max(len(cell) for cell in cells) * line_height + 2 * pad_y
    needed = bottom + replica_builder().PAGE_MARGIN
    footnote = page.get("footnote", [])
    if footnote:
        size = spec["font_size"] - replica_builder().FOOTNOTE_SIZE_BELOW_BODY
        top = bottom + replica_builder().FOOTNOTE_SPACE_ABOVE
        needed = max(needed, top + (len(footnote) - 1) * size * replica_builder().LEADING + size)
    return needed


@st.composite
def geometries(draw: st.DrawFn) -> dict[str, Any]:
    """A random but valid geometry: the spec keys that place the table, nothing else."""
    spec = main_spec()
    size = draw(_points(7.0, 11.0))
    gap = draw(_points(0.5, 8.0))
    pad_x, pad_y = draw(_points(0.5, 12.0)), draw(_points(0.5, 8.0))
    geometry: dict[str, Any] = {
        "font_size": size,
        "line_height": _up(size * draw(_points(1.1, 1.6))),
        "padding": {"x": pad_x, "y": pad_y},
        "gap": gap,
        "valign": draw(st.sampled_from(["top", "middle"])),
        "line_width": draw(_points(0.3, 2.0)),
        "table": {"x": draw(_points(*TABLE_X)), "top": draw(_points(*TABLE_TOP))},
    }
    lines = _column_lines(spec)
    headers = draw(st.permutations([column["header"] for column in spec["columns"]]))
    columns = []
    for header in headers:
        needed = max(_width(line, size, gap) for line in lines[header]) + 2 * pad_x
        columns.append({"header": header, "width": _up(needed * (1 + draw(_points(0, MAX_SLACK))))})
    geometry["columns"] = columns

    laid_out = {**spec, **geometry}
    table_right = geometry["table"]["x"] + sum(column["width"] for column in columns)
    footnotes = [line for page in spec["pages"] for line in page.get("footnote", [])]
    footnote_right = geometry["table"]["x"] + max(
        _width(line, size - replica_builder().FOOTNOTE_SIZE_BELOW_BODY, gap) for line in footnotes
    )
    lowest = max(_page_height_needed(laid_out, page) for page in spec["pages"])
    width = max(MIN_PAGE[0], table_right, footnote_right) + draw(_points(0, 200))
    height = max(MIN_PAGE[1], lowest) + draw(_points(0, 150))
    geometry["page"] = {"width": _up(width), "height": _up(height)}
    return geometry


def layout_spec(geometry: dict[str, Any]) -> dict[str, Any]:
    """The main spec with a geometry applied; the cover's lines move with the page size."""
    spec = main_spec()
    spec.update(copy.deepcopy(geometry))
    scale_x = spec["page"]["width"] / SPEC_PAGE[0]
    scale_y = spec["page"]["height"] / SPEC_PAGE[1]
    for line in spec["cover"]["lines"]:
        line["x"] = round(line["x"] * scale_x, 2)
        line["top"] = round(line["top"] * scale_y, 2)
    return spec


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(geometries())
def test_any_layout_gives_the_golden_rows(geometry):
    spec = layout_spec(geometry)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "layout.pdf"
        try:
            replica_builder().build(spec, pdf)
        except ValueError:
            assume(False)  # something does not fit after all: not a layout this test means
        result = CliRunner().invoke(
            cli,
            [
                "-q",
                "run",
                "--pdf",
                str(pdf),
                "--out",
                str(Path(tmp) / "out"),
                "--golden",
                str(GOLDEN),
            ],
        )
    assert result.exit_code == 0, f"{json.dumps(geometry, ensure_ascii=False)}\n{result.output}"
