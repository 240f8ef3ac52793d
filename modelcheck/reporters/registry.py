"""The registry summary shared by the text, Markdown and HTML reports: per registered model,
what points at a version (aliases, stages, ``latest``) → that version → its verdict.

Built from the packages' provenance only (``PackageResult.provenance``); packages without one
(local trees, buckets, ``runs:/`` URIs) are not part of it.
"""

from __future__ import annotations

from modelcheck.records import Record
from modelcheck.results import TOOL_CODES, Level, PackageResult, Report

STAGE_ORDER = ("Production", "Staging", "Archived")


class Pointer(Record):
    """One name that selects a version: ``@alias``, a stage, ``latest``, or ``version N``
    for a version nothing points at."""

    _fields = ("label", "version", "display", "verdict", "errors", "warnings", "notes")

    def __init__(self, label: str, version: str, display: str, verdict: str, errors: int = 0,
                 warnings: int = 0, notes: int = 0) -> None:
        self.label = label
        self.version = version
        self.display = display  # the package as the report names it
        self.verdict = verdict  # "pass", "fail" or "not checked" (a tool failure)
        self.errors = errors
        self.warnings = warnings
        self.notes = notes


class ModelSummary(Record):
    """One registered model: its pointers, then how many of its versions were checked and
    how many of those fail."""

    _fields = ("model", "pointers", "versions", "failing", "unchecked")

    def __init__(self, model: str, pointers: list[Pointer], versions: int, failing: int,
                 unchecked: int) -> None:
        self.model = model
        self.pointers = pointers
        self.versions = versions
        self.failing = failing
        self.unchecked = unchecked


def verdict(pkg: PackageResult, fail_on: Level) -> str:
    """``not checked`` when the tool failed on the package, ``fail`` when a finding reaches
    ``fail_on``, else ``pass``."""
    if any(f.code in TOOL_CODES for f in pkg.findings):
        return "not checked"
    return "fail" if any(f.level >= fail_on for f in pkg.findings) else "pass"


def fail_level(report: Report) -> Level:
    inv = report.invocation
    raw = inv.settings.get("fail_on") if inv is not None else None
    try:
        return Level.parse(raw) if isinstance(raw, str) else Level.ERROR
    except ValueError:
        return Level.ERROR


def registry_summary(report: Report) -> list[ModelSummary]:
    """One entry per registered model with a package in the report, sorted by name."""
    fail_on = fail_level(report)
    by_model: dict[str, list[PackageResult]] = {}
    for pkg in report.packages:
        prov = pkg.provenance
        if prov and prov.get("model"):
            by_model.setdefault(prov["model"], []).append(pkg)
    out = []
    for model in sorted(by_model):
        pkgs = by_model[model]
        seen: dict[str, PackageResult] = {}  # a version checked twice (two selectors): once
        for pkg in pkgs:
            seen.setdefault(pkg.provenance.get("version", "") or pkg.display, pkg)
        pointers: list[tuple[tuple, Pointer]] = []
        pointed: set[str] = set()
        for version, pkg in seen.items():
            prov = pkg.provenance or {}
            labels: list[tuple[tuple, str]] = []
            for alias in filter(None, (prov.get("aliases") or "").split(",")):
                labels.append(((0, alias), f"@{alias}"))
            stage = prov.get("stage") or ""
            if stage and stage != "None":
                rank = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)
                labels.append(((1, rank, stage), stage))
            if prov.get("selected_by") == "latest":
                labels.append(((2,), "latest"))
            for key, label in labels:
                pointers.append((key, _pointer(label, version, pkg, fail_on)))
                pointed.add(version)
        for version, pkg in seen.items():
            if version not in pointed:
                pointers.append(((3, _version_key(version)), _pointer(f"version {version}",
                                                                       version, pkg, fail_on)))
        pointers.sort(key=lambda kv: kv[0])
        verdicts = [verdict(p, fail_on) for p in seen.values()]
        out.append(ModelSummary(model, [p for _, p in pointers], len(seen),
                                verdicts.count("fail"), verdicts.count("not checked")))
    return out


def _pointer(label: str, version: str, pkg: PackageResult, fail_on: Level) -> Pointer:
    counts = {"error": 0, "warning": 0, "note": 0}
    for f in pkg.findings:
        counts[str(f.level)] += 1
    return Pointer(label, version, pkg.display, verdict(pkg, fail_on), counts["error"],
                   counts["warning"], counts["note"])


def _version_key(version: str) -> tuple:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def provenance_label(prov: dict[str, str] | None) -> str:
    """``churn v3 via @champion · run 1a2b3c4d… · READY`` (empty without provenance)."""
    if not prov:
        return ""
    head = f"{prov.get('model', '')} v{prov.get('version', '')}"
    sel = prov.get("selected_by", "")
    if sel and sel not in ("version", "*"):
        head += f" via {sel}"
    parts = [head]
    stage = prov.get("stage", "")
    if stage and stage != "None" and stage != sel:
        parts.append(stage)
    run = prov.get("run_id", "")
    if run:
        parts.append(f"run {run[:8]}…" if len(run) > 8 else f"run {run}")
    if prov.get("status"):
        parts.append(prov["status"])
    return " · ".join(parts)


def has_registry(report: Report) -> bool:
    return any(p.provenance and p.provenance.get("model") for p in report.packages)


def pointer_counts(p: Pointer) -> str:
    """``2 errors, 1 warning`` (empty when the version has no error or warning)."""
    parts = [f"{n} {w}{'' if n == 1 else 's'}" for n, w in
             ((p.errors, "error"), (p.warnings, "warning")) if n]
    return ", ".join(parts)


def split_pointers(summary: ModelSummary, keep: int = 5) -> tuple[list[Pointer], list[Pointer]]:
    """The pointers a report lists (every alias, stage and ``latest``; versions nothing
    points at while there are at most ``keep``), and the versions folded into one line."""
    named = [p for p in summary.pointers if not p.label.startswith("version ")]
    bare = [p for p in summary.pointers if p.label.startswith("version ")]
    if len(bare) <= keep:
        return named + bare, []
    return named, bare


def folded_line(bare: list[Pointer], limit: int = 10) -> str:
    """``12 other versions: 2 fail (v1, v4), 1 not checked (v7)``."""
    out = f"{len(bare)} other versions"
    parts = []
    for what in ("fail", "not checked"):
        vs = [p.version for p in bare if p.verdict == what]
        if vs:
            shown = ", ".join(f"v{v}" for v in vs[:limit]) + (", …" if len(vs) > limit else "")
            parts.append(f"{len(vs)} {what} ({shown})")
    return out + (": " + ", ".join(parts) if parts else ": all pass")
