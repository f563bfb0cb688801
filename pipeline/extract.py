"""Extract stage: find the table on each page by its rules, rebuild cells from their chars."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import statistics
import tomllib
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pdfplumber
from pdfminer.layout import LTChar
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psparser import PSException
from pdfplumber.utils import resolve_all
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
from pdfplumber.utils.text import chars_to_textmap

from pipeline.errors import ExtractError
from pipeline.limits import DamagedContent, LimitExceeded, Watch, check_file_size, reading
from pipeline.pdfsniff import looks_like_pdf
from pipeline.records import BBox, Cell, ExtractedRow, Extraction, Line, Link, PageText, Source
from pipeline.ruling import (
    RULE_MERGE,
    Rule,
    close_gaps,
    gaps_to_dividers,
    layout_objects,
    page_to_rules,
)
from pipeline.text import URL_START, fold_radicals
from pipeline.workers import pool

logger = logging.getLogger(__name__)

# Cell edges closer than this (points) are the same row edge.
EDGE_TOLERANCE = 2.0
# A table needs at least this many header cells that we recognise before we call it ours;
# fewer means an unrelated box (the cover's 「資料３－２」 frame, say).
MIN_RECOGNISED_HEADERS = 2

# A rule bounds a cell side where its ink covers at least this share of the side: a dashed
# rule drawn dash by dash (3pt on, 4pt off) covers 43%, a dotted one (0.75pt dots every 3pt)
# 25%; a rule that stops short of the cell's corners covers most of it.
MIN_COVERAGE = 0.2
# A horizontal rule ends a row only where it runs across at least this many columns: a
# hyperlink's underline, which Office writers draw as a thin rule, lies inside one column.
MIN_RULE_COLUMNS = 2
# Bands between rules thinner than this (points) hold no text line: not a row.
MIN_BAND = 4.0
# The key a char read through a radical code point carries: how many code points were unified.
UNIFIED = "unified_radicals"
# A char with the same text within this distance (points) of an earlier one is a copy drawn
# over it to fake bold (some writers overprint a string 0.2-0.5pt to the side).
OVERPRINT_TOLERANCE = 1.0
# Each row has one 公表日 and one URL. Lines of a date cell whose gap exceeds this share of a
# line's height are different rows' dates (`昨年` over `12/27` is one date, set at the cell's
# line spacing); see split_rows_by_dates.
ENTRY_GAP = 0.6
# A glyph that starts further inside the one before it than this share of the narrower's
# width is drawn over it; kerning and tight CJK punctuation overlap far less.
OVERLAP_SHARE = 0.5
DATE_FIELD = "published"
COMPANY_FIELD = "company"
URL_FIELD = "title_link"
# Text a font without a usable ToUnicode map gives: pdfminer's `(cid:12)`, control
# characters, Private Use code points, U+FFFD. Never data.
UNDECODABLE = re.compile(
    r"\(cid:\d+\)|[\x00-\x08\x0b-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd\U000f0000-\U0010ffff]"
)
# How many of the first bytes of a file that is not a PDF the error quotes.
QUOTED_BYTES = 24
# What reading a damaged page raises: pdfminer's parse errors, bare or wrapped by pdfplumber,
# and pdfplumber's own for a page box that is not numbers.
DAMAGED_PAGE_ERRORS = (PSException, PdfminerException, MalformedPDFException)
# Every page is accounted for (PageText.role): it holds rows of the table, or it comes before
# the first page that does (the cover), or after the last one (an annex, say). A page between
# two pages with rows that holds none is an error: rows would be missing.
ROLE_TABLE = "table"
ROLE_BEFORE = "before table"
ROLE_AFTER = "after table"


def extract(
    pdf_path: Path, *, jobs: int = 1, progress: Callable[[int, int], None] | None = None
) -> Extraction:
    """Given a PDF of the disclosures table, return its rows with every cell's lines.

    Each page is read under the limits of pipeline/limits.py, and is refused if pdfminer met
    damage on it. Every page is accounted for in the pages of the Source (ROLE_TABLE...).
    With jobs > 1, a document long enough to pay for it is read by up to `jobs` worker
    processes, a range of pages each (page_spans); the result is the same. progress, if
    given, is called with the pages read so far and the page count each time some are read.
    """
    columns_by_header = _load_headers()
    data = _read_bytes(pdf_path)
    _check_is_pdf(pdf_path, data)
    with reading() as watch, _open(pdf_path, watch) as pdf:
        page_count = len(pdf.pages)
        spans = page_spans(page_count, jobs)
        advance = _progress(progress, page_count)
        if len(spans) == 1:
            reads = _read_span(pdf_path, pdf, columns_by_header, watch, spans[0], None, advance)
    if len(spans) > 1:
        reads = _read_in_workers(pdf_path, spans, min(jobs, len(spans)), advance)
    pages = [read.text for read in reads]
    rows = join_split_rows([read.rows for read in reads])
    if not any(rows) and any(read.layout is not None for read in reads):
        raise ExtractError(f"{pdf_path}: the table has its header but no rows on any page")
    if not any(rows):
        wanted = " | ".join(names[0] for names in _header_names().values())
        raise ExtractError(f"{pdf_path}: no table with the header {wanted} found on any page")
    accounted = _account(pdf_path, pages, rows)
    all_rows = tuple(row for page_rows in rows for row in page_rows)
    logger.info("%s: %d rows from %d pages", pdf_path, len(all_rows), page_count)
    source = Source(
        document=pdf_path.stem,
        path=str(pdf_path),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
        cover=pages[0].above if not rows[0] else (),
        pages=accounted,
    )
    return Extraction(source=source, rows=all_rows)


# --- Pages: one after another, or ranges of them in worker processes -------------------------

# A worker process costs a fork and another parse of the PDF's cross-reference table and page
# tree; below this many pages per worker that costs more than the worker saves.
MIN_WORKER_PAGES = 16
# Each worker is given this many ranges of pages in turn, so that one slow range does not
# leave the others idle, and progress shows as the ranges finish.
SPANS_PER_WORKER = 2

Layout = dict[str, tuple[float, float]]  # field -> (x0, x1): the table's columns


@dataclass(frozen=True)
class _PageRead:
    """What extract read on one page, and the column layout the next page continues."""

    text: PageText
    rows: list[ExtractedRow]
    layout: Layout | None  # the columns after this page (None: no table seen yet)
    headed: bool  # the page shows the header: its reading owes nothing to earlier pages


def _progress(
    progress: Callable[[int, int], None] | None, page_count: int
) -> Callable[[int], None] | None:
    """Given extract's progress callback, return one to call with each batch of pages read."""
    if progress is None:
        return None
    read = 0

    def advance(pages: int) -> None:
        nonlocal read
        read += pages
        progress(read, page_count)

    return advance


def page_spans(page_count: int, jobs: int) -> list[range]:
    """Given the page count and the workers allowed, return the ranges of 0-based page
    indexes to read: one range for one worker, else SPANS_PER_WORKER contiguous ranges per
    worker, for as many workers as have MIN_WORKER_PAGES pages each."""
    workers = min(jobs, page_count // MIN_WORKER_PAGES)
    if workers <= 1:
        return [range(page_count)]
    count = workers * SPANS_PER_WORKER
    bounds = [page_count * i // count for i in range(count + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


def _read_span(
    pdf_path: Path,
    pdf: pdfplumber.PDF,
    columns_by_header: dict[str, str],
    watch: Watch,
    span: range,
    layout: Layout | None,
    progress: Callable[[int], None] | None,
) -> list[_PageRead]:
    """Given the open PDF, read the span's pages in order, starting from the layout of the
    page before it; each page is closed once read.

    Each page is read under the watch: a limit hit or damage met there is an error naming it.
    """
    reads: list[_PageRead] = []
    for index in span:
        page = pdf.pages[index]
        number = page.page_number
        try:
            with watch.page(page.page_obj):
                read = _read_page(pdf_path, page, columns_by_header, layout)
        except LimitExceeded as exc:
            raise ExtractError(f"{pdf_path}: page {number}: {exc}") from exc
        except DamagedContent as exc:
            raise ExtractError(f"{pdf_path}: page {number}: damaged content ({exc})") from exc
        except DAMAGED_PAGE_ERRORS as exc:
            raise ExtractError(f"{pdf_path}: page {number}: unreadable ({exc})") from exc
        finally:
            page.close()
        reads.append(read)
        layout = read.layout
        if progress is not None:
            progress(1)
    return reads


def _read_in_workers(
    pdf_path: Path, spans: list[range], workers: int, progress: Callable[[int], None] | None
) -> list[_PageRead]:
    """Read the spans in worker processes, each from no layout, and return every page's read
    in page order.

    A span's pages before its first page with a header were read without the columns of the
    page before the span, so a table continuing there without its header was not seen: those
    pages are read again here, in order, from the previous span's last layout. A table that
    repeats its header on every page (the usual way) needs none of this.
    """
    reads: list[_PageRead] = []
    read_alone = functools.partial(_read_span_alone, pdf_path)
    with pool(workers) as running:
        for span, span_reads in zip(spans, running.imap(read_alone, spans), strict=True):
            if progress is not None:
                progress(len(span))
            reads += _settle(pdf_path, span, span_reads, reads[-1].layout if reads else None)
    return reads


def _read_span_alone(pdf_path: Path, span: range) -> list[_PageRead]:
    """In a worker process: open the PDF under its own limits and read the span's pages."""
    with reading() as watch, _open(pdf_path, watch) as pdf:
        return _read_span(pdf_path, pdf, _load_headers(), watch, span, None, None)


def _settle(
    pdf_path: Path, span: range, reads: list[_PageRead], layout: Layout | None
) -> list[_PageRead]:
    """Given a span's reads made from no layout and the layout before the span, return them
    with the pages before the span's first header read again from that layout."""
    unsettled = next((i for i, read in enumerate(reads) if read.headed), len(reads))
    if layout is None or unsettled == 0:
        return reads
    again = range(span.start, span.start + unsettled)
    with reading() as watch, _open(pdf_path, watch) as pdf:
        redone = _read_span(pdf_path, pdf, _load_headers(), watch, again, layout, None)
    return redone + reads[unsettled:]


def _account(
    pdf_path: Path, pages: list[PageText], rows: list[list[ExtractedRow]]
) -> tuple[PageText, ...]:
    """Given each page's text and rows (some rows somewhere), return the pages with their role.

    Raise ExtractError naming the first page without rows between two pages with rows, or a
    page without rows that shows the table's header: its table was there but not read (a
    first or last table page whose rules are damaged would otherwise pass for the cover or
    an annex).
    """
    holding = [i for i, page_rows in enumerate(rows) if page_rows]
    for i in range(holding[0], holding[-1]):
        if not rows[i]:
            later = pages[next(j for j in holding if j > i)].page
            raise ExtractError(
                f"{pdf_path}: page {pages[i].page}: no table rows, "
                f"but the table continues on page {later}"
            )
    for page, page_rows in zip(pages, rows, strict=True):
        if not page_rows and (headers := _headers_on(page)):
            raise ExtractError(
                f"{pdf_path}: page {page.page}: the table's header is on the page "
                f"({headers}), but no table rows were read from it"
            )
    roles = [
        ROLE_BEFORE if i < holding[0] else ROLE_AFTER if i > holding[-1] else ROLE_TABLE
        for i in range(len(pages))
    ]
    return tuple(
        replace(page, role=role, rows=len(page_rows))
        for page, role, page_rows in zip(pages, roles, rows, strict=True)
    )


def _headers_on(page: PageText) -> str:
    """Given a page's text, return the table headers it shows (" | "-joined), if at least
    MIN_RECOGNISED_HEADERS of them, else ""."""
    text = _squash("".join(line.text for line in (*page.above, *page.below)))
    found = [
        names[0]
        for names in _header_names().values()
        if any(_squash(name) in text for name in names)
    ]
    return " | ".join(found) if len(found) >= MIN_RECOGNISED_HEADERS else ""


@functools.cache
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
    """Given a path, return the file's bytes; raise ExtractError if unreadable or too large."""
    try:
        check_file_size(pdf_path.stat().st_size)
        return pdf_path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"{pdf_path}: cannot read ({exc.strerror})") from exc
    except LimitExceeded as exc:
        raise ExtractError(f"{pdf_path}: {exc}") from exc


def _check_is_pdf(pdf_path: Path, data: bytes) -> None:
    """Raise ExtractError quoting the file's first bytes unless they start a PDF."""
    if not data:
        raise ExtractError(f"{pdf_path}: not a PDF (the file is empty)")
    if not looks_like_pdf(data):
        raise ExtractError(f"{pdf_path}: not a PDF (it begins {data[:QUOTED_BYTES]!r})")


def _open(pdf_path: Path, watch: Watch) -> pdfplumber.PDF:
    """Given a path, return the open PDF with its page tree read, or raise one ExtractError.

    Opening is watched like a page (damage, time, decoded bytes), and the document's object
    and page counts are checked against their limits before its page tree is read.
    """
    pdf = None
    try:
        with watch.document():
            try:
                pdf = pdfplumber.open(pdf_path)
            except PdfminerException as exc:
                cause = exc.args[0] if exc.args else exc
                # A PDF encrypted with an empty user password opens without one: read as usual.
                if isinstance(cause, PDFPasswordIncorrect):
                    needs = "the PDF is encrypted and needs a password"
                    raise ExtractError(f"{pdf_path}: {needs}") from exc
                if isinstance(cause, PDFEncryptionError):
                    raise ExtractError(f"{pdf_path}: the PDF is encrypted ({cause})") from exc
                if isinstance(cause, PSException):  # PDFSyntaxError, or PSEOF for a cut-off file
                    raise ExtractError(f"{pdf_path}: truncated or damaged PDF ({cause})") from exc
                raise ExtractError(f"{pdf_path}: cannot open the PDF ({cause})") from exc
            except (PSException, ValueError, TypeError, KeyError) as exc:
                raise ExtractError(f"{pdf_path}: cannot open the PDF ({exc})") from exc
            watch.check_document(pdf.doc)
            try:
                watch.check_page_count(len(pdf.pages))  # parses the page tree: damage shows here
            except (*DAMAGED_PAGE_ERRORS, TypeError, ValueError, KeyError) as exc:
                # A page entry of the wrong type (`/Rotate /X`) fails in pdfplumber's Page.
                raise ExtractError(f"{pdf_path}: truncated or damaged PDF ({exc})") from exc
    except (ExtractError, LimitExceeded, DamagedContent) as exc:
        if pdf is not None:
            pdf.stream.close()  # pdf.close() would read the page tree again
        if isinstance(exc, ExtractError):
            raise
        what = exc if isinstance(exc, LimitExceeded) else f"truncated or damaged PDF ({exc})"
        raise ExtractError(f"{pdf_path}: {what}") from exc
    return pdf


def _read_page(
    pdf_path: Path,
    page: pdfplumber.page.Page,
    columns_by_header: dict[str, str],
    layout: Layout | None,
) -> _PageRead:
    """Given a page and the column layout of the page before, return its table rows, the
    text around the table, and the column layout after it."""
    number = page.page_number
    where = f"{pdf_path}: page {number}"
    chars = page_to_chars(page)
    unified = sum(char.get(UNIFIED, 0) for char in chars)
    hrules, vrules = page_to_rules(page)
    hrules = close_gaps(hrules, chars)
    grid = rules_to_grid(where, chars, hrules, vrules, columns_by_header, layout)
    if grid is None:
        text = PageText(page=number, above=chars_to_lines(chars), below=(), unified=unified)
        return _PageRead(text=text, rows=[], layout=layout, headed=False)
    cells = grid_to_cells(grid, hrules)
    cells_chars = _bucket_chars(chars, [cell.bbox for cell in cells])
    read = [_text_lines(bucket) for bucket in cells_chars]
    overlaps = {cell.bbox: text for cell, (_, text) in zip(cells, read, strict=True) if text}
    cells = [
        Cell(page=number, column=cell.column, bbox=cell.bbox, lines=lines)
        for cell, (lines, _) in zip(cells, read, strict=True)
    ]
    cells = split_rows_by_dates(where, cells)
    rows = cells_to_rows(number, cells, grid.columns, annots_to_links(pdf_path, page))
    _check_readable(where, rows, grid.labels, overlaps)
    page_text = PageText(
        page=number,
        above=chars_to_lines([c for c in chars if c["bottom"] <= grid.top + EDGE_TOLERANCE]),
        below=chars_to_lines([c for c in chars if c["top"] >= grid.bottom - EDGE_TOLERANCE]),
        unified=unified,
    )
    headed = any(grid.labels.values())  # a page that does not repeat the header has ""
    return _PageRead(text=page_text, rows=rows, layout=grid.columns, headed=headed)


# --- Characters ------------------------------------------------------------------------------


def page_to_chars(page: pdfplumber.page.Page) -> list[dict[str, Any]]:
    """Given a page, return its chars, overprinted copies dropped and radicals unified.

    Some writers fake bold by drawing a string twice a fraction of a point apart; some fonts
    map a kanji's glyph to its radical's code point (西 read as ⻄), which Unicode lists as
    equivalent to the ideograph.
    """
    chars = _drop_overprints(_page_chars(page))
    if not fold_radicals("".join(char["text"] for char in chars))[1]:
        return chars
    folded = []
    for char in chars:
        text, count = fold_radicals(char["text"])
        folded.append({**char, "text": text, UNIFIED: count} if count else char)
    return folded


def _page_chars(page: pdfplumber.page.Page) -> list[dict[str, Any]]:
    """Given a page, return its chars, each with the values pdfplumber's page.chars gives for
    the keys the stage reads: text, x0, x1, top, bottom, doctop, size and upright.

    They are read from pdfminer's layout of the page: pdfplumber would first turn every object
    the page draws into a dict of all its attributes (colours and matrix included), which costs
    about as much as pdfminer's parse itself. A cropped page, or a PDF opened with layout
    analysis or Unicode normalization, is read through pdfplumber.
    """
    pdf = page.pdf
    if not page.is_original or pdf.laparams is not None or pdf.unicode_norm is not None:
        return page.chars
    # pdfplumber's Page.process_object, for chars.
    height = page.height
    shift_x, shift_top = page.mediabox[0], page.mediabox[1]
    doctop = page.initial_doctop
    chars = []
    for obj in layout_objects(page.layout):
        if type(obj) is not LTChar:
            continue
        top = (height - obj.y1) + shift_top
        x0, x1 = (obj.x0 + shift_x, obj.x1 + shift_x) if shift_x != 0 else (obj.x0, obj.x1)
        chars.append(
            {
                "text": obj.get_text(),
                "x0": x0,
                "x1": x1,
                "top": top,
                "bottom": (height - obj.y0) + shift_top,
                "doctop": doctop + top,
                "size": obj.size,
                "upright": obj.upright,
            }
        )
    return chars


def _drop_overprints(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given chars, return them without the copies drawn on top of an earlier same char.

    A char is compared only with chars of the same text whose tops lie within
    OVERPRINT_TOLERANCE of its own: one sort per text, then a short sweep.
    """
    step = OVERPRINT_TOLERANCE
    by_text: dict[str, list[int]] = {}
    for index, char in enumerate(chars):
        by_text.setdefault(char["text"], []).append(index)
    copies: set[int] = set()
    for indices in by_text.values():
        if len(indices) < 2:
            continue
        indices.sort(key=lambda i: chars[i]["top"])
        for n, i in enumerate(indices):
            for j in indices[n + 1 :]:
                if chars[j]["top"] - chars[i]["top"] > step:
                    break
                if abs(chars[j]["x0"] - chars[i]["x0"]) <= step and i not in copies:
                    copies.add(max(i, j))  # the one drawn later is the copy
    return [char for index, char in enumerate(chars) if index not in copies] if copies else chars


def chars_to_lines(chars: list[dict[str, Any]]) -> tuple[Line, ...]:
    """Given a cell's chars, return its text lines from top to bottom."""
    return _text_lines(chars)[0]


def _text_lines(chars: list[dict[str, Any]]) -> tuple[tuple[Line, ...], str | None]:
    """Given a cell's chars, return its lines, and the first line whose glyphs overlap, if any.

    Text is set side by side: two different glyphs drawn over each other (a font whose
    /Widths are wrong, text that overflowed a row and hides under the next) cannot be read
    as printed.
    """
    if not chars:
        return (), None
    found_lines = _found_lines(chars)
    lines = tuple(
        Line(
            # Canonical composition only: a kana and a combining voiced mark some writers
            # emit apart (か + ゙) read as one (が); ①, full-width digits and the like stay.
            text=unicodedata.normalize("NFC", found["text"]),
            x0=round(found["x0"], 2),
            x1=round(found["x1"], 2),
            top=round(found["top"], 2),
            bottom=round(found["bottom"], 2),
            size=round(statistics.median(c["size"] for c in found["chars"]), 2),
        )
        for found in found_lines
    )
    overlapping = next(
        (found["text"] for found in found_lines if _glyphs_overlap(found["chars"])), None
    )
    return lines, overlapping


def _found_lines(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given a cell's chars, return its text lines: text, x0, top, x1, bottom and chars.

    The lines pdfplumber's `chars_to_textmap(chars, layout=False).extract_text_lines(
    strip=True, return_chars=True)` gives, made without its text map: chars grouped into
    lines by their tops, each line read left to right and cut into words at gaps and spaces,
    the words grouped again by their tops, one space between words; a line's chars come once
    per letter they read as (a ligature's twice). Chars that are not upright, or whose text
    is empty or holds a space or a line break beside other letters, go through pdfplumber.
    """
    if not all(c["upright"] and _plain(c["text"]) for c in chars):
        textmap = chars_to_textmap(chars, layout=False)
        return [line for line in textmap.extract_text_lines(strip=True) if line["text"]]
    text_module = pdfplumber.utils.text
    x_tolerance, y_tolerance = text_module.DEFAULT_X_TOLERANCE, text_module.DEFAULT_Y_TOLERANCE
    band = _cluster_ids([c["top"] for c in chars], y_tolerance)
    words: list[list[dict[str, Any]]] = []
    word: list[dict[str, Any]] = []
    for _, _, n in sorted([(band[c["top"]], c["x0"], n) for n, c in enumerate(chars)]):
        char = chars[n]
        if char["text"].isspace():
            word = []
            continue
        last = word[-1] if word else None
        if (
            last is None
            or band[char["top"]] != band[last["top"]]
            or char["x0"] < last["x0"]
            or char["x0"] > last["x1"] + x_tolerance
            or abs(char["top"] - last["top"]) > y_tolerance
        ):
            word = [char]
            words.append(word)
        else:
            word.append(char)
    tops = [min(c["top"] for c in word) for word in words]
    word_band = _cluster_ids(tops, y_tolerance)
    found: list[dict[str, Any]] = []
    previous = None
    for word, top in zip(words, tops, strict=True):
        text, letters = _word_text(word, text_module.LIGATURES)
        # Words of one line stay together only while they come one after another.
        if found and word_band[top] == previous:
            found[-1]["text"] += " " + text
            found[-1]["chars"] += letters
        else:
            found.append({"text": text, "chars": letters})
        previous = word_band[top]
    for line in found:
        line_chars = line["chars"]
        line["x0"] = min(c["x0"] for c in line_chars)
        line["top"] = min(c["top"] for c in line_chars)
        line["x1"] = max(c["x1"] for c in line_chars)
        line["bottom"] = max(c["bottom"] for c in line_chars)
    return found


def _plain(text: str) -> bool:
    """True for a char's text that reads the same in and out of pdfplumber's text map: some
    text, all of it space or none of it a space or a line break."""
    return bool(text) and (text.isspace() or (" " not in text and "\n" not in text))


def _word_text(
    chars: list[dict[str, Any]], ligatures: dict[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """Given a word's chars, return its text, ligatures expanded, and its chars once per letter."""
    text = "".join(c["text"] for c in chars)
    if len(text) == len(chars) and ligatures.keys().isdisjoint(text):
        return text, list(chars)
    letters = [ligatures.get(c["text"], c["text"]) for c in chars]
    return "".join(letters), [c for c, read in zip(chars, letters, strict=True) for _ in read]


def _cluster_ids(values: list[float], tolerance: float) -> dict[float, int]:
    """Given values, return each one's group: in sorted order, a value within tolerance of
    the one before it shares its group (pdfplumber's cluster_list)."""
    ids: dict[float, int] = {}
    last = None
    group = -1
    for value in sorted(set(values)):
        if last is None or value > last + tolerance:
            group += 1
        ids[value] = group
        last = value
    return ids


def _glyphs_overlap(chars: list[dict[str, Any]]) -> bool:
    """True if, left to right, a glyph starts well inside the one before it.

    A ligature's glyph (`ﬁ`) comes back once per letter it expands to: counted once.
    """
    previous = None
    for char in chars:  # a text line's chars come left to right
        if char is previous or char["x1"] - char["x0"] <= 0 or not char["text"].strip():
            continue
        if previous is not None and char["x0"] < previous["x1"] - OVERLAP_SHARE * min(
            previous["x1"] - previous["x0"], char["x1"] - char["x0"]
        ):
            return True
        previous = char
    return False


def _bucket_chars(chars: list[dict[str, Any]], boxes: list[BBox]) -> list[list[dict[str, Any]]]:
    """Given chars and boxes, return for each box the chars whose centre lies inside it.

    Chars are sorted by their centre's y once, so each box looks only at its own rows.
    """
    centres = sorted(
        ((c["top"] + c["bottom"]) / 2, (c["x0"] + c["x1"]) / 2, n) for n, c in enumerate(chars)
    )
    ys = [cy for cy, _, _ in centres]
    taken: set[int] = set()
    buckets: list[list[dict[str, Any]]] = []
    for x0, top, x1, bottom in boxes:
        inside = [
            n
            for _, cx, n in centres[bisect_left(ys, top) : bisect_right(ys, bottom)]
            if x0 <= cx <= x1 and n not in taken
        ]
        taken.update(inside)
        buckets.append([chars[n] for n in sorted(inside)])
    return buckets


# --- The grid: header, columns, row boundaries -------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """One page's table: columns by field, its top and bottom, and where rows are ruled off."""

    columns: dict[str, tuple[float, float]]
    labels: dict[str, str]  # field -> the header as printed ("" on a page without a header)
    top: float  # the header's top, or the table's top on a page that does not repeat it
    body_top: float
    bottom: float
    dividers: tuple[Rule | None, ...]  # the rule between each pair of neighbouring columns


@dataclass(frozen=True)
class _Header:
    """A table's header row: where it lies, its columns by field and their printed labels."""

    top: float
    bottom: float
    columns: dict[str, tuple[float, float]]  # field -> (x0, x1)
    labels: dict[str, str]  # field -> the header as printed


def rules_to_grid(
    where: str,
    chars: list[dict[str, Any]],
    hrules: list[Rule],
    vrules: list[Rule],
    columns_by_header: dict[str, str],
    layout: dict[str, tuple[float, float]] | None,
) -> _Grid | None:
    """Given a page's chars and rules, return its table grid, or None if it holds none of ours.

    The header row names the columns; without one, a table whose column rules line up with
    the previous page's columns continues the table.
    """
    body_top: float | None
    header = _find_header(where, chars, hrules, vrules, columns_by_header)
    if header is not None:
        top, body_top, columns, labels = header.top, header.bottom, header.columns, header.labels
    elif layout is not None:
        columns, labels = layout, dict.fromkeys(layout, "")
        body_top = _continuation_top(hrules, vrules, columns)
        if body_top is None:
            return None
        top = body_top
    else:
        return None
    ordered = sorted(columns.values())
    dividers = tuple(_rule_near(vrules, x1) for (_, x1) in ordered[:-1])
    bottom = _table_bottom(hrules, dividers, ordered, body_top)
    return _Grid(columns, labels, top, body_top, bottom, dividers)


def _find_header(
    where: str,
    chars: list[dict[str, Any]],
    hrules: list[Rule],
    vrules: list[Rule],
    columns_by_header: dict[str, str],
) -> _Header | None:
    """Given a page's chars and rules, return its header row, or None.

    Each band between two horizontal rules is split at the vertical rules crossing it; the
    first band whose pieces read as enough known headers is the header row. A table without
    outer side borders ends where its horizontal rules end.
    """
    undecodable = None
    for upper, lower in zip(hrules, hrules[1:], strict=False):
        if lower.at - upper.at < MIN_BAND:
            continue
        lo, hi = min(upper.lo, lower.lo), max(upper.hi, lower.hi)
        inner = [
            r.at
            for r in vrules
            if lo + RULE_MERGE < r.at < hi - RULE_MERGE
            and r.coverage(upper.at, lower.at) >= MIN_COVERAGE
        ]
        if not inner:
            continue
        edges = [lo, *gaps_to_dividers(inner), hi]
        boxes = [(x0, upper.at, x1, lower.at) for x0, x1 in zip(edges, edges[1:], strict=False)]
        texts = [
            "".join(line.text for line in chars_to_lines(bucket))
            for bucket in _bucket_chars(_in_band(chars, upper.at, lower.at), boxes)
        ]
        known = [columns_by_header.get(_squash(t)) for t in texts]
        if sum(f is not None for f in known) >= MIN_RECOGNISED_HEADERS:
            columns = _columns_from_header(where, boxes, texts, known)
            labels = {f: t for t, f in zip(texts, known, strict=True) if f is not None}
            return _Header(top=upper.at, bottom=lower.at, columns=columns, labels=labels)
        undecodable = undecodable or next(
            (m.group(0) for t in texts if (m := UNDECODABLE.search(t))), None
        )
    if undecodable is not None:
        raise ExtractError(
            f"{where}: a ruled row's text has no Unicode mapping ({undecodable}):"
            " the font has no usable ToUnicode map, so the table's header cannot be read"
        )
    return None


def _in_band(chars: list[dict[str, Any]], top: float, bottom: float) -> list[dict[str, Any]]:
    """The chars that reach into the band between top and bottom (all whose centre is in it)."""
    return [c for c in chars if c["bottom"] >= top and c["top"] <= bottom]


def _columns_from_header(
    where: str, boxes: list[BBox], texts: list[str], known: list[str | None]
) -> dict[str, tuple[float, float]]:
    """Given the header cells, return {field: (x0, x1)} or raise naming what is wrong."""
    wanted = _header_names()
    unknown = [_squash(t) for t, f in zip(texts, known, strict=True) if f is None]
    missing = [names[0] for field, names in wanted.items() if field not in known]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if unknown:
            parts.append("unrecognised " + ", ".join(repr(t) for t in unknown))
        raise ExtractError(f"{where}: table header changed: {'; '.join(parts)}")
    fields = cast(list[str], known)  # no None left: unknown is empty
    return {field: (box[0], box[2]) for box, field in zip(boxes, fields, strict=True)}


def _rule_near(rules: list[Rule], at: float) -> Rule | None:
    """The rule within RULE_MERGE of `at` with the most ink, if any."""
    near = [r for r in rules if abs(r.at - at) <= RULE_MERGE]
    return max(near, key=lambda r: r.coverage(r.lo, r.hi) * (r.hi - r.lo)) if near else None


def _crossed(dividers: tuple[Rule | None, ...], top: float, bottom: float) -> bool:
    """True if most column dividers run through the band top..bottom."""
    crossing = sum(1 for d in dividers if d is not None and d.coverage(top, bottom) >= MIN_COVERAGE)
    return crossing * 2 > len(dividers)


def _ruled_columns(rule: Rule, ordered: list[tuple[float, float]]) -> list[bool]:
    """For each column (x0, x1), whether the rule runs across it."""
    return [rule.coverage(x0, x1) >= MIN_COVERAGE for x0, x1 in ordered]


def _is_row_rule(rule: Rule, ordered: list[tuple[float, float]]) -> bool:
    """True for a rule across enough columns to end a row (an underline crosses one)."""
    return sum(_ruled_columns(rule, ordered)) >= MIN_RULE_COLUMNS


def _continuation_top(
    hrules: list[Rule], vrules: list[Rule], columns: dict[str, tuple[float, float]]
) -> float | None:
    """Return the top of a table that continues the previous page's columns, or None."""
    ordered = sorted(columns.values())
    dividers = tuple(_rule_near(vrules, x1) for (_, x1) in ordered[:-1])
    if any(d is None for d in dividers):
        return None
    rules = [r for r in hrules if _is_row_rule(r, ordered)]
    for upper, lower in zip(rules, rules[1:], strict=False):
        if lower.at - upper.at >= MIN_BAND and _crossed(dividers, upper.at, lower.at):
            return upper.at
    return None


def _table_bottom(
    hrules: list[Rule],
    dividers: tuple[Rule | None, ...],
    ordered: list[tuple[float, float]],
    body_top: float,
) -> float:
    """Return the last row rule, going down from body_top, that the column dividers reach."""
    bottom = body_top
    for rule in hrules:
        if rule.at - bottom < MIN_BAND or not _is_row_rule(rule, ordered):
            continue
        if not _crossed(dividers, bottom, rule.at):
            break
        bottom = rule.at
    return bottom


def grid_to_cells(grid: _Grid, hrules: list[Rule]) -> list[Cell]:
    """Given a table grid, return its body cells: each column cut at the rules that cross it.

    A rule that stops at a column (none runs through a merged 事業者名 cell) leaves that
    column's cell spanning the rows on both sides of it.
    """
    ordered = sorted(grid.columns.items(), key=lambda item: item[1])
    spans = [x for _, x in ordered]
    inner = [
        r
        for r in hrules
        if grid.body_top + MIN_BAND <= r.at <= grid.bottom - MIN_BAND and _is_row_rule(r, spans)
    ]
    crossed = [(r.at, _ruled_columns(r, spans)) for r in inner]  # once per rule, not per cell
    cells = []
    for index, (field, (x0, x1)) in enumerate(ordered):
        cuts = [grid.body_top, *(at for at, columns in crossed if columns[index])]
        cuts.append(grid.bottom)
        cells += [
            Cell(page=0, column=field, bbox=(x0, top, x1, bottom), lines=())
            for top, bottom in zip(cuts, cuts[1:], strict=False)
        ]
    return cells


# --- Rows ---------------------------------------------------------------------------------------


def split_rows_by_dates(where: str, cells: list[Cell]) -> list[Cell]:
    """Given a page's cells, return them with rows the rules do not separate told apart.

    Each row has one 公表日: a band whose date cell holds several dates, one under another
    with a gap wider than a line's spacing, and whose title cell holds as many URLs, is as
    many rows, cut in the widest gap where no cell of the band but 事業者名 has text.
    """
    bands = _bands(cells)
    out = list(cells)
    for top, bottom in bands:
        # The 事業者名 cell spans its block's rows, its name centred across them: not cut.
        in_band = [
            c
            for c in cells
            if c.column != COMPANY_FIELD
            and abs(c.bbox[1] - top) <= EDGE_TOLERANCE
            and abs(c.bbox[3] - bottom) <= EDGE_TOLERANCE
        ]
        dates = next((c for c in in_band if c.column == DATE_FIELD), None)
        titles = next((c for c in in_band if c.column == URL_FIELD), None)
        if dates is None or titles is None:
            continue
        entries = _entries(dates.lines)
        urls = sum(1 for line in titles.lines if URL_START.search(line.text))
        if len(entries) < 2 or urls != len(entries):
            continue
        cuts = _cuts(where, entries, in_band)
        for cell in in_band:
            out.remove(cell)
            out += _cut_cell(cell, cuts)
    return out


def _entries(lines: tuple[Line, ...]) -> list[list[Line]]:
    """Given a cell's lines, return them grouped where the gap exceeds a line's spacing."""
    entries: list[list[Line]] = []
    for line in lines:
        height = line.bottom - line.top
        if entries and line.top - entries[-1][-1].bottom > ENTRY_GAP * height:
            entries.append([line])
        elif entries:
            entries[-1].append(line)
        else:
            entries.append([line])
    return entries


def _cuts(where: str, entries: list[list[Line]], cells: list[Cell]) -> list[float]:
    """Return one y per gap between entries where no line of the cells lies, or raise."""
    cuts = []
    for before, after in zip(entries, entries[1:], strict=False):
        lo, hi = before[-1].bottom, after[0].top
        blocked = sorted(
            (line.top, line.bottom)
            for cell in cells
            for line in cell.lines
            if line.bottom > lo and line.top < hi
        )
        free, start = [], lo
        for top, bottom in blocked:
            if top > start:
                free.append((start, top))
            start = max(start, bottom)
        if start < hi:
            free.append((start, hi))
        if not free:
            raise ExtractError(
                f"{where}: a ruled row holds {len(entries)} dates but its cells' text runs"
                " across the gap between them: the rows cannot be told apart"
            )
        widest = max(free, key=lambda span: span[1] - span[0])
        cuts.append((widest[0] + widest[1]) / 2)
    return cuts


def _cut_cell(cell: Cell, cuts: list[float]) -> list[Cell]:
    edges = [cell.bbox[1], *cuts, cell.bbox[3]]
    return [
        Cell(
            page=cell.page,
            column=cell.column,
            bbox=(cell.bbox[0], top, cell.bbox[2], bottom),
            lines=tuple(ln for ln in cell.lines if top <= (ln.top + ln.bottom) / 2 < bottom),
        )
        for top, bottom in zip(edges, edges[1:], strict=False)
    ]


def cells_to_rows(
    page: int, cells: list[Cell], columns: dict[str, tuple[float, float]], links: Iterable[Link]
) -> list[ExtractedRow]:
    """Given a page's cells, return one row per band between consecutive horizontal rules.

    A cell that spans several bands (the merged 事業者名 cell) belongs to each of them.
    """
    rows = []
    for index, (top, bottom) in enumerate(_bands(cells)):
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
        title = by_field.get(URL_FIELD)
        row_links = tuple(
            link for link in links if title is not None and _overlaps(link.bbox, title.bbox)
        )
        rows.append(
            ExtractedRow(page=page, index=index, bbox=bbox, cells=by_field, links=row_links)
        )
    return rows


def join_split_rows(pages: list[list[ExtractedRow]]) -> list[list[ExtractedRow]]:
    """Given each page's rows, return them with rows split over a page break joined.

    Word and Writer let a row break across pages: the next page's first row then holds the
    rest of the previous page's last row, with no 公表日 and no 事業者名 of its own. It is
    joined only where the two parts hold one URL between them: two URLs are two rows, and a
    row that lost its date stays a row, to fail as one.
    """
    out: list[list[ExtractedRow]] = []
    last: ExtractedRow | None = None
    for rows in pages:
        if rows and last is not None and _continues(last, rows[0]):
            joined = _join_rows(last, rows[0])
            previous = next(page for page in reversed(out) if page)
            previous[-1] = joined
            rows = [replace(row, index=row.index - 1) for row in rows[1:]]
        out.append(list(rows))
        last = next((page[-1] for page in reversed(out) if page), None)
    return out


def _continues(before: ExtractedRow, after: ExtractedRow) -> bool:
    def has_url(row: ExtractedRow) -> bool:
        return any(URL_START.search(line.text) for line in row.cells[URL_FIELD].lines)

    return (
        not after.cells[DATE_FIELD].lines
        and not after.cells[COMPANY_FIELD].lines
        and bool(before.cells[DATE_FIELD].lines)
        and has_url(before) + has_url(after) == 1
    )


def _join_rows(before: ExtractedRow, after: ExtractedRow) -> ExtractedRow:
    cells = {
        field: replace(cell, lines=cell.lines + after.cells[field].lines)
        for field, cell in before.cells.items()
    }
    return replace(before, cells=cells, links=before.links + after.links)


def _bands(cells: list[Cell]) -> list[tuple[float, float]]:
    """Given cells, return the (top, bottom) of every band between distinct horizontal rules."""
    edges: list[float] = []
    for y in sorted({y for c in cells for y in (c.bbox[1], c.bbox[3])}):
        if not edges or y - edges[-1] > EDGE_TOLERANCE:
            edges.append(y)
    return list(zip(edges, edges[1:], strict=False))


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _check_readable(
    where: str, rows: list[ExtractedRow], labels: dict[str, str], overlaps: dict[BBox, str]
) -> None:
    """Raise naming the row and column if a cell's text did not decode or overlaps itself."""
    names = _header_names()
    for row in rows:
        for field, cell in row.cells.items():
            label = labels.get(field) or names[field][0]
            at = f"{where}, row {row.index + 1}: {label}"
            for line in cell.lines:
                if match := UNDECODABLE.search(line.text):
                    raise ExtractError(f"{at}: the font has no Unicode mapping ({match.group(0)})")
            if cell.bbox in overlaps:
                raise ExtractError(
                    f"{at}: glyphs drawn over each other ({overlaps[cell.bbox]!r}): the text"
                    " cannot be read as printed (wrong glyph widths, or hidden overflow text)"
                )


# --- Links ----------------------------------------------------------------------------------------


def annots_to_links(pdf_path: Path, page: pdfplumber.page.Page) -> list[Link]:
    """Given a page, return its link annotations in the coordinates of its chars.

    pdfminer turns a page's content by its /Rotate and moves it by its MediaBox origin;
    pdfplumber does not do the same to annotations, so their /Rect is transformed here.
    """
    links = []
    try:
        for annot in resolve_all(page.page_obj.annots) or []:
            action = annot.get("A") or {}
            # A URI action (/S /URI), or a bare /URI some writers leave without /S.
            if not isinstance(action, dict) or (
                _name(action.get("S")) != "URI" and "URI" not in action
            ):
                continue
            uri = action.get("URI")
            if isinstance(uri, bytes):
                uri = uri.decode("utf-8", errors="replace")
            if not isinstance(uri, str):
                raise ValueError(f"a URI action whose /URI is {uri!r}")
            bbox = _annot_bbox(page, annot["Rect"])
            links.append(Link(page=page.page_number, uri=uri, bbox=bbox))
    # An annotation's entries come unchecked from the file: a damaged one fails in many ways.
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ExtractError(
            f"{pdf_path}: page {page.page_number}: damaged link annotation "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return links


def _name(value: object) -> str | None:
    """The text of a PDF name (/URI), or None for anything else."""
    name = getattr(value, "name", None)
    return name.decode("latin-1") if isinstance(name, bytes) else name


def _annot_bbox(page: pdfplumber.page.Page, rect: list[Any]) -> BBox:
    """Given an annotation's /Rect, return its bbox as pdfplumber places the page's chars."""
    x0, y0, x1, y1 = (float(v) for v in resolve_all(rect))
    ctm = _page_ctm(page)
    xs, ys = [], []
    for x, y in ((x0, y0), (x1, y1)):
        xs.append(ctm[0] * x + ctm[2] * y + ctm[4] + float(page.mediabox[0]))
        ys.append(float(page.height) - (ctm[1] * x + ctm[3] * y + ctm[5]) + float(page.mediabox[1]))
    return (min(xs), min(ys), max(xs), max(ys))


def _page_ctm(page: pdfplumber.page.Page) -> tuple[float, ...]:
    """The matrix pdfminer applies to a page's content for its /Rotate and MediaBox."""
    x0, y0, x1, y1 = (float(v) for v in page.page_obj.mediabox)
    return {
        90: (0, -1, 1, 0, -y0, x1),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, 1, -1, 0, y1, -x0),
    }.get(page.rotation, (1, 0, 0, 1, -x0, -y0))
