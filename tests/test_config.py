"""The source config: its values as written, its project paths found from any folder.

Rules covered:
- the bundled config's url, allowed_hosts, replica, golden and pdf;
- replica and golden are resolved in the project's folder, whatever the working directory;
- a config with only a url: allowed_hosts, replica and golden are None, pdf is raw/ plus
  the url's file name; a pdf that is set is taken as written (relative to the working
  directory); a config read from a path is read as UTF-8;
- errors name the config file: a missing url, a url that is not a string, a file that is
  not TOML, a file that does not exist.
"""

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


def test_a_config_with_only_a_url_has_no_hosts_replica_or_golden(tmp_path):
    config = tmp_path / "source.toml"
    config.write_text('url = "https://example.org/a/b/paper.pdf"\n', encoding="utf-8")

    assert load_source(config) == {
        "url": "https://example.org/a/b/paper.pdf",
        "allowed_hosts": None,
        "replica": None,
        "pdf": Path("raw/paper.pdf"),
        "golden": None,
    }


def test_a_config_with_every_key_resolves_replica_and_golden_in_the_project(tmp_path):
    config = tmp_path / "source.toml"
    config.write_text(
        'url = "https://example.org/paper.pdf"\n'
        'allowed_hosts = ["example.org"]\n'
        'replica = "tests/fixtures/資料.pdf"\n'
        'golden = "tests/golden"\n'
        'pdf = "cache/今日.pdf"\n',
        encoding="utf-8",
    )

    source = load_source(config)

    assert source["allowed_hosts"] == ["example.org"]
    assert source["replica"] == ROOT / "tests/fixtures/資料.pdf"
    assert source["golden"] == ROOT / "tests/golden"
    assert source["pdf"] == Path("cache/今日.pdf")


def test_a_url_that_is_not_a_string_is_named(tmp_path):
    config = tmp_path / "source.toml"
    config.write_text("url = 1\n", encoding="utf-8")

    with pytest.raises(PipelineError) as raised:
        load_source(config)
    assert str(raised.value) == f"{config}: missing the url of the document"


def test_a_missing_config_file_is_named(tmp_path):
    config = tmp_path / "absent.toml"

    with pytest.raises(PipelineError) as raised:
        load_source(config)
    assert str(raised.value).startswith(f"{config}: cannot read the source config: ")
    assert "No such file" in str(raised.value)
