"""SARIF 2.1.0 for GitHub code scanning (validated against the official schema in tests)."""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from modelcheck.reporters import invocation as run_invocation
from modelcheck.reporters import partial_message
from modelcheck.results import Finding, Level, Report, RuleMeta
from modelcheck.version import __version__

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/modelcheck/modelcheck"
_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "note"}


_HEADINGS = ("What it checks", "Why it matters", "Example", "How to fix")


def rule_help(meta: RuleMeta, *, markdown: bool) -> str:
    """The rule's docs as SARIF help: plain text, or Markdown with headings."""
    title = f"**{meta.code} {meta.name}**" if markdown else f"{meta.code} {meta.name}"
    parts = [f"{title}: {meta.summary}"]
    for heading in _HEADINGS:
        body = meta.section(heading)
        if body:
            parts.append(f"### {heading}\n\n{body}" if markdown else f"{heading}:\n{body}")
    return "\n\n".join(parts)


def _descriptor(meta: RuleMeta) -> dict:
    props: dict = {"tags": list(meta.tags) or ["mlflow"], "precision": "high"}
    if meta.security_severity is not None:
        props["security-severity"] = f"{meta.security_severity:.1f}"
        if "security" not in props["tags"]:
            props["tags"].append("security")
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary or meta.name},
        "fullDescription": {"text": meta.section("What it checks") or meta.summary or meta.name},
        "help": {"text": rule_help(meta, markdown=False),
                 "markdown": rule_help(meta, markdown=True)},
        "helpUri": f"{INFO_URI}/blob/main/README.md#{meta.code.lower()}",
        "defaultConfiguration": {"level": _LEVEL[meta.level]},
        "properties": props,
    }


def _remote(package: str) -> bool:
    return "://" in package or package.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


def _uri(f: Finding) -> str:
    path = f.path
    if _remote(f.package):  # remote package: keep the URI code scanning accepts, relative
        path = f.file or "MLmodel"
    path = path.replace(os.sep, "/")
    if path.startswith("./"):
        path = path[2:]
    return quote(path, safe="/-._~")


def _result(f: Finding, index: int, provenance: dict[str, str] | None = None) -> dict:
    phys: dict = {"artifactLocation": {"uri": _uri(f), "uriBaseId": "%SRCROOT%"}}
    if f.line:
        region: dict = {"startLine": f.line}
        if f.col:
            region["startColumn"] = f.col
        phys["region"] = region
    loc: dict = {"physicalLocation": phys}
    if f.pointer:
        loc["logicalLocations"] = [{"fullyQualifiedName": f.pointer, "kind": "member"}]
    res = {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": _LEVEL[f.level],
        "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
        "locations": [loc],
        "partialFingerprints": {"modelcheck/v1": f.fingerprint},
    }
    if _remote(f.package):
        res["properties"] = {"packageUri": f.package}
    if provenance:  # a registry package: model, version, alias/stage, run, source, status
        res.setdefault("properties", {})["provenance"] = dict(provenance)
    return res


def _run_facts(invocation: dict, report: Report, ctx, cwd: str) -> None:
    """What the run was (an archived audit needs it): start and end times, the command
    line when known, the working folder, and the targets and effective settings."""
    inv = run_invocation(report)
    if inv is not None:
        if inv["started"]:
            invocation["startTimeUtc"] = inv["started"]
        if inv["finished"]:
            invocation["endTimeUtc"] = inv["finished"]
        invocation["properties"] = {"toolVersion": inv["tool_version"],
                                    "targets": inv["targets"], "settings": inv["settings"]}
    argv = getattr(ctx, "argv", None)
    if argv is not None:
        import shlex

        invocation["commandLine"] = shlex.join(["modelcheck", *argv])
        invocation["arguments"] = list(argv)
    invocation["workingDirectory"] = {"uri": "file://" + quote(cwd.rstrip("/")) + "/"}
    hidden = getattr(ctx, "hidden", None)
    if hidden:
        invocation.setdefault("properties", {})["hiddenByShowLevel"] = dict(hidden)


def to_sarif(report: Report, ctx=None) -> dict:
    metas = [r.meta for r in report.rules.values()]
    codes = {m.code for m in metas}
    # a report made by hand may hold findings of rules it does not list: a descriptor from
    # what the finding itself says (the API's reports list every rule, MC9xx included)
    for f in report.findings:
        if f.code not in codes:
            metas.append(RuleMeta(f.code, f.name, f.level, tags=f.tags,
                                  security_severity=f.security_severity))
            codes.add(f.code)
    metas.sort(key=lambda m: m.code)
    index = {m.code: i for i, m in enumerate(metas)}
    notes = [
        {"level": "error", "message": {"text": n}, "descriptor": {"id": "MC902"}}
        for n in report.notifications
    ]
    notes += [
        {"level": "error", "message": {"text": f.message},
         "descriptor": {"id": f.code}}
        for f in report.findings if f.code == "MC901"
    ]
    notes += [{"level": "note", "message": {"text": n}} for n in report.notes]
    invocation: dict = {"executionSuccessful": not report.tool_failed and not report.partial,
                        "toolExecutionNotifications": notes}
    if report.partial:
        notes.insert(0, {"level": "error", "message": {"text": partial_message(report)}})
        invocation["exitSignalName"] = report.interrupted
    cwd = os.getcwd().replace(os.sep, "/")
    _run_facts(invocation, report, ctx, cwd)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "modelcheck", "version": __version__, "semanticVersion": __version__,
                "informationUri": INFO_URI, "rules": [_descriptor(m) for m in metas],
            }},
            "automationDetails": {"id": "modelcheck/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + quote(cwd.rstrip("/")) + "/"}},
            "invocations": [invocation],
            "results": [_result(f, index[f.code], p.provenance) for p in report.packages
                        for f in p.findings],
        }],
    }


def render(report: Report, ctx) -> str:
    return json.dumps(to_sarif(report, ctx), indent=2, ensure_ascii=False) + "\n"
