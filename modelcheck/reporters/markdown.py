"""GitHub-flavoured Markdown for job summaries (``$GITHUB_STEP_SUMMARY``).

GitHub renders the summary's HTML too and caps it at 1 MiB per step, so every string from a
package is escaped (HTML special characters, table pipes, Markdown emphasis) and the findings
table stops, with a note, before the page would pass :data:`BUDGET` bytes.
"""

from __future__ import annotations

import re

from modelcheck.reporters import partial_message
from modelcheck.reporters.registry import (
    folded_line,
    has_registry,
    pointer_counts,
    registry_summary,
    split_pointers,
)
from modelcheck.reporters.summary import STATUSES, status, summarize
from modelcheck.results import Finding, Report

BUDGET = 900 * 1024  # GitHub refuses a step summary over 1 MiB; leave room for other steps
MAX_MESSAGE = 400
_ICON = {"error": ":x:", "warning": ":warning:", "note": ":information_source:",
         "clean": ":white_check_mark:"}
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def cell(s: object, limit: int = MAX_MESSAGE) -> str:
    """One table cell: single line, HTML-escaped, Markdown punctuation backslash-escaped."""
    text = " ".join(str(s).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _where(f: Finding) -> str:
    s = f.path
    if f.line:
        s += f":{f.line}"
    return s


def _finding_row(f: Finding, prov: dict[str, str] | None = None, registry: bool = False
                 ) -> str:
    msg = cell(f.message)
    if f.fix:
        msg += "<br>fix: " + cell(f.fix, 200)
    model = ""
    if registry:  # model, version and what selected it, for a registry package
        p = prov or {}
        model = (f"{cell(p.get('model', ''), 200)} | {cell(p.get('version', ''), 20)} "
                 f"| {cell(p.get('selected_by', ''), 100)} | ")
    return (f"| {_ICON[str(f.level)]} {f.level} | `{cell(f.code, 10)}` "
            f"| {cell(_where(f), 200)} | {model}{msg} |")


_VERDICT_ICON = {"pass": ":white_check_mark:", "fail": ":x:", "not checked": ":warning:"}


def registry_table(report: Report) -> list[str]:
    """Per registered model: alias/stage/latest -> version -> pass/fail."""
    models = registry_summary(report)
    out = ["", "### Registry", "",
           f"{len(models)} registered models, {sum(m.versions for m in models)} versions "
           f"checked, {sum(m.failing for m in models)} failing, "
           f"{sum(m.unchecked for m in models)} not checked.", "",
           "| model | pointer | version | verdict | findings |",
           "| --- | --- | ---: | --- | --- |"]
    for m in models:
        shown, folded = split_pointers(m)
        for p in shown:
            out.append(f"| {cell(m.model, 200)} | {cell(p.label, 100)} | {cell(p.version, 20)} "
                       f"| {_VERDICT_ICON[p.verdict]} {p.verdict} "
                       f"| {cell(pointer_counts(p) or '-', 60)} |")
        if folded:
            out.append(f"| {cell(m.model, 200)} | {cell(folded_line(folded), 300)} | | | |")
    return out


def render(report: Report, ctx=None, budget: int = BUDGET) -> str:
    s = summarize(report)
    c = s.counts
    out = ["## modelcheck", ""]
    if report.partial:
        out.append(f"> [!CAUTION]\n> {cell(partial_message(report))}\n")
    hidden = {k: n for k, n in (getattr(ctx, "hidden", None) or {}).items() if n}
    if not report.findings and not report.notifications and not report.partial \
            and not hidden:
        out.append(f"{_ICON['clean']} All checks passed: {s.packages} packages, no findings.")
    else:
        out.append(f"**{c['error']}** errors, **{c['warning']}** warnings, **{c['note']}** "
                   f"notes in {s.packages - s.by_status['clean']} of {s.packages} packages.")
    if report.suppressed:
        out.append(f"\n{report.suppressed} findings hidden by the baseline.")
    if hidden:  # --show-level left them out of this report; the exit code counts them
        what = ", ".join(f"{n} {k}{'' if n == 1 else 's'}" for k, n in hidden.items())
        out.append(f"\n{what} not shown (`--show-level`): they still count for the exit "
                   "code.")
    out += ["", "| status | packages |", "| --- | ---: |"]
    out += [f"| {_ICON[st]} {st} | {s.by_status[st]} |" for st in STATUSES]
    for n in report.notifications:
        out.append(f"\n> [!CAUTION]\n> {cell(n)}")
    for n in report.notes:
        out.append(f"\n> [!NOTE]\n> {cell(n)}")
    if s.rules:
        out += ["", "### Findings by rule", "", "| rule | name | level | findings | packages |",
                "| --- | --- | --- | ---: | ---: |"]
        out += [f"| `{cell(r.code, 10)}` | {cell(r.name, 80)} | {r.level} | {r.findings} "
                f"| {len(r.packages)} |" for r in s.rules]
    statuses = [(p.display, status(p)) for p in report.packages if p.findings]
    tail: list[str] = []
    if statuses and len(statuses) <= 200:
        tail += ["", "<details><summary>Packages with findings</summary>", ""]
        tail += [f"- {_ICON[st]} {cell(d, 200)}" for d, st in statuses]
        tail += ["", "</details>"]
    registry = has_registry(report)
    if registry:
        out += registry_table(report)
    findings = sorted(((f, p.provenance) for p in report.packages for f in p.findings),
                      key=lambda fp: (-fp[0].level, fp[0].package, fp[0].file or "",
                                      fp[0].line or 0, fp[0].code))
    if findings:
        cols = "| level | rule | where | model | version | selected by | message |" \
            if registry else "| level | rule | where | message |"
        out += ["", "### Findings", "", cols,
                "|" + " --- |" * cols.count(" | ") + " --- |"]
        size = len("\n".join(out + tail).encode())
        for i, (f, prov) in enumerate(findings):
            row = _finding_row(f, prov, registry)
            size += len(row.encode()) + 1
            if size > budget - 512:
                out.append("")
                out.append(f"… {len(findings) - i} more findings not shown (the summary is "
                           "capped below GitHub's 1 MiB limit); see the SARIF or JSON report.")
                break
            out.append(row)
    return "\n".join(out + tail) + "\n"
