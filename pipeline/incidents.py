"""Incidents: the cases (事案) companies enumerate in 補足, and the rows that mention them."""

from __future__ import annotations

import logging
import re
import unicodedata

from pipeline.findings import WARNING, Finding
from pipeline.records import Disclosure, Incident, Mention
from pipeline.text import CIRCLED, RANGE_MARK, REFERENCE_MARK

logger = logging.getLogger(__name__)

# Circled numbers sit in three Unicode runs: ①-⑳ (1-20), ㉑-㉟ (21-35), ㊱-㊿ (36-50).
CIRCLED_RUNS = ((0x2460, 1), (0x3251, 21), (0x32B1, 36))

# An item that describes an incident starts its line with the label:
# `a.営業システム…`, `①小売業務を…`, `事案１お客さま台帳検索システム`.
DESCRIBES = re.compile(
    rf"""^(?:
        (?P<letter>[a-z])[.．)）]
      | (?P<circled>[{CIRCLED}])
      | 事案\s*(?P<number>[0-9０-９]+)
    )(?![{REFERENCE_MARK}])\s*(?P<text>.+)$""",
    re.VERBOSE,
)
# Mentions inside a line, ranges first: `上記①～③`, `①～⑧の事案`, `事案１～７`,
# `事案a～g`, `上記①、②及び、`, `事案４`.
MENTION = re.compile(
    rf"""(?:
        (?P<c1>[{CIRCLED}])\s*[{RANGE_MARK}]\s*(?P<c2>[{CIRCLED}])
      | 事案\s*(?P<n1>[0-9０-９]+)\s*[{RANGE_MARK}]\s*(?:事案\s*)?(?P<n2>[0-9０-９]+)
      | (?:事案\s*)?(?<![A-Za-z])(?P<l1>[a-z])\s*[{RANGE_MARK}]
        \s*(?:事案\s*)?(?P<l2>[a-z])(?![A-Za-z])
      | (?P<c>[{CIRCLED}])
      | 事案\s*(?P<n>[0-9０-９]+)
      | 事案\s*(?P<l>[a-z])(?![A-Za-z])
    )""",
    re.VERBOSE,
)


# An incident's identity: its company, its label series ("letter", "circled", "number"), ordinal.
Key = tuple[str, str, int]


def incidents(
    disclosures: tuple[Disclosure, ...],
) -> tuple[tuple[Incident, ...], tuple[Mention, ...], tuple[Finding, ...]]:
    """Given the disclosures, return the incidents, every mention of them, and warnings."""
    described: dict[Key, Incident] = {}
    mentions: dict[tuple[int, int, Key], Mention] = {}
    for d in sorted(disclosures, key=lambda d: (d.published, d.page, d.row)):
        for line in (d.summary or "").split("\n"):
            item = _describes(d, line)
            if item is not None:
                key, incident = item
                described.setdefault(key, incident)
                mentions[(d.page, d.row, key)] = _mention(d, key, incident.label, "describes")
                continue
            for key, label in _mentioned(d.company, line):
                mentions.setdefault((d.page, d.row, key), _mention(d, key, label, "refers"))
    findings = _dangling(mentions, described) + _gaps(described)
    kept = [m for (p, r, key), m in mentions.items() if key in described]
    kept.sort(key=lambda m: (m.page, m.row, m.ordinal))
    # Group by company in the order the companies appear, then by series as first seen
    # (a company may enumerate `a.`… and later `①`…), then by label.
    companies = {name: i for i, name in enumerate(dict.fromkeys(d.company for d in disclosures))}
    series = {key[:2]: i for i, key in enumerate(dict.fromkeys(k[:2] for k in described))}
    found = [
        described[key]
        for key in sorted(described, key=lambda k: (companies[k[0]], series[k[:2]], k[2]))
    ]
    return tuple(found), tuple(kept), tuple(findings)


def _describes(d: Disclosure, line: str) -> tuple[Key, Incident] | None:
    match = DESCRIBES.match(line)
    if match is None:
        return None
    series, ordinal, label = _label(match["letter"], match["circled"], match["number"])
    incident = Incident(
        company=d.company,
        label=label,
        ordinal=ordinal,
        text=match["text"].strip(),
        first_page=d.page,
        first_row=d.row,
        first_published=d.published,
    )
    return (d.company, series, ordinal), incident


def _mentioned(company: str, line: str) -> list[tuple[Key, str]]:
    """Return the (key, label) of every incident a line mentions, ranges expanded."""
    found = []
    for m in MENTION.finditer(line):
        pairs: list[tuple[str | None, str | None, str | None]]  # (letter, circled, number)
        if m["c1"]:
            pairs = [(None, c, None) for c in _circled_range(m["c1"], m["c2"])]
        elif m["n1"]:
            wide = m["n1"] != unicodedata.normalize("NFKC", m["n1"])
            pairs = [
                (None, None, _digits(n, wide)) for n in range(_int(m["n1"]), _int(m["n2"]) + 1)
            ]
        elif m["l1"]:
            pairs = [(chr(c), None, None) for c in range(ord(m["l1"]), ord(m["l2"]) + 1)]
        else:
            pairs = [(m["l"], m["c"], m["n"])]
        for letter, circled, number in pairs:
            series, ordinal, label = _label(letter, circled, number)
            found.append(((company, series, ordinal), label))
    return found


def _label(letter: str | None, circled: str | None, number: str | None) -> tuple[str, int, str]:
    """Return (series, ordinal, label as printed) of one label."""
    if letter:
        return "letter", ord(letter) - ord("a") + 1, letter
    if circled:
        return "circled", _circled_ordinal(circled), circled
    if number is None:
        raise ValueError("a label is a letter, a circled number or a number")
    return "number", _int(number), f"事案{number}"


def _circled_ordinal(char: str) -> int:
    code = ord(char)
    start, first = max((s, f) for s, f in CIRCLED_RUNS if s <= code)
    return first + code - start


def _circled_range(start: str, end: str) -> list[str]:
    first, last = _circled_ordinal(start), _circled_ordinal(end)
    return [_circled(n) for n in range(first, last + 1)]


def _circled(n: int) -> str:
    start, first = max((s, f) for s, f in CIRCLED_RUNS if f <= n)
    return chr(start + n - first)


def _int(digits: str) -> int:
    return int(unicodedata.normalize("NFKC", digits))


def _digits(n: int, wide: bool) -> str:
    """Print n as the range's endpoints were printed: `事案１～７` gives １…７."""
    text = str(n)
    return text.translate(str.maketrans("0123456789", "０１２３４５６７８９")) if wide else text


def _mention(d: Disclosure, key: Key, label: str, kind: str) -> Mention:
    return Mention(
        page=d.page, row=d.row, company=d.company, label=label, ordinal=key[2], kind=kind
    )


def _dangling(
    mentions: dict[tuple[int, int, Key], Mention], described: dict[Key, Incident]
) -> list[Finding]:
    """A reference to a label the company never describes: warn, and drop the link."""
    return [
        Finding(
            level=WARNING,
            check="incident_reference",
            page=m.page,
            row=m.row,
            column="summary",
            value=m.label,
            message=f"refers to {m.label}, which no {m.company} disclosure describes",
        )
        for (_, _, key), m in mentions.items()
        if key not in described
    ]


def _gaps(described: dict[Key, Incident]) -> list[Finding]:
    """An enumeration that skips a label (① and ③ but no ②): warn, keep what is there."""
    findings = []
    series: dict[tuple[str, str], list[int]] = {}
    for company, kind, ordinal in described:
        series.setdefault((company, kind), []).append(ordinal)
    for (company, kind), ordinals in series.items():
        missing = sorted(set(range(1, max(ordinals) + 1)) - set(ordinals))
        if missing:
            findings.append(
                Finding(
                    level=WARNING,
                    check="incident_gap",
                    column="summary",
                    value=company,
                    message=f"{company}'s {kind} enumeration skips ordinals {missing}",
                )
            )
    return findings
