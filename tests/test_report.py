"""report(): timeline.png and report.html from the outputs of a run on the replica.

Rules pinned here:
- report() writes timeline.png and report.html and nothing else; it names a missing or
  unreadable disclosures.parquet, one without rows, and the columns it lacks;
- rows are shown in (page, row) order whatever the file's order;
- incidents are read only when both incidents tables are there, and a missing column of either
  is named; without them the page has no incidents section;
- the document comes from the Parquet metadata (a broken or non-object document is ignored;
  its own date and file come before document_date and source_file); validation.json is used
  only if it is an object about the same PDF (sha256), and gives only its four source keys
  that are set;
- the timeline is 11 x (1.6 + 0.42 per company) inches at 150 dpi, in a font with every glyph;
  one dot per company and date, coloured by the company's first known role (unknown: the
  default colour), with x<count> where several share it; a legend of the known roles in
  their order, plus 不明 when some are unknown, none without known roles; lanes top down,
  ten days' margin, months on the axis, days 8/15/22 as minor ticks, light grid, no frame
  but the bottom, a title with the date range;
- the page: UTF-8 HTML in Japanese with a viewport, the document's title (or a default),
  then the replica notice (only for the replica), the facts line (counts, date range, source
  as it names itself), where the PDF came from (URL and when, replica and the URL it stands
  for, or the file's name; SHA-256), the timeline inline, the disclosures table (anchors
  d-page-row, raw dates, － for a null summary, every value escaped), the footnotes with text,
  and the incidents by company in document order (unknown companies last, by name), by
  ordinal, with their first appearance linked and the disclosures that describe or refer to
  them;
- the page loads nothing from outside and embeds IPAexGothic, unhinted WOFF2, cut to exactly
  the characters it shows (text, alt and title; not <style> or <script>);
- a missing font is named with how to install it; the font library's INFO lines are quieted
  for the block only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import logging
import re
import shutil
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from pipeline.cli import cli
from pipeline.errors import PipelineError
from pipeline.report import (
    _companies,
    _disclosures_table,
    _document,
    _facts,
    _font_face,
    _font_file,
    _format_axes,
    _html,
    _incidents_sections,
    _legend,
    _notes,
    _plot_lanes,
    _provenance,
    _quiet,
    _read_incidents,
    _replica_notice,
    _roles,
    _source_line,
    _timeline_png,
    _visible_text,
    report,
)

REPLICA = Path(__file__).parent / "fixtures" / "085_03_02.replica.pdf"
INCIDENT_FILES = ("incidents.parquet", "disclosure_incidents.parquet")


class _Page(HTMLParser):
    """Collects what the tests look at: links with their text, sources, scripts, cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.sources: list[str] = []
        self.scripts = 0
        self.summaries: list[str] = []
        self.headings: list[str] = []
        self.meta_charset: str | None = None
        self._href: str | None = None
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a":
            self._href, self._text = found.get("href") or "", []
        elif tag == "td" and found.get("class") == "summary" or tag in ("h2", "h3"):
            self._text = []
        if "src" in found:
            self.sources.append(found["src"] or "")
        self.scripts += tag == "script"
        if tag == "meta" and "charset" in found:
            self.meta_charset = found["charset"]

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._text is None:
            return
        text = "".join(self._text)
        if tag == "a" and self._href is not None:
            self.links.append((self._href, text))
            self._href, self._text = None, None
        elif tag == "td" and self._href is None:
            self.summaries.append(text)
            self._text = None
        elif tag in ("h2", "h3"):
            self.headings.append(text)
            self._text = None


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The replica run once through the pipeline; tests copy it before changing anything."""
    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(REPLICA), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def reported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the run, reported on once, for the tests that only read what report() wrote.
    (Under `make mutate`, tests/conftest.py records report()'s calls here for each of them.)"""
    out = tmp_path_factory.mktemp("reported") / "out"
    shutil.copytree(run_dir, out)
    report(out)
    return out


@pytest.fixture
def out_dir(run_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(run_dir, out)
    return out


def _disclosures(out: Path) -> list[dict]:
    return pq.read_table(out / "disclosures.parquet").to_pylist()


def test_writes_the_timeline_and_the_page_and_nothing_else(out_dir: Path) -> None:
    before = set(out_dir.iterdir())
    written = report(out_dir)
    assert written == [out_dir / "timeline.png", out_dir / "report.html"]
    assert set(out_dir.iterdir()) == before | set(written)  # no temporary files left


def test_timeline_is_a_png_with_a_lane_per_company(reported: Path) -> None:
    with Image.open(reported / "timeline.png") as image:
        assert image.format == "PNG"
        # 11 inches at 150 dpi; 1.6 inches for title and axis, 0.42 for each of 12 companies.
        assert image.size == (1650, round((1.6 + 0.42 * 12) * 150))


def test_page_is_utf8_html_with_every_title_linked_to_its_url(reported: Path) -> None:
    page = _parse(reported / "report.html")
    assert page.meta_charset == "utf-8"
    for disclosure in _disclosures(reported):
        assert (disclosure["url"], disclosure["title"]) in page.links


def test_page_loads_nothing_from_outside(reported: Path) -> None:
    text = (reported / "report.html").read_text(encoding="utf-8")
    page = _parse(reported / "report.html")
    urls = {d["url"] for d in _disclosures(reported)}
    external = [h for h, _ in page.links if h.startswith(("http://", "https://"))]
    assert external and set(external) <= urls
    assert "<script src" not in text.lower()
    assert page.scripts == 0
    assert [s[:22] for s in page.sources] == ["data:image/png;base64,"]
    embedded = base64.b64decode(page.sources[0][22:])
    assert embedded == (reported / "timeline.png").read_bytes()


def test_summaries_keep_their_line_breaks(reported: Path) -> None:
    page = _parse(reported / "report.html")
    # A null summary (the cell printed －) is shown as －.
    expected = [d["summary"] if d["summary"] is not None else "－" for d in _disclosures(reported)]
    assert any("\n" in s for s in expected)
    assert page.summaries[: len(expected)] == expected


def test_values_are_escaped(out_dir: Path) -> None:
    path = out_dir / "disclosures.parquet"
    table = pq.read_table(path)
    titles = table.column("title").to_pylist()
    titles[0] = '<script>alert("x")</script> & 報告'
    table = table.set_column(table.column_names.index("title"), "title", pa.array(titles))
    pq.write_table(table, path)
    report(out_dir)
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 報告" in text
    assert (_disclosures(out_dir)[0]["url"], titles[0]) in _parse(out_dir / "report.html").links


def test_without_incidents_there_is_no_incidents_section(out_dir: Path) -> None:
    for name in INCIDENT_FILES:
        (out_dir / name).unlink(missing_ok=True)
    report(out_dir)
    assert "事案" not in _parse(out_dir / "report.html").headings


def test_incidents_are_listed_by_company(reported: Path) -> None:
    assert all((reported / name).exists() for name in INCIDENT_FILES)
    page = _parse(reported / "report.html")
    incidents = pq.read_table(reported / "incidents.parquet").to_pylist()
    assert "事案" in page.headings
    assert {i["company"] for i in incidents} <= set(page.headings)
    anchors = {href for href, _ in page.links if href.startswith("#d-")}
    for incident in incidents:
        assert f"#d-{incident['first_page']}-{incident['first_row']}" in anchors


def test_missing_table_is_named(tmp_path: Path) -> None:
    with pytest.raises(PipelineError) as error:
        report(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'disclosures.parquet'}: not found"
        f" (run the pipeline first: python -m pipeline run --out {tmp_path})"
    )


def test_unreadable_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "disclosures.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(PipelineError, match=r"^\S+disclosures\.parquet: unreadable \(") as error:
        report(tmp_path)
    assert str(error.value).startswith(f"{path}: unreadable (")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "report.html").exists()


# --- The embedded font --------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """Collects the text a browser draws: text nodes outside <style> and <script>, alt, title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chars: set[str] = set()
        self._hidden = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden = tag in ("style", "script")
        for name, value in attrs:
            if name in ("alt", "title"):
                self.chars |= set(value or "")

    def handle_endtag(self, tag: str) -> None:
        self._hidden = False

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.chars |= set(data)


FONT_FACE = re.compile(
    r'@font-face \{ font-family: "([^"]+)";\s*src: url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)'
)


def _embedded_font(text: str) -> tuple[str, TTFont]:
    """Return the page's @font-face family and its font, decoded back from the data URL."""
    [(family, data)] = FONT_FACE.findall(text)
    return family, TTFont(io.BytesIO(base64.b64decode(data)))


def test_embedded_font_covers_every_character_the_page_shows(reported: Path) -> None:
    text = (reported / "report.html").read_text(encoding="utf-8")
    family, font = _embedded_font(text)
    assert font.flavor == "woff2"
    visible = _VisibleText()
    visible.feed(text)
    shown = visible.chars - set("\n\r\t")
    assert {"関", "電", "公", "表", "①", "（", "A", "1"} <= shown  # the parser saw the text
    cmap = font.getBestCmap()
    assert sorted(c for c in shown if ord(c) not in cmap) == []
    # It is the page's first choice of font, and cut down to what the page shows.
    assert re.search(rf'body \{{ font-family: "{re.escape(family)}",', text)
    assert len(cmap) < 2 * len(shown)
    assert len(font.getGlyphOrder()) < 1000  # IPAexGothic has over 12,000


def test_page_stays_small(reported: Path) -> None:
    page = (reported / "report.html").stat().st_size
    png = (reported / "timeline.png").stat().st_size
    # The PNG in base64, and the font: about 45 KB of WOFF2 for the replica's 400 characters.
    assert page < png * 4 / 3 + 150_000


def test_company_names_and_dates_are_never_broken(reported: Path) -> None:
    text = (reported / "report.html").read_text(encoding="utf-8")
    assert ".company, .date { white-space: nowrap; }" in text
    cells = re.findall(r'<td class="company">([^<]*)</td><td class="date">', text)
    assert cells == [d["company"] for d in sorted(_disclosures(reported), key=_key)]


def _key(disclosure: dict) -> tuple[int, int]:
    return disclosure["page"], disclosure["row"]


# --- Where the PDF came from ----------------------------------------------------------------------


def _source(path: Path) -> str:
    [line] = re.findall(r'<p class="source">(.*?)</p>', path.read_text(encoding="utf-8"))
    return line


def test_a_local_file_is_named_with_its_sha256(reported: Path) -> None:
    sha256 = hashlib.sha256(REPLICA.read_bytes()).hexdigest()
    assert _source(reported / "report.html") == (
        f"ファイル: <code>085_03_02.replica.pdf</code><br>SHA-256: <code>{sha256}</code>"
    )
    assert 'class="replica"' not in (reported / "report.html").read_text(encoding="utf-8")


URL = "https://www.emsc.meti.go.jp/activity/emsc_system/pdf/085_03_02.pdf"
FETCHED = "2025-06-01T09:30:00+00:00"


def _report_with_validation(out: Path, source: str) -> Path:
    """Report on a copy of the run whose validation.json says what a run on a downloaded (or
    replica) PDF with a download manifest writes there (tests/test_cli.py pins that part)."""
    path = out / "validation.json"
    validation = json.loads(path.read_text(encoding="utf-8"))
    validation |= {"source_kind": source, "source_url": URL, "fetched_at": FETCHED}
    path.write_text(json.dumps(validation), encoding="utf-8")
    report(out)
    return out / "report.html"


def test_a_replica_run_says_so_before_anything_else(out_dir: Path) -> None:
    page = _report_with_validation(out_dir, "replica")
    text = page.read_text(encoding="utf-8")
    notice = re.search(r'<h1>.*</h1>\n<p class="replica" role="alert">(.*?)</p>', text)
    assert notice, "no replica notice right under the heading"
    assert "これは公表された資料ではありません" in notice.group(1)
    assert "REPLICA: this is not the published document." in notice.group(1)
    assert ".replica { border: 2px solid #c00;" in text
    assert _source(page).startswith(
        f"レプリカ（{FETCHED}に複製）。公表された資料: <code>{URL}</code><br>SHA-256: <code>"
    )


def test_a_downloaded_pdf_is_named_by_its_url_and_when(out_dir: Path) -> None:
    page = _report_with_validation(out_dir, "network")
    sha256 = hashlib.sha256(REPLICA.read_bytes()).hexdigest()
    assert _source(page) == (
        f"取得元: <code>{URL}</code>（{FETCHED}に取得）<br>SHA-256: <code>{sha256}</code>"
    )
    assert 'class="replica"' not in page.read_text(encoding="utf-8")


def test_a_validation_json_about_another_pdf_is_not_believed(out_dir: Path) -> None:
    path = out_dir / "validation.json"
    validation = json.loads(path.read_text(encoding="utf-8"))
    validation |= {"sha256": "0" * 64, "source_kind": "replica", "source_url": URL}
    path.write_text(json.dumps(validation), encoding="utf-8")
    report(out_dir)
    assert _source(out_dir / "report.html").startswith("ファイル: <code>085_03_02.replica.pdf")


# --- What report() reads: the rows in order, the columns it needs, the incidents tables -------


def test_rows_are_reported_in_page_and_row_order_whatever_the_files_order(out_dir: Path) -> None:
    path = out_dir / "disclosures.parquet"
    table = pq.read_table(path)
    pq.write_table(table.take(list(reversed(range(table.num_rows)))), path)
    report(out_dir)
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    ids = [(int(p), int(r)) for p, r in re.findall(r'<tr id="d-(\d+)-(\d+)">', text)]
    assert ids[:3] == [(2, 1), (2, 2), (2, 3)]  # the replica's first rows, as printed
    assert ids == sorted(ids) and len(ids) == 43


def test_a_table_without_rows_is_an_error_naming_it(run_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "disclosures.parquet"
    pq.write_table(pq.read_table(run_dir / "disclosures.parquet").slice(0, 0), path)
    with pytest.raises(PipelineError) as error:
        report(tmp_path)
    assert str(error.value) == f"{path}: no rows to report"


def test_the_columns_the_page_needs_are_named_when_missing(run_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "disclosures.parquet"
    pq.write_table(pq.read_table(run_dir / "disclosures.parquet").drop(["url", "summary"]), path)
    with pytest.raises(PipelineError) as error:
        report(tmp_path)
    assert str(error.value) == f"{path}: missing columns url, summary"


@pytest.mark.parametrize("present", INCIDENT_FILES)
def test_incidents_are_read_only_when_both_tables_are_there(
    run_dir: Path, tmp_path: Path, present: str
) -> None:
    shutil.copyfile(run_dir / present, tmp_path / present)
    assert _read_incidents(tmp_path) == ([], [])


def test_both_incidents_tables_are_read_row_for_row(run_dir: Path) -> None:
    incidents, links = _read_incidents(run_dir)
    assert incidents == pq.read_table(run_dir / "incidents.parquet").to_pylist()
    assert links == pq.read_table(run_dir / "disclosure_incidents.parquet").to_pylist()
    assert (len(incidents), len(links)) == (25, 60)


@pytest.mark.parametrize(
    ("name", "column"),
    [("incidents.parquet", "first_published"), ("disclosure_incidents.parquet", "kind")],
)
def test_an_incidents_table_without_a_column_the_page_needs_is_an_error(
    run_dir: Path, tmp_path: Path, name: str, column: str
) -> None:
    for each in INCIDENT_FILES:
        table = pq.read_table(run_dir / each)
        pq.write_table(table.drop([column]) if each == name else table, tmp_path / each)
    with pytest.raises(PipelineError) as error:
        _read_incidents(tmp_path)
    assert str(error.value) == f"{tmp_path / name}: missing columns {column}"


# --- What the Parquet metadata and validation.json say about the document ---------------------


def _table(metadata: dict[str, str] | None) -> pa.Table:
    table = pa.table({"page": [1]})
    if metadata is None:
        return table
    return table.replace_schema_metadata({k.encode(): v.encode() for k, v in metadata.items()})


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (None, {"date": None, "source_file": None}),
        (
            {"document": "{not json", "document_date": "2023-05-22", "source_file": "a.pdf"},
            {"date": "2023-05-22", "source_file": "a.pdf"},
        ),
        (
            {"document": "[1, 2]", "document_date": "2023-05-22"},
            {"date": "2023-05-22", "source_file": None},
        ),
        (
            {
                "document": '{"title": "T", "date": "2024-01-01", "source_file": "b.pdf"}',
                "document_date": "2023-05-22",
                "source_file": "a.pdf",
            },
            {"title": "T", "date": "2024-01-01", "source_file": "b.pdf"},
        ),
    ],
)
def test_the_document_is_read_from_the_metadata_its_own_date_and_file_first(
    metadata: dict[str, str] | None, expected: dict
) -> None:
    assert _document(_table(metadata)) == expected


SHA = "ab" * 32


@pytest.mark.parametrize(
    "text",
    [None, "{not json", "[1, 2]", json.dumps({"sha256": "0" * 64, "source_kind": "network"})],
    ids=["missing", "not-json", "not-an-object", "another-pdf"],
)
def test_validation_json_is_not_used_unless_it_is_an_object_about_the_same_pdf(
    tmp_path: Path, text: str | None
) -> None:
    path = tmp_path / "validation.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    assert _provenance(path, _table({"source_sha256": SHA})) == {}


def test_validation_json_gives_its_four_source_keys_that_are_set(tmp_path: Path) -> None:
    path = tmp_path / "validation.json"
    validation = {
        "sha256": SHA,
        "source_kind": "network",
        "source_url": URL,
        "fetched_at": None,
        "provenance": "downloaded",
    }
    path.write_text(json.dumps(validation), encoding="utf-8")
    assert _provenance(path, _table({"source_sha256": SHA})) == {
        "sha256": SHA,
        "source_kind": "network",
        "source_url": URL,
    }


def test_a_table_without_a_sha256_matches_a_validation_json_without_one(tmp_path: Path) -> None:
    path = tmp_path / "validation.json"
    path.write_text(json.dumps({"sha256": "", "source_kind": "local file"}), encoding="utf-8")
    assert _provenance(path, _table(None)) == {"sha256": "", "source_kind": "local file"}


# --- The timeline's parts, drawn on a real matplotlib Axes -------------------------------------

D1, D2, D3 = dt.date(2023, 1, 5), dt.date(2023, 2, 10), dt.date(2023, 3, 20)


def _d(company: str, published: dt.date, role: str | None = None, **rest: object) -> dict:
    return {"company": company, "published": published, "company_role": role, **rest}


def _axes() -> Axes:
    figure = Figure()
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def test_companies_are_in_the_order_the_document_first_lists_them() -> None:
    rows = [_d("B", D1), _d("A", D2), _d("B", D3), _d("C", D1)]
    assert _companies(rows) == ["B", "A", "C"]


def test_a_companys_role_is_the_first_one_the_table_knows() -> None:
    rows = [_d("A", D1, None), _d("A", D2, "その他"), _d("A", D3, "小売電気事業者"), _d("B", D1)]
    assert _roles(rows) == {"A": "その他", "B": None}


def test_a_dot_per_company_and_date_in_its_roles_colour_counted_when_several() -> None:
    rows = [
        _d("A", D1, "一般送配電事業者"),
        _d("A", D1, "一般送配電事業者"),
        _d("A", D2, "一般送配電事業者"),
        _d("B", D1, None),
        _d("B", D3, "小売電気事業者"),
        _d("C", D2, "組合"),  # a role the colours do not list
    ]
    axes = _axes()
    _plot_lanes(axes, rows, ["A", "B", "C"])
    dots = [line for line in axes.lines if len(line.get_xdata())]
    assert [(ln.get_xdata()[0], ln.get_ydata()[0], ln.get_color()) for ln in dots] == [
        (D1, 0, "#1f77b4"),
        (D2, 0, "#1f77b4"),
        (D1, 1, "#d62728"),  # B's role, from its second row
        (D3, 1, "#d62728"),
        (D2, 2, "#1f4e79"),
    ]
    for line in dots:
        assert (line.get_marker(), line.get_markersize(), line.get_alpha()) == ("o", 8, 0.85)
        assert line.get_zorder() == 3
    [count] = axes.texts  # only (A, D1) has two
    assert (count.get_text(), count.xy, count.xyann, count.anncoords) == (
        "×2",
        (D1, 0),
        (6, 4),
        "offset points",
    )
    assert (count.get_fontsize(), count.get_color()) == (8, "#1f77b4")


def _legend_entries(axes: Axes) -> list[tuple[str, str]]:
    legend = axes.get_legend()
    handles = legend.legend_handles
    assert [h.get_marker() for h in handles] == ["o"] * len(handles)  # dots, as on the lanes
    return [(t.get_text(), h.get_color()) for t, h in zip(legend.texts, handles, strict=True)]


def test_the_legend_names_the_known_roles_in_their_order_and_unknown_ones_as_fumei() -> None:
    axes = _axes()
    _legend(axes, {"その他", None, "一般送配電事業者"})
    assert _legend_entries(axes) == [
        ("一般送配電事業者", "#1f77b4"),
        ("その他", "#7f7f7f"),
        ("不明", "#1f4e79"),
    ]
    legend = axes.get_legend()
    assert legend.get_title().get_text() == "事業者の区分"
    assert (legend._loc, tuple(legend.get_bbox_to_anchor()._bbox.p0)) == (2, (1.01, 1.0))
    assert (legend.get_frame_on(), legend._alignment) == (False, "left")
    assert (legend.texts[0].get_fontsize(), legend.get_title().get_fontsize()) == (9, 9)


def test_the_legend_has_no_fumei_when_every_role_is_known() -> None:
    axes = _axes()
    _legend(axes, {"小売電気事業者"})
    assert _legend_entries(axes) == [("小売電気事業者", "#d62728")]


def test_a_table_without_roles_has_no_legend() -> None:
    axes = _axes()
    _legend(axes, {None, "組合"})
    assert axes.get_legend() is None
    assert list(axes.lines) == []


def test_the_axes_show_lanes_top_down_months_and_the_date_range() -> None:
    axes = _axes()
    _format_axes(axes, [_d("A", D2), _d("B", D3), _d("A", D1)], ["A", "B"])
    assert [label.get_text() for label in axes.get_yticklabels()] == ["A", "B"]
    assert list(axes.get_yticks()) == [0, 1]
    assert axes.get_ylim() == (1.5, -0.5)  # the first company on top
    days = [mdates.num2date(x).date() for x in axes.get_xlim()]
    assert days == [dt.date(2022, 12, 26), dt.date(2023, 3, 30)]  # ten days either side
    months = [mdates.num2date(x).date() for x in axes.xaxis.get_majorticklocs()]
    assert months == [dt.date(2023, 1, 1), dt.date(2023, 2, 1), dt.date(2023, 3, 1)]
    assert axes.xaxis.get_major_formatter()(mdates.date2num(dt.date(2023, 2, 1)), 0) == "2023年2月"
    minor = [mdates.num2date(x).date() for x in axes.xaxis.get_minorticklocs()]
    assert {d.day for d in minor} == {8, 15, 22} and len(minor) == 9
    assert axes.get_title() == "事業者別の公表日（2023年1月5日〜2023年3月20日）"
    assert axes.title.get_fontsize() == 13
    assert axes.get_xlabel() == "公表日"


def test_the_axes_grid_and_frame_are_light() -> None:
    axes = _axes()
    _format_axes(axes, [_d("A", D1)], ["A"])
    major = axes.xaxis.get_major_ticks()[0].gridline
    minor = axes.xaxis.get_minor_ticks()[0].gridline
    lane = axes.yaxis.get_major_ticks()[0]
    assert (major.get_visible(), major.get_color(), major.get_linewidth()) == (True, "#cccccc", 0.8)
    assert (minor.get_visible(), minor.get_color(), minor.get_linewidth()) == (True, "#eeeeee", 0.5)
    assert (lane.gridline.get_visible(), lane.gridline.get_color()) == (True, "#f2f2f2")
    assert lane.gridline.get_linewidth() == 6
    assert (lane.tick1line.get_markersize(), lane.label1.get_fontsize()) == (0, 10)
    assert axes.xaxis.get_major_ticks()[0].tick1line.get_markersize() > 0  # months keep theirs
    assert axes.get_axisbelow() is True
    assert {side: spine.get_visible() for side, spine in axes.spines.items()} == {
        "left": False,
        "right": False,
        "top": False,
        "bottom": True,
    }


# --- The page's parts --------------------------------------------------------------------------


def test_visible_text_is_text_alt_and_title_outside_style_and_script() -> None:
    page = (
        '<p title="T">a&amp;b<style>s<b>bold</b>still</style>c'
        "<script><style></style>hidden</script>"
        '<img alt="A"><img alt>d</p>'
    )
    assert _visible_text(page) == "Ta&bcAd"


def test_quiet_lets_only_warnings_through_and_restores_the_level() -> None:
    library = logging.getLogger("pipeline.tests.quiet")
    for level, inside in ((logging.INFO, logging.WARNING), (logging.ERROR, logging.ERROR)):
        library.setLevel(level)
        with _quiet("pipeline.tests.quiet"):
            assert library.level == inside
        assert library.level == level
    library.setLevel(logging.INFO)
    with pytest.raises(KeyError), _quiet("pipeline.tests.quiet"):
        raise KeyError("x")
    assert library.level == logging.INFO


def test_the_font_is_unhinted_woff2_with_exactly_the_characters_shown() -> None:
    family, font = _embedded_font(_font_face("あA\n\tあ"))
    assert family == "IPAexGothic (report)"
    assert font.flavor == "woff2"
    assert sorted(font.getBestCmap()) == [ord("A"), ord("あ")]
    assert "fpgm" not in font and "prep" not in font  # the full font has both: hints


@pytest.mark.parametrize(
    ("name", "value"), [("FONT_PACKAGE", "pipeline_no_such_fonts"), ("FONT_FILE", "fonts/no.ttf")]
)
def test_a_missing_font_is_named_with_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setattr(f"pipeline.report.{name}", value)
    package = value if name == "FONT_PACKAGE" else "japanize_matplotlib"
    file = value if name == "FONT_FILE" else "fonts/ipaexg.ttf"
    with pytest.raises(PipelineError) as error:
        _font_file()
    assert str(error.value) == (
        f"timeline.png: the IPAexGothic font ({package}/{file}) is not installed;"
        " pip install japanize-matplotlib"
    )


REPLICA_NOTICE = (
    '<p class="replica" role="alert">注意: これは公表された資料ではありません。'
    "ネットワークに接続できなかったため、同梱のレプリカ（再現したPDF）から作成しました。"
    " REPLICA: this is not the published document.</p>"
)


@pytest.mark.parametrize(
    ("kind", "expected"), [("replica", REPLICA_NOTICE), ("network", ""), (None, "")]
)
def test_only_the_replica_gets_the_notice(kind: str | None, expected: str) -> None:
    assert _replica_notice({"source_kind": kind}) == expected


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"source_kind": "network", "source_url": "https://a.jp/x?a=1&b=2", "fetched_at": "T"},
            "取得元: <code>https://a.jp/x?a=1&amp;b=2</code>（Tに取得）",
        ),
        (
            {"source_kind": "network", "source_url": "https://a.jp/x"},
            "取得元: <code>https://a.jp/x</code>",
        ),
        (
            {"source_kind": "network", "fetched_at": "T", "source_file": "raw/x.pdf"},
            "ファイル: <code>x.pdf</code>",
        ),
        (
            {"source_kind": "replica", "source_url": "https://a.jp/x", "fetched_at": "T"},
            "レプリカ（Tに複製）。公表された資料: <code>https://a.jp/x</code>",
        ),
        ({"source_kind": "replica"}, "レプリカ。公表された資料: <code>不明</code>"),
        (
            {"source_kind": "local file", "source_file": "a/b/<c>.pdf"},
            "ファイル: <code>&lt;c&gt;.pdf</code>",
        ),
        ({"sha256": "ab<"}, "SHA-256: <code>ab&lt;</code>"),
        (
            {"source_file": "x.pdf", "sha256": "ab"},
            "ファイル: <code>x.pdf</code><br>SHA-256: <code>ab</code>",
        ),
    ],
)
def test_the_source_line_says_where_the_pdf_came_from(document: dict, expected: str) -> None:
    assert _source_line(document) == f'<p class="source">{expected}</p>'


def test_without_a_source_there_is_no_source_line() -> None:
    assert _source_line({"source_kind": "local file", "sha256": ""}) == ""


@pytest.mark.parametrize(
    ("document", "source"),
    [
        (
            {"meeting": "M", "material": "資料1", "date": "2023-05-22"},
            " 出典: M 資料1（2023-05-22）",
        ),
        ({"material": "資料1"}, " 出典: 資料1"),
        ({"meeting": "M", "material": ""}, " 出典: M"),
        ({"date": "2023-05-22"}, " 出典: 2023-05-22"),
        ({}, ""),
    ],
)
def test_the_facts_line_counts_rows_and_companies_and_names_the_source(
    document: dict, source: str
) -> None:
    rows = [_d("A", D2), _d("B", D3), _d("A", D1)]
    assert _facts(rows, document) == f"3件の公表、2事業者、2023年1月5日〜2023年3月20日。{source}"


def test_notes_are_the_footnotes_with_text_escaped() -> None:
    footnotes = [{"text": "※a<b"}, {"text": ""}, "※not a note", {"page": 2}, {"text": "※c"}]
    assert _notes({"footnotes": footnotes}) == '<ul class="notes"><li>※a&lt;b</li><li>※c</li></ul>'


@pytest.mark.parametrize("document", [{}, {"footnotes": None}, {"footnotes": [{"text": ""}]}])
def test_without_footnotes_there_are_no_notes(document: dict) -> None:
    assert _notes(document) == ""


def _row(page: int, row: int, published: dt.date, **rest: object) -> dict:
    return {
        "page": page,
        "row": row,
        "company": "A&B",
        "published": published,
        "published_raw": None,
        "location": "HP",
        "title": "T<1>",
        "url": "https://a.jp/?a=1&b=2",
        "summary": None,
        **rest,
    }


def test_the_disclosures_table_has_a_row_per_disclosure_with_its_anchor() -> None:
    rows = [
        _row(2, 1, D1, published_raw="R5.1.5", summary="line 1\nline 2"),
        _row(3, 4, D2, published_raw="", summary=""),
        _row(3, 5, D2),
    ]
    cells = (
        '<td class="company">A&amp;B</td><td class="date">{date}{raw}</td><td>HP</td>'
        '<td><a href="https://a.jp/?a=1&amp;b=2">T&lt;1&gt;</a></td>'
        '<td class="summary">{summary}</td>'
    )
    raw = ' <span class="raw">(R5.1.5)</span>'
    assert _disclosures_table(rows) == "\n".join(
        [
            "<table>",
            '<thead><tr><th class="company">事業者名</th><th class="date">公表日</th>'
            "<th>掲載箇所</th><th>タイトル</th><th>補足</th></tr></thead>",
            "<tbody>",
            '<tr id="d-2-1">'
            + cells.format(date="2023-01-05", raw=raw, summary="line 1\nline 2")
            + "</tr>",
            '<tr id="d-3-4">' + cells.format(date="2023-02-10", raw="", summary="") + "</tr>",
            '<tr id="d-3-5">' + cells.format(date="2023-02-10", raw="", summary="－") + "</tr>",
            "</tbody>",
            "</table>",
        ]
    )


HEAD = "<th>事案</th><th>内容</th><th>初出</th><th>記載した公表</th><th>言及した公表</th>"


def _incident(company: str, label: str, ordinal: int, **rest: object) -> dict:
    return {
        "company": company,
        "label": label,
        "ordinal": ordinal,
        "text": f"{label}<事案>",
        "first_published": D1,
        "first_page": 2,
        "first_row": 1,
        **rest,
    }


def _link(page: int, row: int, company: str, label: str, kind: str) -> dict:
    return {"page": page, "row": row, "company": company, "label": label, "kind": kind}


def _mention(page: int, row: int, date: str, title: str = "T&lt;1&gt;") -> str:
    return f'<a href="#d-{page}-{row}" title="{title}">{date}</a>'


def test_incidents_are_grouped_by_company_in_document_order_then_by_ordinal() -> None:
    disclosures = [
        _row(2, 1, D1, company="B"),
        _row(2, 2, D2, company="A", title='"q"'),
        _row(3, 1, D3, company="B"),
    ]
    incidents = [
        _incident("A", "b", 2, first_published=None, first_page=None),
        _incident("Z", "a", 1, first_row=None),  # a company no disclosure names: last
        _incident("B", "a", 1),
        _incident("A", "a", 1, first_page=2, first_row=2),
        _incident("Y", "a", 1, first_published=D2),
    ]
    links = [
        _link(3, 1, "B", "a", "refers"),
        _link(2, 1, "B", "a", "describes"),
        _link(3, 1, "B", "a", "describes"),
        _link(2, 2, "A", "a", "refers"),
        _link(2, 2, "A", "a", "other"),  # neither describes nor refers
        _link(9, 9, "A", "b", "describes"),  # no such disclosure
    ]
    sections = _incidents_sections(disclosures, incidents, links).split("\n")

    def row(label: str, first: str, describes: str, refers: str) -> str:
        return (
            f'<tr><td>{label}</td><td class="summary">{label}&lt;事案&gt;</td>'
            f'<td class="date">{first}</td><td class="date">{describes}</td>'
            f'<td class="date">{refers}</td></tr>'
        )

    def section(company: str, *rows: str) -> list[str]:
        head = f"<thead><tr>{HEAD}</tr></thead>"
        return [f"<h3>{company}</h3>", "<table>", head, "<tbody>", *rows, "</tbody>", "</table>"]

    first = '<a href="#d-2-1">2023-01-05</a>'
    assert sections == [
        *section(
            "B",
            row(
                "a",
                first,
                _mention(2, 1, "2023-01-05") + "<br>" + _mention(3, 1, "2023-03-20"),
                _mention(3, 1, "2023-03-20"),
            ),
        ),
        *section(
            "A",
            row(
                "a",
                '<a href="#d-2-2">2023-01-05</a>',
                "",
                _mention(2, 2, "2023-02-10", "&quot;q&quot;"),
            ),
            row("b", "", "", ""),
        ),
        *section("Y", row("a", '<a href="#d-2-1">2023-02-10</a>', "", "")),
        *section("Z", row("a", "2023-01-05", "", "")),
    ]


# --- The whole page, from small inputs -----------------------------------------------------------


def _small_pages() -> tuple[str, str]:
    """_html on two rows: once with a titled replica document, a footnote and an incident,
    once with a document that says nothing and no incidents."""
    rows = [_row(2, 1, D1, company="B"), _row(2, 2, D2, company="A")]
    titled = {"title": "表<題>", "source_kind": "replica", "footnotes": [{"text": "※注"}]}
    incidents = [_incident("B", "a", 1)]
    links = [_link(2, 1, "B", "a", "describes")]
    return (
        _html(rows, incidents, links, b"\x89PNG", titled),
        _html(rows, [], [], b"\x89PNG", {}),
    )


def test_the_page_is_head_then_heading_notice_facts_source_timeline_table_notes_incidents() -> None:
    titled, plain = _small_pages()
    for page, title in ((titled, "表&lt;題&gt;"), (plain, "事業者における事案の公表状況")):
        assert page.split("\n")[:6] == [
            "<!DOCTYPE html>",
            '<html lang="ja">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>",
        ]
        assert page.split("\n")[6] == "<style>"
        assert "</style>\n</head>\n<body>\n" in page
        assert page.endswith("\n</body>\n</html>\n")
    body = titled.split("<body>\n")[1]
    parts = [
        "<h1>表&lt;題&gt;</h1>",
        '<p class="replica" role="alert">',
        '<p class="meta">2件の公表、2事業者、2023年1月5日〜2023年2月10日。</p>',
        '<p class="source">レプリカ。公表された資料: <code>不明</code></p>',
        '<img src="data:image/png;base64,iVBORw==" alt="事業者別の公表日の時系列">',
        "<h2>公表一覧</h2>",
        "<table>",
        '<ul class="notes"><li>※注</li></ul>',
        "<h2>事案</h2>\n<h3>B</h3>",
    ]
    positions = [body.index(part) for part in parts]
    assert positions == sorted(positions)
    assert body.split("\n")[0] == parts[0] and body.split("\n")[1].startswith(parts[1])
    assert plain.split("<body>\n")[1].split("\n")[:5] == [
        "<h1>事業者における事案の公表状況</h1>",
        '<p class="meta">2件の公表、2事業者、2023年1月5日〜2023年2月10日。</p>',
        '<img src="data:image/png;base64,iVBORw==" alt="事業者別の公表日の時系列">',
        "<h2>公表一覧</h2>",
        "<table>",
    ]
    assert "事案</h2>" not in plain and "<ul" not in plain
    _, font = _embedded_font(titled)
    cmap = font.getBestCmap()
    assert {ord(c) for c in "表<題>事業者別の公表日の時系列注"} <= set(cmap)  # title, alt, notes
    assert ord("@") not in cmap and ord("{") not in cmap  # nothing from the <style>


def test_the_timeline_draws_its_japanese_in_a_font_that_has_every_glyph() -> None:
    rows = [
        _row(2, 1, D1, company="関西電力送配電"),
        _row(2, 2, D3, company="東京電力パワーグリッド"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of each glyph its font lacks
        png = _timeline_png(rows)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1650, round((1.6 + 0.42 * 2) * 150))
