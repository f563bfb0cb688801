"""Incident parsing rules, on the document's own 補足 strings; expected values written by hand.

Rules covered:
- ranges (circled, 事案 numbers, letters) and lists refer to every label they span;
- an item line describes an incident with its text; the first description wins, later ones
  still describe; a row may describe and refer; labels are scoped per company; half-width
  words are not labels;
- DESCRIBES: a letter followed by each of . ． ) ）, a circled number of each run (①-⑳,
  ㉑-㉟, ㊱-㊿, both ends), 事案 and a number (spaces, half- or full-width); a label followed
  by a range or list mark (～ 〜 ~ 、 ， 及) refers instead; what does not start one;
- MENTION: every alternative (circled range, 事案 number range with or without a second 事案,
  letter range at word edges, single circled, 事案 number, 事案 letter), ranges across the
  circled runs, a number range printed as its endpoints were (half- or full-width);
- incidents ordered by company as first seen, then series as first seen, then ordinal;
  rows read by publication date, page, row; mentions ordered by page, row, ordinal; a row
  that describes a label does not also refer to it;
- a reference to an undescribed label warns and is dropped; a gap in an enumeration warns
  with every missing ordinal, per series; a label is a letter, a circled number or a number.
"""

import datetime as dt

import pytest

from pipeline.records import Disclosure
from pipeline.tables import _label, _mentioned, incidents


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


# --- Every alternative of DESCRIBES, MENTION and the circled-number runs


def _described(summary, company="東北電力"):
    return [(i.label, i.ordinal, i.text) for i in incidents((_row(1, summary, company),))[0]]


@pytest.mark.parametrize("mark", [".", "．", ")", "）"])
def test_a_letter_and_each_closing_mark_starts_a_description(mark):
    assert _described(f"a{mark} 営業システム ") == [("a", 1, "営業システム")]


@pytest.mark.parametrize(
    ("line", "label", "ordinal"),
    [
        ("①説明", "①", 1),
        ("⑳説明", "⑳", 20),
        ("㉑説明", "㉑", 21),
        ("㉟説明", "㉟", 35),
        ("㊱説明", "㊱", 36),
        ("㊿説明", "㊿", 50),
        ("事案１説明", "事案１", 1),
        ("事案 12説明", "事案12", 12),
        ("事案１２ 説明", "事案１２", 12),
        ("z.説明", "z", 26),
    ],
)
def test_every_label_series_starts_a_description_with_its_ordinal(line, label, ordinal):
    [(found, number, text)] = _described(line)
    assert (found, number, text) == (label, ordinal, "説明")


@pytest.mark.parametrize(
    "line",
    ["①～③の事案", "①〜③の事案", "①~③の事案", "①、②の事案", "①，②の事案", "①及び②の事案"],
)
def test_a_label_followed_by_a_range_or_list_mark_refers_instead_of_describing(line):
    described = "①一つ目\n②二つ目\n③三つ目"
    rows = [_row(1, described), _row(2, line, day=2)]
    assert {kind for r, _, kind in _links(rows) if r == 2} == {"refers"}


@pytest.mark.parametrize(
    "line", ["A.説明", "a説明", "a。説明", "事案説明", "説明①", "a.", "①", " ①説明"]
)
def test_what_does_not_start_a_description(line):
    assert _described(line) == []


def test_described_incidents_are_ordered_by_company_then_series_then_ordinal():
    rows = [
        _row(1, "b.二\n①丸一", company="中国電力", day=1),
        _row(2, "②東北二\n①東北一", company="東北電力", day=2),
        _row(3, "a.一", company="中国電力", day=3),
    ]
    found, _, _ = incidents(tuple(rows))
    assert [(i.company, i.label) for i in found] == [
        ("中国電力", "a"),
        ("中国電力", "b"),
        ("中国電力", "①"),
        ("東北電力", "①"),
        ("東北電力", "②"),
    ]


def test_rows_are_read_in_order_of_publication_then_page_then_row():
    # The row published first describes ①, though it is printed second.
    rows = [_row(1, "①後の説明", day=5), _row(2, "①先の説明", day=4)]
    [incident] = incidents(tuple(rows))[0]
    assert (incident.text, incident.first_row, incident.first_page) == ("先の説明", 2, 7)


def test_mentions_are_ordered_by_page_row_and_ordinal():
    rows = [_row(2, "②二\n①一", day=1), _row(1, "上記②及び①", day=2)]
    assert _links(rows) == [
        (1, "①", "refers"),
        (1, "②", "refers"),
        (2, "①", "describes"),
        (2, "②", "describes"),
    ]


def test_a_row_describing_a_label_does_not_also_refer_to_it():
    rows = [_row(1, "上記①\n①説明")]
    assert _links(rows) == [(1, "①", "describes")]


def test_a_mention_records_the_rows_place_and_company():
    rows = [_row(1, "①説明", company="中国電力"), _row(2, "上記①", company="中国電力", day=2)]
    mention = incidents(tuple(rows))[1][1]
    assert (mention.document, mention.page, mention.row, mention.company) == (
        "doc",
        7,
        2,
        "中国電力",
    )
    assert (mention.label, mention.ordinal, mention.kind) == ("①", 1, "refers")
    incident = incidents(tuple(rows))[0][0]
    assert (incident.document, incident.first_published) == ("doc", dt.date(2023, 1, 1))


@pytest.mark.parametrize(
    ("line", "labels"),
    [
        ("上記① ～ ③", ["①", "②", "③"]),
        ("上記⑲～㉒", ["⑲", "⑳", "㉑", "㉒"]),  # across the first two runs
        ("上記㉞～㊲", ["㉞", "㉟", "㊱", "㊲"]),  # across the last two
        ("事案1~3", ["事案1", "事案2", "事案3"]),
        ("事案 ９〜事案 １１", ["事案９", "事案１０", "事案１１"]),
        ("事案9～11", ["事案9", "事案10", "事案11"]),
        ("a～c", ["a", "b", "c"]),
        ("事案 a ～ 事案 c", ["a", "b", "c"]),
        ("事案y~z", ["y", "z"]),
        ("上記⑳", ["⑳"]),
        ("上記㊿", ["㊿"]),
        ("事案 １２", ["事案１２"]),
        ("事案 b", ["b"]),
        ("事案ab", []),  # a word, not a label
        ("xa～c", []),  # a range starts at a word's edge ...
        ("a～cx", []),  # ... and ends at one
        ("Aa～c", []),
        ("a～cA", []),
        ("事案bX", []),
        ("a", []),  # a letter alone is not a mention
        ("１", []),  # nor a number without 事案
    ],
)
def test_every_kind_of_mention_and_range(line, labels):
    assert [label for _, label in _mentioned("東北電力", line)] == labels


def test_a_mention_keys_its_company_series_and_ordinal():
    assert _mentioned("中国電力", "事案２、①、c") == [
        (("中国電力", "number", 2), "事案２"),
        (("中国電力", "circled", 1), "①"),
    ]
    assert _mentioned("中国電力", "事案c") == [(("中国電力", "letter", 3), "c")]


def test_a_label_is_a_letter_a_circled_number_or_a_number():
    with pytest.raises(ValueError) as raised:
        _label(None, None, None)
    assert str(raised.value) == "a label is a letter, a circled number or a number"


def test_the_gap_warning_lists_every_missing_ordinal_per_series():
    _, _, findings = incidents((_row(1, "②二\n⑤五\na.一\nc.三"),))
    assert [(f.level, f.check, f.column, f.value, f.message) for f in findings] == [
        (
            "warning",
            "incident_gap",
            "summary",
            "東北電力",
            "東北電力's circled enumeration skips ordinals [1, 3, 4]",
        ),
        (
            "warning",
            "incident_gap",
            "summary",
            "東北電力",
            "東北電力's letter enumeration skips ordinals [2]",
        ),
    ]


def test_a_dangling_reference_names_its_row_and_company():
    _, _, findings = incidents((_row(3, "上記④", company="中国電力"),))
    assert [(f.page, f.row, f.column, f.value, f.message) for f in findings] == [
        (7, 3, "summary", "④", "refers to ④, which no 中国電力 disclosure describes")
    ]
