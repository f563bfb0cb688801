"""The document's settings (data/source.toml), with every path resolved for any folder."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError

# The project's own folder (the one holding pyproject.toml, tests/ and raw/), where the
# bundled replica and the golden files live; an installed package without it has neither.
PROJECT = Path(__file__).resolve().parent.parent
SOURCE_TOML = "data/source.toml"


def load_source(path: Path | None = None) -> dict[str, Any]:
    """Given source.toml (default: the package's own), return its settings with their paths.

    url and allowed_hosts as written; replica and golden are found in the project's folder,
    whatever the working directory (None where not set); pdf, where `download` caches the
    document, is relative to the working directory, like every output.
    """
    where = path or Path(str(resources.files("pipeline").joinpath(SOURCE_TOML)))
    try:
        if path is None:
            text = resources.files("pipeline").joinpath(SOURCE_TOML).read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        config = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PipelineError(f"{where}: cannot read the source config: {exc}") from exc
    if not isinstance(config.get("url"), str):
        raise PipelineError(f"{where}: missing the url of the document")
    replica, golden = config.get("replica"), config.get("golden")
    return {
        "url": config["url"],
        "allowed_hosts": config.get("allowed_hosts"),
        "replica": PROJECT / replica if replica else None,
        "pdf": Path(config.get("pdf") or Path("raw") / Path(config["url"]).name),
        "golden": PROJECT / golden if golden else None,
    }
