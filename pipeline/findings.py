"""Findings: the rules a finished table breaks, shared by the checks that find them."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"  # stops the run; nothing is replaced
WARNING = "warning"  # reported in validation.json; the run goes on


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One broken rule: an error stops the run, a warning is reported and the run goes on."""

    level: str  # ERROR or WARNING
    check: str  # the rule's name, e.g. "url_host"
    message: str
    page: int | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"page {self.page}, row {self.row}, " if self.page is not None else ""
        return f"{where}{self.column or 'table'}: {self.message} ({self.value!r})"


def in_document_order(findings: list[Finding]) -> list[Finding]:
    """Given findings, return them as a reader meets them: the table's own first, then by
    page and row; findings at one place keep the order their rules ran in."""
    return sorted(findings, key=lambda f: (f.page is not None, f.page or 0, f.row or 0))
