"""Text rules shared by the stages: spaces, item labels, where a URL starts, radicals."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

# Circled numbers ① to ㊿, as a regex character class: item labels in 補足.
CIRCLED = "①-⑳㉑-㉟㊱-㊿"
# What follows a label that is referred to rather than listed: a range (`①～③`) or a
# conjunction (`①、②`, `①及び②`).
RANGE_MARK = "～〜~"
REFERENCE_MARK = RANGE_MARK + "、，及"

_SPACES = re.compile(r"\s+")

# Where a title cell's URL begins, spaces that extraction put inside it allowed: the title
# lines come first, the URL on the lines after (`https://www.example -td.co.jp/…`).
URL_START = re.compile(r"https?\s*:\s*/\s*/", re.IGNORECASE)

# Meiryo and Yu Gothic draw a kanji and its radical with one glyph, and office exporters then
# write the radical into the PDF's ToUnicode map: 西 and 力 are extracted as ⻄ and ⼒ (U+2EC4,
# U+2F12). NFKC would fold the Kangxi radicals but also ①, （１／６） and full-width digits,
# so only these three blocks (bounds as in Unicode's Blocks.txt) are folded.
RADICAL_BLOCKS: tuple[range, ...] = (
    range(0x2E80, 0x2F00),  # CJK Radicals Supplement
    range(0x2F00, 0x2FE0),  # Kangxi Radicals
    range(0x31C0, 0x31F0),  # CJK Strokes
)

# Unicode's Equivalent_Unified_Ideograph property, UCD 17.0.0; see its .SOURCE.md.
EQUIVALENTS_FILE = "data/EquivalentUnifiedIdeograph.txt"

_IN_BLOCKS = re.compile(
    "[" + "".join(f"{chr(block.start)}-{chr(block.stop - 1)}" for block in RADICAL_BLOCKS) + "]"
)


@functools.cache
def radical_equivalents() -> Mapping[int, str]:
    """Given the bundled EquivalentUnifiedIdeograph.txt, return a str.translate table from
    each code point in RADICAL_BLOCKS that it maps to its unified ideograph.

    A line reads `2F12       ; 529B  # KANGXI RADICAL POWER` or, for a range,
    `2E8C..2E8D ; 5C0F  # ...`; radicals without an equivalent are only comments.
    """
    text = resources.files("pipeline").joinpath(EQUIVALENTS_FILE).read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].strip()
        if not fields:
            continue
        source, _, unified = (field.strip() for field in fields.partition(";"))
        first, _, last = source.partition("..")
        for code in range(int(first, 16), int(last or first, 16) + 1):
            if any(code in block for block in RADICAL_BLOCKS):
                table[code] = chr(int(unified, 16))
    return MappingProxyType(table)


def fold_radicals(text: str) -> tuple[str, int]:
    """Given text, return it with every radical code point that Unicode lists as equivalent
    to a unified ideograph replaced by that ideograph, and how many characters were replaced.
    """
    radicals = _IN_BLOCKS.findall(text)  # one C-level scan; nearly always empty
    if not radicals:
        return text, 0
    table = radical_equivalents()
    # sub calls back only on the few radicals; str.translate would look up every char (~8x slower)
    folded = _IN_BLOCKS.sub(lambda match: table.get(ord(match[0]), match[0]), text)
    return folded, sum(ord(char) in table for char in radicals)


def tidy(text: str) -> str:
    """Return text with whitespace collapsed, and removed wherever it touches full-width text.

    Extraction puts a space before a half-width run that follows Japanese text
    (`付与した ID` → `付与したID`, `過去 1年分` → `過去1年分`); a space between two
    half-width words (`Power Grid`) is kept.
    """
    words = _SPACES.split(text.strip())
    out = words[0]
    for word in words[1:]:
        if _is_wide(out[-1]) or _is_wide(word[0]):
            out += word
        else:
            out += " " + word
    return out


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F", "A")
