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
    for pkg in report.packages:
        if not pkg.findings:
            continue
        if not ctx.quiet:
            out.append(paint(_BOLD, pkg.display))
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
    if getattr(ctx, "summary", True):
        out.append(summary_line(report.counts(), len(report.packages),
                                sum(1 for p in report.packages if p.findings),
                                report.suppressed, partial=report.partial))
    if not ctx.quiet:
        out += [paint(_DIM, f"note: {n}") for n in report.notes]
    if report.partial:
        out.append(paint(_COLORS[Level.ERROR], partial_message(report)))
    return "\n".join(out) + "\n" if out else ""


def summary_line(counts: dict[str, int], n_pkgs: int, failing: int, suppressed: int = 0,
                 *, partial: bool = False) -> str:
    """``2 errors, 0 warnings, 1 note in 2 of 5 packages``, or ``All checks passed: ...``."""
    if not any(counts.values()) and n_pkgs and not partial:
        return f"All checks passed: {_plural(n_pkgs, 'package')}, no findings."
    summary = (f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, "
               f"{_plural(counts['note'], 'note')} in {failing} of {_plural(n_pkgs, 'package')}")
    if suppressed:
        summary += f" ({suppressed} baseline findings hidden)"
    return summary
