"""Human-readable output, grouped by package: ``path:line:col: CODE level: message``."""

from __future__ import annotations

from collections import Counter

from modelcheck.reporters import partial_message
from modelcheck.results import Finding, Level, Report

_COLORS = {Level.ERROR: "\033[31m", Level.WARNING: "\033[33m", Level.NOTE: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _loc(f: Finding) -> str:
    s = f.path
    if f.line:
        s += f":{f.line}"
        if f.col:
            s += f":{f.col}"
    return s


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render(report: Report, ctx) -> str:
    c = ctx.color

    def paint(code: str, s: str) -> str:
        return f"{code}{s}{_RESET}" if c else s

    out: list[str] = []
    # --statistics: the table instead of the findings (ruff's behaviour)
    for pkg in () if ctx.statistics else report.packages:
        if not pkg.findings:
            continue
        if not ctx.quiet:
            label = _provenance(pkg.provenance)
            out.append(paint(_BOLD, pkg.display) + (paint(_DIM, f"  ({label})") if label else ""))
        for f in pkg.findings:
            lvl = paint(_COLORS[f.level], str(f.level))
            out.append(f"{_loc(f)}: {paint(_BOLD, f.code)} {lvl}: {f.message}")
            if f.fix and ctx.show_fixes and not ctx.quiet:
                out.append(paint(_DIM, f"    fix: {f.fix}"))
        if not ctx.quiet:
            out.append("")
    if ctx.statistics:
        counts = Counter((f.code, f.name) for f in report.findings)
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{n:6d}  {code}  {name}")
        out.append("")
    if not ctx.quiet and any(p.provenance and p.provenance.get("model")
                             for p in report.packages):
        out += registry_lines(report, paint)
    if getattr(ctx, "summary", True):
        out.append(summary_line(report.counts(), len(report.packages),
                                sum(1 for p in report.packages if p.findings),
                                report.suppressed, partial=report.partial,
                                hidden=getattr(ctx, "hidden", None)))
    if not ctx.quiet:
        out += [paint(_DIM, f"note: {n}") for n in report.notes]
    if report.partial:
        out.append(paint(_COLORS[Level.ERROR], partial_message(report)))
    return "\n".join(out) + "\n" if out else ""


def summary_line(counts: dict[str, int], n_pkgs: int, failing: int, suppressed: int = 0,
                 *, partial: bool = False, hidden: dict[str, int] | None = None) -> str:
    """``2 errors, 0 warnings, 1 note in 2 of 5 packages``, or ``All checks passed: ...``;
    ``hidden``: findings left out by --show-level, by level (never "All checks passed")."""
    hidden = {k: n for k, n in (hidden or {}).items() if n}
    if not any(counts.values()) and n_pkgs and not partial and not hidden:
        return f"All checks passed: {_plural(n_pkgs, 'package')}, no findings."
    summary = (f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, "
               f"{_plural(counts['note'], 'note')} in {failing} of {_plural(n_pkgs, 'package')}")
    if suppressed:
        summary += f" ({suppressed} baseline findings hidden)"
    if hidden:
        what = ", ".join(_plural(n, k) for k, n in hidden.items())
        summary += f" ({what} not shown: --show-level)"
    return summary


_VERDICT = {"pass": "\033[32m", "fail": "\033[31m", "not checked": "\033[31m"}


def _provenance(prov: dict[str, str] | None) -> str:
    """The header label of a registry package (the registry module only when one is here)."""
    if not prov:
        return ""
    from modelcheck.reporters.registry import provenance_label

    return provenance_label(prov)


def registry_lines(report: Report, paint) -> list[str]:
    """Per registered model: what points at a version (alias, stage, latest) -> the version
    -> pass/fail; so "is what serves in Production broken?" is one glance."""
    from modelcheck.reporters.registry import (
        folded_line,
        pointer_counts,
        registry_summary,
        split_pointers,
    )

    models = registry_summary(report)
    failing = sum(m.failing for m in models)
    unchecked = sum(m.unchecked for m in models)
    head = (f"Registry: {_plural(len(models), 'registered model')}, "
            f"{_plural(sum(m.versions for m in models), 'version')} checked, {failing} failing")
    out = [paint(_BOLD, head + (f", {unchecked} not checked" if unchecked else ""))]
    for m in models:
        shown, folded = split_pointers(m)
        extra = [f"{m.failing} failing"] if m.failing else []
        extra += [f"{m.unchecked} not checked"] if m.unchecked else []
        out.append(f"  {m.model}" + (f"  ({', '.join(extra)})" if extra else ""))
        width = max((len(p.label) for p in shown), default=0)
        for p in shown:
            why = pointer_counts(p)
            out.append(f"    {p.label:<{width}} -> v{p.version}  "
                       + paint(_VERDICT[p.verdict], p.verdict) + (f" ({why})" if why else ""))
        if folded:
            out.append(f"    {folded_line(folded)}")
    out.append("")
    return out
