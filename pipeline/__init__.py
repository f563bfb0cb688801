"""Turn METI's published-disclosures PDF table into typed, analyst-ready data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meti-disclosures")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
