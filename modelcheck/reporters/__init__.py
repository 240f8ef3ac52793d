"""Reporters turn a Report into text. Each module has ``render(report, ctx) -> str``."""

from __future__ import annotations

import importlib

from modelcheck.records import Record, replace
from modelcheck.results import Level, Report

FORMATS = {
    "text": "modelcheck.reporters.text",
    "json": "modelcheck.reporters.jsonfmt",
    "sarif": "modelcheck.reporters.sarif",
    "github": "modelcheck.reporters.github",
    "html": "modelcheck.reporters.html",
    "markdown": "modelcheck.reporters.markdown",
    "junit": "modelcheck.reporters.junit",
    "gitlab": "modelcheck.reporters.gitlab",
    "json-lines": "modelcheck.reporters.jsonlines",
}

# one line each, for `modelcheck formats` and the help of -f
DESCRIPTIONS = {
    "text": "findings grouped by package, then a summary line (the default)",
    "json": "one JSON document: findings by package, summary, invocation",
    "sarif": "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers",
    "github": "GitHub Actions workflow commands (annotations on the files)",
    "html": "one self-contained HTML page for an audit of many packages",
    "markdown": "GitHub-flavoured Markdown for a job summary ($GITHUB_STEP_SUMMARY)",
    "junit": "JUnit XML for CI test views (Jenkins, GitLab, Azure): a suite per package",
    "gitlab": "GitLab Code Quality report (artifacts:reports:codequality)",
    "json-lines": "one JSON object per finding per line, written as packages finish, then a "
                  "summary line",
}


class Context(Record):
    """Output options shared by the reporters."""

    _fields = ("color", "statistics", "quiet", "show_fixes", "summary", "hidden", "argv")

    def __init__(self, color: bool = False, statistics: bool = False, quiet: bool = False,
                 show_fixes: bool = True, summary: bool = True,
                 hidden: dict[str, int] | None = None, argv: list[str] | None = None) -> None:
        self.color = color
        self.statistics = statistics  # text: the findings-per-rule table instead of findings
        self.quiet = quiet
        self.show_fixes = show_fixes
        self.summary = summary  # text: end with the summary line
        # findings left out of the report by --show-level, by level ({"note": 12}); the exit
        # code still counts them, and the reports say how many there were
        self.hidden = hidden or {}
        self.argv = argv  # the command line's arguments (SARIF's invocation), when known


def render(fmt: str, report: Report, ctx: Context | None = None) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[fmt]).render(report, ctx or Context())


def partial_message(report: Report) -> str:
    n = len(report.packages)
    return (f"PARTIAL REPORT: modelcheck was interrupted by {report.interrupted}; only the "
            f"{n} package{'' if n == 1 else 's'} checked before it are reported, and packages "
            "not reached were not checked.")


def shown(report: Report, level: Level) -> tuple[Report, dict[str, int]]:
    """The report without findings below ``level`` (``--show-level``), and how many of each
    level were left out. The report given is not changed: the exit code is worked out on it."""
    hidden = {str(lv): 0 for lv in sorted(Level, reverse=True) if lv < level}
    if not hidden:
        return report, {}
    packages = []
    for p in report.packages:
        kept = [f for f in p.findings if f.level >= level]
        for f in p.findings:
            if f.level < level:
                hidden[str(f.level)] += 1
        packages.append(p if len(kept) == len(p.findings) else replace(p, findings=kept))
    return replace(report, packages=packages), {k: n for k, n in hidden.items() if n}


def invocation(report: Report) -> dict | None:
    """``report.invocation`` as plain JSON values for a report (None when the report has
    none). Credentials in a target URL (``https://user:secret@host/...``) are masked."""
    inv = report.invocation
    if inv is None:
        return None
    return {"tool_version": inv.tool_version, "started": inv.started,
            "finished": inv.finished, "targets": [mask_url(t) for t in inv.targets],
            "settings": inv.settings}


def mask_url(target: str) -> str:
    """A URL's credentials masked: ``scheme://user:secret@host/p`` -> ``scheme://***@host/p``
    (a user name alone may be a token too); anything else unchanged."""
    scheme, sep, rest = target.partition("://")
    at, slash = rest.find("@"), rest.find("/")
    if not sep or at < 0 or 0 <= slash < at:
        return target
    return f"{scheme}://***{rest[at:]}"
