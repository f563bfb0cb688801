"""The company table (data/companies.csv): legal name, role, group and web domains by name."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Company:
    """What we know of a company the document names."""

    name: str  # as printed in the table, its lines joined
    legal_name: str
    role: str  # 一般送配電事業者, 小売電気事業者 or その他
    group: str
    domains: tuple[str, ...]

    def owns(self, host: str) -> bool:
        """True if host is one of the company's domains or a subdomain of one."""
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.domains)


@functools.cache
def companies() -> dict[str, Company]:
    """Return the company table, by name as printed."""
    text = resources.files("pipeline").joinpath("data/companies.csv").read_text(encoding="utf-8")
    return {
        row["name"]: Company(
            name=row["name"],
            legal_name=row["legal_name"],
            role=row["role"],
            group=row["group"],
            domains=tuple(row["domains"].split()),
        )
        for row in csv.DictReader(io.StringIO(text))
    }
