"""Normalize stage: typed dates against the document's own date, joined company names, nulls."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import unicodedata

from pipeline.companies import companies
from pipeline.errors import NormalizeError
from pipeline.records import Disclosure, Document, Normalized, Repaired, RepairedRow

logger = logging.getLogger(__name__)

# The document's date as the cover prints it: `2023年５月 22日`, or in the Japanese era
# calendar, `令和5年5月22日`. Matched after NFKC, so full-width digits read as digits.
DOCUMENT_DATE = re.compile(r"(令和|平成)?\s*(\d{1,4}|元)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# Failing that, a numeric date: `2023/5/22`, `2023.5.22`.
DOCUMENT_DATE_NUMERIC = re.compile(r"(?<!\d)()(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?!\d)")
ERA_START = {"令和": 2018, "平成": 1988}  # era year N is Gregorian START + N

# A published date as the table prints it: `昨年12/27`, `1/13`, `2/3`, `2023/1/13`, `1月13日`,
# perhaps with its weekday, `1/13(金)` (matched after NFKC, so （金） reads as (金)).
PUBLISHED = re.compile(
    r"^(?P<prefix>昨年|前年|去年|本年|今年)?"
    r"(?:(?P<year>\d{4})[/.\-年])?(?P<month>\d{1,2})[/.\-月](?P<day>\d{1,2})日?"
    r"(?:\([月火水木金土日]\))?$"
)
LAST_YEAR = ("昨年", "前年", "去年")

# Row problems (a bad or empty date, no company) are reported together, at most this many.
MAX_ROW_ERRORS = 20

# A cell that holds only a dash is empty on purpose (`－` in the 補足 column).
EMPTY_MARKERS = frozenset({"－", "−", "-", "―", "‐", "—", "–", "ー"})


def normalize(repaired: Repaired) -> Normalized:
    """Given repaired rows, return typed disclosures and the document they came from."""
    # A document without a cover page may print its date above the first table instead.
    source = repaired.source
    lines = source.cover or tuple(line for page in source.pages for line in page.above)
    date = document_date(source.path, tuple(line.text for line in lines))
    document = Document(source=source, date=date)
    disclosures = []
    problems: list[tuple[tuple[int, int], str]] = []  # ((page, row), message), every row's
    company = None
    for row in repaired.rows:
        company = _company(row) or company
        key = (row.page, row.index + 1)
        if company is None:
            problems.append((key, f"{_where(source.path, row)}: no company name (事業者名)"))
            continue
        try:
            disclosures.append(_disclosure(source.path, source.document, row, company, date))
        except NormalizeError as exc:
            problems.append((key, str(exc)))
    if problems:
        raise NormalizeError(_problems_message(source.path, problems))
    return Normalized(document=document, disclosures=tuple(disclosures))


def document_date(source: str, cover: tuple[str, ...]) -> dt.date:
    """Given the cover's text lines, return its date (`2023年５月 22日` → 2023-05-22)."""
    text = unicodedata.normalize("NFKC", " ".join(cover))
    match = DOCUMENT_DATE.search(text) or DOCUMENT_DATE_NUMERIC.search(text)
    if match is None:
        raise NormalizeError(f"{source}: page 1: no document date (年月日) on the cover")
    era, year, month, day = match.groups()
    year_number = 1 if year == "元" else int(year)
    if era:
        year_number += ERA_START[era]
    try:
        return dt.date(year_number, int(month), int(day))
    except ValueError as exc:
        printed = match.group(0).strip()
        raise NormalizeError(f"{source}: page 1: bad document date {printed!r}") from exc


def published_date(raw: str, reference: dt.date) -> dt.date:
    """Return the date of a published_raw value, its year inferred from the document's date.

    `昨年12/27` is in the year before the document's; `1/13` is in the document's year unless
    that would fall after the document's date, in which case it is the year before.
    Raises ValueError quoting the value if it is not a date.
    """
    text = "".join(unicodedata.normalize("NFKC", raw).split())
    match = PUBLISHED.match(text)
    if match is None:
        raise ValueError(f"not a date: {raw!r}")
    month, day = int(match["month"]), int(match["day"])
    if match["year"]:
        return _valid_date(raw, int(match["year"]), month, day)
    if match["prefix"] in LAST_YEAR:
        return _valid_date(raw, reference.year - 1, month, day)
    if match["prefix"] is not None:
        return _valid_date(raw, reference.year, month, day)
    # The latest such day on or before the document's date; `2/29` in a document of
    # January 2025 is 2024's, as 2025 has none.
    with contextlib.suppress(ValueError):
        if (date := dt.date(reference.year, month, day)) <= reference:
            return date
    return _valid_date(raw, reference.year - 1, month, day)


def _valid_date(raw: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"not a date: {raw!r} ({exc})") from exc


def _company(row: RepairedRow) -> str:
    """Join the company cell's lines: a name printed as `…電力` over `送配電` is one name."""
    return "".join(row.company_lines)


def _disclosure(
    source: str, document: str, row: RepairedRow, company: str, reference: dt.date
) -> Disclosure:
    if not row.published_raw:
        raise NormalizeError(f"{_where(source, row)}: no date (公表日)")
    try:
        published = published_date(row.published_raw, reference)
    except ValueError as exc:
        raise NormalizeError(f"{_where(source, row)}: 公表日 {exc}") from exc
    known = companies().get(company)
    return Disclosure(
        document=document,
        page=row.page,
        row=row.index + 1,
        company=company,
        company_legal_name=known.legal_name if known else None,
        company_role=known.role if known else None,
        company_group=known.group if known else None,
        published=published,
        published_raw=row.published_raw,
        location=row.location,
        title=row.title,
        url=row.url,
        url_confirmed=_url_confirmed(row),
        summary=None if row.summary in EMPTY_MARKERS or not row.summary else row.summary,
    )


def _url_confirmed(row: RepairedRow) -> bool | None:
    """Whether a link annotation over the title cell points to the printed URL."""
    if not row.link_uris:
        return None
    return any("".join(uri.split()) == row.url for uri in row.link_uris)


def _problems_message(source: str, problems: list[tuple[tuple[int, int], str]]) -> str:
    """Given every row's problem, return one line each by page and row, then how many.

    A single problem is its one line, as any other error is.
    """
    lines = [message for _, message in sorted(problems, key=lambda p: p[0])[:MAX_ROW_ERRORS]]
    if len(problems) == 1:
        return lines[0]
    shown = f" (the first {MAX_ROW_ERRORS} shown)" if len(problems) > MAX_ROW_ERRORS else ""
    return "\n".join([*lines, f"{len(problems)} errors in {source}{shown}"])


def _where(source: str, row: RepairedRow) -> str:
    return f"{source}: page {row.page}, row {row.index + 1}"
