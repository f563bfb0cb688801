"""Report: a timeline of the disclosures and one static HTML page from the output tables."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.resources.abc
import importlib.util
import io
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import PipelineError
from pipeline.files import replace_all

if TYPE_CHECKING:
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)

Record = dict[str, Any]  # a table's row, or a JSON object, as read

DISCLOSURES_NAME = "disclosures.parquet"
TIMELINE_NAME = "timeline.png"
REPORT_NAME = "report.html"
INCIDENTS_NAME = "incidents.parquet"
DISCLOSURE_INCIDENTS_NAME = "disclosure_incidents.parquet"
REQUIRED_COLUMNS = ("page", "row", "company", "published", "location", "title", "url", "summary")
# IPAexGothic ships inside japanize-matplotlib; the package itself is not imported, as it
# imports distutils, which Python 3.12 no longer has.
FONT_PACKAGE = "japanize_matplotlib"
FONT_FILE = "fonts/ipaexg.ttf"
# The page embeds IPAexGothic, cut down to the characters it shows, as WOFF2 in a data URL:
# it then shows its Japanese on a machine without a Japanese font, and stays one small file.
# (The IPA Font License allows embedding the font in a document.)
EMBEDDED_FAMILY = "IPAexGothic (report)"
VALIDATION_NAME = "validation.json"  # where the run recorded when it fetched the PDF
# Marker colour per company_role (the values schema.DISCLOSURES declares).
ROLE_COLOURS = {
    "一般送配電事業者": "#1f77b4",
    "小売電気事業者": "#d62728",
    "その他": "#7f7f7f",
}
DEFAULT_COLOUR = "#1f4e79"  # also for a company whose role the table does not know
UNKNOWN_ROLE = "不明"
DEFAULT_HEADING = "事業者における事案の公表状況"
LANE_INCHES = 0.42  # height of one company's lane
TIMELINE_WIDTH_INCHES = 11.0
TIMELINE_DPI = 150
DATE_MARGIN = dt.timedelta(days=10)  # space left and right of the first and last date

CSS = f"""
body {{ font-family: "{EMBEDDED_FAMILY}", "IPAexGothic", "Hiragino Sans", "Yu Gothic",
  "Noto Sans CJK JP", sans-serif; margin: 2em; color: #222; line-height: 1.5; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 2em; }}
h3 {{ font-size: 1.05em; }}
.meta, .source {{ color: #555; }}
.source code {{ font-size: 0.85em; overflow-wrap: anywhere; }}
.replica {{ border: 2px solid #c00; background: #fff0f0; color: #900; padding: 0.5em 1em;
  font-weight: bold; }}
img {{ max-width: 100%; height: auto; border: 1px solid #ddd; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }}
th {{ background: #f0f0f0; }}
td.summary {{ white-space: pre-line; }}
/* A company's name on one line, however long; a date never broken. */
.company, .date {{ white-space: nowrap; }}
.raw {{ color: #777; font-size: 0.85em; }}
:target {{ background: #fff6cc; }}
"""


def report(out_dir: Path) -> list[Path]:
    """Given the directory `write` filled, write timeline.png and report.html beside its tables.

    The incidents tables are shown if both incidents.parquet and disclosure_incidents.parquet
    are there; disclosures.parquet alone is enough.
    """
    disclosures_path = out_dir / DISCLOSURES_NAME
    table = _read(disclosures_path)
    _require(disclosures_path, table, REQUIRED_COLUMNS)
    disclosures = sorted(table.to_pylist(), key=lambda d: (d["page"], d["row"]))
    if not disclosures:
        raise PipelineError(f"{disclosures_path}: no rows to report")
    incidents, links = _read_incidents(out_dir)
    png = _timeline_png(disclosures)
    document = _document(table) | _provenance(out_dir / VALIDATION_NAME, table)
    page = _html(disclosures, incidents, links, png, document)
    return replace_all(out_dir, {TIMELINE_NAME: png, REPORT_NAME: page.encode("utf-8")})


def _read(path: Path) -> pa.Table:
    """Read a Parquet file, or raise one line naming it."""
    run = f"python -m pipeline run --out {path.parent}"
    if not path.is_file():
        raise PipelineError(f"{path}: not found (run the pipeline first: {run})")
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise PipelineError(f"{path}: unreadable ({exc}); run the pipeline again: {run}") from exc


def _require(path: Path, table: pa.Table, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise PipelineError(f"{path}: missing columns {', '.join(missing)}")


def _read_incidents(out_dir: Path) -> tuple[list[Record], list[Record]]:
    """Return (incidents, disclosure_incidents) rows, or two empty lists if either is absent."""
    paths = (out_dir / INCIDENTS_NAME, out_dir / DISCLOSURE_INCIDENTS_NAME)
    if not all(path.is_file() for path in paths):
        return [], []
    incidents, links = (_read(path) for path in paths)
    _require(paths[0], incidents, ("company", "label", "ordinal", "text", "first_published"))
    _require(paths[1], links, ("page", "row", "company", "label", "kind"))
    return incidents.to_pylist(), links.to_pylist()


def _document(table: pa.Table) -> Record:
    """Return what the Parquet metadata says about the source document (title, date, notes)."""
    metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    try:
        document = json.loads(metadata.get("document", "{}"))
    except json.JSONDecodeError:
        document = {}
    document = document if isinstance(document, dict) else {}
    document.setdefault("date", metadata.get("document_date"))
    document.setdefault("source_file", metadata.get("source_file"))
    return document


def _provenance(path: Path, table: pa.Table) -> dict[str, str]:
    """Return where the PDF came from, as the run's validation.json says (source_kind,
    source_url, fetched_at, sha256), if it is there and about the same PDF as the table."""
    metadata = table.schema.metadata or {}
    try:
        validation = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(validation, dict):
        return {}
    if validation.get("sha256") != metadata.get(b"source_sha256", b"").decode():
        logger.warning("%s is about another PDF than the tables; not used", path)
        return {}
    keys = ("source_kind", "source_url", "fetched_at", "sha256")
    return {key: validation[key] for key in keys if validation.get(key) is not None}


def _companies(disclosures: list[Record]) -> list[str]:
    """Return the companies in the order the document first lists them."""
    return list(dict.fromkeys(d["company"] for d in disclosures))


def _roles(disclosures: list[Record]) -> dict[str, str | None]:
    """Return {company: role} from company_role, None where the table does not know it."""
    roles: dict[str, str | None] = {}
    for d in disclosures:
        if roles.get(d["company"]) is None:
            roles[d["company"]] = d.get("company_role")
    return roles


# --- Timeline ---------------------------------------------------------------------------------


@contextmanager
def _font() -> Iterator[str]:
    """Register IPAexGothic with matplotlib and yield its family name."""
    from matplotlib import font_manager

    with resources.as_file(_font_file()) as path:
        font_manager.fontManager.addfont(str(path))
        yield font_manager.FontProperties(fname=str(path)).get_name()


def _font_file() -> resources.abc.Traversable:
    """Return the font inside the installed package, found without importing the package.

    resources.files(FONT_PACKAGE) would import japanize_matplotlib, and with it distutils;
    the package's own resource reader finds the same file from its import spec alone.
    """
    spec = importlib.util.find_spec(FONT_PACKAGE)
    loader: Any = spec.loader if spec else None  # a SourceFileLoader: it has a reader
    reader = loader.get_resource_reader(spec.name) if spec and loader else None
    font: resources.abc.Traversable | None = reader.files().joinpath(FONT_FILE) if reader else None
    if font is None or not font.is_file():
        raise PipelineError(
            f"{TIMELINE_NAME}: the IPAexGothic font ({FONT_PACKAGE}/{FONT_FILE}) is not"
            " installed; pip install japanize-matplotlib"
        )
    return font


def _timeline_png(disclosures: list[Record]) -> bytes:
    """Given the disclosures, return a PNG with one lane per company and a dot per date."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PipelineError(
            f"{TIMELINE_NAME}: needs matplotlib; pip install matplotlib japanize-matplotlib"
        ) from exc

    companies = _companies(disclosures)
    with _font() as family, matplotlib.rc_context({"font.family": family}):
        height = 1.6 + LANE_INCHES * len(companies)
        figure = Figure(figsize=(TIMELINE_WIDTH_INCHES, height), layout="constrained")
        FigureCanvasAgg(figure)  # Agg, without touching pyplot's global backend
        axes = figure.add_subplot()
        _plot_lanes(axes, disclosures, companies)
        _format_axes(axes, disclosures, companies)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=TIMELINE_DPI)
    return buffer.getvalue()


def _plot_lanes(axes: Axes, disclosures: list[Record], companies: list[str]) -> None:
    """Draw a dot per (company, date), its colour from the role, a count where several share it."""
    roles = _roles(disclosures)
    counts: dict[tuple[str, dt.date], int] = defaultdict(int)
    for d in disclosures:
        counts[(d["company"], d["published"])] += 1
    lane = {company: i for i, company in enumerate(companies)}
    for (company, day), count in counts.items():
        colour = ROLE_COLOURS.get(roles[company] or "", DEFAULT_COLOUR)
        date: Any = day  # matplotlib takes dates through its units registry; its stubs do not
        axes.plot(date, lane[company], "o", color=colour, markersize=8, alpha=0.85, zorder=3)
        if count > 1:
            axes.annotate(
                f"×{count}",
                (date, lane[company]),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=8,
                color=colour,
            )
    _legend(axes, set(roles.values()))


def _legend(axes: Axes, roles: set[str | None]) -> None:
    """Name the colours, if the table has roles at all; an unlisted or missing role is 不明."""
    known = [role for role in ROLE_COLOURS if role in roles]
    if not known:
        return
    for role in known:
        axes.plot([], [], "o", color=ROLE_COLOURS[role], label=role)
    if roles - set(known):
        axes.plot([], [], "o", color=DEFAULT_COLOUR, label=UNKNOWN_ROLE)
    axes.legend(
        title="事業者の区分",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=9,
        title_fontsize=9,
        alignment="left",
    )


def _format_axes(axes: Axes, disclosures: list[Record], companies: list[str]) -> None:
    """Label the lanes with the companies, the x axis with months, the title with the range."""
    from matplotlib import dates as mdates
    from matplotlib.ticker import FuncFormatter

    first = min(d["published"] for d in disclosures)
    last = max(d["published"] for d in disclosures)
    axes.set_yticks(range(len(companies)), labels=companies, fontsize=10)
    axes.set_ylim(len(companies) - 0.5, -0.5)  # first company on top, as in the document
    axes.set_xlim(first - DATE_MARGIN, last + DATE_MARGIN)
    axes.xaxis.set_major_locator(mdates.MonthLocator())
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _month(mdates.num2date(x).date())))
    axes.xaxis.set_minor_locator(mdates.DayLocator(bymonthday=(8, 15, 22)))
    axes.grid(axis="x", which="major", color="#cccccc", linewidth=0.8)
    axes.grid(axis="x", which="minor", color="#eeeeee", linewidth=0.5)
    axes.grid(axis="y", color="#f2f2f2", linewidth=6)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.set_title(f"事業者別の公表日（{_day(first)}〜{_day(last)}）", fontsize=13)
    axes.set_xlabel("公表日")


def _month(date: dt.date) -> str:
    return f"{date.year}年{date.month}月"


def _day(date: dt.date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


# --- HTML -------------------------------------------------------------------------------------


def _html(
    disclosures: list[Record],
    incidents: list[Record],
    links: list[Record],
    png: bytes,
    document: Record,
) -> str:
    """Return the whole page: heading, where the PDF came from, timeline, disclosures table,
    incidents if any; with the font its text needs."""
    heading = document.get("title") or DEFAULT_HEADING
    image = base64.b64encode(png).decode("ascii")
    parts = [
        f"<h1>{escape(heading)}</h1>",
        _replica_notice(document),
        f'<p class="meta">{escape(_facts(disclosures, document))}</p>',
        _source_line(document),
        f'<img src="data:image/png;base64,{image}" alt="事業者別の公表日の時系列">',
        "<h2>公表一覧</h2>",
        _disclosures_table(disclosures),
        _notes(document),
    ]
    if incidents:
        parts += ["<h2>事案</h2>", _incidents_sections(disclosures, incidents, links)]
    title = f"<title>{escape(heading)}</title>"
    body = "\n".join(p for p in parts if p)
    head = [
        "<!DOCTYPE html>",
        '<html lang="ja">',
        '<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        title,
        f"<style>\n{_font_face(_visible_text(title + body))}{CSS}</style>\n</head>",
    ]
    return "\n".join([*head, "<body>", body, "</body>", "</html>", ""])


class _TextParser(HTMLParser):
    """Collects the text a page shows: its text nodes, and its alt and title attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self._hidden = 0  # inside <style> or <script>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("style", "script")
        self.text += [value or "" for name, value in attrs if name in ("alt", "title")]

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _visible_text(page: str) -> str:
    """Given HTML, return all the text it shows."""
    parser = _TextParser()
    parser.feed(page)
    parser.close()
    return "".join(parser.text)


def _font_face(text: str) -> str:
    """Given the page's text, return an @font-face rule embedding IPAexGothic cut down to its
    characters, as WOFF2 in a data URL."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False  # browsers hint CJK outlines themselves; hints would double the size
    with resources.as_file(_font_file()) as path:
        font = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in text if c not in "\n\r\t"})
    buffer = io.BytesIO()
    with _quiet("fontTools"):  # its INFO lines list every glyph kept
        subsetter.subset(font)
        try:
            subset.save_font(font, buffer, options)
        except ImportError as exc:  # WOFF2 is compressed with brotli
            raise PipelineError(
                f"{REPORT_NAME}: WOFF2 needs the brotli package;"
                " pip install 'meti-disclosures[report]'"
            ) from exc
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'@font-face {{ font-family: "{EMBEDDED_FAMILY}";\n'
        f'  src: url(data:font/woff2;base64,{data}) format("woff2"); }}\n'
    )


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Let only warnings and errors of a library's logger through, for the block."""
    library = logging.getLogger(name)
    level = library.level
    library.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        library.setLevel(level)


def _replica_notice(document: Record) -> str:
    """Return a notice that stands out, if the PDF was the bundled replica; else nothing."""
    if document.get("source_kind") != "replica":
        return ""
    return (
        '<p class="replica" role="alert">注意: これは公表された資料ではありません。'
        "ネットワークに接続できなかったため、同梱のレプリカ（再現したPDF）から作成しました。"
        " REPLICA: this is not the published document.</p>"
    )


def _source_line(document: Record) -> str:
    """Return where the PDF came from: the URL and when it was fetched, the replica and the
    URL it stands in for, or the local file's name; and its SHA-256."""
    kind, url, fetched = (document.get(k) for k in ("source_kind", "source_url", "fetched_at"))
    verb = "取得" if kind == "network" else "複製"  # downloaded; the replica copied
    when = f"（{escape(str(fetched))}に{verb}）" if fetched else ""
    if kind == "network" and url:
        where = f"取得元: <code>{escape(url)}</code>{when}"
    elif kind == "replica":
        where = f"レプリカ{when}。公表された資料: <code>{escape(url or '不明')}</code>"
    elif document.get("source_file"):
        where = f"ファイル: <code>{escape(Path(document['source_file']).name)}</code>"
    else:
        where = ""
    sha256 = f"SHA-256: <code>{escape(document['sha256'])}</code>" if document.get("sha256") else ""
    lines = "<br>".join(part for part in (where, sha256) if part)
    return f'<p class="source">{lines}</p>' if lines else ""


def _facts(disclosures: list[Record], document: Record) -> str:
    """Return one line: counts, date range, and the source document as it names itself."""
    first = min(d["published"] for d in disclosures)
    last = max(d["published"] for d in disclosures)
    companies = len(_companies(disclosures))
    facts = [f"{len(disclosures)}件の公表、{companies}事業者、{_day(first)}〜{_day(last)}。"]
    source = " ".join(str(document[key]) for key in ("meeting", "material") if document.get(key))
    if document.get("date"):
        source = f"{source}（{document['date']}）" if source else str(document["date"])
    if source:
        facts.append(f"出典: {source}")
    return " ".join(facts)


def _notes(document: Record) -> str:
    """Return the notes printed under the tables, as a list, or nothing."""
    notes = [n for n in document.get("footnotes") or [] if isinstance(n, dict) and n.get("text")]
    if not notes:
        return ""
    items = "".join(f"<li>{escape(str(n['text']))}</li>" for n in notes)
    return f'<ul class="notes">{items}</ul>'


def _anchor(page: int, row: int) -> str:
    """Return the id of a disclosure's table row: its page and row in the PDF."""
    return f"d-{page}-{row}"


def _disclosures_table(disclosures: list[Record]) -> str:
    """Return the disclosures as an HTML table, the title linked to its URL."""
    head = (
        '<th class="company">事業者名</th><th class="date">公表日</th>'
        "<th>掲載箇所</th><th>タイトル</th><th>補足</th>"
    )
    rows = [f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>"]
    for d in disclosures:
        raw = d.get("published_raw")
        raw_html = f' <span class="raw">({escape(raw)})</span>' if raw else ""
        summary = d["summary"] if d["summary"] is not None else "－"
        rows.append(
            f'<tr id="{_anchor(d["page"], d["row"])}">'
            f'<td class="company">{escape(d["company"])}</td>'
            f'<td class="date">{escape(d["published"].isoformat())}{raw_html}</td>'
            f"<td>{escape(d['location'])}</td>"
            f'<td><a href="{escape(d["url"])}">{escape(d["title"])}</a></td>'
            f'<td class="summary">{escape(summary)}</td></tr>'
        )
    rows.append("</tbody>\n</table>")
    return "\n".join(rows)


def _incidents_sections(
    disclosures: list[Record], incidents: list[Record], links: list[Record]
) -> str:
    """Return one table per company: each incident, when it first appeared, who mentions it."""
    by_key = {(d["page"], d["row"]): d for d in disclosures}
    mentions: dict[tuple[str, str], dict[str, list[Record]]] = defaultdict(
        lambda: {"describes": [], "refers": []}
    )
    for link in sorted(links, key=lambda x: (x["page"], x["row"])):
        disclosure = by_key.get((link["page"], link["row"]))
        if disclosure is not None and link["kind"] in ("describes", "refers"):
            mentions[(link["company"], link["label"])][link["kind"]].append(disclosure)
    order = {company: i for i, company in enumerate(_companies(disclosures))}
    grouped: dict[str, list[Record]] = defaultdict(list)
    for incident in incidents:
        grouped[incident["company"]].append(incident)
    head = "".join(
        f"<th>{escape(h)}</th>" for h in ("事案", "内容", "初出", "記載した公表", "言及した公表")
    )
    sections = []
    for company in sorted(grouped, key=lambda c: (order.get(c, len(order)), c)):
        body = [
            _incident_row(incident, mentions[(company, incident["label"])])
            for incident in sorted(grouped[company], key=lambda i: i["ordinal"])
        ]
        sections.append(
            f"<h3>{escape(company)}</h3>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(body)
            + "\n</tbody>\n</table>"
        )
    return "\n".join(sections)


def _incident_row(incident: Record, mentions: dict[str, list[Record]]) -> str:
    first = incident["first_published"]
    first_html = escape(first.isoformat()) if first else ""
    if incident.get("first_page") is not None and incident.get("first_row") is not None:
        target = _anchor(incident["first_page"], incident["first_row"])
        first_html = f'<a href="#{target}">{first_html}</a>'
    return (
        f"<tr><td>{escape(incident['label'])}</td>"
        f'<td class="summary">{escape(incident["text"])}</td>'
        f'<td class="date">{first_html}</td>'
        f'<td class="date">{_mention_list(mentions["describes"])}</td>'
        f'<td class="date">{_mention_list(mentions["refers"])}</td></tr>'
    )


def _mention_list(disclosures: list[Record]) -> str:
    """Return links to the disclosures' rows in the table above, by date, titled with the title."""
    return "<br>".join(
        f'<a href="#{_anchor(d["page"], d["row"])}" title="{escape(d["title"])}">'
        f"{escape(d['published'].isoformat())}</a>"
        for d in disclosures
    )
