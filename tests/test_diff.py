"""diff: what changed between two versions of the disclosures table, on real outputs.

tests/fixtures/diff/old.pdf and new.pdf (specs and what differs in their README) run through
the whole pipeline; every expected change below is written from those specs, by hand.

Rules covered:
- a disclosure is named by (company, url): the same url under another company is another
  disclosure; a pair listed twice is paired occurrence by occurrence in document order
  (document, then page, then row, also when a side of several documents is compared with
  one without the column); a row that only moved is unchanged;
- the text: a heading per kind, a line per disclosure (the document first in a corpus diff,
  changed ones too), each changed field old → new, the summary last; the JSON: whole rows
  and [old, new] per field; exit 1 on differences only with --exit-code;
- corpora are paired document by document, documents on one side only listed whole; one
  document on each side, or a side without the column, is compared directly;
- bad input: one error line naming the file (missing, no disclosures.parquet, not Parquet,
  missing columns);
- write records changes.json over earlier outputs, not when nothing changed, not when the
  earlier table is unreadable, and a failed write leaves the earlier outputs as they were.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.diff import Changes, changes_to_json, changes_to_text, diff
from pipeline.errors import ValidationError

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
PACKAGE = Path(__file__).parent.parent / "pipeline"

KANSAI_TD_0217 = "https://www.kansai-td.co.jp/corporate/press-release/2023/pdf/0217_1j_01.pdf"
KANSAI_TD_0512 = "https://www.kansai-td.co.jp/corporate/press-release/2023/pdf/0512_1j_01.pdf"
KANSAI_TD_1227 = "https://www.kansai-td.co.jp/corporate/press-release/2022/pdf/1227_2j_01.pdf"
KEPCO_0113 = "https://www.kepco.co.jp/corporate/pr/2023/pdf/20230113_2j.pdf"
KEPCO_0217 = "https://www.kepco.co.jp/corporate/pr/2023/pdf/20230217_1j.pdf"
KYUDEN_0118 = "https://www.kyuden.co.jp/td_press_2023_230118.html"
KYUDEN_0203 = "https://www.kyuden.co.jp/td_press_2023_230203.html"
KYUDEN_0208 = "https://www.kyuden.co.jp/td_press_2023_230208.html"
KYUDEN_0329 = "https://www.kyuden.co.jp/press_230329b-1.html"
CHUDEN_PG = "https://powergrid.chuden.co.jp/news/press/1210701_3281.html"
CHUDEN = "https://www.chuden.co.jp/publicity/press/1210702_3273.html"
YONDEN = "https://www.yonden.co.jp/press/2023/__icsFiles/afieldfile/2023/05/12/pr003_1.pdf"

TITLE_TYPO = "法令等遵守体制の整備状況等に係る経済産業所への報告について"
TITLE_FIXED = "法令等遵守体制の整備状況等に係る経済産業省への報告について"
KEPCO_0217_TITLE = "電気事業に係る法令等の遵守に関する報告について"
CHUDEN_TITLE = (
    "託送業務で知り得たお客さま情報の漏えいおよび閲覧事案に関する電力・ガス取引監視等委員会"
    "からの業務改善勧告および資源エネルギー庁からの指導への報告"
)
YONDEN_TITLE = (
    "電力・ガス取引監視等委員会からの業務改善勧告および資源エネルギー庁からの指導に係る"
    "報告書の提出について"
)
KYUDEN_0208_TITLE = "個人情報保護委員会への個人情報等の取扱いに係る報告について"
KYUDEN_0203_TITLE = "託送業務で知り得た情報の取扱いに係る報告について"
KANSAI_TD_0512_TITLE = "電気事業法に基づく業務改善計画の提出について"
PRESS = "トップページ／プレスリリース"

# The rows new.pdf adds and old.pdf's rows it drops, whole, as the JSON shows them.
ADDED_ROWS = [
    {
        "page": 2,
        "row": 5,
        "company": "関西電力送配電",
        "company_legal_name": "関西電力送配電株式会社",
        "company_role": "一般送配電事業者",
        "company_group": "関西電力グループ",
        "published": "2023-05-12",
        "published_raw": "5/12",
        "location": PRESS,
        "title": KANSAI_TD_0512_TITLE,
        "url": KANSAI_TD_0512,
        "url_confirmed": True,
        "summary": "※過去公表経緯を一覧化",
    },
    {
        "page": 3,
        "row": 4,
        "company": "関西電力",
        "company_legal_name": "関西電力株式会社",
        "company_role": "小売電気事業者",
        "company_group": "関西電力グループ",
        "published": "2023-05-19",
        "published_raw": "5/19",
        "location": PRESS,
        "title": KEPCO_0217_TITLE,
        "url": KEPCO_0217,
        "url_confirmed": True,
        "summary": "再掲",
    },
    {
        "page": 4,
        "row": 3,
        "company": "中部電力",
        "company_legal_name": "中部電力株式会社",
        "company_role": "その他",
        "company_group": "中部電力グループ",
        "published": "2023-05-12",
        "published_raw": "5/12",
        "location": PRESS,
        "title": CHUDEN_TITLE,
        "url": CHUDEN,
        "url_confirmed": True,
        "summary": None,
    },
]
REMOVED_ROWS = [
    {
        "page": 3,
        "row": 3,
        "company": "九州電力送配電",
        "company_legal_name": "九州電力送配電株式会社",
        "company_role": "一般送配電事業者",
        "company_group": "九州電力グループ",
        "published": "2023-02-08",
        "published_raw": "2/8",
        "location": PRESS,
        "title": KYUDEN_0208_TITLE,
        "url": KYUDEN_0208,
        "url_confirmed": True,
        "summary": "個人情報保護委報告概要",
    },
    {
        "page": 4,
        "row": 2,
        "company": "四国電力",
        "company_legal_name": "四国電力株式会社",
        "company_role": "小売電気事業者",
        "company_group": "四国電力グループ",
        "published": "2023-05-12",
        "published_raw": "5/12",
        "location": PRESS,
        "title": YONDEN_TITLE,
        "url": YONDEN,
        "url_confirmed": True,
        "summary": None,
    },
]
# In new.pdf's order: page 2 row 3, page 3 row 3, page 3 row 6.
CHANGED = [
    {
        "company": "関西電力送配電",
        "url": KANSAI_TD_0217,
        "occurrence": 1,
        "fields": {"title": [TITLE_TYPO, TITLE_FIXED]},
    },
    {
        "company": "関西電力",
        "url": KEPCO_0217,
        "occurrence": 2,
        "fields": {"summary": ["再掲", "再掲（業務改善計画の提出時）"]},
    },
    {
        "company": "九州電力送配電",
        "url": KYUDEN_0203,
        "occurrence": 1,
        "fields": {"published": ["2023-02-03", "2023-02-06"], "published_raw": ["2/3", "2/6"]},
    },
]
EXPECTED_JSON = {"added": ADDED_ROWS, "removed": REMOVED_ROWS, "changed": CHANGED}

ADDED_LINES = [
    "追加 (added): 3",
    f"  関西電力送配電 2023-05-12 「{KANSAI_TD_0512_TITLE}」 {KANSAI_TD_0512}",
    f"  関西電力 2023-05-19 「{KEPCO_0217_TITLE}」 {KEPCO_0217} （3件目 / occurrence 3）",
    f"  中部電力 2023-05-12 「{CHUDEN_TITLE}」 {CHUDEN}",
]
REMOVED_LINES = [
    "削除 (removed): 2",
    f"  九州電力送配電 2023-02-08 「{KYUDEN_0208_TITLE}」 {KYUDEN_0208}",
    f"  四国電力 2023-05-12 「{YONDEN_TITLE}」 {YONDEN}",
]
CHANGED_LINES = [
    "変更 (changed): 3",
    f"  関西電力送配電 2023-02-17 「{TITLE_FIXED}」 {KANSAI_TD_0217}",
    f'    title: "{TITLE_TYPO}" → "{TITLE_FIXED}"',
    f"  関西電力 2023-05-12 「{KEPCO_0217_TITLE}」 {KEPCO_0217} （2件目 / occurrence 2）",
    '    summary: "再掲" → "再掲（業務改善計画の提出時）"',
    f"  九州電力送配電 2023-02-06 「{KYUDEN_0203_TITLE}」 {KYUDEN_0203}",
    "    published: 2023-02-03 → 2023-02-06",
    '    published_raw: "2/3" → "2/6"',
]
SUMMARY = "3 added, 2 removed, 3 changed"
EXPECTED_TEXT = [*ADDED_LINES, "", *REMOVED_LINES, "", *CHANGED_LINES, "", SUMMARY]


def _invoke(*args: str) -> object:
    return CliRunner().invoke(cli, ["-q", *args])


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """old.pdf and new.pdf run through the whole pipeline: {"old": DIR, "new": DIR}."""
    root = tmp_path_factory.mktemp("outputs")
    for name in ("old", "new"):
        result = _invoke("run", "--pdf", str(FIXTURES / f"{name}.pdf"), "--out", str(root / name))
        assert result.exit_code == 0, result.output
    return {"old": root / "old", "new": root / "new"}


def _identities(rows) -> list[tuple[str, str, int]]:
    return [(d.row["company"], d.row["url"], d.occurrence) for d in rows]


def _without_document(rows: list[dict], document: str) -> list[dict]:
    """Drop the document column, once tables carry it, after checking it names `document`."""
    assert all(row.get("document", document) == document for row in rows)
    return [{k: v for k, v in row.items() if k != "document"} for row in rows]


def _positions(folder: Path) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Where each (company, url) is printed: [(page, row), …] in the table's order."""
    found: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for row in pq.read_table(folder / "disclosures.parquet").to_pylist():
        found.setdefault((row["company"], row["url"]), []).append((row["page"], row["row"]))
    return found


# --- Two versions of one document ------------------------------------------------------------


def test_added_removed_and_changed_are_found_by_company_and_url(outputs):
    changes = diff(outputs["old"], outputs["new"])
    assert _identities(changes.added) == [
        ("関西電力送配電", KANSAI_TD_0512, 1),
        ("関西電力", KEPCO_0217, 3),
        ("中部電力", CHUDEN, 1),
    ]
    assert _identities(changes.removed) == [
        ("九州電力送配電", KYUDEN_0208, 1),
        ("四国電力", YONDEN, 1),
    ]
    found = {
        (c.new.row["company"], c.new.row["url"], c.new.occurrence): [
            (f.field, f.old, f.new) for f in c.fields
        ]
        for c in changes.changed
    }
    assert found == {
        ("関西電力送配電", KANSAI_TD_0217, 1): [("title", TITLE_TYPO, TITLE_FIXED)],
        ("関西電力", KEPCO_0217, 2): [("summary", "再掲", "再掲（業務改善計画の提出時）")],
        ("九州電力送配電", KYUDEN_0203, 1): [
            ("published", dt.date(2023, 2, 3), dt.date(2023, 2, 6)),
            ("published_raw", "2/3", "2/6"),
        ],
    }
    assert changes.has_differences and not changes.by_document
    assert changes.summary() == SUMMARY


def test_rows_that_only_moved_are_unchanged(outputs):
    old, new = _positions(outputs["old"]), _positions(outputs["new"])
    moved = {
        ("関西電力", KEPCO_0113): ([(2, 5)], [(3, 1)]),
        ("九州電力送配電", KYUDEN_0118): ([(3, 1)], [(3, 5)]),
        ("九州電力", KYUDEN_0329): ([(3, 4)], [(4, 1)]),
        ("中部電力PG", CHUDEN_PG): ([(4, 1)], [(4, 2)]),
    }
    assert {key: (old[key], new[key]) for key in moved} == moved  # the fixtures moved them
    changes = diff(outputs["old"], outputs["new"])
    listed = _identities(changes.added) + _identities(changes.removed)
    listed += [(c.new.row["company"], c.new.row["url"], 1) for c in changes.changed]
    assert not {(company, url, 1) for company, url in moved} & set(listed)


def test_a_url_listed_twice_is_paired_occurrence_by_occurrence_in_document_order(outputs):
    # old: 関西電力's 2/17 URL on page 2 rows 6 and 7; new: page 3 rows 2, 3 and 4.
    assert _positions(outputs["old"])[("関西電力", KEPCO_0217)] == [(2, 6), (2, 7)]
    assert _positions(outputs["new"])[("関西電力", KEPCO_0217)] == [(3, 2), (3, 3), (3, 4)]
    changes = diff(outputs["old"], outputs["new"])
    kepco = [d for d in changes.added if d.row["url"] == KEPCO_0217]
    assert [(d.occurrence, d.row["page"], d.row["row"]) for d in kepco] == [(3, 3, 4)]
    paired = [c for c in changes.changed if c.new.row["url"] == KEPCO_0217]
    assert [(c.old.occurrence, c.old.row["row"], c.new.row["row"]) for c in paired] == [(2, 7, 3)]
    assert not [d for d in changes.removed if d.row["url"] == KEPCO_0217]


def test_the_text_shows_each_kind_under_its_heading_then_the_summary(outputs):
    result = _invoke("diff", str(outputs["old"]), str(outputs["new"]))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == EXPECTED_TEXT


def test_the_reverse_diff_swaps_added_and_removed(outputs):
    changes = diff(outputs["new"], outputs["old"])
    assert len(changes.added) == 2 and len(changes.removed) == 3
    assert changes_to_text(changes).splitlines()[-1] == "2 added, 3 removed, 3 changed"


def test_json_lists_whole_rows_and_each_changed_field_old_and_new(outputs, tmp_path):
    out = tmp_path / "report" / "changes.json"
    result = _invoke("diff", str(outputs["old"]), str(outputs["new"]), "--json", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "関西電力送配電" in text  # UTF-8, not \u escapes
    data = json.loads(text)
    assert list(data) == ["added", "removed", "changed"]
    data["added"] = _without_document(data["added"], "new")
    data["removed"] = _without_document(data["removed"], "old")
    assert data == EXPECTED_JSON
    assert sorted(p.name for p in out.parent.iterdir()) == ["changes.json"]  # no temporary left


def test_parquet_files_compare_like_their_folders(outputs):
    files = diff(outputs["old"] / "disclosures.parquet", outputs["new"] / "disclosures.parquet")
    assert changes_to_json(files) == changes_to_json(diff(outputs["old"], outputs["new"]))


@pytest.mark.parametrize(
    ("flag", "expected"), [((), 0), (("--exit-code",), 1)], ids=["plain", "exit-code"]
)
def test_differences_exit_1_only_with_exit_code(outputs, flag, expected):
    result = _invoke("diff", str(outputs["old"]), str(outputs["new"]), *flag)
    assert result.exit_code == expected
    assert result.stdout.splitlines()[-1] == SUMMARY


def test_no_differences_exits_0_even_with_exit_code(outputs):
    result = _invoke("diff", str(outputs["new"]), str(outputs["new"]), "--exit-code")
    assert result.exit_code == 0
    assert result.stdout == "no differences\n"


# --- Corpora: outputs of several documents ---------------------------------------------------


def _table(folder: Path, document: str | None) -> pa.Table:
    """A real output's disclosures, with its document column set to `document` (None: none)."""
    table = pq.read_table(folder / "disclosures.parquet")
    if "document" in table.column_names:
        table = table.drop_columns(["document"])
    if document is None:
        return table
    return table.add_column(0, "document", pa.array([document] * table.num_rows, pa.string()))


def _corpus(path: Path, tables: list[pa.Table]) -> Path:
    """Write the tables, one after the other, as one disclosures.parquet at path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.concat_tables(tables), path)
    return path


def test_corpora_are_paired_document_by_document(outputs, tmp_path):
    old = _corpus(
        tmp_path / "old" / "disclosures.parquet",
        [_table(outputs["old"], "table"), _table(outputs["new"], "retired")],
    )
    new = _corpus(
        tmp_path / "new" / "disclosures.parquet",
        [_table(outputs["old"], "fresh"), _table(outputs["new"], "table")],
    )
    changes = diff(old.parent, new.parent)
    assert changes.by_document
    data = changes_to_json(changes)
    assert data["documents_added"] == [{"document": "fresh", "rows": 13}]
    assert data["documents_removed"] == [{"document": "retired", "rows": 14}]
    assert _without_document(data["added"], "table") == ADDED_ROWS
    assert _without_document(data["removed"], "table") == REMOVED_ROWS
    assert data["changed"] == [{"document": "table", **entry} for entry in CHANGED]
    assert changes_to_text(changes).splitlines()[-7:] == [
        "文書の追加 (documents added): 1",
        "  fresh: 13 件 (rows)",
        "",
        "文書の削除 (documents removed): 1",
        "  retired: 14 件 (rows)",
        "",
        "3 added, 2 removed, 3 changed, 1 document added, 1 document removed",
    ]
    assert changes_to_text(changes).splitlines()[1] == (
        f"  [table] 関西電力送配電 2023-05-12 「{KANSAI_TD_0512_TITLE}」 {KANSAI_TD_0512}"
    )


def test_a_document_only_added_is_a_difference(outputs, tmp_path):
    one = _corpus(tmp_path / "one.parquet", [_table(outputs["new"], "a")])
    two = _corpus(
        tmp_path / "two.parquet", [_table(outputs["new"], "a"), _table(outputs["old"], "b")]
    )
    changes = diff(one, two)
    assert changes_to_json(changes) == {
        "added": [],
        "removed": [],
        "changed": [],
        "documents_added": [{"document": "b", "rows": 13}],
        "documents_removed": [],
    }
    assert (
        changes.summary() == "0 added, 0 removed, 0 changed, 1 document added, 0 documents removed"
    )
    result = _invoke("diff", str(one), str(two), "--exit-code")
    assert result.exit_code == 1


def test_identical_corpora_have_no_differences(outputs, tmp_path):
    tables = [_table(outputs["old"], "a"), _table(outputs["new"], "b")]
    corpus = _corpus(tmp_path / "corpus.parquet", tables)
    changes = diff(corpus, corpus)
    assert not changes.has_differences and changes.summary() == "no differences"


def test_one_document_on_each_side_is_compared_whatever_their_names(outputs, tmp_path):
    old = _corpus(tmp_path / "a.parquet", [_table(outputs["old"], "2023-05-22")])
    new = _corpus(tmp_path / "b.parquet", [_table(outputs["new"], "2023-06-01")])
    changes = diff(old, new)
    assert not changes.by_document
    data = changes_to_json(changes)
    assert _without_document(data["added"], "2023-06-01") == ADDED_ROWS
    assert _without_document(data["removed"], "2023-05-22") == REMOVED_ROWS
    assert data["changed"] == CHANGED


def test_a_side_without_document_column_is_compared_directly(outputs, tmp_path):
    """new's rows split into two documents (page 2; pages 3-4) against old without the column:
    the same changes as between the two folders."""
    new = _table(outputs["new"], None)
    first = pc.equal(new.column("page"), 2)
    parts = [
        _table(outputs["new"], "part1").filter(first),
        _table(outputs["new"], "part2").filter(pc.invert(first)),
    ]
    old = _corpus(tmp_path / "old.parquet", [_table(outputs["old"], None)])
    changes = diff(old, _corpus(tmp_path / "new.parquet", parts))
    assert not changes.by_document
    assert changes_to_text(changes).splitlines()[-1] == SUMMARY
    data = changes_to_json(changes)
    assert [row.pop("document") for row in data["added"]] == ["part1", "part2", "part2"]
    assert data == EXPECTED_JSON


def _rows(folder: Path, url: str) -> list[dict]:
    """The rows of a real output's disclosures that list url, without a document column."""
    table = _table(folder, None)
    return table.filter(pc.equal(table.column("url"), url)).to_pylist()


def test_one_url_under_another_company_is_another_disclosure(outputs, tmp_path):
    [row] = _rows(outputs["old"], KYUDEN_0118)
    old = _corpus(tmp_path / "old.parquet", [pa.Table.from_pylist([row])])
    moved = {**row, "company": "九州電力"}
    new = _corpus(tmp_path / "new.parquet", [pa.Table.from_pylist([moved])])
    changes = diff(old, new)
    assert _identities(changes.added) == [("九州電力", KYUDEN_0118, 1)]
    assert _identities(changes.removed) == [("九州電力送配電", KYUDEN_0118, 1)]
    assert changes.changed == ()


def test_occurrences_count_in_document_order_before_page_order(outputs, tmp_path):
    """Against a side without a document column, document a's row on page 3 is the pair's
    first occurrence and document b's row on page 2 its second."""
    [row] = _rows(outputs["old"], KYUDEN_0118)
    old = _corpus(tmp_path / "old.parquet", [pa.Table.from_pylist([row])])
    in_a = {"document": "a", **row, "page": 3, "title": TITLE_FIXED}
    in_b = {"document": "b", **row, "page": 2}
    new = _corpus(tmp_path / "new.parquet", [pa.Table.from_pylist([in_b, in_a])])
    changes = diff(old, new)
    assert not changes.by_document
    assert [(c.new.document, c.new.occurrence) for c in changes.changed] == [("a", 1)]
    assert [f.field for f in changes.changed[0].fields] == ["title"]
    assert [(d.document, d.occurrence) for d in changes.added] == [("b", 2)]
    assert changes.removed == ()


def test_a_changed_disclosure_of_a_corpus_is_listed_under_its_document(outputs, tmp_path):
    same = _table(outputs["old"], "same")
    old = _corpus(tmp_path / "old.parquet", [_table(outputs["old"], "table"), same])
    new = _corpus(tmp_path / "new.parquet", [_table(outputs["new"], "table"), same])
    lines = changes_to_text(diff(old, new)).splitlines()
    start = lines.index("変更 (changed): 3")
    assert lines[start + 1 : start + 3] == [
        f"  [table] 関西電力送配電 2023-02-17 「{TITLE_FIXED}」 {KANSAI_TD_0217}",
        f'    title: "{TITLE_TYPO}" → "{TITLE_FIXED}"',
    ]


# --- Bad input: one Error line naming the file, exit 1 ---------------------------------------


def _error(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1, result.output
    return result.output.rstrip("\n")


def test_a_missing_folder_is_named(outputs, tmp_path):
    missing = tmp_path / "nothing"
    assert _error(_invoke("diff", str(outputs["old"]), str(missing))) == (
        f"Error: {missing}: not found (diff takes output folders or disclosures.parquet files)"
    )
    assert _error(_invoke("diff", str(missing), str(outputs["new"]))).startswith(
        f"Error: {missing}: not found"
    )


def test_a_folder_without_disclosures_says_what_writes_one(outputs, tmp_path):
    assert _error(_invoke("diff", str(tmp_path), str(outputs["new"]))) == (
        f"Error: {tmp_path}: no disclosures.parquet in this folder "
        f"(python -m pipeline run --out {tmp_path} writes one)"
    )


@pytest.mark.parametrize("content", [b"", b"page,row\n2,1\n"], ids=["empty", "csv"])
def test_a_file_that_is_not_parquet_is_named(outputs, tmp_path, content):
    bad = tmp_path / "disclosures.parquet"
    bad.write_bytes(content)
    assert _error(_invoke("diff", str(outputs["old"]), str(bad))).startswith(
        f"Error: {bad}: cannot read as Parquet ("
    )


def test_another_table_is_not_a_disclosures_table(outputs):
    incidents = outputs["new"] / "incidents.parquet"
    assert _error(_invoke("diff", str(incidents), str(outputs["new"]))) == (
        f"Error: {incidents}: not a disclosures table: no column page, row, url, published,"
        " published_raw, location, title, summary, url_confirmed, company_legal_name,"
        " company_role, company_group"
    )


def test_missing_columns_are_named(outputs, tmp_path):
    table = _table(outputs["new"], None).drop_columns(["title", "summary"])
    path = _corpus(tmp_path / "cut.parquet", [table])
    assert _error(_invoke("diff", str(outputs["old"]), str(path))) == (
        f"Error: {path}: not a disclosures table: no column title, summary"
    )


# --- write: changes.json beside outputs that changed -----------------------------------------


@pytest.fixture(scope="module")
def tables_json(tmp_path_factory) -> dict[str, Path]:
    """old.pdf and new.pdf through the stage commands up to tables: {"old": FILE, "new": FILE}."""
    root = tmp_path_factory.mktemp("build")
    built = {}
    for name in ("old", "new"):
        extracted, repaired = root / f"{name}.e.json", root / f"{name}.r.json"
        normalized, built[name] = root / f"{name}.n.json", root / f"{name}.t.json"
        for step in (
            ["extract", "--pdf", str(FIXTURES / f"{name}.pdf"), "--out", str(extracted)],
            ["repair", "--in", str(extracted), "--out", str(repaired)],
            ["normalize", "--in", str(repaired), "--out", str(normalized)],
            ["tables", "--in", str(normalized), "--out", str(built[name])],
        ):
            result = _invoke(*step)
            assert result.exit_code == 0, (step, result.output)
    return built


def _write(tables: Path, out: Path):
    return CliRunner().invoke(cli, ["write", "--in", str(tables), "--out", str(out)])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_write_over_other_tables_records_the_changes(tables_json, tmp_path):
    out = tmp_path / "output"
    first = _write(tables_json["old"], out)
    assert first.exit_code == 0, first.output
    assert "since the previous outputs" not in first.output
    assert not (out / "changes.json").exists()

    second = _write(tables_json["new"], out)
    assert second.exit_code == 0, second.output
    assert second.stderr.splitlines()[-1] == (
        f"{out}: {SUMMARY} since the previous outputs (see {out / 'changes.json'})"
    )
    data = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    data["added"] = _without_document(data["added"], "new")
    data["removed"] = _without_document(data["removed"], "old")
    assert data == EXPECTED_JSON


def test_a_write_that_changes_nothing_says_nothing_and_keeps_changes_json(tables_json, tmp_path):
    out = tmp_path / "output"
    for tables in ("old", "new"):
        assert _write(tables_json[tables], out).exit_code == 0
    recorded = (out / "changes.json").read_bytes()
    again = _write(tables_json["new"], out)
    assert again.exit_code == 0, again.output
    assert "since the previous outputs" not in again.output
    assert (out / "changes.json").read_bytes() == recorded


def test_an_unreadable_previous_table_does_not_stop_the_write(tables_json, tmp_path, caplog):
    out = tmp_path / "output"
    assert _write(tables_json["old"], out).exit_code == 0
    (out / "disclosures.parquet").write_bytes(b"not a parquet file")
    result = _write(tables_json["new"], out)
    assert result.exit_code == 0, result.output
    assert not (out / "changes.json").exists()
    assert f"{out / 'disclosures.parquet'} (previous version): cannot read as Parquet" in (
        caplog.text
    )
    assert "changes not recorded" in caplog.text
    assert len(pq.read_table(out / "disclosures.parquet")) == 14


def test_a_failed_write_leaves_the_previous_outputs_and_writes_no_changes(
    tables_json, tmp_path, monkeypatch
):
    out = tmp_path / "output"
    assert _write(tables_json["old"], out).exit_code == 0
    before = _snapshot(out)

    def failing(tables, out_dir):
        raise ValidationError(f"{out_dir}: refused")

    monkeypatch.setattr("pipeline.write.write", failing)
    result = _write(tables_json["new"], out)
    assert result.exit_code == 1
    assert result.output == f"Error: {out}: refused\n"
    assert _snapshot(out) == before


# --- The module's place among the others -----------------------------------------------------


def test_diff_imports_no_stage_module():
    stages = {"extract", "repair", "normalize", "tables", "write", "check", "report"}
    stages |= {"download", "inspect"}
    tree = ast.parse((PACKAGE / "diff.py").read_text(encoding="utf-8"))
    imported = {
        node.module.split(".")[1]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline.")
    }
    assert imported <= {"schema", "files", "errors", "records"}
    assert not imported & stages


def test_empty_changes_render_as_no_differences():
    nothing = Changes(added=(), removed=(), changed=())
    assert changes_to_text(nothing) == "no differences"
    assert changes_to_json(nothing) == {"added": [], "removed": [], "changed": []}
