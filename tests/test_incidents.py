"""Incident parsing rules, on the document's own 補足 strings; expected values written by hand."""

import datetime as dt

import pytest

from pipeline.records import Disclosure
from pipeline.tables import incidents


def _row(row, summary, company="東北電力", day=1):
    return Disclosure(
        document="doc",
        page=7,
        row=row,
        company=company,
        company_legal_name=None,
        company_role=None,
        company_group=None,
        published=dt.date(2023, 1, day),
        published_raw=f"1/{day}",
        location="トップページ／プレスリリース",
        title="t",
        url="https://example.co.jp/x",
        url_confirmed=None,
        summary=summary,
    )


def _links(rows):
    return [(m.row, m.label, m.kind) for m in incidents(tuple(rows))[1]]


@pytest.mark.parametrize(
    ("summary", "labels"),
    [
        ("上記①～③", ["①", "②", "③"]),
        ("①～⑧の事案について、改めて一覧で掲載", ["①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧"]),
        ("事案１～７\n（参考扱いとして事案をすべて記載）", [f"事案{n}" for n in "１２３４５６７"]),
        ("上記公表済みの事案a～gを再掲", list("abcdefg")),
        ("上記①及び②", ["①", "②"]),
        ("上記①、②及び、", ["①", "②"]),
    ],
)
def test_references_and_ranges(summary, labels):
    described = "\n".join(
        f"{label if not label.isascii() else label + '.'}説明" for label in labels
    )
    rows = [_row(1, described, day=1), _row(2, summary, day=2)]
    assert [(label, kind) for r, label, kind in _links(rows) if r == 2] == [
        (label, "refers") for label in labels
    ]


def test_item_lines_describe_with_their_text():
    summary = "a.営業システム（セールスセンター等）に係る事案\nb.お客さま台帳検索システムに係る事案"
    found, mentions, findings = incidents((_row(1, summary, company="中国電力NW"),))
    assert [(i.label, i.ordinal, i.text) for i in found] == [
        ("a", 1, "営業システム（セールスセンター等）に係る事案"),
        ("b", 2, "お客さま台帳検索システムに係る事案"),
    ]
    assert [m.kind for m in mentions] == ["describes", "describes"]
    assert findings == ()


def test_first_description_wins_and_later_ones_still_describe():
    rows = [
        _row(1, "事案２営業システム（未収督促画面）", company="中国電力", day=27),
        _row(
            2,
            "事案１お客さま台帳検索システム\n事案２営業システム（未収督促画面）",
            company="中国電力",
            day=28,
        ),
    ]
    found, mentions, _ = incidents(tuple(rows))
    second = next(i for i in found if i.label == "事案２")
    assert (second.first_row, second.first_published) == (1, dt.date(2023, 1, 27))
    assert [(m.row, m.label, m.kind) for m in mentions] == [
        (1, "事案２", "describes"),
        (2, "事案１", "describes"),
        (2, "事案２", "describes"),
    ]


def test_describing_and_referring_in_one_cell():
    rows = [
        _row(1, "①当社の一部の従業員において…事案", day=13),
        _row(2, "上記①及び、\n②カスタマーセンターにおける…事案", day=27),
    ]
    assert _links(rows) == [(1, "①", "describes"), (2, "①", "refers"), (2, "②", "describes")]


def test_labels_are_scoped_per_company():
    rows = [
        _row(1, "①東北電力NWの事案", company="東北電力NW"),
        _row(2, "①東北電力の事案", company="東北電力", day=2),
    ]
    found, _, _ = incidents(tuple(rows))
    assert [(i.company, i.label, i.text) for i in found] == [
        ("東北電力NW", "①", "東北電力NWの事案"),
        ("東北電力", "①", "東北電力の事案"),
    ]


def test_half_width_words_are_not_labels():
    rows = [_row(1, "③東北電力NWにおけるNW側システムのID、パスワードの管理の不徹底")]
    assert _links(rows) == [(1, "③", "describes")]


def test_reference_to_an_undescribed_label_is_a_warning_not_a_link():
    found, mentions, findings = incidents((_row(1, "上記①～③"),))
    assert (found, mentions) == ((), ())
    assert [(f.level, f.check, f.value) for f in findings] == [
        ("warning", "incident_reference", "①"),
        ("warning", "incident_reference", "②"),
        ("warning", "incident_reference", "③"),
    ]


def test_an_enumeration_with_a_gap_is_a_warning():
    _, _, findings = incidents((_row(1, "①一つ目の事案\n③三つ目の事案"),))
    assert [(f.check, f.message) for f in findings] == [
        ("incident_gap", "東北電力's circled enumeration skips ordinals [2]")
    ]


def test_empty_and_plain_summaries_give_nothing():
    assert incidents(
        (
            _row(1, None),
            _row(
                2,
                "再発防止策\n※事案判明時や報告徴収受領・報告時には都度プレスリリースにて公表",
                day=2,
            ),
        )
    ) == ((), (), ())
