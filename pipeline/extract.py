"""Extract stage: find the ruled table on each page, rebuild each cell's lines from its chars."""

from __future__ import annotations

import hashlib
import logging
import statistics
import tomllib
import unicodedata
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
from pdfplumber.utils.text import chars_to_textmap

from pipeline.errors import ExtractError
from pipeline.records import BBox, Cell, ExtractedRow, Extraction, Line, Link, PageText, Source

logger = logging.getLogger(__name__)

# The table is drawn with ruling lines, so both directions come from the lines on the page.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
# Cell edges closer than this (points) are the same rule; merged cells leave gaps larger than it.
EDGE_TOLERANCE = 2.0
# A table needs at least this many header cells that we recognise before we call it ours;
# fewer means an unrelated box (the cover's 「資料３－２」 frame, say).
MIN_RECOGNISED_HEADERS = 2
# How many rows from the top of a table may come before its header row (a caption row, say).
HEADER_SEARCH_ROWS = 3
# A PDF starts with `%PDF-`; readers allow some junk before it, within the first kilobyte.
# An HTML error page or a text file saved as .pdf does not.
PDF_MAGIC = b"%PDF-"
PDF_MAGIC_WINDOW = 1024
# How many of the first bytes of a file that is not a PDF the error quotes.
QUOTED_BYTES = 24
# What reading a damaged page raises: pdfminer's parse errors, bare or wrapped by pdfplumber,
# and pdfplumber's own for a page box that is not numbers.
DAMAGED_PAGE_ERRORS = (PSException, PdfminerException, MalformedPDFException)


def extract(pdf_path: Path) -> Extraction:
    """Given a PDF of the disclosures table, return its rows with every cell's lines."""
    columns_by_header = _load_headers()
    data = _read_bytes(pdf_path)
    _check_is_pdf(pdf_path, data)
    pages: list[PageText] = []
    rows: list[ExtractedRow] = []
    cover: tuple[Line, ...] = ()
    with _open(pdf_path) as pdf:
        page_count = len(pdf.pages)
        layout: dict[str, tuple[float, float]] | None = None
        for page in pdf.pages:
            try:
                page_rows, page_text, layout = _read_page(pdf_path, page, columns_by_header, layout)
            except DAMAGED_PAGE_ERRORS as exc:
                raise ExtractError(
                    f"{pdf_path}: page {page.page_number}: unreadable ({exc})"
                ) from exc
            finally:
                page.close()
            if page.page_number == 1 and not page_rows:
                cover = page_text.above
            pages.append(page_text)
            rows.extend(page_rows)
    if not rows and layout is not None:
        raise ExtractError(f"{pdf_path}: the table has its header but no rows on any page")
    if not rows:
        wanted = " | ".join(names[0] for names in _header_names().values())
        raise ExtractError(f"{pdf_path}: no table with the header {wanted} found on any page")
    logger.info("%s: %d rows from %d pages", pdf_path, len(rows), page_count)
    source = Source(
        path=str(pdf_path),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
        cover=cover,
        pages=tuple(pages),
    )
    return Extraction(source=source, rows=tuple(rows))


def _header_names() -> dict[str, list[str]]:
    """Return {field: [header variants]} from data/headers.toml."""
    text = resources.files("pipeline").joinpath("data/headers.toml").read_text(encoding="utf-8")
    return {field: spec["headers"] for field, spec in tomllib.loads(text)["columns"].items()}


def _load_headers() -> dict[str, str]:
    """Return {header text without spaces: field}."""
    return {_squash(h): field for field, names in _header_names().items() for h in names}


def _squash(text: str) -> str:
    """Header text for matching: no spaces, compatibility forms folded (（ → (, ，→ ,)."""
    return unicodedata.normalize("NFKC", "".join(text.split()))


def _read_bytes(pdf_path: Path) -> bytes:
    try:
        return pdf_path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"{pdf_path}: cannot read ({exc.strerror})") from exc


def _check_is_pdf(pdf_path: Path, data: bytes) -> None:
    """Raise ExtractError quoting the file's first bytes unless they start a PDF."""
    if not data:
        raise ExtractError(f"{pdf_path}: not a PDF (the file is empty)")
    if PDF_MAGIC not in data[:PDF_MAGIC_WINDOW]:
        raise ExtractError(f"{pdf_path}: not a PDF (it begins {data[:QUOTED_BYTES]!r})")


def _open(pdf_path: Path) -> pdfplumber.PDF:
    """Given a path, return the open PDF with its page tree read, or raise one ExtractError."""
    try:
        pdf = pdfplumber.open(pdf_path)
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        # A PDF encrypted with an empty user password opens without one and is read as usual.
        if isinstance(cause, PDFPasswordIncorrect):
            raise ExtractError(f"{pdf_path}: the PDF is encrypted and needs a password") from exc
        if isinstance(cause, PDFEncryptionError):
            raise ExtractError(f"{pdf_path}: the PDF is encrypted ({cause})") from exc
        if isinstance(cause, PSException):  # PDFSyntaxError, or PSEOF for a cut-off file
            raise ExtractError(f"{pdf_path}: truncated or damaged PDF ({cause})") from exc
        raise ExtractError(f"{pdf_path}: cannot open the PDF ({cause})") from exc
    except (PSException, ValueError, TypeError, KeyError) as exc:
        raise ExtractError(f"{pdf_path}: cannot open the PDF ({exc})") from exc
    try:
        pdf.pages  # noqa: B018 (parses the page tree, where a damaged file often fails)
    except DAMAGED_PAGE_ERRORS as exc:
        pdf.stream.close()  # pdf.close() would read the page tree again
        raise ExtractError(f"{pdf_path}: truncated or damaged PDF ({exc})") from exc
    return pdf


def _read_page(
    pdf_path: Path,
    page: pdfplumber.page.Page,
    columns_by_header: dict[str, str],
    layout: dict[str, tuple[float, float]] | None,
) -> tuple[list[ExtractedRow], PageText, dict[str, tuple[float, float]] | None]:
    """Given a page, return its table rows, the text around the table, and the column layout."""
    number = page.page_number
    chars = _unique_chars(page)
    found = _find_table(pdf_path, page, chars, columns_by_header, layout)
    if found is None:
        return [], PageText(page=number, above=_lines(chars), below=()), layout
    table_bbox, columns, data_cells = found
    cells_chars = _bucket_chars(chars, [bbox for bbox, _ in data_cells])
    cells = [
        Cell(page=number, column=field, bbox=bbox, lines=_lines(cell_chars))
        for (bbox, field), cell_chars in zip(data_cells, cells_chars, strict=True)
    ]
    rows = _rows(number, cells, columns, _links(pdf_path, page))
    top, bottom = table_bbox[1], table_bbox[3]
    page_text = PageText(
        page=number,
        above=_lines([c for c in chars if c["bottom"] <= top + EDGE_TOLERANCE]),
        below=_lines([c for c in chars if c["top"] >= bottom - EDGE_TOLERANCE]),
    )
    return rows, page_text, columns


def _unique_chars(page: pdfplumber.page.Page) -> list[dict]:
    """Return the page's chars, without the copies some writers overprint to fake bold.

    pdfplumber's dedupe is costly, so it runs only when a char repeats at the same spot.
    """
    chars = page.chars
    seen = {(c["text"], round(c["x0"], 1), round(c["top"], 1)) for c in chars}
    return chars if len(seen) == len(chars) else page.dedupe_chars().chars


def _find_table(
    pdf_path: Path,
    page: pdfplumber.page.Page,
    chars: list[dict],
    columns_by_header: dict[str, str],
    layout: dict[str, tuple[float, float]] | None,
) -> tuple[BBox, dict[str, tuple[float, float]], list[tuple[BBox, str]]] | None:
    """Given a page, return (table bbox, {field: (x0, x1)}, [(cell bbox, field)]) or None."""
    for table in page.find_tables(TABLE_SETTINGS):
        cells = [tuple(c) for c in table.cells]
        found = _header_row(chars, cells, columns_by_header)
        if found is not None:
            top, header, texts, known = found
            columns = _columns_from_header(pdf_path, page.page_number, header, texts, known)
            body = [c for c in cells if c[1] > top + EDGE_TOLERANCE]
        elif layout is not None and _same_columns(_row_at(cells, min(c[1] for c in cells)), layout):
            columns, body = layout, cells  # a continuation page that does not repeat the header
        else:
            if len({c[0] for c in cells}) > 1 and len({c[1] for c in cells}) > 1:
                logger.warning(
                    "%s: page %d: skipped a table without the expected header",
                    pdf_path,
                    page.page_number,
                )
            continue
        data_cells = [(c, f) for c in body if (f := _column_of(c, columns)) is not None]
        return tuple(table.bbox), columns, data_cells
    return None


def _header_row(
    chars: list[dict], cells: list[tuple], columns_by_header: dict[str, str]
) -> tuple[float, list[tuple], list[str], list[str | None]] | None:
    """Return (top, cells, texts, fields) of the first row that reads as the header, or None.

    The header is looked for in the first few rows: a table may open with a caption row.
    """
    tops: list[float] = []
    for y in sorted(c[1] for c in cells):
        if not tops or y - tops[-1] > EDGE_TOLERANCE:
            tops.append(y)
    for top in tops[:HEADER_SEARCH_ROWS]:
        header = _row_at(cells, top)
        texts = [
            _squash("".join(line.text for line in _lines(bucket)))
            for bucket in _bucket_chars(chars, header)
        ]
        known = [columns_by_header.get(t) for t in texts]
        if sum(f is not None for f in known) >= MIN_RECOGNISED_HEADERS:
            return top, header, texts, known
    return None


def _row_at(cells: list[tuple], top: float) -> list[tuple]:
    """The cells whose top edge is at `top`, left to right."""
    return sorted((c for c in cells if abs(c[1] - top) <= EDGE_TOLERANCE), key=lambda c: c[0])


def _columns_from_header(
    pdf_path: Path, page: int, header: list[tuple], texts: list[str], known: list[str | None]
) -> dict[str, tuple[float, float]]:
    """Given the header cells, return {field: (x0, x1)} or raise naming what is wrong."""
    wanted = _header_names()
    unknown = [t for t, f in zip(texts, known, strict=True) if f is None]
    missing = [names[0] for field, names in wanted.items() if field not in known]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if unknown:
            parts.append("unrecognised " + ", ".join(repr(t) for t in unknown))
        raise ExtractError(f"{pdf_path}: page {page}: table header changed: {'; '.join(parts)}")
    return {field: (c[0], c[2]) for c, field in zip(header, known, strict=True)}


def _same_columns(header: list[tuple], layout: dict[str, tuple[float, float]]) -> bool:
    """True if the table's first-row cells line up with a previous page's columns."""
    edges = sorted((x0, x1) for x0, x1 in layout.values())
    got = sorted((c[0], c[2]) for c in header)
    return len(edges) == len(got) and all(
        abs(a[0] - b[0]) <= EDGE_TOLERANCE and abs(a[1] - b[1]) <= EDGE_TOLERANCE
        for a, b in zip(edges, got, strict=True)
    )


def _column_of(cell: tuple, columns: dict[str, tuple[float, float]]) -> str | None:
    """Return the field whose header spans the cell's horizontal centre."""
    centre = (cell[0] + cell[2]) / 2
    return next((f for f, (x0, x1) in columns.items() if x0 <= centre <= x1), None)


def _bucket_chars(chars: list[dict], boxes: list[BBox]) -> list[list[dict]]:
    """Given chars and boxes, return for each box the chars whose centre lies inside it."""
    buckets: list[list[dict]] = [[] for _ in boxes]
    for char in chars:
        cx = (char["x0"] + char["x1"]) / 2
        cy = (char["top"] + char["bottom"]) / 2
        for i, (x0, top, x1, bottom) in enumerate(boxes):
            if x0 <= cx <= x1 and top <= cy <= bottom:
                buckets[i].append(char)
                break
    return buckets


def _lines(chars: list[dict]) -> tuple[Line, ...]:
    """Given a cell's chars, return its text lines from top to bottom."""
    if not chars:
        return ()
    textmap = chars_to_textmap(chars, layout=False)
    return tuple(
        Line(
            text=found["text"],
            x0=round(found["x0"], 2),
            x1=round(found["x1"], 2),
            top=round(found["top"], 2),
            bottom=round(found["bottom"], 2),
            size=round(statistics.median(c["size"] for c in found["chars"]), 2),
        )
        for found in textmap.extract_text_lines(strip=True, return_chars=True)
        if found["text"]
    )


def _links(pdf_path: Path, page: pdfplumber.page.Page) -> list[Link]:
    try:
        hyperlinks = page.hyperlinks
    # pdfplumber reads each annotation's entries unchecked: a damaged one fails in many ways.
    except (KeyError, TypeError, ValueError) as exc:
        raise ExtractError(
            f"{pdf_path}: page {page.page_number}: damaged link annotation "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return [
        Link(page=page.page_number, uri=h["uri"], bbox=(h["x0"], h["top"], h["x1"], h["bottom"]))
        for h in hyperlinks
    ]


def _rows(
    page: int, cells: list[Cell], columns: dict[str, tuple[float, float]], links: Iterable[Link]
) -> list[ExtractedRow]:
    """Given a page's cells, return one row per band between consecutive horizontal rules.

    A cell that spans several bands (the merged 事業者名 cell) belongs to each of them.
    """
    bands = _bands(cells)
    rows = []
    for index, (top, bottom) in enumerate(bands):
        middle = (top + bottom) / 2
        by_field = {}
        for field, (x0, x1) in columns.items():
            cell = next(
                (c for c in cells if c.column == field and c.bbox[1] <= middle <= c.bbox[3]), None
            )
            # No ruled cell in this column on this band: an empty cell the header's width.
            by_field[field] = cell or Cell(
                page=page, column=field, bbox=(x0, top, x1, bottom), lines=()
            )
        bbox = (
            min(c.bbox[0] for c in by_field.values()),
            top,
            max(c.bbox[2] for c in by_field.values()),
            bottom,
        )
        title = by_field.get("title_link")
        row_links = tuple(
            link for link in links if title is not None and _overlaps(link.bbox, title.bbox)
        )
        rows.append(
            ExtractedRow(page=page, index=index, bbox=bbox, cells=by_field, links=row_links)
        )
    return rows


def _bands(cells: list[Cell]) -> list[tuple[float, float]]:
    """Given cells, return the (top, bottom) of every band between distinct horizontal rules."""
    edges: list[float] = []
    for y in sorted({y for c in cells for y in (c.bbox[1], c.bbox[3])}):
        if not edges or y - edges[-1] > EDGE_TOLERANCE:
            edges.append(y)
    return list(zip(edges, edges[1:], strict=False))


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
