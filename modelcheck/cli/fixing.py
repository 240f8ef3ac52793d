"""``--fix``, ``--diff`` and ``--unsafe-fixes``: the command-line face of :mod:`modelcheck.fixes`.

``--diff`` prints what the fixes would change as a unified diff and writes nothing (exit 1 when
there is something to change, else 0). ``--fix`` writes the changes, checks the packages again
and reports what is left, as a check does. Unsafe fixes are only made (or shown) with
``--unsafe-fixes``. Remote targets are refused (exit 2): modelcheck never writes to a bucket or
a tracking server.
"""

from __future__ import annotations

import sys

from modelcheck.cli.outputs import write_reports, write_stdout


def _remote(target: str) -> bool:
    from modelcheck.api import is_remote

    return is_remote(target)


def run_fix(args, settings, outputs) -> int:
    """The ``--fix``/``--diff`` run of ``modelcheck check``; the exit code."""
    from modelcheck.api import check
    from modelcheck.engine.registry import RegistryError
    from modelcheck.engine.settings import ConfigError
    from modelcheck.results import Interrupted

    remote = [t for t in args.targets if _remote(t)]
    if remote:
        print(f"modelcheck: --fix and --diff work on local packages only; {remote[0]} is "
              "remote (download it, fix it, and upload it again)", file=sys.stderr)
        return 2
    if args.write_baseline:
        print("modelcheck: --write-baseline cannot be combined with --fix or --diff",
              file=sys.stderr)
        return 2
    if getattr(args, "dask", None) is not None:
        print("modelcheck: --fix and --diff run here, where the files are written; drop "
              "--dask (a cluster checks, it never writes)", file=sys.stderr)
        return 2
    try:
        report = check(args.targets, settings)
    except Interrupted as exc:
        print(f"\nmodelcheck: interrupted by {exc.signal}: nothing was fixed", file=sys.stderr)
        return 130 if exc.signal == "SIGINT" else 143
    except (ConfigError, RegistryError, ValueError, OSError) as exc:
        print(f"modelcheck: {exc}", file=sys.stderr)
        return 2
    plans, failed = _plans(report, settings, args.unsafe_fixes)
    if args.diff:
        left = len(report.findings) - sum(len(p.before) - len(p.after) for p in plans)
        return _show(plans, failed, args.unsafe_fixes, left)
    return _write(args, settings, outputs, plans, failed)


def _plans(report, settings, unsafe: bool):
    """The fix plan of each package that has a finding some fixer handles."""
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import check_package_obj, select_rules
    from modelcheck.fixes.plan import plan_package
    from modelcheck.fixes.registry import NOTES
    from modelcheck.results import Report

    rules = select_rules(all_rules(), settings)

    def recheck(pkg):
        result = check_package_obj(pkg, rules, settings)
        if settings.baseline:  # what the baseline hides is not fixed either
            from modelcheck.engine.baseline import apply_baseline

            apply_baseline(Report(packages=[result]), settings.baseline)
        return result.findings

    plans = []
    failed = [p.display for p in report.packages if p.findings and p.findings[0].code == "MC902"
              and p.findings[0].file is None]
    for p in report.packages:
        if p.display in failed or not any(f.code in NOTES for f in p.findings):
            continue
        plans.append(plan_package(p.display, p.display, recheck, unsafe=unsafe,
                                  text_cap=settings.text_cap))
    return plans, failed


def _summary(plans, unsafe: bool, left: int, *, verb: str) -> str:
    fixed = sum(p.fixed for p in plans if p.changed)
    more = sum(p.unsafe_left for p in plans)
    line = f"modelcheck: {fixed} {verb} ({left} remaining)"
    if more and not unsafe:
        line += f"; {more} more with --unsafe-fixes"
    return line


def _problems(plans) -> int:
    bad = [p for p in plans if p.problem]
    for p in bad:
        print(f"modelcheck: {p.display}: {p.problem}", file=sys.stderr)
    for p in plans:  # left as they are, said why (their findings are still reported)
        for why in p.skipped:
            print(f"modelcheck: {p.display}/{why}", file=sys.stderr)
    return 2 if bad else 0


def _show(plans, failed, unsafe: bool, left: int) -> int:
    from modelcheck.fixes.apply import diff

    for p in plans:
        if p.changed:
            write_stdout(diff(p))
    status = _problems(plans)
    for d in failed:
        print(f"modelcheck: {d}: could not be read, nothing to fix", file=sys.stderr)
    print(_summary(plans, unsafe, left, verb="would be fixed"), file=sys.stderr)
    if status or failed:
        return 2
    return 1 if any(p.changed for p in plans) else 0


def _write(args, settings, outputs, plans, failed) -> int:
    from modelcheck.api import check
    from modelcheck.fixes.apply import FixError, write

    status = _problems(plans)
    for p in plans:
        if not p.changed:
            continue
        try:
            write(p)
        except FixError as exc:
            print(f"modelcheck: {p.display}: {exc}", file=sys.stderr)
            status = 2
            p.after = p.before  # nothing of it was fixed
    report = check(args.targets, settings)  # what is left, as the files now are
    from modelcheck.reporters import shown

    visible, hidden = shown(report, settings.show_level)
    write_status = write_reports(visible, outputs, args, summary=True, hidden=hidden)
    print(_summary(plans, args.unsafe_fixes, len(report.findings), verb="fixed"),
          file=sys.stderr)
    code = report.exit_code(settings.fail_on)
    if args.exit_zero and code == 1:
        code = 0
    return max(code, status, write_status, 2 if failed else 0)
