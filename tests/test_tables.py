"""The tables stage over one or several documents, on small hand-built inputs (no PDF).

Rules covered:
- several documents: every table concatenated in the documents' order, no document.json, a
  validation.json with each document's part, rows summed, passed only if all passed;
- two input documents with one file stem raise TablesError naming each such stem once;
- keep_going moves a document whose tables have an error into `failed`, its message naming
  the first error and how many more; without it the document stays and the run fails;
- one document that passed, and none failed, gives its own document.json and validation.json;
  one document beside a failed one gives the corpus form;
- origins default to local files; each document needs its own; given, each document's is
  recorded in its document.json, validation.json (provenance too) and documents row;
- validation.json accounts for every page, sums the unified radicals, splits errors from
  warnings;
- provenance: network (URL, time, missing URL), replica (copied at, published at), any other
  kind or none by the file's name, always with the sha256.
"""

import datetime as dt

import pytest

from pipeline.errors import TablesError
from pipeline.records import (
    Disclosure,
    Document,
    Failure,
    Line,
    Normalized,
    Origin,
    PageText,
    Source,
)
from pipeline.schema import CorpusValidationJson, ValidationJson
from pipeline.tables import provenance, tables

DATE = dt.date(2025, 1, 15)


def _disclosure(stem, row, summary=None, published=dt.date(2025, 1, 10), page=2):
    return Disclosure(
        document=stem,
        page=page,
        row=row,
        company="東北電力",
        company_legal_name="東北電力株式会社",
        company_role="小売電気事業者",
        company_group="東北電力グループ",
        published=published,
        published_raw="1/10",
        location="トップページ",
        title=f"{stem} {row}",
        url=f"https://www.tohoku-epco.co.jp/{stem}/{row}.pdf",
        url_confirmed=None,
        summary=summary,
    )


def _normalized(stem, rows=None, pages=None):
    pages = pages or (
        PageText(page=1, above=(), below=(), role="before table", rows=0, unified=0),
        PageText(page=2, above=(), below=(), role="table", rows=2, unified=0),
    )
    source = Source(
        document=stem,
        path=f"raw/{stem}.pdf",
        sha256=stem[0] * 64,
        page_count=len(pages),
        cover=(
            Line(text="資料３－２", x0=0.0, x1=9.0, top=0.0, bottom=9.0, size=9.0),
            Line(text="第85回会合", x0=0.0, x1=9.0, top=10.0, bottom=18.0, size=8.0),
        ),
        pages=pages,
    )
    if rows is None:
        rows = (_disclosure(stem, 1, "①一つ目の事案"), _disclosure(stem, 2, "上記①"))
    return Normalized(document=Document(source=source, date=DATE), disclosures=rows)


def _broken(stem, errors=1):
    """A document whose first `errors` rows have a date after the document's own."""
    late = dt.date(2025, 1, 16)
    rows = tuple(_disclosure(stem, n, published=late) for n in range(1, errors + 1))
    return _normalized(stem, rows + (_disclosure(stem, errors + 1),))


def test_several_documents_are_concatenated_in_their_order():
    out = tables([_normalized("b"), _normalized("a")])
    assert [(d.document, d.row) for d in out.disclosures] == [
        ("b", 1),
        ("b", 2),
        ("a", 1),
        ("a", 2),
    ]
    assert [(i.document, i.label) for i in out.incidents] == [("b", "①"), ("a", "①")]
    assert [(m.document, m.row, m.kind) for m in out.disclosure_incidents] == [
        ("b", 1, "describes"),
        ("b", 2, "refers"),
        ("a", 1, "describes"),
        ("a", 2, "refers"),
    ]
    assert [d.document for d in out.documents] == ["b", "a"]
    assert out.document is None
    assert isinstance(out.validation, CorpusValidationJson)
    assert (out.validation.passed, out.validation.rows, out.validation.failed) == (True, 4, [])
    assert [v.document for v in out.validation.documents] == ["b", "a"]


def test_several_documents_concatenate_their_findings_in_their_order():
    out = tables([_normalized("b", (_disclosure("b", 1, "上記②"),)), _broken("a")])
    assert [(f.check, f.value) for f in out.findings] == [
        ("incident_reference", "②"),
        ("date outside the window before the document's date 2025-01-15", "2025-01-16"),
    ]


def test_a_corpus_fails_if_one_document_has_an_error():
    out = tables([_normalized("a"), _broken("b")])
    assert isinstance(out.validation, CorpusValidationJson)
    assert out.validation.passed is False
    assert [(v.document, v.passed) for v in out.validation.documents] == [("a", True), ("b", False)]
    assert out.validation.failed == []


@pytest.mark.parametrize(
    ("stems", "message"),
    [
        (["a", "a"], "two input PDFs have the same file name: a"),
        (["b", "a", "b", "a", "c"], "two input PDFs have the same file name: a, b"),
    ],
)
def test_two_documents_with_one_stem_raise_naming_each_stem_once(stems, message):
    with pytest.raises(TablesError) as raised:
        tables([_normalized(stem) for stem in stems])
    assert str(raised.value) == message


@pytest.mark.parametrize(("errors", "more"), [(1, ""), (2, " (and 1 more)"), (3, " (and 2 more)")])
def test_keep_going_moves_a_document_with_an_error_into_failed(errors, more):
    out = tables([_normalized("a"), _broken("b", errors)], keep_going=True)
    assert isinstance(out.validation, CorpusValidationJson)
    assert out.validation.passed is False
    assert [v.document for v in out.validation.documents] == ["a"]
    assert [d.document for d in out.disclosures] == ["a", "a"]
    [failed] = out.validation.failed
    assert (failed.document, failed.source) == ("b", "raw/b.pdf")
    assert failed.error == (
        "raw/b.pdf: validation error: page 2, row 1, published: date outside the window before "
        f"the document's date 2025-01-15 ('2025-01-16'){more}"
    )


def test_keep_going_keeps_the_documents_failed_before_it_first():
    earlier = Failure(document="z", source="raw/z.pdf", error="raw/z.pdf: not a PDF")
    out = tables([_broken("b")], failed=[earlier], keep_going=True)
    assert [f.document for f in out.validation.failed] == ["z", "b"]
    assert out.validation.documents == []
    assert out.disclosures == ()


def test_keep_going_keeps_a_document_that_passed_with_warnings():
    out = tables([_normalized("a", (_disclosure("a", 1, "上記②"),))], keep_going=True)
    assert isinstance(out.validation, ValidationJson)
    assert out.validation.passed is True
    assert [w.check for w in out.validation.warnings] == ["incident_reference"]


def test_one_passing_document_gives_its_own_document_json_and_validation_json():
    out = tables([_normalized("a")])
    assert isinstance(out.validation, ValidationJson)
    assert (out.validation.document, out.validation.passed, out.validation.rows) == ("a", True, 2)
    assert out.document is not None
    assert (out.document.material, out.document.date) == ("資料３－２", DATE)


def test_one_failing_document_without_keep_going_gives_its_own_validation_json():
    out = tables([_broken("a")])
    assert isinstance(out.validation, ValidationJson)
    assert out.validation.passed is False
    assert out.document is not None


def test_one_document_beside_a_failed_one_gives_the_corpus_form():
    earlier = Failure(document="z", source="raw/z.pdf", error="raw/z.pdf: not a PDF")
    out = tables([_normalized("a")], failed=[earlier])
    assert isinstance(out.validation, CorpusValidationJson)
    assert out.document is None
    assert out.validation.passed is False
    assert [(f.document, f.source, f.error) for f in out.validation.failed] == [
        ("z", "raw/z.pdf", "raw/z.pdf: not a PDF")
    ]


def test_no_document_gives_an_empty_corpus():
    out = tables([])
    assert isinstance(out.validation, CorpusValidationJson)
    assert (out.validation.passed, out.validation.rows, out.disclosures) == (True, 0, ())


def test_origins_default_to_local_files():
    out = tables([_normalized("a"), _normalized("b")])
    assert [v.provenance for v in out.validation.documents] == [
        f"file a.pdf, sha256 {'a' * 64}",
        f"file b.pdf, sha256 {'b' * 64}",
    ]
    assert [(v.source_kind, v.source_url, v.fetched_at) for v in out.validation.documents] == [
        (None, None, None),
        (None, None, None),
    ]


def test_each_documents_origin_is_recorded_in_its_validation_and_row():
    origins = [
        Origin(source_url="https://a.example.go.jp/a.pdf", source_kind="network", fetched_at="T1"),
        Origin(source_kind="local file"),
    ]
    out = tables([_normalized("a"), _normalized("b")], origins)
    assert [(v.source_kind, v.source_url, v.fetched_at) for v in out.validation.documents] == [
        ("network", "https://a.example.go.jp/a.pdf", "T1"),
        ("local file", None, None),
    ]
    assert [(r.source_kind, r.source_file, r.sha256) for r in out.documents] == [
        ("network", "raw/a.pdf", "a" * 64),
        ("local file", "raw/b.pdf", "b" * 64),
    ]


def test_each_document_needs_its_origin():
    with pytest.raises(ValueError):
        tables([_normalized("a"), _normalized("b")], [Origin()])


def test_the_origin_is_recorded_in_document_json_and_the_provenance():
    origin = Origin(source_url="https://x.go.jp/a.pdf", source_kind="network", fetched_at="T")
    out = tables([_normalized("a")], [origin])
    assert out.document is not None
    assert (out.document.source_url, out.document.source_kind) == (
        "https://x.go.jp/a.pdf",
        "network",
    )
    assert out.validation.provenance == (
        f"downloaded from https://x.go.jp/a.pdf at T, sha256 {'a' * 64}"
    )


def test_the_documents_row_holds_the_documents_facts():
    [row] = tables([_normalized("a")]).documents
    assert (row.document, row.date, row.meeting, row.material, row.title) == (
        "a",
        DATE,
        "第85回会合",
        "資料３－２",
        "資料３－２",
    )
    assert (row.page_count, row.rows) == (2, 2)


def test_validation_accounts_for_every_page_and_sums_the_unified_radicals():
    pages = (
        PageText(page=1, above=(), below=(), role="before table", rows=0, unified=2),
        PageText(page=2, above=(), below=(), role="table", rows=2, unified=3),
        PageText(page=3, above=(), below=(), role="after table", rows=0, unified=0),
    )
    validation = tables([_normalized("a", pages=pages)]).validation
    assert isinstance(validation, ValidationJson)
    assert [(p.page, p.role, p.rows, p.unified) for p in validation.pages] == [
        (1, "before table", 0, 2),
        (2, "table", 2, 3),
        (3, "after table", 0, 0),
    ]
    assert validation.unified_radicals == 5
    assert (validation.source, validation.sha256, validation.document_date) == (
        "raw/a.pdf",
        "a" * 64,
        DATE,
    )


def test_validation_splits_errors_from_warnings():
    rows = (_disclosure("a", 1, "上記②", published=dt.date(2025, 1, 16)),)
    validation = tables([_normalized("a", rows)]).validation
    assert isinstance(validation, ValidationJson)
    assert [(e.level, e.column, e.page, e.row, e.value) for e in validation.errors] == [
        ("error", "published", 2, 1, "2025-01-16")
    ]
    assert [(w.level, w.check, w.column, w.value, w.message) for w in validation.warnings] == [
        (
            "warning",
            "incident_reference",
            "summary",
            "②",
            "refers to ②, which no 東北電力 disclosure describes",
        )
    ]


@pytest.mark.parametrize(
    ("kind", "url", "fetched_at", "where"),
    [
        ("network", "https://x.go.jp/a.pdf", "T", "downloaded from https://x.go.jp/a.pdf at T"),
        ("network", "https://x.go.jp/a.pdf", None, "downloaded from https://x.go.jp/a.pdf"),
        ("network", None, None, "downloaded from (URL not recorded)"),
        (
            "replica",
            "https://x.go.jp/a.pdf",
            "T",
            "the bundled REPLICA, copied at T, not the published document at https://x.go.jp/a.pdf",
        ),
        ("replica", None, None, "the bundled REPLICA, not the published document"),
        ("local file", None, None, "local file a.pdf"),
        (None, None, None, "file a.pdf"),
    ],
)
def test_provenance_says_where_the_pdf_came_from(kind, url, fetched_at, where):
    assert (
        provenance(kind, url, fetched_at, "raw/sub/a.pdf", "f" * 64)
        == f"{where}, sha256 {'f' * 64}"
    )
