"""Aggregates shared by the HTML and Markdown reports: totals, status, per-rule, per-version."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from modelcheck.results import PackageResult, Report

STATUSES = ("error", "warning", "note", "clean")


def status(p: PackageResult) -> str:
    return str(p.worst) if p.worst else "clean"


@dataclass
class RuleRow:
    code: str
    name: str
    level: str  # the worst level seen for this rule
    findings: int = 0
    packages: set[str] = field(default_factory=set)


@dataclass
class VersionRow:
    version: str
    packages: int = 0
    by_status: Counter = field(default_factory=Counter)
    findings: int = 0


@dataclass
class Summary:
    packages: int
    counts: dict[str, int]
    by_status: dict[str, int]
    rules: list[RuleRow]
    versions: list[VersionRow]


def _sort_versions(rows: list[VersionRow]) -> list[VersionRow]:
    """Newest valid version first, then unparsable ones by text, then "unknown"."""
    from packaging.version import Version

    valid, invalid, unknown = [], [], []
    for r in rows:
        if r.version == "unknown":
            unknown.append(r)
            continue
        try:
            valid.append((Version(r.version), r))
        except ValueError:  # InvalidVersion, or an int too long to parse
            invalid.append(r)
    valid.sort(key=lambda vr: vr[0], reverse=True)
    return [r for _, r in valid] + sorted(invalid, key=lambda r: r.version) + unknown


def summarize(report: Report) -> Summary:
    by_status = {s: 0 for s in STATUSES}
    rules: dict[str, RuleRow] = {}
    versions: dict[str, VersionRow] = defaultdict(lambda: VersionRow(""))
    for p in report.packages:
        st = status(p)
        by_status[st] += 1
        v = p.mlflow_version or "unknown"
        row = versions[v]
        row.version = v
        row.packages += 1
        row.by_status[st] += 1
        row.findings += len(p.findings)
        for f in p.findings:
            r = rules.get(f.code)
            if r is None:
                r = rules[f.code] = RuleRow(f.code, f.name, str(f.level))
            elif STATUSES.index(str(f.level)) < STATUSES.index(r.level):
                r.level = str(f.level)
            r.findings += 1
            r.packages.add(p.display)
    return Summary(
        packages=len(report.packages), counts=report.counts(), by_status=by_status,
        rules=sorted(rules.values(), key=lambda r: (-r.findings, r.code)),
        versions=_sort_versions(list(versions.values())),
    )
