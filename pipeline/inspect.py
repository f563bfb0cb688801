"""Inspect: draw what the extract stage sees on one page over the page's own image."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pdfplumber
from pdfplumber.display import PageImage
from pdfplumber.utils.exceptions import PdfminerException
from PIL import ImageFont

from pipeline.errors import ExtractError, PipelineError
from pipeline.extract import extract
from pipeline.files import write_atomic
from pipeline.records import BBox, ExtractedRow
from pipeline.ruling import page_to_rules

logger = logging.getLogger(__name__)

# pdfplumber's own table finder, drawn in grey for comparison with what extract reads.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
# 144 dpi: twice the PDF's 72 points per inch, enough to read the document's small print.
DEFAULT_RESOLUTION = 144
# RGBA colours: every cell pdfplumber found, the header cells and data cells extract assigned
# to a field, the row bands it cut, and the characters' centres (optional).
CLEAR = (0, 0, 0, 0)
TABLE_CELL_STROKE = (120, 120, 120, 255)
RULE_STROKE = (0, 170, 170, 255)
HEADER_FILL = (255, 150, 0, 90)
DATA_FILL = (0, 120, 255, 40)
ROW_STROKE = (220, 0, 60, 255)
CHAR_IN_CELL = (0, 150, 0, 255)
CHAR_OUTSIDE = (230, 0, 230, 255)
HEADER_LABEL = (150, 60, 0, 255)
DATA_LABEL = (0, 70, 170, 255)
# Labels are this many points high, so they keep their size relative to the page.
LABEL_POINTS = 6.5
CHAR_DOT_POINTS = 0.9


def inspect_page(
    pdf: Path,
    page_number: int,
    out: Path,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    char_centres: bool = False,
) -> Path:
    """Given a PDF and a 1-based page, write a PNG of the page with extract's view drawn on it.

    Grey outlines: every cell pdfplumber's table finder found. Teal: the ink extract reads
    as rules, however it was drawn (lines, rectangle edges, dashes, dots). Orange: the header cells
    extract recognised, labelled with their field. Blue: the data cells it read, labelled
    with the field they were assigned to. Red: the row bands, labelled with the row number
    the output gives them. With char_centres, a dot at each character's centre: green inside
    a data cell, magenta outside every one.
    When extraction fails (a changed header, say), the table finder's cells are still drawn:
    the picture shows what the finder saw where extract gave up.
    """
    with _open(pdf) as document:
        count = len(document.pages)
        if not 1 <= page_number <= count:
            raise PipelineError(
                f"{pdf}: page {page_number} is out of range (the PDF has {count} pages)"
            )
        rows = _page_rows(pdf, page_number)
        page = document.pages[page_number - 1]
        tables = page.find_tables(TABLE_SETTINGS)
        found: list[BBox] = [
            (x0, top, x1, bottom) for table in tables for x0, top, x1, bottom in table.cells
        ]
        header = _header_cells(rows, found)
        data = _data_cells(rows, found)
        image = page.to_image(resolution=resolution)
        image.draw_rects(found, fill=CLEAR, stroke=TABLE_CELL_STROKE, stroke_width=1)
        _draw_rules(image, page)
        image.draw_rects(list(header), fill=HEADER_FILL, stroke=CLEAR, stroke_width=0)
        image.draw_rects(list(data), fill=DATA_FILL, stroke=CLEAR, stroke_width=0)
        image.draw_rects([row.bbox for row in rows], fill=CLEAR, stroke=ROW_STROKE, stroke_width=2)
        if char_centres:
            _draw_chars(image, page.chars, list(data))
        _draw_labels(image, rows, header, data)
        _save(image, out)
    logger.info("%s: page %d: %d rows drawn into %s", pdf, page_number, len(rows), out)
    return out


def _page_rows(pdf: Path, page_number: int) -> list[ExtractedRow]:
    """Return the rows extract reads on the page, or none (with a warning) if it fails."""
    try:
        return [row for row in extract(pdf).rows if row.page == page_number]
    except ExtractError as exc:
        logger.warning("%s (drawing the table finder's cells only)", exc)
        return []


def _open(pdf: Path) -> pdfplumber.PDF:
    try:
        return pdfplumber.open(pdf)
    except (OSError, PdfminerException) as exc:
        raise PipelineError(f"{pdf}: cannot open the PDF ({exc})") from exc


def _header_cells(rows: list[ExtractedRow], found: list[BBox]) -> dict[BBox, str]:
    """Given a page's rows and table cells, return {header cell: field} for the cells above them.

    A header cell's field is that of the data cells below it, matched by horizontal centre.
    """
    if not rows:
        return {}
    first = min(rows, key=lambda row: row.bbox[1])
    header = {}
    for cell in found:
        if cell[3] > first.bbox[1] + 1:
            continue
        centre = (cell[0] + cell[2]) / 2
        for field, data in first.cells.items():
            if data.bbox[0] <= centre <= data.bbox[2]:
                header[cell] = field
    return header


def _data_cells(rows: list[ExtractedRow], found: list[BBox]) -> dict[BBox, str]:
    """Given a page's rows and table cells, return {data cell: field} for the ruled cells read.

    A row also holds a blank stand-in for a column no ruled cell covers; those are left out.
    """
    ruled = set(found)
    return {
        cell.bbox: field
        for row in rows
        for field, cell in row.cells.items()
        if tuple(cell.bbox) in ruled
    }


def _draw_rules(image: PageImage, page: pdfplumber.page.Page) -> None:
    """Draw every stretch of ink extract reads as a rule (dashes and gaps as they are)."""
    horizontal, vertical = page_to_rules(page)
    for rule in horizontal:
        for x0, x1 in rule.spans:
            image.draw_line([(x0, rule.at), (x1, rule.at)], stroke=RULE_STROKE, stroke_width=2)
    for rule in vertical:
        for top, bottom in rule.spans:
            image.draw_line([(rule.at, top), (rule.at, bottom)], stroke=RULE_STROKE, stroke_width=2)


def _draw_chars(image: PageImage, chars: list[dict[str, Any]], cells: list[BBox]) -> None:
    """Dot each character's centre: green if extract reads it into a cell, magenta if not."""
    for char in chars:
        cx, cy = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        inside = any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in cells)
        colour = CHAR_IN_CELL if inside else CHAR_OUTSIDE
        # pdfplumber annotates radius as int, but it is in PDF points like the centre, scaled
        # with it, and any number draws: a dot on a 9pt char is a fraction of a point.
        image.draw_circle(char, radius=CHAR_DOT_POINTS, fill=colour, stroke=colour)  # type: ignore[arg-type]


def _draw_labels(
    image: PageImage, rows: list[ExtractedRow], header: dict[BBox, str], data: dict[BBox, str]
) -> None:
    """Write each row's number left of its band, and the field each cell was assigned to."""
    font = ImageFont.load_default(size=LABEL_POINTS * image.scale)
    for row in rows:
        x, y = image._reproject((row.bbox[0], row.bbox[1]))
        image.draw.text(
            (x - 3, y + 2), f"r{row.index + 1}", fill=ROW_STROKE, font=font, anchor="ra"
        )
    # Header labels go above the table, where they cover nothing; data labels in the
    # bottom-right corner, which the document's top-aligned text leaves free.
    for bbox, field in header.items():
        x, y = image._reproject((bbox[2], bbox[1]))
        image.draw.text((x - 3, y - 2), field, fill=HEADER_LABEL, font=font, anchor="rd")
    for bbox, field in data.items():
        x, y = image._reproject((bbox[2], bbox[3]))
        image.draw.text((x - 3, y - 2), field, fill=DATA_LABEL, font=font, anchor="rd")


def _save(image: PageImage, out: Path) -> None:
    """Write the PNG through a temporary file, so a failure leaves no half-written image."""
    png = io.BytesIO()
    image.save(png, format="PNG")
    write_atomic(out, png.getvalue())
