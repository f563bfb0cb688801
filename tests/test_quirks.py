"""The pipeline on the main replica as other PDF producers draw it (tests/fixtures/quirks/).

Each fixture is the main replica's text with one producer quirk (build_quirks.py; the
producer behaviour and its source are cited there and in each fixture's JSON):

1. radicals: ToUnicode maps kanji that share a glyph with a radical to the radical
   (西 → ⻄ U+2EC4, 力 → ⼒ U+2F12, 日 → ⽇ U+2F47), as Meiryo / Yu Gothic exports do when the
   writer takes a glyph's lowest code point (wkhtmltopdf#4414, pdfbox#470, pdf_oxide#123).
2. rotate_90, rotate_270: pages stored portrait with /Rotate, drawn turned so they display
   upright, link /Rects in the stored space (pdfplumber#848); mediabox_offset: a MediaBox of
   [50 100 1010 640], drawing and links moved with it.
3. Rulings that are not one clean stroke: dashed (one path per 3pt dash, 4pt gaps) and dotted
   (0.75pt squares every 3pt) rules inside a company block (PdfPig#194, PyMuPDF#3539);
   blocks_only, no rule inside a company block at all (the text tells its rows apart);
   no_outer_sides (pdfplumber#307); cell_segments, four segments per cell stopping 2pt short
   of the corners (fulgur#121, html2openxml#156); thin_rects, rules as filled 0.75pt
   rectangles as Word and Excel export them (PyMuPDF#1830, office2pdf#619); fills, a
   PowerPoint table of filled cells with 1pt white gaps over a white page rectangle
   (betteroffice#629, office2pdf#307); fills_spaced, the same with 5pt gaps; dark_header, a
   dark header with white text.
4. overprint (and overprint_cell_segments, with 3's segments): headers and company names in
   faux bold, every glyph drawn twice 0.3pt apart (pdf-reader#143, pdfplumber#71).
5. cid: body cells in an Identity-H font with no ToUnicode, read as "(cid:N)"
   (pdfminer.six#447); private_use: body glyphs mapped to U+F000 + code as through a symbol
   cmap (pdf_oxide#1413). These must fail, naming the page and the cell.

For 1-4 the pipeline must give the hand-checked golden rows of the main replica. Each
fixture also has a test, with pdfplumber alone, that it really has its quirk.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner
from pdfminer.pdftypes import resolve1
from replica import FIXTURES, main_spec

from pipeline.cli import cli

QUIRKS = FIXTURES / "quirks"
GOLDEN = FIXTURES / "golden" / "085_03_02"
REPLICA = FIXTURES / "085_03_02.replica.pdf"
SPEC = main_spec()
# The main spec's table: its left and right ends, its top and the header row's bottom
# ("table": {"x": 30, "top": 80}; widths 64 + 48 + 150 + 320 + 250; header 10.5 + 2 * 2.5).
TABLE_LEFT = SPEC["table"]["x"]
TABLE_RIGHT = TABLE_LEFT + sum(column["width"] for column in SPEC["columns"])
TABLE_TOP = SPEC["table"]["top"]
HEADER_BOTTOM = TABLE_TOP + SPEC["line_height"] + 2 * SPEC["padding"]["y"]
COMPANY_RIGHT = TABLE_LEFT + SPEC["columns"][0]["width"]  # 事業者名 is the first column
HEADERS = "".join(column["header"] for column in SPEC["columns"])
# Page 2's row rules inside a company block: 関西電力送配電 has 6 rows, 関西電力 4.
PAGE_2_ROW_RULES = (6 - 1) + (4 - 1)
# Upper bounds for a dash (3pt long here), a dot (0.75pt square) and a thin rule (0.75pt).
MAX_DASH = 5.0
MAX_DOT = 1.0
THIN = SPEC["line_width"] + 0.01
# Overprinted copies are closer than this to their original (here 0.3pt).
OVERPRINT_MAX = 0.5
# How far a cell's border segment stops short of the rule across its end (here 2pt).
CELL_SEGMENT_INSET = (1.0, 2.5)
PAGE_SIZE = (SPEC["page"]["width"], SPEC["page"]["height"])
BODY_FONT = "IPAexGothic-Body"
# The BMP's Private Use Area (U+E000-F8FF, e.g. U+F02B) and the radical blocks (⻄ U+2EC4).
PRIVATE_USE = range(0xE000, 0xF900)
RADICALS = range(0x2E80, 0x2FE0)

GOLDEN_FIXTURES = [
    "radicals",
    "rotate_90",
    "rotate_270",
    "mediabox_offset",
    "dashed",
    "dotted",
    "blocks_only",
    "no_outer_sides",
    "cell_segments",
    "thin_rects",
    "fills",
    "fills_spaced",
    "dark_header",
    "overprint",
    "overprint_cell_segments",
]
ERROR_FIXTURES = ["cid", "private_use"]


def _run(pdf: Path, out: Path):
    return CliRunner().invoke(
        cli, ["-q", "run", "--pdf", str(pdf), "--out", str(out), "--golden", str(GOLDEN)]
    )


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory):
    """Run a golden fixture once for the module; return its exit code, output and folder."""
    runs = {}

    def run(name: str) -> tuple[int, str, Path]:
        if name not in runs:
            out = tmp_path_factory.mktemp(name)
            result = _run(QUIRKS / f"{name}.pdf", out)
            runs[name] = (result.exit_code, result.output, out)
        return runs[name]

    return run


@pytest.mark.parametrize("name", GOLDEN_FIXTURES)
def test_quirk_fixture_gives_the_golden_rows(name, golden_run):
    exit_code, output, _ = golden_run(name)
    assert exit_code == 0, output


def test_body_font_without_unicode_mapping_is_an_error_naming_page_and_cell(tmp_path):
    result = _run(QUIRKS / "cid.pdf", tmp_path)
    assert result.exit_code == 1, result.output
    assert "page 2" in result.output
    assert "no Unicode mapping" in result.output
    assert "(cid:" in result.output


def test_body_font_mapped_to_the_private_use_area_is_an_error_naming_page_and_cell(tmp_path):
    result = _run(QUIRKS / "private_use.pdf", tmp_path)
    assert result.exit_code == 1, result.output
    assert "page" in result.output
    assert "no Unicode mapping" in result.output


def _fixtures_module(name: str):
    """Return tests/fixtures/NAME.py (build_quirks, quirks), imported as a module."""
    if str(FIXTURES) not in sys.path:
        sys.path.insert(0, str(FIXTURES))
    return importlib.import_module(name)


@pytest.mark.parametrize("name", GOLDEN_FIXTURES + ERROR_FIXTURES)
def test_committed_quirk_fixture_is_what_its_spec_builds(name, tmp_path):
    out = tmp_path / f"{name}.pdf"
    overrides = json.loads((QUIRKS / f"{name}.json").read_text(encoding="utf-8"))
    _fixtures_module("build_quirks").build(overrides, out)
    assert out.read_bytes() == (QUIRKS / f"{name}.pdf").read_bytes()


def test_radical_map_takes_the_radical_sharing_each_kanji_glyph():
    build_replica = _fixtures_module("build_replica")
    font = build_replica.package_file(build_replica.FONT_PACKAGE, SPEC["font"]["ttf"])
    radicals = _fixtures_module("quirks").radical_map(font)
    assert {k: radicals[ord(k)] for k in "西力日長高見"} == {
        "西": 0x2EC4,
        "力": 0x2F12,
        "日": 0x2F47,
        "長": 0x2ED1,
        "高": 0x2FBC,
        "見": 0x2F92,
    }
    assert ord("関") not in radicals


# What each fixture really has, seen through pdfplumber alone.


def _chars(name: str, page: int = 2) -> list[dict]:
    with pdfplumber.open(QUIRKS / f"{name}.pdf") as pdf:
        return pdf.pages[page - 1].chars


def _objects(name: str, page: int = 2) -> dict[str, list[dict]]:
    with pdfplumber.open(QUIRKS / f"{name}.pdf") as pdf:
        return pdf.pages[page - 1].objects


def _header_chars(chars: list[dict]) -> list[dict]:
    return [c for c in chars if TABLE_TOP < (c["top"] + c["bottom"]) / 2 < HEADER_BOTTOM]


def test_radicals_fixture_reads_radicals_where_the_replica_reads_kanji():
    with pdfplumber.open(REPLICA) as pdf:
        replica = pdf.pages[1].chars
    chars = _chars("radicals")
    text = "".join(c["text"] for c in chars)
    assert "関⻄電⼒" in text and "送配電" in text
    assert "公表⽇" in text
    assert "西" not in text and "日" not in text
    assert "⽇" in "".join(c["text"] for c in _chars("radicals", page=1))  # 2023年５月 22日
    # The same glyphs in the same places: only what ToUnicode says changed, and to radicals.
    assert [(c["x0"], c["top"]) for c in chars] == [(c["x0"], c["top"]) for c in replica]
    changed = {
        (old["text"], new["text"])
        for old, new in zip(replica, chars, strict=True)
        if old["text"] != new["text"]
    }
    assert changed and all(ord(new) in RADICALS for _, new in changed)


def _raw_rects(pdf_path: Path, page: int = 2) -> list[list[float]]:
    """Given a PDF, return its link annotations' /Rect as stored, rounded to 0.01pt."""
    with pdfplumber.open(pdf_path) as pdf:
        annots = pdf.pages[page - 1].annots
    return [[round(float(v), 2) for v in a["data"]["Rect"]] for a in annots]


def _rounded(rects: list[list[float]]) -> list[list[float]]:
    return [[round(v, 2) for v in rect] for rect in rects]


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_fixture_is_stored_portrait_and_displays_landscape(rotation):
    width, height = PAGE_SIZE
    with pdfplumber.open(QUIRKS / f"rotate_{rotation}.pdf") as pdf:
        for page in pdf.pages:
            assert page.rotation == rotation
            assert [float(v) for v in page.page_obj.attrs["MediaBox"]] == [0, 0, height, width]
            assert (page.width, page.height) == (width, height)
    # Each link's /Rect is in the stored page's space: the displayed rect, turned back.
    displayed = _raw_rects(REPLICA)
    stored = _raw_rects(QUIRKS / f"rotate_{rotation}.pdf")
    if rotation == 90:  # stored (x, y) displays at (y, height - x)
        turned = [[height - y1, x0, height - y0, x1] for x0, y0, x1, y1 in displayed]
    else:  # stored (x, y) displays at (width - y, x)
        turned = [[y0, width - x1, y1, width - x0] for x0, y0, x1, y1 in displayed]
    assert stored == _rounded(turned)


def test_mediabox_offset_fixture_moves_page_drawing_and_links_together():
    with pdfplumber.open(QUIRKS / "mediabox_offset.pdf") as pdf:
        boxes = [[float(v) for v in page.page_obj.attrs["MediaBox"]] for page in pdf.pages]
    assert boxes == [[50, 100, 1010, 640]] * len(boxes)
    moved = [[x0 + 50, y0 + 100, x1 + 50, y1 + 100] for x0, y0, x1, y1 in _raw_rects(REPLICA)]
    assert _raw_rects(QUIRKS / "mediabox_offset.pdf") == _rounded(moved)


def _by_top(objects: list[dict]) -> dict[float, list[dict]]:
    rows = defaultdict(list)
    for obj in objects:
        rows[round((obj["top"] + obj["bottom"]) / 2, 2)].append(obj)
    return {top: sorted(row, key=lambda o: o["x0"]) for top, row in rows.items()}


def test_dashed_fixture_draws_rules_inside_a_block_as_short_dashes_with_wide_gaps():
    lines = _objects("dashed")["line"]
    dashes = _by_top([line for line in lines if line["width"] < MAX_DASH and line["height"] == 0])
    assert len(dashes) == PAGE_2_ROW_RULES
    gaps = [b["x0"] - a["x1"] for row in dashes.values() for a, b in pairwise(row)]
    assert min(gaps) > 3
    assert any(line["width"] == TABLE_RIGHT - TABLE_LEFT for line in lines)  # solid frame


def test_dotted_fixture_draws_rules_inside_a_block_as_tiny_filled_squares():
    objects = _objects("dotted")
    dots = [r for r in objects["rect"] if r["width"] <= MAX_DOT and r["height"] <= MAX_DOT]
    rows = _by_top(dots)
    assert len(rows) == PAGE_2_ROW_RULES
    assert all(dot["fill"] and not dot["stroke"] for dot in dots)
    pitches = {round(b["x0"] - a["x0"], 2) for row in rows.values() for a, b in pairwise(row)}
    assert pitches == {3.0}
    assert not {round(line["top"], 2) for line in objects["line"]} & set(rows)


def test_blocks_only_fixture_has_no_rule_between_the_rows_of_a_company():
    def horizontal_tops(objects):
        return {round(line["top"], 2) for line in objects["line"] if line["height"] == 0}

    with pdfplumber.open(REPLICA) as pdf:
        ruled = horizontal_tops(pdf.pages[1].objects)
    blocks_only = horizontal_tops(_objects("blocks_only"))
    assert blocks_only < ruled
    assert len(ruled - blocks_only) == PAGE_2_ROW_RULES


def test_no_outer_sides_fixture_has_no_vertical_edge_at_either_end_of_the_table():
    with pdfplumber.open(QUIRKS / "no_outer_sides.pdf") as pdf:
        edges = pdf.pages[1].edges
    vertical = [e for e in edges if e["orientation"] == "v"]
    horizontal = [e for e in edges if e["orientation"] == "h"]
    assert vertical and all(TABLE_LEFT < e["x0"] < TABLE_RIGHT for e in vertical)
    assert any(e["x0"] == TABLE_LEFT and e["x1"] == TABLE_RIGHT for e in horizontal)


def _assert_cell_segments(name: str) -> None:
    objects = _objects(name)
    assert not objects.get("rect") and not objects.get("curve")
    lines = objects["line"]
    xs = {line["x0"] for line in lines if line["width"] == 0}
    ys = {line["top"] for line in lines if line["height"] == 0}
    low, high = CELL_SEGMENT_INSET
    for line in lines:
        if line["height"] == 0:  # horizontal: both ends stop short of the column rules
            ends = [min(abs(end - x) for x in xs) for end in (line["x0"], line["x1"])]
        else:
            ends = [min(abs(end - y) for y in ys) for end in (line["top"], line["bottom"])]
        assert all(low <= end <= high for end in ends), line


def test_cell_segments_fixture_draws_four_short_segments_per_cell():
    _assert_cell_segments("cell_segments")


def test_thin_rects_fixture_draws_every_rule_as_a_filled_rectangle():
    objects = _objects("thin_rects")
    assert not objects.get("line") and not objects.get("curve")
    thin = [r for r in objects["rect"] if min(r["width"], r["height"]) <= THIN]
    assert thin and all(r["fill"] and not r["stroke"] for r in thin)
    assert any(r["x0"] == TABLE_LEFT and r["x1"] == TABLE_RIGHT for r in thin)


@pytest.mark.parametrize(("name", "gap"), [("fills", 1.0), ("fills_spaced", 5.0)])
def test_fills_fixture_is_filled_cells_with_white_gaps_and_no_stroke(name, gap):
    objects = _objects(name)
    assert not objects.get("line") and not objects.get("curve")
    rects = objects["rect"]
    assert all(r["fill"] and not r["stroke"] for r in rects)
    page = rects[0]
    assert (page["x0"], page["top"], page["x1"], page["bottom"]) == (0, 0, *PAGE_SIZE)
    assert page["non_stroking_color"] == (1, 1, 1)
    header = sorted(
        (r for r in rects[1:] if r["top"] < HEADER_BOTTOM and r["bottom"] > TABLE_TOP),
        key=lambda r: r["x0"],
    )
    assert len(header) == len(SPEC["columns"])
    assert {round(b["x0"] - a["x1"], 2) for a, b in pairwise(header)} == {gap}
    assert all(max(r["non_stroking_color"]) < 0.8 for r in header)  # dark
    assert {c["non_stroking_color"] for c in _header_chars(objects["char"])} == {(1, 1, 1)}


def test_dark_header_fixture_has_white_header_text_on_a_dark_fill_and_stroked_rules():
    objects = _objects("dark_header")
    chars = _header_chars(objects["char"])
    assert "".join(c["text"] for c in chars) == HEADERS
    assert {c["non_stroking_color"] for c in chars} == {(1, 1, 1)}
    (fill,) = [r for r in objects["rect"] if r["top"] == TABLE_TOP]
    assert max(fill["non_stroking_color"]) < 0.8
    assert objects["line"]


def _assert_overprinted(name: str) -> None:
    chars = _chars(name)
    header = _header_chars(chars)
    company = [
        c
        for c in chars
        if c["x1"] <= COMPANY_RIGHT and c["top"] > HEADER_BOTTOM and c["size"] == SPEC["font_size"]
    ]
    for group in (header, company):
        assert len(group) % 2 == 0 and group
        for original, copy in zip(group[::2], group[1::2], strict=True):
            assert copy["text"] == original["text"] and copy["top"] == original["top"]
            assert 0 < copy["x0"] - original["x0"] < OVERPRINT_MAX
    assert "".join(c["text"] for c in header[::2]) == HEADERS


def test_overprint_fixture_draws_headers_and_company_names_twice_a_fraction_apart():
    _assert_overprinted("overprint")


def test_overprint_cell_segments_fixture_has_both_quirks():
    _assert_overprinted("overprint_cell_segments")
    _assert_cell_segments("overprint_cell_segments")


def _body_chars(name: str) -> list[dict]:
    return [c for c in _chars(name) if c["fontname"].endswith(f"+{BODY_FONT}")]


def test_cid_fixture_body_reads_as_cids_while_its_headers_read_as_text():
    assert "".join(c["text"] for c in _header_chars(_chars("cid"))) == HEADERS
    body = _body_chars("cid")
    assert body and all(c["text"].startswith("(cid:") for c in body)
    with pdfplumber.open(QUIRKS / "cid.pdf") as pdf:
        fonts = [resolve1(f) for f in resolve1(pdf.pages[1].page_obj.resources["Font"]).values()]
    body_fonts = [f for f in fonts if f["BaseFont"].name.endswith(f"+{BODY_FONT}")]
    assert body_fonts
    for font in body_fonts:
        assert font["Subtype"].name == "Type0" and font["Encoding"].name == "Identity-H"
        assert "ToUnicode" not in font


def test_private_use_fixture_body_reads_as_private_use_code_points_ascii_as_itself():
    assert "".join(c["text"] for c in _header_chars(_chars("private_use"))) == HEADERS
    body = _body_chars("private_use")
    private = [c for c in body if ord(c["text"]) in PRIVATE_USE]
    assert private
    assert all(ord(c["text"]) < 0x80 for c in body if c not in private)
    assert "12/27" in "".join(c["text"] for c in body)


def _radical_chars(pdf_path: Path) -> list[int]:
    """Per page, the chars pdfplumber reads as radical code points (no folding)."""
    with pdfplumber.open(pdf_path) as pdf:
        return [
            sum(
                ord(c["text"][0]) in RADICALS or 0x31C0 <= ord(c["text"][0]) < 0x31F0
                for c in p.chars
            )
            for p in pdf.pages
        ]


@pytest.mark.parametrize("name", ["radicals", "dashed"])
def test_validation_counts_the_radicals_unified_per_page(name, golden_run):
    exit_code, output, out = golden_run(name)
    assert exit_code == 0, output
    report = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    expected = _radical_chars(QUIRKS / f"{name}.pdf")
    assert [page["unified"] for page in report["pages"]] == expected
    assert report["unified_radicals"] == sum(expected)
    assert (report["unified_radicals"] > 0) is (name == "radicals")
