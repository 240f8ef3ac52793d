"""GitLab Code Quality report (``artifacts:reports:codequality``): a JSON array of issues, as
GitLab documents it (doc/ci/testing/code_quality.md) and validates each one
(app/validators/json_schemas/codeclimate.json).

GitLab keys issues by ``fingerprint`` (a repeated one replaces the earlier issue) and compares
a merge request's report with its target branch's by it, so a fingerprint is unique in a
report and the same from run to run and checkout to checkout: a hash of the package's path
relative to the working folder (the repository root in a CI job) and the finding's own
fingerprint (code, file, logical location, message identity; not its line, not the time),
with a counter for the rare finding repeated word for word in one package.

Severity: note -> ``info``, warning -> ``minor``, error -> ``major``; an error GitHub would
rank high or critical (security-severity 7.0 or more) and a package modelcheck could not check
(MC9xx) -> ``critical``. ``blocker`` is left to tools that know a merge must stop.
"""

from __future__ import annotations

import hashlib
import json
import os

from modelcheck.reporters import partial_message
from modelcheck.results import TOOL_CODES, Finding, Level, Report

_SEVERITY = {Level.NOTE: "info", Level.WARNING: "minor", Level.ERROR: "major"}
CRITICAL_SECURITY = 7.0


def severity(f: Finding) -> str:
    if f.level is Level.ERROR and (f.code in TOOL_CODES or (
            f.security_severity is not None and f.security_severity >= CRITICAL_SECURITY)):
        return "critical"
    return _SEVERITY[f.level]


def repo_path(path: str, cwd: str) -> str:
    """``path`` as GitLab shows it: relative to the working folder, forward slashes, no
    leading ``./``. URLs and paths outside the working folder stay as they are."""
    if "://" in path or path.startswith(("models:/", "runs:/")):
        return path
    if os.path.isabs(path):
        rel = os.path.relpath(path, cwd)
        if rel != ".." and not rel.startswith(".." + os.sep):
            path = rel
    path = path.replace(os.sep, "/")
    while path.startswith("./"):
        path = path[2:]
    return path or "."


def _issue(f: Finding, package: str, cwd: str, seen: dict[str, int]) -> dict:
    base = f"{package}\x1f{f.fingerprint}"
    n = seen.get(base, 0)
    seen[base] = n + 1
    basis = base if n == 0 else f"{base}\x1f{n}"
    desc = f"{f.code}: {f.message}" + (f" Fix: {f.fix}" if f.fix else "")
    return {
        "type": "issue",
        "description": desc,
        "check_name": f.code,
        "categories": ["Security"] if "security" in f.tags or f.security_severity is not None
        else ["Bug Risk"],
        "fingerprint": hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32],
        "severity": severity(f),
        "location": {"path": repo_path(f.path, cwd), "lines": {"begin": f.line or 1}},
    }


def _run_issue(message: str, cwd: str, seen: dict[str, int]) -> dict:
    """A tool failure tied to no finding, or a partial report: an issue too, so the report
    never reads as clean."""
    basis = f"\x1fmodelcheck\x1f{message}"
    seen[basis] = seen.get(basis, 0) + 1
    return {
        "type": "issue", "description": f"modelcheck: {message}", "check_name": "modelcheck",
        "categories": ["Bug Risk"],
        "fingerprint": hashlib.sha256(f"{basis}\x1f{seen[basis]}".encode()).hexdigest()[:32],
        "severity": "critical", "location": {"path": ".", "lines": {"begin": 1}},
    }


def to_issues(report: Report) -> list[dict]:
    cwd = os.getcwd()
    seen: dict[str, int] = {}
    issues = [_issue(f, repo_path(p.display, cwd), cwd, seen)
              for p in report.packages for f in p.findings]
    problems = [partial_message(report)] if report.partial else []
    messages = [f.message for f in report.findings if f.code in TOOL_CODES]
    problems += [n for n in report.notifications if not any(n in m for m in messages)]
    issues += [_run_issue(m, cwd, seen) for m in problems]
    return issues


def render(report: Report, ctx) -> str:
    return json.dumps(to_issues(report), indent=2, ensure_ascii=False) + "\n"
