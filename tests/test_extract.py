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
"""

import copy
import os
import re
import signal
from pathlib import Path

import pikepdf
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from replica import builder, main_spec

import pipeline.extract as ex
import pipeline.ruling as ruling
from pipeline.cli import cli
from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.records import Cell, ExtractedRow, Line

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
