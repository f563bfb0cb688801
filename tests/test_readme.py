"""The README's data dictionary matches the declared schema, and its examples run."""

import contextlib
import io
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.schema import TABLES, markdown_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(TABLES))
def test_data_dictionary_is_the_declared_schema(name):
    block = re.search(rf"<!-- schema:{name} -->\n(.*?)\n<!-- /schema:{name} -->", README, re.S)
    assert block, f"README has no data dictionary for {name}"
    assert block.group(1) == markdown_table(TABLES[name])


def test_readme_names_the_two_commands():
    assert "make run" in README and "make test" in README


def test_python_examples_run_on_the_replica_output(tmp_path, monkeypatch):
    pdf = ROOT / "tests" / "fixtures" / "085_03_02.replica.pdf"
    result = CliRunner().invoke(
        cli, ["-q", "run", "--pdf", str(pdf), "--out", str(tmp_path / "output")]
    )
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) == 3
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})
    text = printed.getvalue()
    # 23 disclosures by 5 grid operators, counted by hand from the document
    assert re.search(r"一般送配電事業者\s*│\s*23\s*│\s*5\s*│", text), text
    assert "公表日: publication date" in text
    assert os.path.exists("output/disclosures.parquet")
