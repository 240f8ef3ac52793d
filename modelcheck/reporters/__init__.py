"""Reporters turn a Report into text. Each module has ``render(report, ctx) -> str``."""

from __future__ import annotations

import importlib

from modelcheck.records import Record
from modelcheck.results import Report

FORMATS = {
    "text": "modelcheck.reporters.text",
    "json": "modelcheck.reporters.jsonfmt",
    "sarif": "modelcheck.reporters.sarif",
    "github": "modelcheck.reporters.github",
    "html": "modelcheck.reporters.html",
    "markdown": "modelcheck.reporters.markdown",
}


class Context(Record):
    """Output options shared by the reporters."""

    _fields = ("color", "statistics", "quiet", "show_fixes", "summary")

    def __init__(self, color: bool = False, statistics: bool = False, quiet: bool = False,
                 show_fixes: bool = True, summary: bool = True) -> None:
        self.color = color
        self.statistics = statistics
        self.quiet = quiet
        self.show_fixes = show_fixes
        self.summary = summary  # text: end with the summary line


def render(fmt: str, report: Report, ctx: Context | None = None) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[fmt]).render(report, ctx or Context())


def partial_message(report: Report) -> str:
    n = len(report.packages)
    return (f"PARTIAL REPORT: modelcheck was interrupted by {report.interrupted}; only the "
            f"{n} package{'' if n == 1 else 's'} checked before it are reported, and packages "
            "not reached were not checked.")
