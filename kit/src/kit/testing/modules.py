"""Test helper modules that are not packages (a service's tests/conftest.py, a helper file
beside a test), imported by path once per run under a name of their own."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def module_at(name: str, path: Path) -> ModuleType:
    """The module of ``path``, registered as ``name`` (loaded the first time only)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader, path
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
