"""Validation rules on the replica's real rows, each broken on purpose, and on hand-built rows.

Rules covered:
- the replica passes with no finding; a wrong company, an unknown company, two URLs run
  together, a repeated URL each warn, naming the rows; all errors come together;
- a disclosure's `published` and an incident's `first_published` lie in the window: the
  document's date and DATE_WINDOW_BEFORE (732 days) before it pass, one day after the
  document's date and one day before the window's start are errors;
- a disclosure's and a mention's `page` and an incident's `first_page` lie in 1..page_count
  (0 and page_count + 1 are errors); a documents row has page_count and rows >= 1;
- an empty disclosures table is an error, another empty table is not (the tables after it
  are still checked); the errors of every table come together; an empty required string is
  an error (`empty`), an empty nullable one is not; a missing value is `missing`; a column
  the declaration lacks is an error placed on no page, row or column; a value that does not
  fit its declared type (not a number, beyond int16) is an error;
- each finding is logged at its level, after the PDF's path;
- a disclosure's URL is http(s), absolute, with a dotted host and no whitespace;
- only the disclosures are checked against the rules that warn; each doubt about a URL
  (link annotation, nested scheme, host, unknown company, repeated) is its own warning, with
  its message; a host warning lists every domain of the company; a URL that is not http(s)
  is an error and is not checked against the company's hosts;
- a declared table gives an Arrow schema with each column's type, nullability and description
  (and the metadata given, or none) and a Markdown data dictionary of one line per column.
"""

import dataclasses
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.companies import Company
from pipeline.extract import extract
from pipeline.normalize import normalize
from pipeline.records import Disclosure, Document, DocumentRow, Incident, Mention, Source
from pipeline.repair import repair
from pipeline.schema import Column, arrow_schema, markdown_table
from pipeline.tables import DATE_WINDOW_BEFORE, _schema, is_http_url
from pipeline.tables import validate as validate_tables

REPLICA = Path(__file__).parent / "fixtures" / "085_03_02.replica.pdf"


@pytest.fixture(scope="module")
def normalized():
    return normalize(repair(extract(REPLICA)))


def validate(normalized):
    """Validate the disclosures table alone, as the tables stage does with all of them."""
    return validate_tables(normalized.document, {"disclosures": normalized.disclosures})


def _with_row(normalized, index, **changes):
    rows = list(normalized.disclosures)
    rows[index] = dataclasses.replace(rows[index], **changes)
    return dataclasses.replace(normalized, disclosures=tuple(rows))


def _found(normalized):
    return [(f.level, f.check, f.page, f.row, f.value) for f in validate(normalized)]


def test_the_replica_passes_without_warnings(normalized):
    assert validate(normalized) == ()


def test_a_row_under_the_wrong_company_is_caught_by_its_url_host(normalized):
    # Row 7 of page 2 is 関西電力's (kepco.co.jp); give it to 関西電力送配電 (kansai-td.co.jp).
    changed = _with_row(normalized, 6, company="関西電力送配電")
    assert _found(changed) == [
        (
            "warning",
            "url_host",
            2,
            7,
            "https://www.kepco.co.jp/corporate/pr/2023/pdf/20230113_2j.pdf",
        )
    ]


def test_an_unknown_company_is_a_warning_naming_it(normalized):
    changed = _with_row(normalized, 0, company="架空電力")
    assert _found(changed) == [("warning", "unknown_company", None, None, "架空電力")]


def test_two_urls_run_together_are_a_warning(normalized):
    url = "https://www.kansai-td.co.jp/corporate/press-htps://x"
    assert _found(_with_row(normalized, 0, url=url)) == [
        ("warning", "url_nested_scheme", 2, 1, url)
    ]


def test_a_repeated_url_is_a_warning_on_both_rows(normalized):
    url = normalized.disclosures[0].url
    assert _found(_with_row(normalized, 1, url=url)) == [
        ("warning", "repeated_url", 2, 1, url),
        ("warning", "repeated_url", 2, 2, url),
    ]


@pytest.mark.parametrize(
    ("published", "value"),
    [(dt.date(2023, 5, 23), "2023-05-23"), (dt.date(2020, 1, 1), "2020-01-01")],
)
def test_a_date_outside_the_window_is_an_error(normalized, published, value):
    [finding] = validate(_with_row(normalized, 3, published=published))
    assert (finding.level, finding.column, finding.page, finding.row, finding.value) == (
        "error", "published", 2, 4, value
    )  # fmt: skip


def test_all_errors_come_together(normalized):
    changed = _with_row(normalized, 0, url="htps://x", title="")
    changed = _with_row(changed, 5, location="")
    assert sorted((f.column, f.row) for f in validate(changed) if f.level == "error") == [
        ("location", 6),
        ("title", 1),
        ("url", 1),
    ]


# --- The same rules on hand-built rows (no PDF): both sides of every threshold

DATE = dt.date(2025, 1, 15)


@pytest.fixture(autouse=True)
def fresh_schemas():
    """Build every table's schema anew: one cached by an earlier test would hide how it is
    built now."""
    _schema.cache_clear()


def _document(page_count=4):
    source = Source(
        document="x", path="x.pdf", sha256="0" * 64, page_count=page_count, cover=(), pages=()
    )
    return Document(source=source, date=DATE)


def _disclosure(row=1, **changes):
    disclosure = Disclosure(
        document="x",
        page=2,
        row=row,
        company="東北電力",
        company_legal_name="東北電力株式会社",
        company_role="小売電気事業者",
        company_group="東北電力グループ",
        published=dt.date(2025, 1, 10),
        published_raw="1/10",
        location="トップページ",
        title="t",
        url=f"https://www.tohoku-epco.co.jp/{row}.pdf",
        url_confirmed=None,
        summary=None,
    )
    return dataclasses.replace(disclosure, **changes)


def _incident(**changes):
    incident = Incident(
        document="x",
        company="東北電力",
        label="①",
        ordinal=1,
        text="事案",
        first_page=2,
        first_row=3,
        first_published=dt.date(2025, 1, 10),
    )
    return dataclasses.replace(incident, **changes)


def _mention(**changes):
    mention = Mention(
        document="x", page=2, row=3, company="東北電力", label="①", ordinal=1, kind="refers"
    )
    return dataclasses.replace(mention, **changes)


def _row(**changes):
    row = DocumentRow(
        document="x",
        source_file="x.pdf",
        sha256="0" * 64,
        source_kind=None,
        date=DATE,
        meeting=None,
        material=None,
        title=None,
        page_count=4,
        rows=1,
    )
    return dataclasses.replace(row, **changes)


def _errors(name, records, page_count=4):
    return [
        (f.level, f.column, f.page, f.row, f.value, f.message)
        for f in validate_tables(_document(page_count), {name: records})
    ]


WINDOW = "date outside the window before the document's date 2025-01-15"


@pytest.mark.parametrize(
    ("published", "inside"),
    [
        (DATE, True),  # the document's own date
        (DATE + dt.timedelta(days=1), False),
        (DATE - DATE_WINDOW_BEFORE, True),  # the window's first day, 2023-01-14
        (DATE - DATE_WINDOW_BEFORE - dt.timedelta(days=1), False),
    ],
)
def test_a_disclosure_is_published_within_two_leap_years_before_the_document(published, inside):
    expected = [] if inside else [("error", "published", 2, 1, published.isoformat(), WINDOW)]
    assert _errors("disclosures", [_disclosure(published=published)]) == expected


def test_the_date_window_is_two_leap_years_long():
    assert dt.date(2023, 1, 14) == DATE - DATE_WINDOW_BEFORE


@pytest.mark.parametrize(
    ("published", "inside"),
    [
        (DATE, True),
        (DATE + dt.timedelta(days=1), False),
        (dt.date(2023, 1, 14), True),
        (dt.date(2023, 1, 13), False),
    ],
)
def test_an_incident_is_first_published_within_the_window(published, inside):
    expected = [] if inside else [("error", "first_published", 2, 3, published.isoformat(), WINDOW)]
    assert _errors("incidents", [_incident(first_published=published)]) == expected


ON_A_PAGE = "page outside the PDF"


@pytest.mark.parametrize(("page", "inside"), [(0, False), (1, True), (4, True), (5, False)])
def test_a_disclosure_is_on_a_page_of_the_pdf(page, inside):
    expected = [] if inside else [("error", "page", page, 1, str(page), ON_A_PAGE)]
    assert _errors("disclosures", [_disclosure(page=page)]) == expected


@pytest.mark.parametrize(("page", "inside"), [(0, False), (1, True), (4, True), (5, False)])
def test_an_incident_is_first_on_a_page_of_the_pdf(page, inside):
    expected = [] if inside else [("error", "first_page", page, 3, str(page), ON_A_PAGE)]
    assert _errors("incidents", [_incident(first_page=page)]) == expected


@pytest.mark.parametrize(("page", "inside"), [(0, False), (1, True), (4, True), (5, False)])
def test_a_mention_is_on_a_page_of_the_pdf(page, inside):
    expected = [] if inside else [("error", "page", page, 3, str(page), ON_A_PAGE)]
    assert _errors("disclosure_incidents", [_mention(page=page)]) == expected


@pytest.mark.parametrize("column", ["page_count", "rows"])
@pytest.mark.parametrize(("value", "inside"), [(0, False), (1, True)])
def test_a_documents_row_has_at_least_one_page_and_one_row(column, value, inside):
    expected = (
        [] if inside else [("error", column, None, None, str(value), "greater_than_or_equal_to(1)")]
    )
    assert _errors("documents", [_row(**{column: value})]) == expected


def test_a_row_of_a_valid_table_of_each_kind_passes():
    tables = {
        "disclosures": [_disclosure()],
        "incidents": [_incident()],
        "disclosure_incidents": [_mention()],
        "documents": [_row()],
    }
    assert validate_tables(_document(), tables) == ()


def test_an_empty_disclosures_table_is_an_error_and_other_empty_tables_are_not():
    findings = validate_tables(
        _document(),
        {
            "disclosures": [],
            "incidents": [],
            "disclosure_incidents": [],
            "documents": [_row(rows=0)],
        },
    )
    assert [(f.level, f.check, f.column, f.value) for f in findings] == [
        ("error", "rows", None, "0"),
        ("error", "greater_than_or_equal_to(1)", "rows", "0"),
    ]
    assert findings[0].message == "the table has no rows"


def test_the_errors_of_every_table_come_together():
    tables = {"disclosures": [_disclosure(page=0)], "documents": [_row(rows=0)]}
    assert [(f.column, f.value) for f in validate_tables(_document(), tables)] == [
        ("rows", "0"),  # a finding placed nowhere comes first
        ("page", "0"),
    ]


def test_a_column_the_declaration_lacks_is_an_error_placed_nowhere():
    @dataclasses.dataclass(frozen=True)
    class Extra(Mention):
        extra: int = 0

    mention = Extra(**dataclasses.asdict(_mention()))
    [finding] = validate_tables(_document(), {"disclosure_incidents": [mention]})
    assert (finding.level, finding.page, finding.row, finding.column) == (
        "error",
        None,
        None,
        None,
    )
    assert finding.check == "column_in_schema"
    assert finding.value == "extra"


def test_a_column_error_beside_a_row_error_is_placed_nowhere_and_the_row_error_on_its_row():
    # pandera gives the column's failure no index (None) and the row's failure its index.
    @dataclasses.dataclass(frozen=True)
    class Extra(Mention):
        extra: int = 0

    mention = Extra(**dataclasses.asdict(_mention(page=0, row=5)))
    found = validate_tables(_document(), {"disclosure_incidents": [mention]})
    assert sorted((f.check, f.page, f.row, f.column) for f in found) == [
        ("column_in_schema", None, None, None),
        ("page outside the PDF", 0, 5, "page"),
    ]


def test_each_finding_is_logged_at_its_level_with_the_pdfs_path(caplog):
    rows = [_disclosure(1, published=DATE + dt.timedelta(days=1), company="架空電力")]
    validate_tables(_document(), {"disclosures": rows})
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "x.pdf: company: not in data/companies.csv: legal name, role and group left null"
            " ('架空電力')",
        ),
        ("ERROR", f"x.pdf: page 2, row 1, published: {WINDOW} ('2025-01-16')"),
    ]


def test_an_empty_required_string_is_an_error_and_an_empty_nullable_one_is_not():
    rows = [_disclosure(1, title=""), _disclosure(2, company_legal_name="", summary="")]
    assert _errors("disclosures", rows) == [("error", "title", 2, 1, "", "empty")]


def test_an_empty_required_string_is_named_by_its_check_empty():
    [finding] = validate_tables(_document(), {"disclosures": [_disclosure(title="")]})
    assert (finding.check, finding.message) == ("empty", "empty")


@pytest.mark.parametrize("ordinal", ["1a", 40000])
def test_a_value_that_does_not_fit_its_declared_type_is_an_error(ordinal):
    found = validate_tables(_document(), {"disclosure_incidents": [_mention(ordinal=ordinal)]})
    assert [(f.check, f.page, f.row, f.column, f.value) for f in found] == [
        ("coerce_dtype('int16')", 2, 3, "ordinal", str(ordinal)),
        ("dtype('int16')", 2, 3, "ordinal", str(ordinal)),
    ]


def test_a_missing_required_value_is_an_error_without_a_value():
    assert _errors("disclosures", [_disclosure(location=None)]) == [
        ("error", "location", 2, 1, None, "missing")
    ]


def test_a_disclosures_url_must_be_http_with_a_host():
    rows = [_disclosure(1, url="ftp://www.tohoku-epco.co.jp/1.pdf"), _disclosure(2)]
    assert _errors("disclosures", rows) == [
        (
            "error",
            "url",
            2,
            1,
            "ftp://www.tohoku-epco.co.jp/1.pdf",
            "not an http(s) URL with a host",
        )
    ]


def test_only_the_disclosures_are_checked_against_the_rules_that_warn():
    tables = {"disclosures": [_disclosure()], "incidents": [_incident(company="架空電力")]}
    assert validate_tables(_document(), tables) == ()
    tables = {"disclosures": [_disclosure(company="架空電力")]}
    assert [f.check for f in validate_tables(_document(), tables)] == ["unknown_company"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("http://www.example.co.jp/a", True),
        ("https://www.example.co.jp/a", True),
        ("HTTPS://WWW.EXAMPLE.CO.JP/a", True),
        ("ftp://www.example.co.jp/a", False),
        ("https://localhost/a", False),  # a host without a dot
        ("https:///a", False),  # no host
        ("https://www.example.co.jp/a b", False),
        ("https://www.example.co.jp/a\n", False),
        ("https://[www.example.co.jp/a", False),  # urlsplit raises ValueError
        ("www.example.co.jp/a", False),
        (None, False),
        (1, False),
    ],
)
def test_an_http_url_is_absolute_with_a_dotted_host_and_no_space(value, ok):
    assert is_http_url(value) is ok


@pytest.mark.parametrize(
    ("url", "confirmed", "company", "checks"),
    [
        ("https://www.tohoku-epco.co.jp/1.pdf", None, "東北電力", []),
        ("https://www.tohoku-epco.co.jp/1.pdf", True, "東北電力", []),
        ("https://www.tohoku-epco.co.jp/1.pdf", False, "東北電力", ["link_annotation"]),
        ("https://www.tohoku-epco.co.jp/a-https://b", None, "東北電力", ["url_nested_scheme"]),
        ("https://www.tohoku-epco.co.jp/a://b", None, "東北電力", ["url_nested_scheme"]),
        ("https://www.kepco.co.jp/1.pdf", None, "東北電力", ["url_host"]),
        ("https://www.kepco.co.jp/1.pdf", None, "架空電力", ["unknown_company"]),
    ],
)
def test_each_doubt_about_a_url_is_its_own_warning(url, confirmed, company, checks):
    row = _disclosure(url=url, url_confirmed=confirmed, company=company)
    found = validate_tables(_document(), {"disclosures": [row]})
    assert [(f.level, f.check) for f in found] == [("warning", check) for check in checks]


@pytest.mark.parametrize(
    ("changes", "check", "column", "message"),
    [
        (
            {"company": "架空電力"},
            "unknown_company",
            "company",
            "not in data/companies.csv: legal name, role and group left null",
        ),
        (
            {"url_confirmed": False},
            "link_annotation",
            "url",
            "the PDF's link annotation over this title points elsewhere",
        ),
        (
            {"url": "https://www.tohoku-epco.co.jp/a-https://b"},
            "url_nested_scheme",
            "url",
            "a second scheme inside the URL: did two URLs run together?",
        ),
    ],
)
def test_each_doubt_says_what_it_doubts(changes, check, column, message):
    [finding] = validate_tables(_document(), {"disclosures": [_disclosure(**changes)]})
    assert (finding.level, finding.check, finding.column, finding.message) == (
        "warning",
        check,
        column,
        message,
    )


def test_a_repeated_url_says_so_on_each_row():
    url = "https://www.tohoku-epco.co.jp/1.pdf"
    rows = [_disclosure(1, url=url), _disclosure(2, url=url)]
    found = validate_tables(_document(), {"disclosures": rows})
    assert [(f.check, f.row, f.column, f.value, f.message) for f in found] == [
        ("repeated_url", 1, "url", url, "the same URL is listed on more than one row"),
        ("repeated_url", 2, "url", url, "the same URL is listed on more than one row"),
    ]


def test_a_url_without_a_scheme_is_an_error_and_no_doubt():
    rows = [_disclosure(url="www.tohoku-epco.co.jp/1.pdf")]
    assert [(f.level, f.column) for f in validate_tables(_document(), {"disclosures": rows})] == [
        ("error", "url")
    ]


def test_a_url_that_is_not_http_is_not_checked_against_the_companys_hosts():
    rows = [_disclosure(url="ftp://www.kepco.co.jp/1.pdf")]
    assert [(f.level, f.column) for f in validate_tables(_document(), {"disclosures": rows})] == [
        ("error", "url")
    ]


def test_a_url_host_warning_lists_every_domain_of_the_company(monkeypatch):
    company = Company(
        name="東北電力",
        legal_name="東北電力株式会社",
        role="小売電気事業者",
        group="東北電力グループ",
        domains=("tohoku-epco.co.jp", "tohoku.example.jp"),
    )
    monkeypatch.setattr("pipeline.tables.companies", lambda: {"東北電力": company})
    row = _disclosure(url="https://www.kepco.co.jp/1.pdf")
    [finding] = validate_tables(_document(), {"disclosures": [row]})
    assert "(tohoku-epco.co.jp, tohoku.example.jp)" in finding.message


def test_a_url_host_warning_names_the_companys_domains():
    row = _disclosure(url="https://www.kepco.co.jp/1.pdf")
    [finding] = validate_tables(_document(), {"disclosures": [row]})
    assert (finding.page, finding.row, finding.column, finding.value, finding.message) == (
        2,
        1,
        "url",
        "https://www.kepco.co.jp/1.pdf",
        "host www.kepco.co.jp is not one of 東北電力's domains (tohoku-epco.co.jp):"
        " is the row under the right company?",
    )


# --- The declaration, as Arrow and as Markdown ----------------------------------------------------

COLUMNS = (
    Column("page", pa.int16(), False, "1-based page."),
    Column("summary", pa.string(), True, "補足: its items."),
)


def test_a_declared_table_gives_an_arrow_schema_with_each_columns_type_and_description():
    schema = arrow_schema(COLUMNS, {"source": "raw/x.pdf"})
    assert [(f.name, f.type, f.nullable, f.metadata) for f in schema] == [
        ("page", pa.int16(), False, {b"description": b"1-based page."}),
        ("summary", pa.string(), True, {b"description": "補足: its items.".encode()}),
    ]
    assert schema.metadata == {b"source": b"raw/x.pdf"}
    assert arrow_schema(COLUMNS).metadata is None


def test_a_declared_table_gives_a_markdown_data_dictionary_one_line_per_column():
    assert markdown_table(COLUMNS) == (
        "| column | type | null | description |\n"
        "|---|---|---|---|\n"
        "| `page` | int16 | no | 1-based page. |\n"
        "| `summary` | string | yes | 補足: its items. |"
    )
