"""The source config: its values as written, its project paths found from any folder."""

import re
from pathlib import Path

import pytest

from pipeline.config import PROJECT, load_source
from pipeline.errors import PipelineError

ROOT = Path(__file__).resolve().parent.parent


def test_load_source_reads_the_bundled_config():
    source = load_source()

    assert source["url"] == "https://www.emsc.meti.go.jp/activity/emsc_system/pdf/085_03_02.pdf"
    assert source["allowed_hosts"] == ["www.emsc.meti.go.jp", "emsc.meti.go.jp"]
    assert PROJECT == ROOT
    assert source["replica"] == ROOT / "tests/fixtures/085_03_02.replica.pdf"
    assert source["golden"] == ROOT / "tests/fixtures/golden/085_03_02"
    assert source["pdf"] == Path("raw/085_03_02.pdf")  # the working directory's


def test_project_paths_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = load_source()
    assert source["replica"].is_file()
    assert source["golden"].is_dir()


def test_load_source_names_a_broken_config(tmp_path):
    config = tmp_path / "source.toml"
    config.write_text('allowed_hosts = ["example.org"]\n', encoding="utf-8")

    with pytest.raises(PipelineError, match=rf"^{re.escape(str(config))}: missing the url"):
        load_source(config)


def test_load_source_names_an_unreadable_config(tmp_path):
    config = tmp_path / "source.toml"
    config.write_text("url = \n", encoding="utf-8")

    with pytest.raises(PipelineError, match=rf"^{re.escape(str(config))}: cannot read"):
        load_source(config)
