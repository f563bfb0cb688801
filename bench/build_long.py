"""Build a long version of the replica: its table pages repeated until the table runs long.

Usage: python bench/build_long.py [--spec SPEC.json] [--pages N] OUT.pdf

The replica's spec fixes every line and page break, so its table pages are repeated as they
are (cover once, then copy after copy of the table pages) until the table has at least N
pages; the page numbers and the `（k／n）` in the titles count on. Every row stays a valid
row: its dates are the replica's, and from the second copy on its URL (the text and the link
annotation alike) ends in `?copy=K`, so no two rows of the document share a URL. The spec
is written beside OUT.pdf (OUT.json) and drawn by tests/fixtures/build_replica.py.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import re
import sys
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
sys.path.insert(0, str(FIXTURES))

import build_replica as br  # noqa: E402 (found through FIXTURES)

logger = logging.getLogger(__name__)

SPEC = FIXTURES / "replica_085_03_02.json"
# The issue's long document: the table over 150 pages (a year of meetings' worth of rows).
TABLE_PAGES = 150
# The column whose cell holds the title and, from its first `http` line on, the URL.
URL_HEADER = "タイトル、リンク"
# The title's page count, `（１／６）`: full-width digits around a full-width slash.
PAGE_OF = re.compile(r"（[０-９]+／[０-９]+）")
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def long_spec(spec: dict[str, Any], table_pages: int = TABLE_PAGES) -> dict[str, Any]:
    """Given a replica spec, return it with its table pages repeated to at least table_pages."""
    pages = spec["pages"]
    copies = math.ceil(table_pages / len(pages))
    total = copies * len(pages)
    repeated = []
    for number in range(1, copies + 1):
        for page in pages:
            page = copy.deepcopy(page)
            index = len(repeated) + 1
            page["number"] = str(index + 1)  # the cover is page 1
            page["title"] = PAGE_OF.sub(
                f"（{index}／{total}）".translate(FULL_WIDTH_DIGITS), page["title"]
            )
            if number > 1:
                for row in page["rows"]:
                    _number_url(row, number)
            repeated.append(page)
    return {**spec, "pages": repeated}


def _number_url(row: dict[str, Any], number: int) -> None:
    """Append `?copy=NUMBER` to a row's URL: its link and its URL cell's last line."""
    if row.get("link") is None:
        return
    suffix = f"?copy={number}"
    row["link"] += suffix
    lines = row["cells"][URL_HEADER]
    if not isinstance(lines, list) or not any(line.startswith(br.URL_PREFIX) for line in lines):
        raise ValueError(f"a row's URL is not given line by line: {lines!r}")
    lines[-1] += suffix


def main(argv: list[str] | None = None) -> None:
    """Write OUT.json and OUT.pdf, e.g. `build_long.py build/bench/long.pdf`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--pages", type=int, default=TABLE_PAGES, help="table pages, at least")
    args = parser.parse_args(argv)
    spec = long_spec(json.loads(args.spec.read_text(encoding="utf-8")), args.pages)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(
        json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    br.build(spec, args.out)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
