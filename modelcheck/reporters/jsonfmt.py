"""Machine-readable JSON, documented by ``schemas/report.schema.json``."""

from __future__ import annotations

import json

from modelcheck.reporters import invocation
from modelcheck.results import Report
from modelcheck.version import __version__


def to_dict(report: Report, ctx=None) -> dict:
    doc = {
        "version": 1,
        "tool": {"name": "modelcheck", "version": __version__},
        "partial": report.partial,
        "interrupted": report.interrupted,
        "summary": {
            **report.counts(),
            "packages": len(report.packages),
            "packages_with_findings": sum(1 for p in report.packages if p.findings),
            "suppressed": report.suppressed,
            "tool_failed": report.tool_failed,
            # left out by --show-level, by level; the exit code still counts them
            "hidden": dict(getattr(ctx, "hidden", None) or {}),
        },
        "packages": [
            {
                "path": p.display,
                "mlflow_version": p.mlflow_version,
                "flavors": list(p.flavors),
                "status": str(p.worst) if p.worst else "clean",
                "findings": [f.as_dict() for f in p.findings],
                # a registry package: what it is (model, version, alias/stage, run...)
                **({"provenance": dict(p.provenance)} if p.provenance else {}),
            }
            for p in report.packages
        ],
        "notifications": list(report.notifications),
        "notes": list(report.notes),
    }
    inv = invocation(report)
    if inv is not None:
        doc["invocation"] = inv
    return doc


def render(report: Report, ctx) -> str:
    return json.dumps(to_dict(report, ctx), indent=2, ensure_ascii=False) + "\n"
