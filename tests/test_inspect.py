"""inspect_page(): a page of the replica drawn with the table extract sees on it.

Rules pinned here:
- the image is the page at the resolution asked, 144 dpi by default, for the first to the
  last page, written as PNG (its folder made if need be) through a temporary file that is
  not left behind; char centres are drawn only when asked;
- a page number outside 1..page count (0, count + 1) is named in the error before the document
  is read, and nothing is written;
- a page extract rejects is still drawn, with the table finder's cells, and the reason logged;
- header cells are tinted orange and data cells blue where extract found them, each with its
  one fill reaching the cell's edge and nothing else over it; every cell the table finder
  found is outlined in grey; row bands are outlined in red, 2 pixels wide;
- the rows drawn are those extract reads on that page only; a file that is not a PDF is named;
- an image that cannot be written (a folder at its temporary name, or at its own name) is
  one PipelineError naming the folder or the image, and an earlier image stays as it was;
- the ink read as rules is drawn in teal, 2 pixels wide, dot by dot with gaps left clear;
- a header cell is a found cell whose bottom is at most one point below the top of the
  topmost row (both sides of that point), named by the data cell under its horizontal centre
  (both edges of that cell included); no rows, no header cells;
- a char's centre is dotted green on or inside a data cell's edges (each of the four edges)
  and magenta beyond them, 0.9 points across, in one colour;
- labels: r<row number from 1> ends 3 pixels left of the row band's top-left corner and 2
  below it; a header cell's field ends 3 pixels left of and 2 above its top-right corner; a
  data cell's field 3 left of and 2 above its bottom-right corner; all 6.5 points high.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from pdfplumber.display import PageImage
from PIL import Image, ImageChops, ImageDraw, ImageFont
from reportlab.pdfgen import canvas

from pipeline.errors import PipelineError
from pipeline.extract import extract
from pipeline.inspect import (
    CHAR_IN_CELL,
    CHAR_OUTSIDE,
    DATA_FILL,
    DATA_LABEL,
    HEADER_FILL,
    HEADER_LABEL,
    ROW_STROKE,
    RULE_STROKE,
    TABLE_CELL_STROKE,
    TABLE_SETTINGS,
    _draw_chars,
    _draw_labels,
    _draw_rules,
    _header_cells,
    _page_rows,
    inspect_page,
)
from pipeline.records import BBox, Cell, ExtractedRow

REPLICA = Path(__file__).parent / "fixtures" / "085_03_02.replica.pdf"
PAGE = 2
INSET = 2.0  # points inside a cell's corner: clear of both the rule and the cell's text


def _page_size(page_number: int) -> tuple[float, float]:
    with pdfplumber.open(REPLICA) as pdf:
        page = pdf.pages[page_number - 1]
        return page.width, page.height


def _assert_page_image(out: Path, page_number: int, resolution: int) -> None:
    width, height = _page_size(page_number)
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (round(width * resolution / 72), round(height * resolution / 72))
    assert list(out.parent.iterdir()) == [out]  # no temporary file left


def test_image_is_the_page_at_144_dpi_by_default_in_a_folder_made_for_it(tmp_path: Path) -> None:
    out = inspect_page(REPLICA, PAGE, tmp_path / "new" / "folder" / "page.png")
    _assert_page_image(out, PAGE, 144)


@pytest.mark.parametrize("page_number", [1, PAGE, 7])
def test_image_is_the_page_at_the_resolution_asked_first_to_last(
    tmp_path: Path, page_number: int
) -> None:
    out = inspect_page(REPLICA, page_number, tmp_path / "page.png", resolution=72)
    _assert_page_image(out, page_number, 72)


def test_char_centres_are_optional(tmp_path: Path) -> None:
    plain = inspect_page(REPLICA, PAGE, tmp_path / "plain.png")
    dotted = inspect_page(REPLICA, PAGE, tmp_path / "dotted.png", char_centres=True)
    assert plain.read_bytes() != dotted.read_bytes()


def _tint(image: Image.Image, x: float, y: float, scale: float) -> tuple[int, int, int]:
    return image.convert("RGB").getpixel((round(x * scale), round(y * scale)))


def _over(under: tuple[int, int, int], rgba: tuple[int, int, int, int]) -> tuple[int, ...]:
    """A translucent colour laid over a pixel."""
    *rgb, alpha = rgba
    return tuple(round(u + (c - u) * alpha / 255) for u, c in zip(under, rgb, strict=True))


def _near(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(abs(x - y) <= 2 for x, y in zip(a, b, strict=True))


def test_header_and_data_cells_are_filled_where_extract_found_them(tmp_path: Path) -> None:
    resolution = 144
    scale = resolution / 72
    out = inspect_page(REPLICA, PAGE, tmp_path / "page.png", resolution=resolution)
    with pdfplumber.open(REPLICA) as pdf:
        page = pdf.pages[PAGE - 1]
        plain = page.to_image(resolution=resolution).original
        table = page.find_tables(TABLE_SETTINGS)[0]
    first_row = next(r for r in extract(REPLICA).rows if r.page == PAGE and r.index == 0)
    published = first_row.cells["published"].bbox
    header = min((tuple(c) for c in table.cells), key=lambda c: (c[1], c[0]))
    with Image.open(out) as drawn:
        # The header is tinted orange (red up, blue down), a data cell blue (blue above red):
        # each exactly its one fill over the page, nothing else laid over it.
        x, y = header[0] + INSET + 1, header[1] + INSET + 1
        before, after = _tint(plain, x, y, scale), _tint(drawn, x, y, scale)
        assert after[0] - after[2] > before[0] - before[2] + 30
        assert _near(after, _over(before, HEADER_FILL))
        x, y = published[0] + INSET + 1, published[1] + INSET + 1
        before, after = _tint(plain, x, y, scale), _tint(drawn, x, y, scale)
        assert after[2] - after[0] > before[2] - before[0] + 20
        assert _near(after, _over(before, DATA_FILL))
        # The row band's outline, in its red, 2 pixels wide along the row's top.
        x, top = first_row.bbox[0] + 20, first_row.bbox[1]
        column = [_tint(drawn, x, top + k / scale, scale) for k in range(-3, 5)]
        assert column.count(ROW_STROKE[:3]) == 2
        # Left of the published cell's left rule: the grey outline of the cell before it, under
        # that cell's fill; on the rule itself, the fills of both cells reach it.
        y = round((published[1] + published[3]) / 2 * scale)
        edge = int(published[0] * scale)
        rgb = drawn.convert("RGB")
        outline, rule = rgb.getpixel((edge - 1, y)), rgb.getpixel((edge, y))
        assert _near(outline, _over(TABLE_CELL_STROKE[:3], DATA_FILL))
        assert _near(rule, _over(_over(RULE_STROKE[:3], DATA_FILL), DATA_FILL))


def test_the_rows_drawn_are_those_extract_reads_on_that_page_only() -> None:
    rows = _page_rows(REPLICA, 3)
    assert {row.page for row in rows} == {3}
    assert len(rows) == sum(row.page == 3 for row in extract(REPLICA).rows) > 0


def test_a_file_that_is_not_a_pdf_is_named(tmp_path: Path) -> None:
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(b"hello")
    with pytest.raises(PipelineError) as error:
        inspect_page(pdf, 1, tmp_path / "page.png")
    assert str(error.value).startswith(f"{pdf}: cannot open the PDF (")
    assert not (tmp_path / "page.png").exists()


def test_a_folder_at_the_images_temporary_name_is_named_and_the_earlier_image_stays(tmp_path):
    (tmp_path / "page.png").write_bytes(b"earlier")
    (tmp_path / ".page.png.tmp").mkdir()
    with pytest.raises(PipelineError) as error:
        inspect_page(REPLICA, PAGE, tmp_path / "page.png", resolution=36)
    assert str(error.value) == f"{tmp_path}: cannot write outputs (Is a directory)"
    assert (tmp_path / "page.png").read_bytes() == b"earlier"


def test_a_folder_at_the_images_name_is_named(tmp_path):
    (tmp_path / "page.png").mkdir()
    with pytest.raises(PipelineError) as error:
        inspect_page(REPLICA, PAGE, tmp_path / "page.png", resolution=36)
    assert str(error.value) == f"{tmp_path / 'page.png'}: cannot write output (Is a directory)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.png"]


@pytest.mark.parametrize("page_number", [0, 8])
def test_page_out_of_range_is_named_before_the_document_is_read(
    tmp_path: Path, page_number: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pipeline.extract")
    with pytest.raises(PipelineError) as error:
        inspect_page(REPLICA, page_number, tmp_path / "page.png")
    assert (
        str(error.value) == f"{REPLICA}: page {page_number} is out of range (the PDF has 7 pages)"
    )
    assert not (tmp_path / "page.png").exists()
    assert [r.getMessage() for r in caplog.records if r.name == "pipeline.extract"] == []


def test_a_page_extract_rejects_is_still_drawn_with_the_finders_cells(tmp_path, caplog):
    from replica import builder, main_spec

    layout = main_spec()
    layout["columns"][1]["header"] = "掲載日"  # 公表日 renamed: extract refuses the table
    for page in layout["pages"]:
        for row in page["rows"]:
            row["cells"]["掲載日"] = row["cells"].pop("公表日")
    pdf = tmp_path / "renamed.pdf"
    builder().build(layout, pdf)

    out = inspect_page(pdf, PAGE, tmp_path / "page.png", resolution=72)
    with Image.open(out) as image:
        assert image.size == tuple(round(v) for v in _page_size(PAGE))
    assert "table header changed: missing 公表日; unrecognised '掲載日'" in caplog.text


def test_the_ink_read_as_rules_is_drawn_dots_and_gaps_as_they_are() -> None:
    """On the dotted fixture, a row rule inside a block is drawn dot by dot, gaps left clear."""
    dotted = Path(__file__).parent / "fixtures" / "quirks" / "dotted.pdf"
    scale = 4
    with pdfplumber.open(dotted) as pdf:
        page = pdf.pages[PAGE - 1]
        dots = [r for r in page.rects if r["width"] < 1 and r["height"] < 1]
        image = page.to_image(resolution=72 * scale)
        _draw_rules(image, page)
    first = sorted(dots, key=lambda r: (r["top"], r["x0"]))[20]  # mid-rule
    y = (first["top"] + first["bottom"]) / 2
    drawn = image.annotated.convert("RGB")
    on_dot = _tint(drawn, (first["x0"] + first["x1"]) / 2, y, scale)
    gap = [_tint(drawn, first["x1"] + k * 0.25, y, scale) for k in range(2, 9)]
    assert on_dot == RULE_STROKE[:3]
    assert any(tint != RULE_STROKE[:3] for tint in gap)


# --- The drawing steps, on a blank page with hand-placed rows, cells, chars and rules --------


def _row(index: int, bbox: BBox, cells: dict[str, BBox]) -> ExtractedRow:
    return ExtractedRow(
        page=1,
        index=index,
        bbox=bbox,
        cells={field: Cell(1, field, box, ()) for field, box in cells.items()},
        links=(),
    )


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pdfplumber.page.Page]:
    """A 200 x 100 point page with one horizontal rule (x 20..120 at top 30) and one vertical
    rule (x 150, top 10..60), drawn as stroked lines; nothing else."""
    path = tmp_path_factory.mktemp("blank") / "blank.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(200, 100), invariant=1)
    drawing.setLineWidth(0.5)
    drawing.line(20, 70, 120, 70)  # PDF y counts up from the bottom: top = 100 - 70 = 30
    drawing.line(150, 90, 150, 40)
    drawing.showPage()
    drawing.save()
    with pdfplumber.open(path) as pdf:
        yield pdf.pages[0]


def _plain(image: PageImage) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """The page as rendered, and a pen to draw on it what the image is expected to show."""
    expected = image.original.copy()
    return expected, ImageDraw.Draw(expected, "RGBA")


def _same(image: PageImage, expected: Image.Image) -> bool:
    return ImageChops.difference(image.annotated, expected).getbbox() is None


def test_a_header_cell_is_one_ending_within_a_point_below_the_topmost_rows_top() -> None:
    # Rows as extract gives them, the lower one first; the topmost (top 60) is the first row.
    lower = _row(1, (0, 100, 150, 140), {"company": (30, 100, 80, 140)})
    first = _row(0, (0, 60, 400, 100), {"company": (30, 60, 80, 100)})  # wider, but on top
    cells = [
        (30, 60, 80, 100),  # the first row's own cell: ends below its top
        (30, 59.5, 80, 61.5),  # ends 1.5 points below the first row's top
        (30, 20, 80, 61),  # ends exactly one point below it: a header cell
        (30, 0, 80, 20),  # a header cell above that
    ]
    assert _header_cells([lower, first], cells) == {
        (30, 20, 80, 61): "company",
        (30, 0, 80, 20): "company",
    }


def test_a_header_cell_takes_the_field_of_the_data_cell_under_its_centre_edges_included() -> None:
    row = _row(
        0,
        (0, 41, 300, 200),
        {"company": (30, 41, 80, 200), "published": (80.5, 41, 110, 200)},
    )
    left_edge = (10, 20, 50, 40)  # centre 30: the company cell's left edge
    right_edge = (90, 20, 130, 40)  # centre 110: the published cell's right edge
    beyond = (140, 20, 180, 40)  # centre 160: over no data cell
    assert _header_cells([row], [left_edge, right_edge, beyond]) == {
        left_edge: "company",
        right_edge: "published",
    }


def test_without_rows_there_are_no_header_cells() -> None:
    assert _header_cells([], [(0, 0, 10, 10)]) == {}


def test_rules_are_drawn_two_pixels_wide_in_teal_along_their_ink(blank) -> None:
    image = blank.to_image(resolution=144)  # 2 pixels a point
    expected, pen = _plain(image)
    pen.line([(40, 60), (240, 60)], fill=RULE_STROKE, width=2)
    pen.line([(300, 20), (300, 120)], fill=RULE_STROKE, width=2)
    _draw_rules(image, blank)
    assert _same(image, expected)


def test_a_char_centre_on_a_cell_edge_is_inside_it_and_a_point_beyond_is_outside(blank) -> None:
    image = blank.to_image(resolution=144)
    cell = (40, 20, 100, 60)

    def char(cx: float, cy: float) -> dict[str, float]:  # a 4-point char around (cx, cy)
        return {"x0": cx - 2, "x1": cx + 2, "top": cy - 2, "bottom": cy + 2}

    inside = [(40, 40), (100, 40), (70, 20), (70, 60)]  # on the left, right, top, bottom edge
    outside = [(39, 40), (101, 40), (70, 19), (70, 61), (101, 61)]
    chars = [char(cx, cy) for cx, cy in inside + outside]
    expected, pen = _plain(image)
    for centres, colour in ((inside, CHAR_IN_CELL), (outside, CHAR_OUTSIDE)):
        for cx, cy in centres:
            # A dot of 0.9 points (1.8 pixels) around the char's centre, filled and outlined
            # in one colour; pdfplumber cuts its box to whole pixels (x - 1.8 to x - 2).
            x, y = cx * 2, cy * 2
            pen.ellipse((x - 2, y - 2, x + 1, y + 1), fill=colour, outline=colour)
    _draw_chars(image, chars, [cell])
    assert _same(image, expected)
    assert image.annotated.getpixel((80, 80)) == CHAR_IN_CELL[:3]
    assert image.annotated.getpixel((78, 80)) == CHAR_OUTSIDE[:3]


def test_labels_name_the_row_left_of_its_band_and_the_field_in_each_cells_corner(blank) -> None:
    image = blank.to_image(resolution=144)
    row = _row(2, (50, 30, 190, 90), {})
    header = {(60, 10, 120, 28): "company"}
    data = {(60, 30, 120, 90): "title"}
    expected, pen = _plain(image)
    font = ImageFont.load_default(size=13)  # 6.5 points at 2 pixels a point
    pen.text((97, 62), "r3", fill=ROW_STROKE, font=font, anchor="ra")  # row index 2: r3
    pen.text((237, 18), "company", fill=HEADER_LABEL, font=font, anchor="rd")
    pen.text((237, 178), "title", fill=DATA_LABEL, font=font, anchor="rd")
    _draw_labels(image, [row], header, data)
    assert _same(image, expected)
