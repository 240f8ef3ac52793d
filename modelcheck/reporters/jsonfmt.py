"""Machine-readable JSON, documented by ``schemas/report.schema.json``."""

from __future__ import annotations

import json

from modelcheck.results import Report
from modelcheck.version import __version__


def to_dict(report: Report) -> dict:
    return {
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
        },
        "packages": [
            {
                "path": p.display,
                "mlflow_version": p.mlflow_version,
                "flavors": list(p.flavors),
                "status": str(p.worst) if p.worst else "clean",
                "findings": [f.as_dict() for f in p.findings],
            }
            for p in report.packages
        ],
        "notifications": list(report.notifications),
        "notes": list(report.notes),
    }


def render(report: Report, ctx) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
