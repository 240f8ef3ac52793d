"""Human-readable output, grouped by package: ``path:line:col: CODE level: message``."""

from __future__ import annotations

from collections import Counter

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
    counts = report.counts()
    n_pkgs = len(report.packages)
    failing = sum(1 for p in report.packages if p.findings)
    summary = (f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, "
               f"{_plural(counts['note'], 'note')} in {failing} of {_plural(n_pkgs, 'package')}")
    if report.suppressed:
        summary += f" ({report.suppressed} baseline findings hidden)"
    if not report.findings and n_pkgs:
        summary = f"All checks passed: {_plural(n_pkgs, 'package')}, no findings."
    out.append(summary)
    return "\n".join(out) + "\n"
