"""The company table (pipeline/companies.py, data/companies.csv).

Rules pinned here:
- every row of companies.csv is one Company, looked up by its name as printed, with its legal
  name, role, group and domains (parametrized from the CSV itself);
- a company owns a host that is one of its domains or a subdomain of one, whatever the case
  and with or without the root's trailing dot; a host that only ends with the same letters,
  a parent domain or another company's domain is not its own; any of several domains counts.
"""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from pipeline.companies import Company, companies

ROWS = list(
    csv.DictReader(
        resources.files("pipeline")
        .joinpath("data/companies.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
)


@pytest.mark.parametrize("name", [row["name"] for row in ROWS])
def test_every_row_of_companies_csv_is_a_company_by_its_printed_name(name):
    (row,) = (row for row in ROWS if row["name"] == name)
    assert companies()[row["name"]] == Company(
        name=row["name"],
        legal_name=row["legal_name"],
        role=row["role"],
        group=row["group"],
        domains=tuple(row["domains"].split()),
    )


def test_the_table_has_one_company_per_row():
    assert len(companies()) == len(ROWS) == len({row["name"] for row in ROWS})


def test_a_known_company_reads_as_written_by_hand():
    assert companies()["関西電力送配電"] == Company(
        name="関西電力送配電",
        legal_name="関西電力送配電株式会社",
        role="一般送配電事業者",
        group="関西電力グループ",
        domains=("kansai-td.co.jp",),
    )


def test_an_unknown_name_is_not_in_the_table():
    assert "関西" not in companies()


KANSAI = Company(
    "関西電力送配電", "関西電力送配電株式会社", "一般送配電事業者", "g", ("kansai-td.co.jp",)
)
TWO = Company("x", "x", "その他", "g", ("a.example", "b.example"))


@pytest.mark.parametrize(
    ("company", "host", "owned"),
    [
        (KANSAI, "kansai-td.co.jp", True),
        (KANSAI, "www.kansai-td.co.jp", True),
        (KANSAI, "a.b.kansai-td.co.jp", True),
        (KANSAI, "WWW.Kansai-TD.co.jp", True),
        (KANSAI, "www.kansai-td.co.jp.", True),  # the DNS root's trailing dot
        (KANSAI, "evilkansai-td.co.jp", False),  # ends with the letters, not the domain
        (KANSAI, "kansai-td.co.jp.evil.example", False),
        (KANSAI, "co.jp", False),  # a parent domain
        (KANSAI, "www.kepco.co.jp", False),
        (KANSAI, "", False),
        (TWO, "a.example", True),
        (TWO, "www.b.example", True),
        (TWO, "c.example", False),
    ],
)
def test_a_company_owns_its_domains_and_their_subdomains(company, host, owned):
    assert company.owns(host) is owned
