"""Repair stage: turn each cell's extracted lines into clean text, undoing extraction artifacts."""

from __future__ import annotations

import logging
import re

from pipeline.errors import RepairError
from pipeline.records import Cell, ExtractedRow, Extraction, Line, Repaired, RepairedRow
from pipeline.text import CIRCLED, REFERENCE_MARK, URL_START, tidy

logger = logging.getLogger(__name__)


# A 補足 line that starts one of these begins a new item and keeps its line break:
# `a.営業システム…`, `①小売業務…`, `事案１お客さま…`, `※過去公表経緯…`, `（参考扱いとして…`.
ITEM_START = re.compile(
    rf"""^(?:
        [A-Za-zＡ-Ｚａ-ｚ][.．)）]            # a.  b)  ａ．
      | [{CIRCLED}]                           # ①
      | [（(][0-9０-９]+[)）]               # （１）
      | [0-9０-９]+[.．)）](?![0-9０-９])    # 1.  １）  (not 1.5)
      | 事案\s*[0-9０-９]+                   # 事案１
      | [※＊]                                # ※
      | [（(]参考                            # （参考…
    )""",
    re.VERBOSE,
)
# A marker followed by one of these is a reference inside a sentence that happened to wrap
# before it (`上記` + `①～③の事案`), not the start of an item.
REFERENCE_FOLLOWS = re.compile(
    rf"^(?:[{CIRCLED}]|[A-Za-z][.．]?|事案\s*[0-9０-９]+)[{REFERENCE_MARK}]"
)
# A line that fills less than this share of the cell's text width was ended on purpose
# (`上記①、②及び、` before `③…`); a line wrapped by the cell width comes close to the
# edge, though hand-set wraps and proportional punctuation leave a few characters' slack.
SHORT_LINE_FILL = 0.6


def repair(extraction: Extraction) -> Repaired:
    """Given extracted rows, return rows whose cells are clean text values."""
    edges = _summary_text_edges(extraction.rows)
    path = extraction.source.path
    rows = tuple(_repair_row(path, row, edges[row.page]) for row in extraction.rows)
    return Repaired(source=extraction.source, rows=rows)


def repair_url(text: str) -> str:
    """Return a URL that wrapped over lines with every whitespace character removed."""
    return "".join(text.split())


def join_lines(lines: list[Line], right_edge: float) -> str:
    """Join a cell's lines: soft wraps with nothing, item starts and short lines with a newline."""
    out: list[str] = []
    left_edge = min((line.x0 for line in lines), default=0.0)
    for i, line in enumerate(lines):
        text = tidy(line.text)
        if not text:
            continue
        if out and (_starts_item(text) or _is_short(lines[i - 1], left_edge, right_edge)):
            out.append("\n" + text)
        else:
            out.append(text)
    return "".join(out)


def _starts_item(text: str) -> bool:
    return bool(ITEM_START.match(text)) and not REFERENCE_FOLLOWS.match(text)


def _is_short(line: Line, left_edge: float, right_edge: float) -> bool:
    return line.x1 - left_edge < SHORT_LINE_FILL * (right_edge - left_edge)


def _summary_text_edges(rows: tuple[ExtractedRow, ...]) -> dict[int, float]:
    """Return, per page, how far right the 補足 column's text reaches.

    The text, not the rule, sets the edge a wrapped line comes close to: a column may be
    much wider than its longest line.
    """
    edges: dict[int, float] = {}
    for row in rows:
        for line in row.cells["summary"].lines:
            edges[row.page] = max(edges.get(row.page, line.x1), line.x1)
    return {page: edges.get(page, 0.0) for page in {row.page for row in rows}}


def _repair_row(source: str, row: ExtractedRow, summary_edge: float) -> RepairedRow:
    cells = row.cells
    title, url = _split_title(source, row, cells["title_link"])
    summary = cells["summary"]
    return RepairedRow(
        page=row.page,
        index=row.index,
        bbox=row.bbox,
        company_lines=tuple(tidy(line.text) for line in cells["company"].lines),
        published_raw=tidy("".join(line.text for line in cells["published"].lines)),
        location=tidy("".join(line.text for line in cells["location"].lines)),
        title=title,
        url=url,
        summary=join_lines(list(summary.lines), summary_edge),
        link_uris=tuple(link.uri for link in row.links),
    )


def _split_title(source: str, row: ExtractedRow, cell: Cell) -> tuple[str, str]:
    """Split a タイトル、リンク cell into its title and its URL (the lines from `http` on)."""
    texts = [line.text for line in cell.lines]
    for i, text in enumerate(texts):
        match = URL_START.search(text)
        if match:
            title = tidy("".join(texts[:i]) + text[: match.start()])
            url = repair_url(text[match.start() :] + "".join(texts[i + 1 :]))
            return title, url
    raise RepairError(
        f"{source}: page {row.page}, row {row.index + 1}: no URL in the title cell "
        f"({' / '.join(texts) or 'empty'})"
    )
