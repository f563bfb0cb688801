"""Findings (pipeline/findings.py): how one reads, and the order a reader meets them in.

Rules pinned here:
- a finding reads `page P, row R, COLUMN: MESSAGE (VALUE)`; without a page it has no place
  (the table's own), without a column it names the table, and the value is shown quoted;
- in document order the table's own findings come first, then by page, then by row, a page's
  finding without a row before its rows; findings at one place keep the order they came in.
"""

from __future__ import annotations

import pytest

from pipeline.findings import ERROR, WARNING, Finding, in_document_order


def _finding(page=None, row=None, check="rule", **kwargs) -> Finding:
    values = {"level": ERROR, "message": "broken", "column": "url", "value": "x"} | kwargs
    return Finding(check=check, page=page, row=row, **values)


@pytest.mark.parametrize(
    ("finding", "text"),
    [
        (_finding(page=2, row=3), "page 2, row 3, url: broken ('x')"),
        (_finding(page=0, row=0), "page 0, row 0, url: broken ('x')"),  # page 0 is a page
        (_finding(page=2, row=None), "page 2, row None, url: broken ('x')"),
        (_finding(), "url: broken ('x')"),
        (_finding(column=None), "table: broken ('x')"),
        (_finding(column=""), "table: broken ('x')"),
        (_finding(value=None), "url: broken (None)"),
        (_finding(value="it's"), 'url: broken ("it\'s")'),
    ],
)
def test_a_finding_reads_page_row_column_message_and_value(finding, text):
    assert str(finding) == text


def test_levels_are_error_and_warning():
    assert (ERROR, WARNING) == ("error", "warning")


def test_the_tables_own_findings_come_first_then_by_page_then_by_row():
    findings = [
        _finding(page=3, row=1, check="a"),
        _finding(page=2, row=5, check="b"),
        _finding(check="c"),
        _finding(page=2, row=1, check="d"),
        _finding(page=1, row=9, check="e"),
    ]
    assert [f.check for f in in_document_order(findings)] == ["c", "e", "d", "b", "a"]


def test_a_pages_finding_without_a_row_comes_before_its_first_row():
    findings = [_finding(page=2, row=1, check="row 1"), _finding(page=2, check="page 2")]
    assert [f.check for f in in_document_order(findings)] == ["page 2", "row 1"]


def test_the_tables_findings_come_before_page_zero_and_page_one():
    findings = [_finding(page=1, row=0, check="p1"), _finding(page=0, check="p0")]
    findings.append(_finding(check="table"))
    assert [f.check for f in in_document_order(findings)] == ["table", "p0", "p1"]


def test_findings_at_one_place_keep_the_order_their_rules_ran_in():
    findings = [_finding(page=2, row=1, check=c) for c in ("z", "a", "m")]
    findings += [_finding(check=c) for c in ("y", "b")]
    assert [f.check for f in in_document_order(findings)] == ["y", "b", "z", "a", "m"]
