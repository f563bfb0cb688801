"""extract() on the replica: cells rebuilt from geometry, not from the text stream.

The seed text shows where a text-stream reader runs neighbouring cells together
(`送配電昨年`, `…/14539.htmla.営業システム…`, `めの取組み業務改善計画`); here each
must come back in its own cell, line by line, as printed.

Page-parallel reading (jobs > 1): page_spans gives one range below 2 × MIN_WORKER_PAGES pages
and SPANS_PER_WORKER contiguous ranges per worker at it, of equal length give or take a page;
a long document read by two workers gives the same Extraction as one read alone, progress
counts every page once (one by one in one process, a range at a time from workers), the
workers' reads come back in page order from processes that leave Ctrl-C to the main one, a
range is read again only for its pages before its first header, only when a table came
before it, and from the layout of the last page before it (an error there names the file and
the page), and an error on a page in a worker's range names that page as a one-worker read
does.

The rules pinned on small inputs built by hand (cells, rules and chars at chosen
coordinates; small PDFs written by hand, with reportlab, or one replica page):
- rows told apart by dates: a band whose date cell holds two or more entries (ENTRY_GAP)
  and as many URLs in its title cell is cut that many times, through the middle of the
  widest stretch between the dates that no line crosses; the 事業者名 cell is not cut, a
  cell within EDGE_TOLERANCE of the band is; text across the whole gap is an error; a cut
  cell keeps each line in the part that holds its middle;
- cell edges within EDGE_TOLERANCE are one row edge; boxes overlap only where they share an
  area; a row per band takes each column's cell (a blank one the header's width where there
  is none) and the links over its title cell, and spans its widest cells; a joined row keeps
  both parts' links; the first row of the document is never joined;
- pages before the first page with rows are "before table", after the last "after table";
  a page without rows between them is an error naming the next page with rows, and so is a
  page without rows that shows MIN_RECOGNISED_HEADERS header texts (spaces and
  compatibility forms folded, any variant, named by its first);
- the header row is the first band at least MIN_BAND tall whose pieces, between the
  vertical rules that cover MIN_COVERAGE of it and lie more than RULE_MERGE inside its ends,
  read as MIN_RECOGNISED_HEADERS known headers (a header wrapped over two lines reads as
  one; thinner bands and bands no column rule crosses are passed over); a changed header
  names what is missing and what is unrecognised; a ruled row that did not decode, on a page
  without a header, is an error;
- a page without a header continues the columns before it when every column edge has a
  rule within RULE_MERGE (the one with most ink), from the first band at least MIN_BAND tall
  that most of them cross, underlines not counted; the table ends at the last row rule its
  column rules reach, a rule less than MIN_BAND below the last not counted; body cells are
  cut at the rules across their column, not within MIN_BAND of the body's top or bottom;
- a char belongs to the first box whose edges hold its centre; a char reaching into a band
  is in it;
- errors naming the file: missing, over the size limit, empty, not a PDF (its first
  QUOTED_BYTES bytes quoted), encrypted (with a password, or by an unknown algorithm), not
  openable, cut short, more pages than the limit, a page box that is not numbers, a page
  tree that counts more pages than it holds; damage or a limit met on a page names the page;
  a header without rows, and no table at all (naming the header looked for);
- link annotations are the URI actions, placed like the chars on pages turned by /Rotate
  (90, 180, 270) or moved by their MediaBox; a /URI that is not UTF-8 is decoded with
  replacement characters; a PDF name reads as its text;
- one page read: a page with the header gives its columns, one without continues the
  columns given (also from page to page in a document), one without a table passes them on;
  text reaching up to EDGE_TOLERANCE into the table is above or below it; chars read through
  radicals are counted per page; a rule drawn twice, less than MAX_GAP apart with no text
  between, is one rule; errors in a page's header or cells name the file and page;
- without `jobs`, even a document long enough for workers is read in one process;
- a line's box is rounded to hundredths and its size is its chars' median; of a cell's
  lines, the first whose glyphs overlap is named; glyphs overlap where one starts further
  than half the narrower one's width inside the other (a space between them or not); an
  overprint is dropped also after a char printed once.
"""

import copy
import hashlib
import io
import os
import re
import signal
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pikepdf
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from pdfminer.psparser import PSLiteral
from replica import builder, main_spec
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from tinypdf import pdf_file

import pipeline.extract as ex
import pipeline.ruling as ruling
from pipeline import limits
from pipeline.cli import cli
from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.records import Cell, ExtractedRow, Line, Link, PageText

REPLICA = Path(__file__).parent / "fixtures" / "085_03_02.replica.pdf"


@pytest.fixture(scope="module")
def extraction():
    return extract(REPLICA)


def _row(extraction, page, row):
    return next(r for r in extraction.rows if r.page == page and r.index == row - 1)


def _lines(extraction, page, row, field):
    return [line.text for line in _row(extraction, page, row).cells[field].lines]


def test_rows_per_page(extraction):
    counts = {}
    for row in extraction.rows:
        counts[row.page] = counts.get(row.page, 0) + 1
    assert counts == {2: 10, 3: 9, 4: 9, 5: 4, 6: 5, 7: 6}


def test_company_and_date_cells_that_the_text_stream_glues(extraction):
    assert _lines(extraction, 2, 1, "company") == ["関西電力", "送配電"]
    assert _lines(extraction, 2, 1, "published") == ["昨年", "12/27"]


def test_url_and_summary_that_the_text_stream_glues(extraction):
    assert _lines(extraction, 4, 1, "title_link")[-1] == (
        "https://www.energia.co.jp/nw/press/2022/14539.html"
    )
    assert _lines(extraction, 4, 1, "summary")[0] == "a.営業システム（セールスセンター等）に係る事"


def test_location_and_title_that_the_text_stream_glues(extraction):
    assert _lines(extraction, 3, 7, "location") == [
        "トップページ／当社の事業・",
        "取組み／中立性確保のた",
        "めの取組み",
    ]
    assert _lines(extraction, 3, 7, "title_link")[0] == "業務改善計画"


def test_a_merged_company_cell_belongs_to_every_row_it_spans(extraction):
    first, last = _row(extraction, 2, 1), _row(extraction, 2, 6)
    assert first.cells["company"] == last.cells["company"]
    assert first.cells["company"].bbox[3] >= last.bbox[3] - 1
    assert _lines(extraction, 2, 7, "company") == ["関西電力"]


def test_gaps_before_half_width_runs_come_back_as_spaces(extraction):
    assert _lines(extraction, 2, 1, "title_link")[1] == (
        "https://www.kansai -td.co.jp/corporate/press -"
    )


def test_provenance_page_bbox_and_links(extraction):
    row = _row(extraction, 6, 1)
    x0, top, x1, bottom = row.bbox
    assert x0 < x1 and top < bottom
    cell = row.cells["summary"]
    assert cell.page == 6 and x0 <= cell.bbox[0] < cell.bbox[2] <= x1
    assert [link.uri for link in row.links] == [
        "https://nw.tohoku-epco.co.jp/news/pdf/__icsFiles/afieldfile/2023/01/13/230113002.pdf"
    ]


def test_text_outside_the_table(extraction):
    cover = [line.text for line in extraction.source.cover]
    assert "2023年５月 22日" in cover and "資料３－２" in cover
    page2 = extraction.source.pages[1]
    assert "各事業者における事案の内容及び発生原因の公表状況（１／６）" in [
        line.text for line in page2.above
    ]
    assert page2.below[0].text.startswith("※上記は命令または勧告対象の事業者")


# --- The rules of the geometry, each at its boundary ---------------------------------------


def _row_rule(columns_covered, widths=(50.0, 50.0, 50.0)):
    edges = [0.0]
    for width in widths:
        edges.append(edges[-1] + width)
    spans = tuple((edges[i], edges[i + 1]) for i in columns_covered)
    ordered = list(zip(edges, edges[1:], strict=False))
    return ruling.Rule(at=0.0, spans=spans), ordered


def test_a_rule_across_two_columns_ends_a_row():
    rule, ordered = _row_rule([1, 2])
    assert ex._is_row_rule(rule, ordered)


def test_a_rule_inside_one_column_is_an_underline_not_a_row_end():
    rule, ordered = _row_rule([2])
    assert not ex._is_row_rule(rule, ordered)


@pytest.mark.parametrize(
    ("share", "ruled"), [(ex.MIN_COVERAGE, True), (ex.MIN_COVERAGE - 0.01, False)]
)
def test_a_rule_bounds_a_cell_side_from_min_coverage(share, ruled):
    rule = ruling.Rule(at=0.0, spans=((0.0, 100.0 * share),))
    assert ex._ruled_columns(rule, [(0.0, 100.0)]) == [ruled]


def _char(text, x0, top, size=9.0):
    return {
        "text": text,
        "x0": x0,
        "x1": x0 + size,
        "top": top,
        "bottom": top + size,
        "doctop": top,
        "upright": True,
        "size": size,
    }


@pytest.mark.parametrize(
    ("dx", "dy", "kept"),
    [
        (0.3, 0.0, 1),  # faux bold: the same string again 0.3pt to the right
        (ex.OVERPRINT_TOLERANCE, ex.OVERPRINT_TOLERANCE, 1),
        (ex.OVERPRINT_TOLERANCE + 0.01, 0.0, 2),
        (0.0, ex.OVERPRINT_TOLERANCE + 0.01, 2),
    ],
)
def test_a_char_drawn_again_within_the_tolerance_is_an_overprint(dx, dy, kept):
    chars = [_char("事", 100.0, 50.0), _char("事", 100.0 + dx, 50.0 + dy)]
    assert len(ex._drop_overprints(chars)) == kept


def test_a_different_char_at_the_same_spot_is_kept():
    assert len(ex._drop_overprints([_char("事", 100.0, 50.0), _char("業", 100.3, 50.0)])) == 2


def test_repeated_chars_side_by_side_are_kept():
    chars = [_char("ー", 100.0, 50.0), _char("ー", 109.0, 50.0), _char("1", 118.0, 50.0)]
    assert ex._drop_overprints(chars) == chars


def _line(top, height=9.0, text="x"):
    return Line(text=text, x0=0.0, x1=10.0, top=top, bottom=top + height, size=height)


@pytest.mark.parametrize(
    ("gap", "entries"), [(9.0 * ex.ENTRY_GAP, 1), (9.0 * ex.ENTRY_GAP + 0.01, 2)]
)
def test_date_lines_further_apart_than_entry_gap_are_two_dates(gap, entries):
    first = _line(10.0)
    second = _line(first.bottom + gap)
    assert len(ex._entries((first, second))) == entries


@pytest.mark.parametrize(
    "text", ["(cid:12)", "\x01", "\x7f", "\x9f", "\ue000", "\uf8ff", "\ufffd", "\U000f0000"]
)
def test_text_a_font_could_not_map_is_undecodable(text):
    assert ex.UNDECODABLE.search(f"関西{text}電力")


@pytest.mark.parametrize(
    "text", ["関西電力送配電", "①", "（１／６）", "cid:12", "(cid:)", "\uf900"]
)
def test_printed_text_is_decodable(text):
    assert not ex.UNDECODABLE.search(text)


def _cell(field, *texts):
    lines = tuple(_line(10.0 * i, text=t) for i, t in enumerate(texts))
    return Cell(page=1, column=field, bbox=(0.0, 0.0, 10.0, 10.0), lines=lines)


def _xrow(page, index, company=(), date=(), title=()):
    cells = {
        "company": _cell("company", *company),
        "published": _cell("published", *date),
        "location": _cell("location", "トップページ"),
        "title_link": _cell("title_link", *title),
        "summary": _cell("summary"),
    }
    return ExtractedRow(page=page, index=index, bbox=(0, 0, 1, 1), cells=cells, links=())


HEAD = _xrow(2, 9, company=["関西電力"], date=["5/12"], title=["報告について", "https://x.jp/pdf/"])


def test_a_row_broken_over_a_page_is_joined_to_its_start():
    tail = _xrow(3, 0, title=["20230512_1j.pdf"])
    nxt = _xrow(3, 1, company=["中国電力"], date=["1/13"], title=["件名", "https://y.jp/"])
    pages = ex.join_split_rows([[HEAD], [tail, nxt]])
    joined = pages[0][0]
    assert [line.text for line in joined.cells["title_link"].lines] == [
        "報告について",
        "https://x.jp/pdf/",
        "20230512_1j.pdf",
    ]
    assert [(row.page, row.index) for row in pages[1]] == [(3, 0)]
    assert pages[1][0].cells["company"].lines[0].text == "中国電力"


@pytest.mark.parametrize(
    "tail",
    [
        _xrow(3, 0, date=["5/13"], title=["20230512_1j.pdf"]),  # a date: a row of its own
        _xrow(3, 0, company=["中国電力"], title=["20230512_1j.pdf"]),  # a company of its own
        _xrow(3, 0, title=["件名", "https://y.jp/"]),  # two URLs are two rows
    ],
)
def test_a_first_row_that_can_be_a_row_is_not_joined(tail):
    assert ex.join_split_rows([[HEAD], [tail]]) == [[HEAD], [tail]]


def test_the_tail_of_a_row_without_a_url_joins_when_it_holds_the_url():
    head = _xrow(2, 9, company=["関西電力"], date=["5/12"], title=["報告について"])
    tail = _xrow(3, 0, title=["https://x.jp/a.pdf"])
    assert len(ex.join_split_rows([[head], [tail]])[1]) == 0


def _glyph(text, x0, width=5.0):
    return {"text": text, "x0": x0, "x1": x0 + width}


@pytest.mark.parametrize(
    ("second_x0", "overlap"),
    [
        (5.0 - ex.OVERLAP_SHARE * 5.0, False),  # half inside the one before: still side by side
        (5.0 - ex.OVERLAP_SHARE * 5.0 - 0.01, True),
        (4.7, False),  # kerning pulls a glyph a little into the one before
    ],
)
def test_glyphs_drawn_over_each_other_from_overlap_share(second_x0, overlap):
    assert ex._glyphs_overlap([_glyph("s", 0.0), _glyph("-", second_x0)]) is overlap


def test_a_ligature_expanded_to_its_letters_is_not_an_overlap():
    fi = _glyph("fi", 10.0)
    assert not ex._glyphs_overlap([_glyph("a", 5.0), fi, fi, _glyph("l", 15.0)])


def test_spaces_and_zero_width_glyphs_are_not_overlaps():
    chars = [_glyph("a", 0.0), _glyph(" ", 1.0), _glyph("\u0301", 2.0, 0.0), _glyph("b", 5.0)]
    assert not ex._glyphs_overlap(chars)


def _replica_with_first_action(tmp_path, action):
    path = tmp_path / "links.pdf"
    with pikepdf.open(REPLICA) as pdf:
        pdf.pages[1].Annots[0].A = pikepdf.Dictionary(action)
        pdf.save(path)
    return path


def test_a_uri_action_without_its_uri_is_a_damaged_link(tmp_path):
    path = _replica_with_first_action(tmp_path, {"/S": pikepdf.Name("/URI")})
    with pytest.raises(ExtractError, match=r"page 2: damaged link annotation .*URI action"):
        extract(path)


def test_a_bare_uri_without_its_action_type_is_a_link(tmp_path):
    url = "https://example.org/x.pdf"
    path = _replica_with_first_action(tmp_path, {"/URI": pikepdf.String(url)})
    first = next(row for row in extract(path).rows if row.page == 2)
    assert [link.uri for link in first.links] == [url]


def test_other_actions_are_not_links(tmp_path):
    path = _replica_with_first_action(tmp_path, {"/S": pikepdf.Name("/GoTo")})
    first = next(row for row in extract(path).rows if row.page == 2)
    assert first.links == ()


def test_a_kana_and_its_combining_voiced_mark_read_as_one_char():
    chars = [_char("か", 0.0, 0.0), _char("\u3099", 9.0, 0.0), _char("①", 18.0, 0.0)]
    assert [line.text for line in ex.chars_to_lines(chars)] == ["が①"]


def test_full_width_and_compatibility_forms_are_not_folded():
    chars = [_char(c, 9.0 * i, 0.0) for i, c in enumerate("（１／６）ＩＤ")]
    assert [line.text for line in ex.chars_to_lines(chars)] == ["（１／６）ＩＤ"]


# --- Page-parallel reading ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_count", "jobs", "spans"),
    [
        (2 * ex.MIN_WORKER_PAGES - 1, 2, 1),  # short of two workers' pages: one range
        (2 * ex.MIN_WORKER_PAGES, 2, 2 * ex.SPANS_PER_WORKER),
        (2 * ex.MIN_WORKER_PAGES, 1, 1),
        (2 * ex.MIN_WORKER_PAGES, 3, 2 * ex.SPANS_PER_WORKER),  # a third would have too few
        (3 * ex.MIN_WORKER_PAGES, 3, 3 * ex.SPANS_PER_WORKER),
        (7, 8, 1),
    ],
)
def test_page_spans_give_workers_enough_pages_and_cover_every_page(page_count, jobs, spans):
    ranges = ex.page_spans(page_count, jobs)
    assert len(ranges) == spans
    assert [i for r in ranges for i in r] == list(range(page_count))
    if spans > 1:
        assert all(len(r) >= ex.MIN_WORKER_PAGES // ex.SPANS_PER_WORKER for r in ranges)


def _long_spec(times: int) -> dict:
    spec = main_spec()
    spec["pages"] = [dict(page) for _ in range(times) for page in spec["pages"]]
    return spec


# The documents below are read by workers with a few pages each, so that a short document
# (13 pages: 2 workers, 4 ranges of 3 or 4 pages) crosses several workers' boundaries; the
# constant's own value is pinned by the page_spans tests above.
FEW_PAGES_PER_WORKER = 3
LONG_TIMES = 2  # the replica's six table pages twice over, after its cover: 13 pages
LONG_PAGES = 1 + 6 * LONG_TIMES


def _few_page_spans() -> list[range]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ex, "MIN_WORKER_PAGES", FEW_PAGES_PER_WORKER)
        return ex.page_spans(LONG_PAGES, 2)


@pytest.fixture
def few_pages_per_worker(monkeypatch) -> list[range]:
    """Workers read FEW_PAGES_PER_WORKER pages at least, for this test only; return the
    ranges of the long fixture."""
    monkeypatch.setattr(ex, "MIN_WORKER_PAGES", FEW_PAGES_PER_WORKER)
    return ex.page_spans(LONG_PAGES, 2)


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory) -> Path:
    """The replica's table pages twice over, read by two workers in four ranges. The last two
    rows of the page before the second range are moved to the top of its first page, where
    the company's name is not repeated: the company's block runs over the workers' boundary."""
    spec = _long_spec(LONG_TIMES)
    boundary = _few_page_spans()[1].start  # pages are numbered from 1, ranges from 0
    before, after = spec["pages"][boundary - 2], spec["pages"][boundary - 1]  # cover: page 1
    moved = copy.deepcopy(before["rows"][-2:])
    before["rows"] = before["rows"][:-2]
    moved[0]["company"] = None
    after["rows"] = moved + after["rows"]
    pdf = tmp_path_factory.mktemp("long") / "long.pdf"
    builder().build(spec, pdf)
    return pdf


def test_the_long_fixture_is_read_by_two_workers_in_four_ranges(few_pages_per_worker):
    assert len(few_pages_per_worker) == 2 * ex.SPANS_PER_WORKER
    assert few_pages_per_worker[-1].stop == LONG_PAGES


def test_two_workers_read_what_one_reads(long_pdf, few_pages_per_worker):
    seen: list[tuple[int, int]] = []
    alone = extract(long_pdf)
    shared = extract(long_pdf, jobs=2, progress=lambda read, count: seen.append((read, count)))
    assert shared == alone
    assert len(alone.rows) == LONG_TIMES * 43
    assert seen[-1] == (LONG_PAGES, LONG_PAGES)
    assert len(seen) == len(few_pages_per_worker)  # a range at a time: read by workers
    assert [read for read, _ in seen] == sorted(read for read, _ in seen)
    first_page = few_pages_per_worker[1].start + 1
    first = next(row for row in shared.rows if row.page == first_page)
    assert not first.cells["company"].lines  # the block continues from the page before


def test_a_company_block_continues_over_a_workers_boundary(
    long_pdf, few_pages_per_worker, tmp_path
):
    out = tmp_path / "out"
    args = ["run", "--pdf", str(long_pdf), "--out", str(out), "--jobs", "2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    assert "\r" not in result.stderr and "page/s" not in result.stderr  # no bar off a terminal
    rows = pq.read_table(out / "disclosures.parquet").to_pylist()
    first_page = few_pages_per_worker[1].start + 1
    last_before = [r for r in rows if r["page"] == first_page - 1][-1]
    first_after = [r for r in rows if r["page"] == first_page][:2]
    assert [r["company"] for r in first_after] == [last_before["company"]] * 2


def test_an_error_in_a_workers_range_names_its_page(long_pdf, few_pages_per_worker, tmp_path):
    """The last page's link annotation (in the second worker's last range) loses its /Rect:
    the error names that page either way."""
    pdf = tmp_path / "late_error.pdf"
    with pikepdf.open(long_pdf) as doc:
        annots = doc.pages[LONG_PAGES - 1].obj.Annots
        del annots[0].Rect
        doc.save(pdf)
    errors = []
    for jobs in (1, 2):
        with pytest.raises(ExtractError) as raised:
            extract(pdf, jobs=jobs)
        errors.append(str(raised.value))
    expected = f"{pdf}: page {LONG_PAGES}: damaged link annotation (KeyError: 'Rect')"
    assert errors[0] == errors[1] == expected


@pytest.mark.parametrize("every", [0, 5], ids=["header_on_first_page_only", "header_every_5th"])
def test_a_table_that_does_not_repeat_its_header_reads_the_same_in_workers(
    every, few_pages_per_worker, tmp_path
):
    """Pages without the header continue the columns of the page before; a worker's range
    that starts on such a page is read again from the previous range's columns."""
    spec = _long_spec(LONG_TIMES)
    for i, page in enumerate(spec["pages"]):
        page["header"] = i == 0 or (every and i % every == 0)
    pdf = tmp_path / "no_repeated_header.pdf"
    builder().build(spec, pdf)
    alone = extract(pdf)
    assert len(alone.rows) == LONG_TIMES * 43
    assert extract(pdf, jobs=2) == alone


def test_page_spans_cut_a_document_into_equal_contiguous_ranges():
    """16 pages per worker (MIN_WORKER_PAGES), 2 ranges each (SPANS_PER_WORKER)."""
    assert ex.page_spans(31, 4) == [range(31)]
    assert ex.page_spans(32, 4) == [range(0, 8), range(8, 16), range(16, 24), range(24, 32)]
    assert ex.page_spans(37, 2) == [range(0, 9), range(9, 18), range(18, 27), range(27, 37)]
    assert ex.page_spans(48, 8) == [range(8 * i, 8 * i + 8) for i in range(6)]
    assert ex.page_spans(0, 4) == [range(0)]


def test_progress_counts_the_pages_read_one_by_one_in_one_process():
    seen: list[tuple[int, int]] = []
    extract(REPLICA, progress=lambda read, count: seen.append((read, count)))
    assert seen == [(read, 7) for read in range(1, 8)]


def test_progress_adds_up_batches_of_pages():
    seen: list[tuple[int, int]] = []
    advance = ex._progress(lambda read, count: seen.append((read, count)), 10)
    for pages in (3, 1, 6):
        advance(pages)
    assert seen == [(3, 10), (4, 10), (10, 10)]
    assert ex._progress(None, 10) is None


def _span_read_in_worker(pdf_path, span):
    """A stand-in for _read_span_alone: each page's read notes its index, its process, and
    whether the process ignores Ctrl-C."""
    ignores = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    return [
        ex._PageRead(
            text=(index, os.getpid(), ignores),
            rows=[],
            layout={"published": (index, index)},
            headed=True,
        )
        for index in span
    ]


def test_workers_return_every_pages_read_in_page_order_and_ignore_ctrl_c(monkeypatch):
    monkeypatch.setattr(ex, "_read_span_alone", _span_read_in_worker)
    seen: list[tuple[int, int]] = []
    advance = ex._progress(lambda read, count: seen.append((read, count)), 7)
    spans = [range(0, 3), range(3, 4), range(4, 7)]
    reads = ex._read_in_workers(REPLICA, spans, 2, advance)
    assert [read.text[0] for read in reads] == list(range(7))
    assert all(read.text[2] for read in reads)  # Ctrl-C is the main process's to handle
    assert os.getpid() not in {read.text[1] for read in reads}
    assert seen == [(3, 7), (4, 7), (7, 7)]
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


LAYOUT = {"published": (0.0, 10.0)}


def _reads(*headed):
    return [
        ex._PageRead(text=("read", i), rows=[], layout=None, headed=h) for i, h in enumerate(headed)
    ]


@pytest.mark.parametrize(
    ("headed", "layout", "again"),
    [
        ((False, False, True, False), LAYOUT, range(9, 11)),  # pages before the first header
        ((False, True), LAYOUT, range(9, 10)),
        ((False, False), LAYOUT, range(9, 11)),  # no header in the span: all of it
        ((True, False), LAYOUT, None),  # starts with its header: nothing to settle
        ((False, False), None, None),  # no table before the span: read as it was
    ],
)
def test_a_span_reads_again_only_its_pages_before_its_first_header(
    monkeypatch, headed, layout, again
):
    calls = []

    def read_span(pdf_path, pdf, columns_by_header, watch, span, from_layout, progress):
        calls.append((span, from_layout))
        return [ex._PageRead(text=("again", i), rows=[], layout=None, headed=False) for i in span]

    monkeypatch.setattr(ex, "_read_span", read_span)
    reads = _reads(*headed)
    settled = ex._settle(REPLICA, range(9, 9 + len(headed)), reads, layout)
    if again is None:
        assert calls == [] and settled == reads
    else:
        assert calls == [(again, layout)]
        assert settled == [
            *(ex._PageRead(text=("again", i), rows=[], layout=None, headed=False) for i in again),
            *reads[len(again) :],
        ]


def test_each_range_is_settled_from_the_layout_of_the_page_before_it(monkeypatch):
    monkeypatch.setattr(ex, "_read_span_alone", _span_read_in_worker)
    settled = []

    def settle(pdf_path, span, reads, layout):
        settled.append((span, layout))
        return reads

    monkeypatch.setattr(ex, "_settle", settle)
    spans = [range(0, 3), range(3, 4), range(4, 7)]
    ex._read_in_workers(REPLICA, spans, 2, None)
    assert settled == [
        (range(0, 3), None),
        (range(3, 4), {"published": (2, 2)}),
        (range(4, 7), {"published": (3, 3)}),
    ]


def test_an_error_on_a_page_read_again_names_the_file_and_page(extraction, tmp_path):
    path = _replica_with_first_action(tmp_path, {"/S": pikepdf.Name("/URI")})
    columns = _row(extraction, 2, 1).cells
    layout = {field: (cell.bbox[0], cell.bbox[2]) for field, cell in columns.items()}
    with pytest.raises(
        ExtractError, match=f"^{re.escape(str(path))}: page 2: damaged link annotation"
    ):
        ex._settle(path, range(1, 2), _reads(False), layout)


# --- Rows told apart by their dates, pages accounted for, grids from rules ------------------------
# Small inputs built by hand: cells, lines, rules and chars at chosen coordinates.

FIELDS = ("company", "published", "location", "title_link", "summary")
# Each field's column on the hand-built grids, and the header printed over it.
EDGES = (0.0, 100.0, 200.0, 300.0, 400.0, 500.0)
HEADERS = ("事業者名", "公表日", "掲載箇所", "タイトル、リンク", "補足")


def _at(text, top, height=9.0):
    return Line(text=text, x0=0.0, x1=10.0, top=top, bottom=top + height, size=height)


def _band_cell(field, lines, top=10.0, bottom=110.0):
    x0, x1 = EDGES[FIELDS.index(field)], EDGES[FIELDS.index(field) + 1]
    return Cell(page=1, column=field, bbox=(x0, top, x1, bottom), lines=tuple(lines))


def _cut_band(summary_lines, summary_top=10.0, location_bottom=110.0):
    """One ruled band (10..110) holding two rows: dates at 20 and 55, a URL beside each."""
    return [
        _band_cell("company", [_at("関西電力", 50.0)]),
        _band_cell("published", [_at("5/12", 20.0), _at("5/13", 55.0)]),
        _band_cell("location", [_at("トップページ", 20.0)], bottom=location_bottom),
        _band_cell("title_link", [_at("https://a.jp/", 20.0), _at("https://b.jp/", 55.0)]),
        _band_cell("summary", summary_lines, top=summary_top),
    ]


def _cells_read(cells):
    return sorted(
        (cell.column, cell.bbox[1], cell.bbox[3], [line.text for line in cell.lines])
        for cell in cells
    )


@pytest.mark.parametrize(
    ("summary", "cut", "parts"),
    [
        # Free between the dates (29..55): 29..45 and 54..55; "z" far below is not in the gap.
        ([("x", 20.0), ("y", 45.0), ("z", 100.0)], 37.0, (["x"], ["y", "z"])),
        # Free: 29..31 and 40..55, the wider one second.
        ([("x", 20.0), ("y", 31.0)], 47.5, (["x", "y"], [])),
    ],
)
def test_a_band_with_two_dates_and_two_urls_is_cut_in_its_widest_free_gap(summary, cut, parts):
    """The dates' lines end at 29 and start again at 55; the cut goes through the middle of
    the widest stretch between them that no line of the band's cells crosses. The 事業者名
    cell is not cut, and a cell whose edges are EDGE_TOLERANCE off the band's is cut with it."""
    lines = [_at(text, top) for text, top in summary]
    off = ex.EDGE_TOLERANCE
    cells = _cut_band(lines, summary_top=10.0 + off, location_bottom=110.0 - off)
    assert _cells_read(ex.split_rows_by_dates("p", cells)) == [
        ("company", 10.0, 110.0, ["関西電力"]),
        ("location", 10.0, cut, ["トップページ"]),
        ("location", cut, 108.0, []),
        ("published", 10.0, cut, ["5/12"]),
        ("published", cut, 110.0, ["5/13"]),
        ("summary", 12.0, cut, parts[0]),
        ("summary", cut, 110.0, parts[1]),
        ("title_link", 10.0, cut, ["https://a.jp/"]),
        ("title_link", cut, 110.0, ["https://b.jp/"]),
    ]


@pytest.mark.parametrize(
    ("dates", "urls"),
    [
        (["5/12"], ["https://a.jp/"]),  # one date: one row
        (["5/12", "5/13"], ["https://a.jp/"]),  # two dates, one URL: not two rows
        (["5/12", "5/13"], ["https://a.jp/", "https://b.jp/", "https://c.jp/"]),
    ],
)
def test_a_band_is_cut_only_into_as_many_rows_as_it_has_dates_and_urls(dates, urls):
    cells = [
        _band_cell("published", [_at(text, 20.0 + 35.0 * i) for i, text in enumerate(dates)]),
        _band_cell("title_link", [_at(text, 20.0 + 35.0 * i) for i, text in enumerate(urls)]),
    ]
    assert ex.split_rows_by_dates("p", cells) == cells


@pytest.mark.parametrize("field", ["published", "title_link"])
def test_a_band_without_a_date_or_a_title_cell_is_not_cut(field):
    cells = [c for c in _cut_band([]) if c.column != field]
    assert ex.split_rows_by_dates("p", cells) == cells


@pytest.mark.parametrize(
    "top", [29.0, 25.0], ids=["fills_the_gap_exactly", "runs_from_above_the_gap"]
)
def test_text_across_the_whole_gap_between_two_dates_is_an_error(top):
    cells = _cut_band([_at("long", top, height=55.0 - top)])
    with pytest.raises(ExtractError) as raised:
        ex.split_rows_by_dates("doc.pdf: page 3", cells)
    assert str(raised.value) == (
        "doc.pdf: page 3: a ruled row holds 2 dates but its cells' text runs across the gap"
        " between them: the rows cannot be told apart"
    )


def test_a_cut_cell_keeps_each_line_in_the_part_that_holds_its_middle():
    lines = [_at("top", -4.5), _at("on_cut", 45.5), _at("bottom", 95.5)]  # middles 0, 50, 100
    cell = Cell(page=3, column="summary", bbox=(1.0, 0.0, 2.0, 100.0), lines=tuple(lines))
    assert ex._cut_cell(cell, [50.0]) == [
        Cell(page=3, column="summary", bbox=(1.0, 0.0, 2.0, 50.0), lines=(lines[0],)),
        Cell(page=3, column="summary", bbox=(1.0, 50.0, 2.0, 100.0), lines=(lines[1],)),
    ]


@pytest.mark.parametrize(
    ("b", "overlap"),
    [
        ((10.0, 0.0, 20.0, 10.0), False),  # touches a's right side
        ((-10.0, 0.0, 0.0, 10.0), False),  # touches its left side
        ((0.0, 10.0, 10.0, 20.0), False),  # touches its bottom
        ((0.0, -10.0, 10.0, 0.0), False),  # touches its top
        ((9.9, 9.9, 20.0, 20.0), True),
        ((-10.0, -10.0, 0.1, 0.1), True),
    ],
)
def test_boxes_overlap_only_where_they_share_an_area(b, overlap):
    assert ex._overlaps((0.0, 0.0, 10.0, 10.0), b) is overlap


@pytest.mark.parametrize(
    ("second_top", "bands"),
    [
        (100.0 + ex.EDGE_TOLERANCE, [(100.0, 140.0), (140.0, 180.0)]),  # a rule 2pt lower
        (100.0 + ex.EDGE_TOLERANCE + 0.01, [(100.0, 102.01), (102.01, 140.0), (140.0, 180.0)]),
    ],
)
def test_cell_edges_within_edge_tolerance_are_one_row_edge(second_top, bands):
    cells = [
        Cell(page=1, column="published", bbox=(0.0, 100.0, 1.0, 140.0), lines=()),
        Cell(page=1, column="published", bbox=(0.0, 140.0, 1.0, 180.0), lines=()),
        Cell(page=1, column="summary", bbox=(1.0, second_top, 2.0, 140.0), lines=()),
    ]
    assert ex._bands(cells) == bands


def test_a_joined_row_keeps_the_links_of_both_parts():
    first = Link(page=2, uri="https://x.jp/a", bbox=(0, 0, 1, 1))
    second = Link(page=3, uri="https://x.jp/b", bbox=(0, 0, 1, 1))
    head = _xrow(2, 9, company=["関西電力"], date=["5/12"], title=["報告について", "https://x.jp/"])
    tail = _xrow(3, 0, title=["a.pdf"])
    joined = ex.join_split_rows([[replace(head, links=(first,))], [replace(tail, links=(second,))]])
    assert joined[0][0].links == (first, second)


def _page_text(number, above=(), below=()):
    return PageText(
        page=number,
        above=tuple(_at(text, 10.0 * i) for i, text in enumerate(above)),
        below=tuple(_at(text, 10.0 * i) for i, text in enumerate(below)),
    )


ROW = _xrow(2, 0, company=["関西電力"], date=["5/12"], title=["https://x.jp/"])


def test_pages_before_the_first_and_after_the_last_page_with_rows_are_cover_and_annex():
    pages = [_page_text(1, ["表紙"]), _page_text(2), _page_text(3), _page_text(4, ["参考"])]
    accounted = ex._account(Path("doc.pdf"), pages, [[], [ROW], [ROW, ROW], []])
    assert [(page.page, page.role, page.rows) for page in accounted] == [
        (1, "before table", 0),
        (2, "table", 1),
        (3, "table", 2),
        (4, "after table", 0),
    ]
    assert [page.above for page in accounted] == [page.above for page in pages]


def test_a_page_without_rows_between_pages_with_rows_is_an_error_naming_the_next():
    pages = [_page_text(n) for n in (1, 2, 3, 4)]
    with pytest.raises(ExtractError) as raised:
        ex._account(Path("doc.pdf"), pages, [[ROW], [], [], [ROW]])
    assert str(raised.value) == (
        "doc.pdf: page 2: no table rows, but the table continues on page 4"
    )


def test_a_page_without_rows_that_shows_the_header_is_an_error():
    pages = [_page_text(1), _page_text(2), _page_text(3, ["事業者名"], ["公 表 日"])]
    with pytest.raises(ExtractError) as raised:
        ex._account(Path("doc.pdf"), pages, [[], [ROW], []])
    assert str(raised.value) == (
        "doc.pdf: page 3: the table's header is on the page (事業者名 | 公表日),"
        " but no table rows were read from it"
    )


def test_a_page_without_rows_that_shows_one_header_is_not_the_table():
    pages = [_page_text(1, ["公表日"]), _page_text(2)]
    assert [page.role for page in ex._account(Path("doc.pdf"), pages, [[], [ROW]])] == [
        "before table",
        "table",
    ]


@pytest.mark.parametrize(
    ("above", "below", "shown"),
    [
        (["事業", "者名", "公表日"], [], "事業者名 | 公表日"),  # a header wrapped over two lines
        ([], ["タイトル・リンク", "補足"], "タイトル、リンク | 補足（主な掲載内容・事案）"),
        (["補足（主な掲載内容・事案）"], [], ""),  # MIN_RECOGNISED_HEADERS is 2
    ],
)
def test_a_page_shows_the_header_from_two_recognised_header_texts(above, below, shown):
    assert ex._headers_on(_page_text(1, above, below)) == shown


def test_header_text_is_matched_without_spaces_and_with_compatibility_forms_folded():
    assert ex._squash(" 補足（主な\u3000掲載 内容）\n") == "補足(主な掲載内容)"
    assert ex._load_headers()["タイトル・リンク"] == "title_link"
    assert ex._load_headers()["補足(主な掲載内容・事案)"] == "summary"


def _columns():
    return {field: (EDGES[i], EDGES[i + 1]) for i, field in enumerate(FIELDS)}


def _rules(ats, lo=0.0, hi=500.0):
    return [ruling.Rule(at=at, spans=((lo, hi),)) for at in ats]


@pytest.mark.parametrize(
    ("vrules", "top"),
    [
        (EDGES, 30.0),
        ((0.0, 100.0, 200.0, 300.0, 500.0), None),  # the last divider is missing
        ((0.0, 200.0, 300.0, 400.0, 500.0), None),  # the first one
        ((0.0, 100.0, 200.0, 300.0, 396.0, 500.0), 30.0),  # RULE_MERGE off the column's edge
        ((0.0, 100.0, 200.0, 300.0, 395.99, 500.0), None),
    ],
)
def test_a_page_without_a_header_continues_the_columns_when_every_divider_is_ruled(vrules, top):
    hrules = _rules([30.0, 60.0, 90.0])
    assert ex._continuation_top(hrules, _rules(vrules, 0.0, 200.0), _columns()) == top


@pytest.mark.parametrize(
    ("second", "top"), [(30.0 + ex.MIN_BAND, 30.0), (30.0 + ex.MIN_BAND - 0.01, 33.99)]
)
def test_a_continued_table_starts_at_its_first_band_of_min_band(second, top):
    hrules = _rules([30.0, second, 60.0])
    assert ex._continuation_top(hrules, _rules(EDGES, 0.0, 200.0), _columns()) == top


def test_a_continued_table_starts_at_the_first_band_its_dividers_cross():
    vrules = _rules(EDGES, 50.0, 200.0)  # the column rules start at 50
    hrules = _rules([30.0, 50.0, 80.0])
    assert ex._continuation_top(hrules, vrules, _columns()) == 50.0


def test_an_underline_does_not_start_a_continued_table():
    vrules = _rules(EDGES, 0.0, 200.0)
    hrules = [*_rules([30.0], 310.0, 390.0), *_rules([40.0, 80.0])]  # 30: inside one column
    assert ex._continuation_top(hrules, vrules, _columns()) == 40.0


@pytest.mark.parametrize(("crossing", "crossed"), [(3, True), (2, False)])
def test_a_band_is_crossed_when_most_dividers_run_through_it(crossing, crossed):
    dividers = (*_rules([1.0] * crossing, 0.0, 10.0), *[None] * (4 - crossing))
    assert ex._crossed(dividers, 0.0, 10.0) is crossed


@pytest.mark.parametrize(
    ("ink", "crossed"), [(10.0 * ex.MIN_COVERAGE, True), (10.0 * ex.MIN_COVERAGE - 0.01, False)]
)
def test_a_divider_crosses_a_band_it_covers_min_coverage_of(ink, crossed):
    assert ex._crossed((ruling.Rule(at=1.0, spans=((0.0, ink),)),), 0.0, 10.0) is crossed


def test_of_the_rules_near_a_column_edge_the_one_with_most_ink_divides():
    short = ruling.Rule(at=99.0, spans=((100.0, 160.0),))  # all ink, 60pt of it
    dashed = ruling.Rule(at=101.0, spans=((0.0, 30.0), (40.0, 70.0), (80.0, 100.0)))  # 80pt
    far = ruling.Rule(at=110.0, spans=((0.0, 500.0),))
    assert ex._rule_near([short, dashed, far], 100.0) is dashed
    assert ex._rule_near([far], 100.0) is None


def test_a_span_read_alone_is_what_the_document_read_gives(extraction):
    reads = ex._read_span_alone(REPLICA, range(1, 3))
    assert [read.text.page for read in reads] == [2, 3]
    assert [read.rows for read in reads] == [
        [row for row in extraction.rows if row.page == page] for page in (2, 3)
    ]
    assert all(read.headed for read in reads)


def _header_chars(headers=HEADERS, top=5.0, size=9.0):
    """The header texts, one per column of EDGES, each char `size` wide from 5pt in."""
    return [
        _char(char, EDGES[i] + 5.0 + size * j, top, size)
        for i, header in enumerate(headers)
        for j, char in enumerate(header)
    ]


def _grid(chars, hrules, vrules=None, layout=None):
    vrules = _rules(EDGES, 0.0, 110.0) if vrules is None else vrules
    return ex.rules_to_grid("doc.pdf: page 2", chars, hrules, vrules, ex._load_headers(), layout)


ROWS = (0.0, 20.0, 50.0, 80.0, 110.0)  # the header's top and bottom, then three rows


def test_the_header_row_names_the_columns_between_the_vertical_rules():
    vrules = _rules(EDGES, 0.0, 110.0)
    grid = _grid(_header_chars(), _rules(ROWS), vrules)
    assert grid == ex._Grid(
        columns=_columns(),
        labels=dict(zip(FIELDS, HEADERS, strict=True)),
        top=0.0,
        body_top=20.0,
        bottom=110.0,
        dividers=tuple(vrules[1:5]),
    )


def test_a_page_without_a_header_continues_the_layout_it_is_given():
    grid = _grid([], _rules(ROWS[1:]), layout=_columns())
    assert (grid.columns, grid.labels, grid.top, grid.body_top, grid.bottom) == (
        _columns(),
        dict.fromkeys(FIELDS, ""),
        20.0,
        20.0,
        110.0,
    )
    assert _grid([], _rules(ROWS[1:])) is None  # no layout before it: not our table
    assert _grid([], _rules(ROWS[1:]), vrules=[], layout=_columns()) is None  # no dividers


@pytest.mark.parametrize(("height", "found"), [(ex.MIN_BAND, True), (ex.MIN_BAND - 0.01, False)])
def test_a_header_band_is_at_least_min_band_tall(height, found):
    chars = _header_chars(top=10.5, size=3.0)  # 3pt chars inside a band 10..10 + height
    grid = _grid(chars, _rules([10.0, 10.0 + height, 50.0, 80.0]))
    assert (grid is not None and grid.body_top == 10.0 + height) is found


def test_a_header_row_takes_its_outer_edges_from_its_rules_without_outer_side_rules():
    """A table without outer side borders: the header's cells run to the rules' ends."""
    vrules = _rules(EDGES[1:-1], 0.0, 110.0)
    grid = _grid(_header_chars(), _rules(ROWS, 0.0, 500.0), vrules)
    assert grid.columns == _columns()


def test_column_rules_within_rule_merge_of_the_table_edge_are_its_border():
    """A doubled outer border (one rule 4pt inside the other) makes no column of its own."""
    inside = (ruling.RULE_MERGE, 500.0 - ruling.RULE_MERGE)
    vrules = _rules(sorted((*EDGES, *inside)), 0.0, 110.0)
    assert _grid(_header_chars(), _rules(ROWS), vrules).columns == _columns()


@pytest.mark.parametrize(
    ("ink", "divides"), [(20.0 * ex.MIN_COVERAGE, True), (20.0 * ex.MIN_COVERAGE - 0.01, False)]
)
def test_a_column_rule_divides_the_header_band_it_covers_min_coverage_of(ink, divides):
    """A rule at 250 inside 掲載箇所's cell, drawn 0..ink of the 0..20 header band: where it
    divides, the cell's right part is an unrecognised empty header."""
    vrules = sorted([*_rules(EDGES, 0.0, 110.0), *_rules([250.0], 0.0, ink)], key=lambda r: r.at)
    if divides:
        with pytest.raises(ExtractError, match=r"table header changed: unrecognised ''$"):
            _grid(_header_chars(), _rules(ROWS), vrules)
    else:
        assert _grid(_header_chars(), _rules(ROWS), vrules).columns == _columns()


def test_two_known_headers_and_unknown_ones_are_a_changed_header():
    chars = _header_chars(("事業者名", "公表日", "場所", "タイトル", "備考"))
    with pytest.raises(ExtractError) as raised:
        _grid(chars, _rules(ROWS))
    assert str(raised.value) == (
        "doc.pdf: page 2: table header changed: missing 掲載箇所, タイトル、リンク,"
        " 補足（主な掲載内容・事案）; unrecognised '場所', 'タイトル', '備考'"
    )


def test_a_header_missing_a_column_names_it():
    chars = _header_chars(("事業者名", "公表日", "掲載箇所", "補足"))
    vrules = _rules(EDGES[:4] + EDGES[5:], 0.0, 110.0)
    with pytest.raises(ExtractError) as raised:
        _grid(chars, _rules(ROWS, 0.0, 500.0), vrules)
    assert str(raised.value) == "doc.pdf: page 2: table header changed: missing タイトル、リンク"


def test_a_band_with_one_known_header_is_not_the_header_row():
    assert _grid(_header_chars(("事業者名", "甲", "乙", "丙", "丁")), _rules(ROWS)) is None


def test_a_ruled_row_that_did_not_decode_and_no_header_is_an_error():
    chars = _header_chars(("事業者名", "(cid:3)", "乙", "\ue000", "丁"))
    with pytest.raises(ExtractError) as raised:
        _grid(chars, _rules(ROWS))
    assert str(raised.value) == (
        "doc.pdf: page 2: a ruled row's text has no Unicode mapping ((cid:3)): the font has no"
        " usable ToUnicode map, so the table's header cannot be read"
    )


def test_an_undecodable_band_above_the_header_is_not_an_error():
    chars = [*_header_chars(("(cid:3)", "乙")), *_header_chars(top=25.0)]
    assert _grid(chars, _rules((0.0, 20.0, 40.0, 80.0, 110.0))).body_top == 40.0


@pytest.mark.parametrize(
    ("rules", "bottom"),
    [
        (_rules(ROWS), 110.0),
        (_rules([*ROWS, 110.0 + ex.MIN_BAND - 0.01]), 110.0),  # a doubled rule: skipped
        (_rules([*ROWS, 110.0 + ex.MIN_BAND]), 110.0 + ex.MIN_BAND),
        ([*_rules(ROWS), *_rules([130.0], 310.0, 390.0)], 110.0),  # an underline
    ],
)
def test_the_table_ends_at_its_last_row_rule(rules, bottom):
    vrules = _rules(EDGES, 0.0, 200.0)
    assert _grid(_header_chars(), rules, vrules).bottom == bottom


def test_the_table_ends_where_its_column_rules_end():
    vrules = _rules(EDGES, 0.0, 80.0)  # a note's box below the table: no column rules through it
    assert _grid(_header_chars(), _rules([*ROWS, 150.0]), vrules).bottom == 80.0


def _cell_boxes(cells):
    return sorted((cell.column, cell.bbox) for cell in cells)


def test_body_cells_are_cut_at_the_rules_that_cross_their_column():
    """The rule at 50 stops at 事業者名's column: the company cell spans both rows."""
    hrules = [*_rules([0.0, 20.0]), *_rules([50.0], 100.0, 500.0), *_rules([80.0])]
    grid = _grid(_header_chars(), hrules)
    cells = ex.grid_to_cells(grid, hrules)
    assert _cell_boxes(cells) == sorted(
        [("company", (0.0, 20.0, 100.0, 80.0))]
        + [
            (field, (EDGES[i], top, EDGES[i + 1], bottom))
            for i, field in enumerate(FIELDS)
            if field != "company"
            for top, bottom in ((20.0, 50.0), (50.0, 80.0))
        ]
    )
    assert {cell.page for cell in cells} == {0} and {cell.lines for cell in cells} == {()}
    # Left to right: a char centred on a column rule goes to the column left of it.
    assert [cell.column for cell in cells] == [
        "company",
        *[field for field in FIELDS[1:] for _ in range(2)],
    ]


@pytest.mark.parametrize(
    ("at", "cut"),
    [
        (20.0 + ex.MIN_BAND, True),
        (20.0 + ex.MIN_BAND - 0.01, False),  # the header's bottom rule drawn twice
        (80.0 - ex.MIN_BAND, True),
        (80.0 - ex.MIN_BAND + 0.01, False),
    ],
)
def test_rules_within_min_band_of_the_body_top_or_bottom_cut_no_cell(at, cut):
    hrules = _rules([0.0, 20.0, 80.0])
    grid = _grid(_header_chars(), hrules)
    cells = ex.grid_to_cells(grid, sorted([*hrules, *_rules([at])], key=lambda r: r.at))
    tops = sorted({cell.bbox[1] for cell in cells})
    assert tops == ([20.0, at] if cut else [20.0])


def _char_at(cx, cy):
    return {"text": "c", "x0": cx - 1.0, "x1": cx + 1.0, "top": cy - 1.0, "bottom": cy + 1.0}


def test_a_char_belongs_to_the_first_box_whose_edges_hold_its_centre():
    boxes = [(0.0, 0.0, 10.0, 10.0), (10.0, 0.0, 20.0, 10.0), (0.0, 10.0, 10.0, 20.0)]
    centres = [(10.0, 5.0), (5.0, 0.0), (15.0, 10.0), (0.0, 15.0), (5.0, 10.0), (25.0, 5.0)]
    chars = [_char_at(cx, cy) for cx, cy in centres]
    assert ex._bucket_chars(chars, boxes) == [
        [chars[0], chars[1], chars[4]],
        [chars[2]],
        [chars[3]],
    ]


def test_chars_that_reach_into_a_band_are_in_it():
    touching_top, touching_bottom = _char("a", 0.0, 1.0), _char("b", 0.0, 20.0)  # 1..10, 20..29
    above, below = _char("c", 0.0, 0.99), _char("d", 0.0, 20.01)
    chars = [touching_top, touching_bottom, above, below]
    assert ex._in_band(chars, 10.0, 20.0) == [touching_top, touching_bottom]


# --- Files that are not a readable PDF, and pages that cannot be read ---------------------------
# Each a real file: small PDFs written by hand, one thing in them broken.

HELLO = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"


def _tiny_pdf(*contents: bytes, count: int | None = None, trailer: bytes = b"") -> bytes:
    """A PDF with one page per content stream; `count` overrides the page tree's /Count,
    `trailer` goes into the trailer dictionary."""
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(len(contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [ %s ] /Count %d >>"
        % (kids, len(contents) if count is None else count),
    ]
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 612 792 ] /Contents %d 0 R"
            b" /Resources %s >>" % (4 + 2 * i, font)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    return pdf_file(objects, trailer)


def _error(path):
    with pytest.raises(ExtractError) as raised:
        extract(path)
    return str(raised.value)


def _written(tmp_path, data):
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return path


def test_a_missing_file_cannot_be_read(tmp_path):
    path = tmp_path / "none.pdf"
    assert _error(path) == f"{path}: cannot read (No such file or directory)"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.pdf"
    with path.open("wb") as file:
        file.truncate(limits.MAX_FILE_BYTES + 1)  # sparse: nothing is written
    assert _error(path) == (f"{path}: the file size exceeds the limit of 50 MiB (52,428,801 bytes)")


def test_an_empty_file_is_not_a_pdf(tmp_path):
    path = _written(tmp_path, b"")
    assert _error(path) == f"{path}: not a PDF (the file is empty)"


def test_a_file_that_is_not_a_pdf_is_quoted_by_its_first_bytes(tmp_path):
    path = _written(tmp_path, b"abcdefghijklmnopqrstuvwxyz")
    assert _error(path) == f"{path}: not a PDF (it begins b'abcdefghijklmnopqrstuvwx')"


def test_a_pdf_that_needs_a_password_is_refused(tmp_path):
    path = tmp_path / "locked.pdf"
    with pikepdf.open(io.BytesIO(_tiny_pdf(HELLO))) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="user", owner="owner"))
    assert _error(path) == f"{path}: the PDF is encrypted and needs a password"


def test_a_pdf_encrypted_in_a_way_pdfminer_does_not_know_is_refused(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO, trailer=b"/Encrypt << /Filter /Standard /V 99 >>"))
    assert _error(path) == (
        f"{path}: the PDF is encrypted"
        " (Unknown algorithm: param={'Filter': /'Standard', 'V': 99})"
    )


def test_a_pdf_whose_document_pdfminer_cannot_set_up_cannot_be_opened(tmp_path):
    """An /Encrypt dictionary without its /O entry: pdfminer's KeyError."""
    encrypt = b"/Encrypt << /Filter /Standard /V 1 /R 2 /P -4 >>"
    path = _written(tmp_path, _tiny_pdf(HELLO, trailer=encrypt))
    assert _error(path) == f"{path}: cannot open the PDF ('O')"


def test_a_pdf_cut_short_is_truncated(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO)[:-60])
    assert _error(path) == (
        f"{path}: truncated or damaged PDF (No /Root object! - Is this really a PDF?)"
    )


def test_a_page_tree_counting_more_pages_than_the_limit_is_refused(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO, count=limits.MAX_PAGES + 1))
    assert _error(path) == (
        f"{path}: the number of pages exceeds the limit of 500 (the page tree counts 501)"
    )


def test_a_page_box_that_is_not_numbers_is_a_damaged_pdf(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO).replace(b"[ 0 0 612 792 ]", b"[ 0 0 6x2 792 ]"))
    assert _error(path) == (
        f"{path}: truncated or damaged PDF (Bounding box contains non-number coordinate(s):"
        " [0, 0, 6, /b'x2', 792])"
    )


@pytest.mark.parametrize("rotate", [b"/X", b"(90)", b"[ 90 ]"])
def test_a_page_rotation_that_is_not_a_number_is_a_damaged_pdf(rotate, tmp_path):
    path = _written(
        tmp_path, _tiny_pdf(HELLO).replace(b"/MediaBox", b"/Rotate " + rotate + b" /MediaBox")
    )
    assert _error(path).startswith(f"{path}: truncated or damaged PDF (")


def test_a_page_tree_counting_more_pages_than_it_holds_is_a_damaged_pdf(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO, count=2))
    assert _error(path) == (
        f"{path}: truncated or damaged PDF (the page tree counts 2 pages, but 1 were found)"
    )


def test_damage_met_on_a_page_names_the_page(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO, b"0 0 m 10 10 lx S " + HELLO))
    assert _error(path) == (
        f"{path}: page 2: damaged content (not a PDF operator in the content stream: 'lx' at"
        " byte 12)"
    )


def test_a_limit_hit_on_a_page_names_the_page(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO, b"0 0 1 1 re f\n" * 11))
    with (
        limits.reading(limits.Limits(max_page_objects=10)) as watch,
        ex._open(path, watch) as pdf,
        pytest.raises(ExtractError) as raised,
    ):
        ex._read_span(path, pdf, ex._load_headers(), watch, range(2), None, None)
    assert str(raised.value).startswith(
        f"{path}: page 2: the number of objects drawn on the page exceeds the limit of 10 ("
    )


def test_a_document_without_the_table_names_the_header_it_looked_for(tmp_path):
    path = _written(tmp_path, _tiny_pdf(HELLO))
    assert _error(path) == (
        f"{path}: no table with the header 事業者名 | 公表日 | 掲載箇所 | タイトル、リンク |"
        " 補足（主な掲載内容・事案） found on any page"
    )


def _one_table_page(tmp_path, rows=True, cover=True):
    """The replica's first table page alone (its 10 rows, or none), after its cover or not."""
    spec = main_spec()
    spec["pages"] = spec["pages"][:1]
    if not rows:
        spec["pages"][0]["rows"] = []
    path = tmp_path / "one.pdf"
    builder().build(spec, path)
    if not cover:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            del pdf.pages[0]
            pdf.save(path)
    return path


def test_a_header_without_rows_under_it_is_an_error(tmp_path):
    path = _one_table_page(tmp_path, rows=False)
    assert _error(path) == f"{path}: the table has its header but no rows on any page"


def test_the_source_names_the_file_and_has_no_cover_when_page_one_holds_rows(tmp_path):
    path = _one_table_page(tmp_path, cover=False)
    extraction = extract(path)
    source = extraction.source
    assert (source.document, source.path, source.page_count, source.cover) == (
        "one",
        str(path),
        1,
        (),
    )
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [(page.page, page.role, page.rows) for page in source.pages] == [(1, "table", 10)]
    title = "各事業者における事案の内容及び発生原因の公表状況（１／６）"
    assert title in [line.text for line in source.pages[0].above]
    assert len(extraction.rows) == 10


# --- Link annotations ---------------------------------------------------------------------------

LINKED = "https://x.jp/a"


def _linked_page(tmp_path, rotate=0, mediabox=None):
    """A 400 x 300 page showing LINKED at (100, 200) under a link to it, beside annotations
    that are no links, and a link whose /URI bytes are not UTF-8; turned by /Rotate."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(400, 300), invariant=1)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(100, 200, LINKED)
    canvas.showPage()
    canvas.save()
    path = tmp_path / f"linked_{rotate}.pdf"
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        page = pdf.pages[0]
        uri = pikepdf.Name("/URI")
        page.Annots = pdf.make_indirect(
            [
                pikepdf.Dictionary(Rect=[100, 195, 180, 210], A={"/S": uri, "/URI": LINKED}),
                pikepdf.Dictionary(Subtype=pikepdf.Name("/Text"), Rect=[0, 0, 10, 10]),
                pikepdf.Dictionary(Rect=[0, 0, 10, 10], A=5),
                pikepdf.Dictionary(
                    Rect=[100, 100, 180, 110],
                    A={"/S": uri, "/URI": pikepdf.String(b"https://x.jp/\xff")},
                ),
            ]
        )
        page.Rotate = rotate
        if mediabox is not None:
            page.MediaBox = mediabox
        pdf.save(path)
    return path


def test_uri_actions_are_the_links_in_the_coordinates_of_the_chars(tmp_path):
    path = _linked_page(tmp_path)
    with pdfplumber.open(path) as pdf:
        links = ex.annots_to_links(path, pdf.pages[0])
    assert links == [
        Link(page=1, uri=LINKED, bbox=(100.0, 90.0, 180.0, 105.0)),
        Link(page=1, uri="https://x.jp/\ufffd", bbox=(100.0, 190.0, 180.0, 200.0)),
    ]


@pytest.mark.parametrize(
    ("rotate", "mediabox"),
    [(rotate, None) for rotate in (90, 180, 270)]
    + [(rotate, [50, 20, 450, 320]) for rotate in (0, 90, 180, 270)],
)
def test_a_link_covers_its_text_on_a_turned_or_moved_page(rotate, mediabox, tmp_path):
    path = _linked_page(tmp_path, rotate, mediabox)
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        x0, top, x1, bottom = ex.annots_to_links(path, page)[0].bbox
        covered = [
            c["text"]
            for c in ex.page_to_chars(page)
            if x0 < (c["x0"] + c["x1"]) / 2 < x1 and top < (c["top"] + c["bottom"]) / 2 < bottom
        ]
    assert "".join(covered) == LINKED


def test_a_page_without_annotations_has_no_links(tmp_path):
    path = tmp_path / "plain.pdf"
    path.write_bytes(_tiny_pdf(HELLO))
    with pdfplumber.open(path) as pdf:
        assert ex.annots_to_links(path, pdf.pages[0]) == []


@pytest.mark.parametrize(
    ("value", "name"),
    [(PSLiteral("URI"), "URI"), (PSLiteral(b"UR\xc9"), "UR\xc9"), ("URI", None), (None, None)],
)
def test_a_pdf_name_reads_as_its_text(value, name):
    assert ex._name(value) == name


# --- Rows from cells, and cells that cannot be read ---------------------------------------------


def _body_cell(field, top, bottom, *texts):
    x0, x1 = EDGES[FIELDS.index(field)], EDGES[FIELDS.index(field) + 1]
    lines = tuple(_at(text, top + 2.0 + 10.0 * i) for i, text in enumerate(texts))
    return Cell(page=2, column=field, bbox=(x0, top, x1, bottom), lines=lines)


def test_a_row_per_band_takes_the_cell_of_each_column_and_the_links_over_its_title():
    company = _body_cell("company", 20.0, 80.0, "関西電力")  # merged over both rows
    cells = [company]
    for top, bottom in ((20.0, 50.0), (50.0, 80.0)):
        cells += [_body_cell(f, top, bottom, f"{f}@{top}") for f in FIELDS[1:4]]
    cells.append(_body_cell("summary", 20.0, 50.0, "補足"))  # row 2 has no summary cell
    first = Link(page=2, uri="https://x.jp/1", bbox=(310.0, 25.0, 390.0, 35.0))
    second = Link(page=2, uri="https://x.jp/2", bbox=(310.0, 70.0, 390.0, 90.0))
    elsewhere = Link(page=2, uri="https://x.jp/3", bbox=(410.0, 25.0, 490.0, 35.0))
    rows = ex.cells_to_rows(2, cells, _columns(), [first, second, elsewhere])
    by_field = {c.column: c for c in [*cells[1:4], cells[7]]}
    assert rows[0] == ExtractedRow(
        page=2,
        index=0,
        bbox=(0.0, 20.0, 500.0, 50.0),
        cells={"company": company, **by_field},
        links=(first,),
    )
    blank = Cell(page=2, column="summary", bbox=(400.0, 50.0, 500.0, 80.0), lines=())
    assert rows[1] == ExtractedRow(
        page=2,
        index=1,
        bbox=(0.0, 50.0, 500.0, 80.0),
        cells={"company": company, **{c.column: c for c in cells[4:7]}, "summary": blank},
        links=(second,),
    )
    assert len(rows) == 2


def test_a_row_spans_the_widest_of_its_cells():
    wide = Cell(page=2, column="company", bbox=(-5.0, 0.0, 100.0, 10.0), lines=())
    wider = Cell(page=2, column="summary", bbox=(400.0, 0.0, 505.0, 10.0), lines=())
    narrow = Cell(page=2, column="published", bbox=(101.0, 0.0, 199.0, 10.0), lines=())
    columns = {"company": (0.0, 100.0), "published": (100.0, 200.0), "summary": (400.0, 500.0)}
    rows = ex.cells_to_rows(2, [narrow, wide, wider], columns, [])
    assert rows[0].bbox == (-5.0, 0.0, 505.0, 10.0)


def _readable_row(field, *texts, index=4):
    cells = {f: _body_cell(f, 20.0, 50.0) for f in FIELDS}
    cells[field] = _body_cell(field, 20.0, 50.0, *texts)
    return ExtractedRow(page=2, index=index, bbox=(0.0, 20.0, 500.0, 50.0), cells=cells, links=())


@pytest.mark.parametrize(
    ("label", "shown"), [("タイトル・リンク", "タイトル・リンク"), ("", "タイトル、リンク")]
)
def test_undecodable_text_in_a_cell_names_the_row_and_the_column_as_printed(label, shown):
    """On a page without the header (label ""), the column is named by its first variant."""
    row = _readable_row("title_link", "件名", "報告(cid:3)")
    labels = {**dict.fromkeys(FIELDS, "x"), "title_link": label}
    with pytest.raises(ExtractError) as raised:
        ex._check_readable("doc.pdf: page 2", [row], labels, {})
    assert str(raised.value) == (
        f"doc.pdf: page 2, row 5: {shown}: the font has no Unicode mapping ((cid:3))"
    )


def test_glyphs_drawn_over_each_other_in_a_cell_name_its_row_and_column():
    row = _readable_row("summary", "低圧")
    overlaps = {row.cells["summary"].bbox: "低圧"}
    with pytest.raises(ExtractError) as raised:
        ex._check_readable("doc.pdf: page 2", [row], dict.fromkeys(FIELDS, ""), overlaps)
    assert str(raised.value) == (
        "doc.pdf: page 2, row 5: 補足（主な掲載内容・事案）: glyphs drawn over each other ('低圧'):"
        " the text cannot be read as printed (wrong glyph widths, or hidden overflow text)"
    )


# --- Text lines from chars ----------------------------------------------------------------------


def test_a_line_has_its_chars_box_rounded_to_hundredths_and_their_median_size():
    chars = [
        _char("a", 0.123, 1.006, size=9.504),
        _char("b", 9.127, 1.006, size=10.0),
        _char("c", 19.104, 1.006, size=8.0),
    ]
    assert ex.chars_to_lines(chars) == (
        Line(text="abc", x0=0.12, x1=27.1, top=1.01, bottom=11.01, size=9.5),
    )


def test_of_a_cells_lines_the_first_whose_glyphs_overlap_is_named():
    chars = [
        _char("a", 0.0, 0.0),
        _char("b", 9.0, 0.0),
        _char("c", 0.0, 20.0),
        _char("d", 2.0, 20.0),  # starts 2pt into c
        _char("e", 0.0, 40.0),
        _char("f", 1.0, 40.0),
    ]
    lines, overlapping = ex._text_lines(chars)
    assert [line.text for line in lines] == ["ab", "cd", "ef"]
    assert overlapping == "cd"
    assert ex._text_lines(chars[:2])[1] is None
    assert ex._text_lines([]) == ((), None)


def test_column_rules_that_cross_no_band_continue_no_table():
    hrules = _rules([30.0, 60.0, 90.0])
    assert ex._continuation_top(hrules, _rules(EDGES, 0.0, 10.0), _columns()) is None


def test_a_first_row_without_date_or_company_stays_a_row():
    """Nothing comes before the first table page's first row to join it to."""
    tail = _xrow(2, 0, title=["20230512_1j.pdf"])
    assert ex.join_split_rows([[tail]]) == [[tail]]


def test_an_error_in_a_span_read_alone_names_the_file_and_page(tmp_path):
    path = _replica_with_first_action(tmp_path, {"/S": pikepdf.Name("/URI")})
    with pytest.raises(ExtractError) as raised:
        ex._read_span_alone(path, range(1, 2))
    assert str(raised.value).startswith(f"{path}: page 2: damaged link annotation (ValueError: ")


def test_chars_a_font_maps_to_radicals_read_as_their_ideographs_and_are_counted():
    """The radicals fixture's cover: 一 非 生 門 月 日 come out of its font as Kangxi radicals."""
    with pdfplumber.open(REPLICA.parent / "quirks" / "radicals.pdf") as pdf:
        page = pdf.pages[0]
        printed = [c["text"] for c in page.chars]
        chars = ex.page_to_chars(page)
    assert [c["text"] for c in chars if c.get(ex.UNIFIED)] == ["一", "非", "生", "門", "月", "日"]
    assert {c[ex.UNIFIED] for c in chars if ex.UNIFIED in c} == {1}
    assert [c["text"] for c in chars if ex.UNIFIED not in c] == [
        text for text in printed if not "\u2e80" <= text <= "\u2fdf"
    ]


def test_a_page_without_radicals_keeps_its_chars_as_read():
    with pdfplumber.open(REPLICA) as pdf:
        chars = ex.page_to_chars(pdf.pages[0])
    assert chars and all(ex.UNIFIED not in c for c in chars)
    assert "".join(c["text"] for c in chars).startswith("一般送配電事業者による非公開情報の")


# --- One page read: a table drawn by hand with reportlab ----------------------------------------
# Five columns 100pt wide from x = 50; rules at the tops in TABLE_RULES (the header row, one
# body row); 9pt text in a CID font, whose chars reach DESCENT * 9 below their baseline.

TABLE_RULES = (50.0, 70.0, 110.0)
DESCENT = 0.221  # HeiseiKakuGo-W5's, per point of size
BODY = ("関西電力", "5/12", "トップページ", "https://x.jp/a", "低圧")


def _draw_table(canvas, header, texts=(), rules=TABLE_RULES):
    xs = [50.0 + 100.0 * i for i in range(6)]
    for top in rules:
        canvas.line(xs[0], 300.0 - top, xs[-1], 300.0 - top)
    for x in xs:
        canvas.line(x, 300.0 - rules[0], x, 300.0 - rules[-1])
    canvas.setFont("HeiseiKakuGo-W5", 9)
    cells = [(HEADERS if header else ("",) * 5, 65.0), (BODY, 95.0)]
    for row, bottom in cells:
        for x, text in zip(xs, row, strict=False):
            canvas.drawString(x + 4.0, 300.0 - bottom + DESCENT * 9, text)
    for text, x, bottom, *size in texts:  # 9pt, or the size given
        points = size[0] if size else 9.0
        canvas.setFont("HeiseiKakuGo-W5", points)
        canvas.drawString(x, 300.0 - bottom + DESCENT * points, text)
    canvas.showPage()


def _drawn_table(tmp_path, texts=(), header=True, annex=(), more=(), rules=TABLE_RULES):
    """A 600 x 300 page with the table, and each (text, x, bottom) of texts drawn so that its
    chars' bottom lies at `bottom` (from the page's top); then a page of the table for each
    of `more` (True: with its header), then a page of the annex's lines."""
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    path = tmp_path / "drawn.pdf"
    canvas = Canvas(str(path), pagesize=(600, 300), invariant=1)
    _draw_table(canvas, header, texts, rules)
    for headed in more:
        _draw_table(canvas, headed, (), rules)
    if annex:
        canvas.setFont("HeiseiKakuGo-W5", 9)
        for i, line in enumerate(annex):
            canvas.drawString(50.0, 250.0 - 20.0 * i, line)
        canvas.showPage()
    canvas.save()
    return path


def _read_drawn(path, layout=None):
    with pdfplumber.open(path) as pdf:
        return ex._read_page(path, pdf.pages[0], ex._load_headers(), layout)


DRAWN_COLUMNS = {field: (50.0 + 100.0 * i, 150.0 + 100.0 * i) for i, field in enumerate(FIELDS)}


def test_a_page_with_the_header_reads_its_rows_and_gives_its_columns(tmp_path):
    read = _read_drawn(_drawn_table(tmp_path))
    assert read.layout == DRAWN_COLUMNS
    assert read.headed
    assert [[line.text for line in cell.lines] for cell in read.rows[0].cells.values()] == [
        [text] for text in BODY
    ]
    assert read.rows[0].cells["company"].page == 1
    assert (read.text.page, read.text.above, read.text.below) == (1, (), ())


def test_a_page_without_the_header_continues_the_columns_given(tmp_path):
    read = _read_drawn(_drawn_table(tmp_path, header=False), layout=DRAWN_COLUMNS)
    assert read.layout == DRAWN_COLUMNS
    assert not read.headed
    assert [line.text for line in read.rows[1].cells["title_link"].lines] == ["https://x.jp/a"]


def test_a_page_without_a_table_passes_on_the_columns_before_it(tmp_path):
    path = tmp_path / "text.pdf"
    path.write_bytes(_tiny_pdf(HELLO))
    read = _read_drawn(path, layout=DRAWN_COLUMNS)
    assert (read.rows, read.layout, read.headed) == ([], DRAWN_COLUMNS, False)
    assert [line.text for line in read.text.above] == ["Hello"]
    assert read.text.below == () and read.text.page == 1


@pytest.mark.parametrize(
    ("into", "kept"),
    [(ex.EDGE_TOLERANCE - 0.1, True), (ex.EDGE_TOLERANCE, True), (ex.EDGE_TOLERANCE + 0.1, False)],
)
def test_text_reaching_up_to_edge_tolerance_into_the_table_is_outside_it(into, kept, tmp_path):
    """A title whose descenders touch the table's top rule, a note that touches its bottom."""
    texts = [("表題", 60.0, TABLE_RULES[0] + into), ("注記", 60.0, TABLE_RULES[-1] + 9.0 - into)]
    read = _read_drawn(_drawn_table(tmp_path, texts))
    assert [line.text for line in read.text.above] == (["表題"] if kept else [])
    assert [line.text for line in read.text.below] == (["注記"] if kept else [])


def test_a_table_page_counts_the_chars_read_through_radicals():
    with pdfplumber.open(REPLICA.parent / "quirks" / "radicals.pdf") as pdf:
        page = pdf.pages[4]
        radicals = sum(1 for c in page.chars if "\u2e80" <= c["text"] <= "\u2fdf")
        read = ex._read_page(REPLICA, page, ex._load_headers(), None)
    assert read.rows and read.text.unified == radicals == 11


def test_a_page_without_the_table_counts_the_chars_read_through_radicals():
    with pdfplumber.open(REPLICA.parent / "quirks" / "radicals.pdf") as pdf:
        read = ex._read_page(REPLICA, pdf.pages[0], ex._load_headers(), None)
    assert not read.rows and read.text.unified == 6  # 一 非 生 門 月 日 on the cover


def test_a_document_long_enough_for_workers_is_read_in_one_process_unless_jobs_are_given(
    tmp_path,
):
    """2 * MIN_WORKER_PAGES small table pages: without `jobs`, progress comes page by page."""
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    path = tmp_path / "long_small.pdf"
    canvas = Canvas(str(path), pagesize=(600, 300), invariant=1)
    pages = 2 * ex.MIN_WORKER_PAGES
    for _ in range(pages):
        canvas.setFont("HeiseiKakuGo-W5", 9)
        for i, (header, text) in enumerate(zip(HEADERS, BODY, strict=True)):
            x = 50.0 + 100.0 * i
            canvas.drawString(x + 4.0, 240.0, header)
            canvas.drawString(x + 4.0, 210.0, text)
            canvas.line(x, 250.0, x, 190.0)
        canvas.line(550.0, 250.0, 550.0, 190.0)
        for y in (250.0, 230.0, 190.0):
            canvas.line(50.0, y, 550.0, y)
        canvas.showPage()
    canvas.save()
    seen: list[tuple[int, int]] = []
    extraction = extract(path, progress=lambda read, count: seen.append((read, count)))
    assert seen == [(read, pages) for read in range(1, pages + 1)]
    assert len(extraction.rows) == pages


def test_an_annex_that_shows_the_header_without_rows_is_an_error_naming_the_file(tmp_path):
    path = _drawn_table(tmp_path, annex=("事業者名", "公表日"))
    assert _error(path) == (
        f"{path}: page 2: the table's header is on the page (事業者名 | 公表日),"
        " but no table rows were read from it"
    )


def test_the_cover_is_the_text_of_page_one_when_it_holds_no_rows(tmp_path):
    source = extract(_one_table_page(tmp_path)).source
    cover = [line.text for line in source.cover]
    assert "資料３－２" in cover and "2023年５月 22日" in cover
    assert "各事業者における事案の内容及び発生原因の公表状況（１／６）" not in cover
    assert [(page.page, page.role, page.rows) for page in source.pages] == [
        (1, "before table", 0),
        (2, "table", 10),
    ]


def test_date_lines_are_one_entry_until_a_gap_wider_than_entry_gap():
    """Lines 10pt high: a gap of exactly 6pt (ENTRY_GAP) keeps the entry, a wider one ends it."""
    lines = [_at("昨年", 0.0, 10.0), _at("12/27", 16.0, 10.0), _at("1/13", 32.01, 10.0)]
    assert ex._entries(tuple(lines)) == [lines[:2], lines[2:]]


@pytest.mark.parametrize("title", [[], ["https://a.jp/"]], ids=["no_title_cell", "one_date"])
def test_a_band_left_whole_does_not_stop_the_bands_below_it_from_being_cut(title):
    above = [_band_cell("published", [_at("5/11", -80.0)], top=-90.0, bottom=10.0)]
    if title:
        above.append(_band_cell("title_link", [_at(title[0], -80.0)], top=-90.0, bottom=10.0))
    cells = [*above, *_cut_band([_at("x", 20.0)])]
    split = ex.split_rows_by_dates("p", cells)
    assert [c.bbox[1] for c in split if c.column == "published"] == [-90.0, 10.0, 42.0]


def test_a_page_pdfminer_fails_on_is_unreadable_naming_the_page(tmp_path):
    """A Type0 font without its /DescendantFonts: pdfminer's KeyError, wrapped by pdfplumber."""
    data = _tiny_pdf(HELLO, HELLO).replace(b"/Subtype /Type1", b"/Subtype /Type0")
    path = _written(tmp_path, data)
    assert _error(path) == f"{path}: page 1: unreadable ('DescendantFonts')"


def test_a_page_whose_content_stream_is_missing_is_damaged_content(tmp_path):
    data = _tiny_pdf(HELLO, HELLO).replace(b"/Contents 6 0 R", b"/Contents 9 0 R")
    path = _written(tmp_path, data)
    assert _error(path) == (
        f"{path}: page 2: damaged content (the page's content stream (object 9) is missing)"
    )


def test_pages_without_the_header_continue_the_columns_of_the_page_before(tmp_path):
    rows = extract(_drawn_table(tmp_path, more=(False, False))).rows
    # Each continued page's first band (empty, where page 1 has its header) joins the row
    # before it (join_split_rows): one row per page.
    assert [(row.page, row.index) for row in rows] == [(1, 0), (2, 0), (3, 0)]
    assert [line.text for line in rows[-1].cells["title_link"].lines] == ["https://x.jp/a"]


def test_a_rule_drawn_twice_with_no_text_between_is_one_rule(tmp_path):
    """The table's bottom border drawn again 6pt lower (more than RULE_MERGE, less than
    MAX_GAP), no text between: one rule, in the middle."""
    rows = extract(_drawn_table(tmp_path, rules=(*TABLE_RULES, TABLE_RULES[-1] + 6.0))).rows
    assert [row.bbox[3] for row in rows] == [TABLE_RULES[-1] + 3.0]


def test_glyphs_drawn_over_each_other_on_a_page_name_the_file_page_row_and_column(tmp_path):
    """ "重" drawn 2pt into "低" of the row's 補足 cell."""
    path = _drawn_table(tmp_path, [("重", 456.0, 95.0)])
    assert _error(path) == (
        f"{path}: page 1, row 1: 補足: glyphs drawn over each other ('低重圧'): the text cannot"
        " be read as printed (wrong glyph widths, or hidden overflow text)"
    )


def test_two_dates_whose_gap_text_runs_across_are_an_error_naming_the_file_and_page(tmp_path):
    """A second date and URL 15pt above the row's own; a 12pt char in 補足 covers the gap."""
    texts = [("5/11", 154.0, 80.0), ("https://x.jp/b", 354.0, 80.0), ("重", 500.0, 90.0, 12.0)]
    assert _error(_drawn_table(tmp_path, texts)) == (
        f"{tmp_path / 'drawn.pdf'}: page 1: a ruled row holds 2 dates but its cells' text runs"
        " across the gap between them: the rows cannot be told apart"
    )


@pytest.mark.parametrize(
    "above",
    [[-3.0], [-30.0, -10.0]],
    ids=["a_doubled_top_rule", "a_box_without_column_rules"],
)
def test_the_header_row_is_found_below_bands_that_cannot_be_it(above):
    """A band thinner than MIN_BAND, or one no column rule crosses, is passed over."""
    grid = _grid(_header_chars(), _rules([*above, *ROWS]))
    assert (grid.top, grid.body_top) == (0.0, 20.0)


def test_a_header_wrapped_over_two_lines_in_its_cell_is_read_as_one():
    chars = [c for c in _header_chars() if not 300.0 <= c["x0"] < 400.0]
    chars += [_char(c, 305.0 + 9.0 * j, 1.0) for j, c in enumerate("タイトル、")]
    chars += [_char(c, 305.0 + 9.0 * j, 10.5) for j, c in enumerate("リンク")]
    grid = _grid(chars, _rules(ROWS))
    assert grid.labels["title_link"] == "タイトル、リンク"


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        # Half the narrower glyph's width decides, whichever of the two it is.
        ((100.0, 2.0), (100.99, 8.0), True),  # starts inside the 2pt glyph's right half
        ((100.0, 2.0), (101.0, 8.0), False),
        ((100.0, 8.0), (106.99, 2.0), True),
        ((100.0, 8.0), (107.0, 2.0), False),
        ((100.0, 5.0), (102.0, 1.0), True),  # a glyph 1pt wide is a glyph
    ],
)
def test_glyphs_overlap_by_half_the_narrower_ones_width(first, second, overlap):
    chars = [_glyph("a", first[0], first[1]), _glyph("b", second[0], second[1])]
    assert ex._glyphs_overlap(chars) is overlap


def test_glyphs_drawn_over_each_other_after_a_space_overlap():
    chars = [_glyph("a", 0.0), _glyph(" ", 5.0), _glyph("b", 10.0), _glyph("c", 11.0)]
    assert ex._glyphs_overlap(chars)


def test_an_overprint_is_dropped_after_a_char_printed_once():
    chars = [_char("業", 80.0, 50.0), _char("事", 100.0, 50.0), _char("事", 100.3, 50.0)]
    assert ex._drop_overprints(chars) == chars[:2]


def test_a_changed_header_on_a_page_names_the_file_and_page(tmp_path):
    header = ("事業者名", "公表日", "場所", "タイトル、リンク", "補足")
    texts = [(text, 54.0 + 100.0 * i, 65.0) for i, text in enumerate(header)]
    path = _drawn_table(tmp_path, texts, header=False)
    assert (
        _error(path)
        == f"{path}: page 1: table header changed: missing 掲載箇所; unrecognised '場所'"
    )
