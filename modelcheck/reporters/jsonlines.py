"""JSON Lines: one finding per line, then one summary line.

Each finding line is ``{"type": "finding", "package": ..., "code", "name", "level", "path",
"file", "line", "column", "message", "fix", "pointer", "tags", "fingerprint"}`` plus
``"provenance"`` for a registry package. The command line writes a package's lines as soon as
the package is checked (in the order packages finish, each line naming its package), so a
consumer can start on a long run. The last line, ``{"type": "summary", ...}``, holds the
counts, whether the run was partial or a tool failed, the notes and the invocation: a stream
without it was cut short and is not a complete result.
"""

from __future__ import annotations

import json

from modelcheck.reporters import invocation, partial_message
from modelcheck.results import PackageResult, Report


def package_lines(p: PackageResult) -> str:
    """The lines of one package's findings ("" when it has none)."""
    out = []
    for f in p.findings:
        d = {"type": "finding", "package": p.display, **f.as_dict()}
        if p.provenance:
            d["provenance"] = dict(p.provenance)
        out.append(json.dumps(d, ensure_ascii=False) + "\n")
    return "".join(out)


def summary_line(report: Report, ctx=None) -> str:
    d: dict = {
        "type": "summary",
        **report.counts(),
        "packages": len(report.packages),
        "packages_with_findings": sum(1 for p in report.packages if p.findings),
        "suppressed": report.suppressed,
        "hidden": dict(getattr(ctx, "hidden", None) or {}),
        "tool_failed": report.tool_failed,
        "partial": report.partial,
        "interrupted": report.interrupted,
        "notifications": ([partial_message(report)] if report.partial else [])
        + list(report.notifications),
        "notes": list(report.notes),
    }
    inv = invocation(report)
    if inv is not None:
        d["invocation"] = inv
    return json.dumps(d, ensure_ascii=False) + "\n"


def render(report: Report, ctx) -> str:
    return "".join(package_lines(p) for p in report.packages) + summary_line(report, ctx)
