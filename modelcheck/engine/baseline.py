"""Baselines: accept today's findings, fail only on new ones.

A baseline file is JSON: ``{"version": 1, "findings": [{"package", "code", "fingerprint",
"message"}...]}``. Matching is by (package, fingerprint), which survives line moves.
"""

from __future__ import annotations

import json
from collections import Counter

from modelcheck.engine.toolcodes import ENGINE_CODES
from modelcheck.results import PackageResult, Report


def write_baseline(report: Report, path: str) -> int:
    items = [
        {"package": f.package, "code": f.code, "fingerprint": f.fingerprint, "message": f.message}
        for f in report.findings if f.code not in ENGINE_CODES
    ]
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "findings": items}, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return len(items)


def load_baseline(path: str) -> Counter:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise ValueError(f"{path}: not a modelcheck baseline file")
    return Counter((i["package"], i["fingerprint"]) for i in doc["findings"])


def apply_baseline(report: Report, path: str) -> int:
    """Drop findings recorded in the baseline; return how many were dropped."""
    known = load_baseline(path)
    return sum(filter_package(pkg, known) for pkg in report.packages)


def filter_package(pkg: PackageResult, known: Counter) -> int:
    """Drop one package's findings recorded in ``known`` (from :func:`load_baseline`, used up
    as it matches): a package at a time, as a streamed run checks them. How many dropped."""
    dropped = 0
    kept = []
    for f in pkg.findings:
        k = (f.package, f.fingerprint)
        if known[k] > 0 and f.code not in ENGINE_CODES:
            known[k] -= 1
            dropped += 1
        else:
            kept.append(f)
    pkg.findings = kept
    return dropped
