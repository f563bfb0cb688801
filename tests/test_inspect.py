"""inspect_page(): a page of the replica drawn with the table extract sees on it."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from PIL import Image

from pipeline.errors import PipelineError
from pipeline.extract import extract
from pipeline.inspect import RULE_STROKE, TABLE_SETTINGS, inspect_page

REPLICA = Path(__file__).parent / "fixtures" / "085_03_02.replica.pdf"
PAGE = 2
INSET = 2.0  # points inside a cell's corner: clear of both the rule and the cell's text


def _page_size(page_number: int) -> tuple[float, float]:
    with pdfplumber.open(REPLICA) as pdf:
        page = pdf.pages[page_number - 1]
        return page.width, page.height


@pytest.mark.parametrize("resolution", [72, 144])
def test_image_is_the_page_at_the_resolution(tmp_path: Path, resolution: int) -> None:
    out = inspect_page(REPLICA, PAGE, tmp_path / "page.png", resolution=resolution)
    width, height = _page_size(PAGE)
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (round(width * resolution / 72), round(height * resolution / 72))
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left


def test_char_centres_are_optional(tmp_path: Path) -> None:
    plain = inspect_page(REPLICA, PAGE, tmp_path / "plain.png")
    dotted = inspect_page(REPLICA, PAGE, tmp_path / "dotted.png", char_centres=True)
    assert plain.read_bytes() != dotted.read_bytes()


def _tint(image: Image.Image, x: float, y: float, scale: float) -> tuple[int, int, int]:
    return image.convert("RGB").getpixel((round(x * scale), round(y * scale)))


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
        # The header is tinted orange (red up, blue down), a data cell blue (blue above red).
        x, y = header[0] + INSET + 1, header[1] + INSET + 1
        before, after = _tint(plain, x, y, scale), _tint(drawn, x, y, scale)
        assert after[0] - after[2] > before[0] - before[2] + 30
        x, y = published[0] + INSET + 1, published[1] + INSET + 1
        before, after = _tint(plain, x, y, scale), _tint(drawn, x, y, scale)
        assert after[2] - after[0] > before[2] - before[0] + 20


@pytest.mark.parametrize("page_number", [0, 8])
def test_page_out_of_range_is_named(tmp_path: Path, page_number: int) -> None:
    with pytest.raises(PipelineError) as error:
        inspect_page(REPLICA, page_number, tmp_path / "page.png")
    assert (
        str(error.value) == f"{REPLICA}: page {page_number} is out of range (the PDF has 7 pages)"
    )
    assert not (tmp_path / "page.png").exists()


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


def test_the_ink_read_as_rules_is_drawn_dots_and_gaps_as_they_are(tmp_path: Path) -> None:
    """On the dotted fixture, a row rule inside a block is drawn dot by dot, gaps left clear."""
    dotted = Path(__file__).parent / "fixtures" / "quirks" / "dotted.pdf"
    scale = 4
    out = inspect_page(dotted, PAGE, tmp_path / "page.png", resolution=72 * scale)
    with pdfplumber.open(dotted) as pdf:
        dots = [r for r in pdf.pages[PAGE - 1].rects if r["width"] < 1 and r["height"] < 1]
    first, second = sorted(dots, key=lambda r: (r["top"], r["x0"]))[20:22]  # mid-rule
    y = (first["top"] + first["bottom"]) / 2
    with Image.open(out) as image:
        on_dot = _tint(image, (first["x0"] + first["x1"]) / 2, y, scale)
        gap = [_tint(image, first["x1"] + k * 0.25, y, scale) for k in range(2, 9)]
    assert on_dot == RULE_STROKE[:3]
    assert any(tint != RULE_STROKE[:3] for tint in gap)
