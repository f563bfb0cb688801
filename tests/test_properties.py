"""Properties of the text and date rules that must hold for any input, not only the document's."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.errors import NormalizeError
from pipeline.normalize import document_date, published_date
from pipeline.records import Line
from pipeline.repair import join_lines, repair_url
from pipeline.tables import DATE_WINDOW_BEFORE
from pipeline.text import tidy

settings.register_profile("properties", max_examples=200, deadline=None)
settings.load_profile("properties")

# Text as extraction gives it: Japanese and ASCII, full-width digits, every kind of space.
PIECES = st.sampled_from(
    ["関西電力", "送配電", "付与した", "ID", "Power", "Grid", "１", "12", "/", "．", "①", "a.", "※"]
)
SPACES = st.sampled_from([" ", "  ", "\u3000", "\t", "\n", "\xa0", ""])
DOCUMENT_TEXT = st.lists(st.tuples(PIECES, SPACES), max_size=12).map(
    lambda pairs: "".join(piece + space for piece, space in pairs)
)
ANY_TEXT = st.one_of(st.text(), DOCUMENT_TEXT)

# Published dates as the table prints them, without a year, and with the ways it could vary.
MONTHS = st.integers(min_value=0, max_value=13)
DAYS = st.integers(min_value=0, max_value=32)
SEPARATORS = st.sampled_from(["/", "／", ".", "-", "月"])
LAST_YEAR_PREFIXES = ("昨年", "前年", "去年")
REFERENCES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


def _digits(number: int, wide: bool) -> str:
    text = str(number)
    return text.translate(str.maketrans("0123456789", "０１２３４５６７８９")) if wide else text


@st.composite
def _no_year_dates(draw: st.DrawFn, prefixes: tuple[str, ...]) -> tuple[str, int, int]:
    """Return (raw, month, day) for a published date printed without its year."""
    month, day, wide = draw(MONTHS), draw(DAYS), draw(st.booleans())
    separator = draw(SEPARATORS)
    suffix = "日" if separator == "月" else draw(st.sampled_from(["", "日"]))
    raw = draw(st.sampled_from(prefixes)) + _digits(month, wide) + separator
    raw += _digits(day, wide) + suffix
    return raw, month, day


def _lines(texts: list[str], x1s: list[float]) -> list[Line]:
    return [
        Line(text=text, x0=10.0, x1=10.0 + x1, top=12.0 * i, bottom=12.0 * i + 9, size=9.0)
        for i, (text, x1) in enumerate(zip(texts, x1s, strict=False))
    ]


def _wide(char: str) -> bool:
    """Full-width, wide or ambiguous: Japanese text, as East Asian Width defines it."""
    return unicodedata.east_asian_width(char) in ("W", "F", "A")


def _without_spaces(text: str) -> str:
    return "".join(text.split())


# --- repair -------------------------------------------------------------------------------------


@given(ANY_TEXT)
def test_tidy_is_idempotent_and_keeps_every_visible_character(text):
    once = tidy(text)
    assert tidy(once) == once
    assert _without_spaces(once) == _without_spaces(text)
    assert once == once.strip()
    assert "  " not in once and "\n" not in once
    # A space is kept only between two half-width characters (`Power Grid`, not `付与した ID`).
    for i, char in enumerate(once):
        if char == " ":
            assert not _wide(once[i - 1]) and not _wide(once[i + 1]), once


@given(ANY_TEXT)
def test_repair_url_is_idempotent_and_leaves_no_whitespace(text):
    once = repair_url(text)
    assert repair_url(once) == once
    assert not any(char.isspace() for char in once)
    assert once == _without_spaces(text)


@given(
    st.lists(ANY_TEXT, max_size=8),
    st.lists(st.floats(min_value=0, max_value=400), min_size=8, max_size=8),
    st.floats(min_value=-50, max_value=500),
)
def test_join_lines_changes_only_whitespace(texts, widths, right_edge):
    joined = join_lines(_lines(texts, widths), right_edge)
    assert _without_spaces(joined) == _without_spaces("".join(texts))
    # Each line of the result is tidy text; a newline only ever separates two of them.
    for part in joined.split("\n") if joined else []:
        assert part and tidy(part) == part
    assert joined.count("\n") <= max(0, sum(1 for t in texts if t.strip()) - 1)


# --- normalize ----------------------------------------------------------------------------------


@given(ANY_TEXT, REFERENCES)
def test_published_date_raises_only_value_error(raw, reference):
    try:
        published_date(raw, reference)
    except ValueError as exc:
        assert repr(raw) in str(exc)


@given(_no_year_dates(("", *LAST_YEAR_PREFIXES)), REFERENCES)
@example(("2/29", 2, 29), dt.date(2025, 1, 10))  # the last 2/29 is 2024's: 2025 has none
@example(("2/29", 2, 29), dt.date(2024, 2, 28))  # 2024's is still to come, 2023 has none
@example(("昨年12/31", 12, 31), dt.date(2023, 1, 1))
@example(("5/22", 5, 22), dt.date(2023, 5, 22))  # the document's own date
def test_a_date_without_a_year_lies_in_the_window_before_the_document(case, reference):
    raw, month, day = case
    last_year = raw.startswith(LAST_YEAR_PREFIXES)
    years = [reference.year - 1] if last_year else [reference.year, reference.year - 1]
    try:
        date = published_date(raw, reference)
    except ValueError as exc:
        assert repr(raw) in str(exc)
        # Refused only if no such day exists on or before the document's date in those years.
        assert not any(_on_or_before(year, month, day, reference) for year in years)
        return
    assert (date.month, date.day) == (month, day)
    assert reference - DATE_WINDOW_BEFORE <= date <= reference
    if last_year:
        assert date.year == reference.year - 1
    else:  # the latest such day on or before the document's date
        assert not _on_or_before(date.year + 1, month, day, reference)


def _on_or_before(year: int, month: int, day: int, reference: dt.date) -> bool:
    try:
        return dt.date(year, month, day) <= reference
    except ValueError:
        return False


@given(ANY_TEXT, st.lists(ANY_TEXT, max_size=4))
def test_document_date_raises_only_normalize_error(text, more):
    try:
        date = document_date("doc.pdf", (text, *more))
    except NormalizeError as exc:
        assert str(exc).startswith("doc.pdf: page 1: ")
    else:
        assert isinstance(date, dt.date)


@given(
    st.sampled_from(["", "令和", "平成"]),
    st.one_of(st.integers(min_value=0, max_value=9999).map(str), st.just("元")),
    st.integers(min_value=0, max_value=13),
    st.integers(min_value=0, max_value=32),
    st.booleans(),
)
def test_document_date_reads_any_printed_date_or_names_it(era, year, month, day, wide):
    number = year if year == "元" else _digits(int(year), wide)
    printed = f"{era}{number}年{_digits(month, wide)}月 {_digits(day, wide)}日"
    try:
        date = document_date("doc.pdf", ("事務局提出資料", printed))
    except NormalizeError as exc:
        shown = unicodedata.normalize("NFKC", printed)
        assert str(exc) == f"doc.pdf: page 1: bad document date {shown!r}"
    else:
        era_start = {"": 0, "令和": 2018, "平成": 1988}[era]
        assert date == dt.date(era_start + (1 if year == "元" else int(year)), month, day)
