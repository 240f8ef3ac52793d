"""modelcheck: a fast, static validator and linter for MLflow model packages.

    >>> import modelcheck
    >>> report = modelcheck.check(["models/"])
    >>> report.exit_code()

Importing this package is cheap: the engine, rules and reporters load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelcheck.version import __version__

__all__ = ["Finding", "Level", "Report", "Settings", "check", "check_package", "__version__"]

if TYPE_CHECKING:
    from modelcheck.api import check, check_package
    from modelcheck.engine.settings import Settings
    from modelcheck.results import Finding, Level, Report

_LAZY = {
    "check": "modelcheck.api", "check_package": "modelcheck.api", "Report": "modelcheck.results",
    "Finding": "modelcheck.results", "Level": "modelcheck.results",
    "Settings": "modelcheck.engine.settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'modelcheck' has no attribute {name!r}")
