"""Document facts: what the PDF says about itself (title, meeting, material, notes), as a dict."""

from __future__ import annotations

import re
from typing import Any

from pipeline.records import Document, Line
from pipeline.text import tidy

# `第85回制度設計 専門会合`: the meeting the material was submitted to.
MEETING = re.compile(r"第\s*[0-9０-９]+\s*回.*?会合")
# `資料３－２`: the material's number, dash as printed (－, −, - or ー).
MATERIAL = re.compile(r"資料\s*[0-9０-９]+(?:\s*[－−\-ー‐]\s*[0-9０-９]+)*")
# A note under a table starts with ※; `（以下同様）` says it holds for the pages after it too.
NOTE_START = "※"
SCOPE_FOLLOWING = "以下同様"
# A page number printed alone in a corner: `2`.
PAGE_NUMBER = re.compile(r"^[0-9０-９]+$")


def describe(
    document: Document, source_url: str | None, source_kind: str | None = None
) -> dict[str, Any]:
    """Given the document, return the facts document.json holds, all read from the PDF."""
    source = document.source
    cover = " ".join(line.text for line in source.cover)
    meeting = MEETING.search(cover)
    material = MATERIAL.search(cover)
    return {
        "title": _title(source.cover),
        "meeting": tidy(meeting.group(0)) if meeting else None,
        "material": tidy(material.group(0)) if material else None,
        "date": document.date.isoformat(),
        "source_url": source_url,
        "source_kind": source_kind,  # network, replica (offline fallback) or local file
        "source_file": source.path,
        "sha256": source.sha256,
        "page_count": source.page_count,
        "page_titles": [
            {"page": page.page, "title": title}
            for page in source.pages
            if page.page > 1 and (title := _title(page.above))
        ],
        "footnotes": _notes(document),
    }


def _title(lines: tuple[Line, ...]) -> str | None:
    """The text set in the largest type, page numbers aside, lines joined."""
    words = [line for line in lines if not PAGE_NUMBER.match(line.text.strip())]
    if not words:
        return None
    largest = max(line.size for line in words)
    return tidy("".join(line.text for line in words if line.size >= largest - 0.5))


def _notes(document: Document) -> list[dict[str, Any]]:
    """The ※ notes under the tables: text, page, and the pages they apply to."""
    notes: list[dict[str, Any]] = []
    last_page = document.source.page_count
    for page in document.source.pages:
        for line in page.below:
            text = line.text.strip()
            if PAGE_NUMBER.match(text):
                continue
            if text.startswith(NOTE_START) or not notes or notes[-1]["page"] != page.page:
                notes.append({"page": page.page, "text": text})
            else:
                notes[-1]["text"] += text
    for note in notes:
        note["text"] = tidy(note["text"])
        following = SCOPE_FOLLOWING in note["text"]
        note["applies_to_pages"] = list(
            range(note["page"], last_page + 1) if following else [note["page"]]
        )
    return notes
