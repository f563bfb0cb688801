"""report(): timeline.png and report.html from the outputs of a run on the replica."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont
from PIL import Image

from pipeline.cli import cli
from pipeline.errors import PipelineError
from pipeline.report import report

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


def test_timeline_is_a_png_with_a_lane_per_company(out_dir: Path) -> None:
    report(out_dir)
    with Image.open(out_dir / "timeline.png") as image:
        assert image.format == "PNG"
        width, height = image.size
    # 11 inches at 150 dpi; 12 companies at 0.42 inches each plus title and axis.
    assert width == 1650
    assert 700 <= height <= 1200


def test_page_is_utf8_html_with_every_title_linked_to_its_url(out_dir: Path) -> None:
    report(out_dir)
    page = _parse(out_dir / "report.html")
    assert page.meta_charset == "utf-8"
    for disclosure in _disclosures(out_dir):
        assert (disclosure["url"], disclosure["title"]) in page.links


def test_page_loads_nothing_from_outside(out_dir: Path) -> None:
    report(out_dir)
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    page = _parse(out_dir / "report.html")
    urls = {d["url"] for d in _disclosures(out_dir)}
    external = [h for h, _ in page.links if h.startswith(("http://", "https://"))]
    assert external and set(external) <= urls
    assert "<script src" not in text.lower()
    assert page.scripts == 0
    assert [s[:22] for s in page.sources] == ["data:image/png;base64,"]
    embedded = base64.b64decode(page.sources[0][22:])
    assert embedded == (out_dir / "timeline.png").read_bytes()


def test_summaries_keep_their_line_breaks(out_dir: Path) -> None:
    report(out_dir)
    page = _parse(out_dir / "report.html")
    # A null summary (the cell printed －) is shown as －.
    expected = [d["summary"] if d["summary"] is not None else "－" for d in _disclosures(out_dir)]
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


def test_incidents_are_listed_by_company(out_dir: Path) -> None:
    if not all((out_dir / name).exists() for name in INCIDENT_FILES):
        pytest.skip("this run wrote no incidents tables")
    report(out_dir)
    page = _parse(out_dir / "report.html")
    incidents = pq.read_table(out_dir / "incidents.parquet").to_pylist()
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


def test_embedded_font_covers_every_character_the_page_shows(out_dir: Path) -> None:
    report(out_dir)
    text = (out_dir / "report.html").read_text(encoding="utf-8")
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


def test_page_stays_small(out_dir: Path) -> None:
    report(out_dir)
    page = (out_dir / "report.html").stat().st_size
    png = (out_dir / "timeline.png").stat().st_size
    # The PNG in base64, and the font: about 45 KB of WOFF2 for the replica's 400 characters.
    assert page < png * 4 / 3 + 150_000


def test_company_names_and_dates_are_never_broken(out_dir: Path) -> None:
    report(out_dir)
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    assert ".company, .date { white-space: nowrap; }" in text
    cells = re.findall(r'<td class="company">([^<]*)</td><td class="date">', text)
    assert cells == [d["company"] for d in sorted(_disclosures(out_dir), key=_key)]


def _key(disclosure: dict) -> tuple[int, int]:
    return disclosure["page"], disclosure["row"]


# --- Where the PDF came from ----------------------------------------------------------------------


def _source(path: Path) -> str:
    [line] = re.findall(r'<p class="source">(.*?)</p>', path.read_text(encoding="utf-8"))
    return line


def test_a_local_file_is_named_with_its_sha256(out_dir: Path) -> None:
    report(out_dir)
    sha256 = hashlib.sha256(REPLICA.read_bytes()).hexdigest()
    assert _source(out_dir / "report.html") == (
        f"ファイル: <code>085_03_02.replica.pdf</code><br>SHA-256: <code>{sha256}</code>"
    )
    assert 'class="replica"' not in (out_dir / "report.html").read_text(encoding="utf-8")


URL = "https://www.emsc.meti.go.jp/activity/emsc_system/pdf/085_03_02.pdf"
FETCHED = "2025-06-01T09:30:00+00:00"


def _run_with_manifest(folder: Path, source: str) -> Path:
    """Run the pipeline on a copy of the replica with a manifest as download writes it."""
    folder.mkdir()
    pdf = folder / "085_03_02.pdf"
    shutil.copyfile(REPLICA, pdf)
    manifest = {
        "url": URL,
        "final_url": URL if source == "network" else REPLICA.resolve().as_uri(),
        "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest(),
        "size": pdf.stat().st_size,
        "fetched_at": FETCHED,
        "content_type": "application/pdf",
        "source": source,
        "history": [],
    }
    pdf.with_suffix(".manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    out = folder / "out"
    result = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(pdf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report(out)
    return out / "report.html"


def test_a_replica_run_says_so_before_anything_else(tmp_path: Path) -> None:
    page = _run_with_manifest(tmp_path / "replica", "replica")
    text = page.read_text(encoding="utf-8")
    notice = re.search(r'<h1>.*</h1>\n<p class="replica" role="alert">(.*?)</p>', text)
    assert notice, "no replica notice right under the heading"
    assert "これは公表された資料ではありません" in notice.group(1)
    assert "REPLICA: this is not the published document." in notice.group(1)
    assert ".replica { border: 2px solid #c00;" in text
    assert _source(page).startswith(
        f"レプリカ（{FETCHED}に複製）。公表された資料: <code>{URL}</code><br>SHA-256: <code>"
    )


def test_a_downloaded_pdf_is_named_by_its_url_and_when(tmp_path: Path) -> None:
    page = _run_with_manifest(tmp_path / "network", "network")
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
