"""The replica builder and the main replica's spec, for tests that build PDFs of their own."""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

FIXTURES = Path(__file__).parent / "fixtures"
REPLICA_SPEC = FIXTURES / "replica_085_03_02.json"


@functools.cache
def builder() -> ModuleType:
    """Return tests/fixtures/build_replica.py, imported as a module."""
    spec = importlib.util.spec_from_file_location("build_replica", FIXTURES / "build_replica.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def main_spec() -> dict:
    """Return a fresh copy of the main replica's spec, to change and build."""
    return json.loads(REPLICA_SPEC.read_text(encoding="utf-8"))
