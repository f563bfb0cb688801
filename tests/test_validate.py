"""Validation rules on the replica's real rows, each broken on purpose."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.normalize import normalize
from pipeline.repair import repair
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
