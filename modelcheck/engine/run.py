"""Run the selected rules on ONE package and make its :class:`PackageResult`.

The engine knows nothing about what any single rule checks. A rule that raises becomes an
``MC901`` finding (and a tool notification); the other rules still run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator

from modelcheck.engine.settings import Settings
from modelcheck.engine.toolcodes import ENGINE_CODES, RULE_CRASH, TARGET_ERROR, TIME_BUDGET
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import Finding, Level, PackageResult, Rule


def select_rules(rules: dict[str, Rule], settings: Settings) -> dict[str, Rule]:
    return {c: r for c, r in rules.items() if settings.enabled(c) or c in ENGINE_CODES}


def _finding(rule: Rule, hit, display: str, settings: Settings) -> Finding:
    level = settings.level_for(rule.code, hit.level or rule.meta.level)
    return Finding(
        code=rule.code, name=rule.meta.name, level=level, message=hit.message,
        package=display, file=hit.file, line=hit.line, col=hit.col, pointer=hit.pointer,
        fix=hit.fix, tags=rule.meta.tags, key=hit.key,
        security_severity=rule.meta.security_severity,
    )


# the last rules dict seen and the rules of it that run (engine codes are emitted, not run):
# a scan checks every package with one dict, so this is worked out once per scan
_RUNNABLE: list = [None, 0, ()]


def _runnable(rules: Iterable[Rule]) -> list[Rule]:
    if isinstance(rules, dict):
        seen, count, found = _RUNNABLE
        if seen is rules and count == len(rules):
            return found
        found = [r for r in rules.values() if r.meta.code not in ENGINE_CODES]
        _RUNNABLE[:] = [rules, len(rules), found]
        return found
    return [r for r in rules if r.meta.code not in ENGINE_CODES]


def run_rules(pkg: ModelPackage, rules: Iterable[Rule] | dict[str, Rule], settings: Settings
              ) -> Iterator[Finding]:
    rules = _runnable(rules)
    monotonic = time.monotonic
    start = monotonic()
    budget = settings.package_timeout
    for i, r in enumerate(rules):
        if budget and monotonic() - start > budget:
            skipped = [x.code for x in rules[i:]]
            yield Finding(
                code=TIME_BUDGET.code, name=TIME_BUDGET.meta.name, level=Level.ERROR,
                message=(f"checking this package took more than its time budget of "
                         f"{budget:g} s; {len(skipped)} rule(s) did not run: "
                         f"{', '.join(skipped)}"),
                package=pkg.display, tags=TIME_BUDGET.meta.tags,
                fix="raise --package-timeout (package-timeout in the config), or find out "
                    "why this package is so slow to read")
            return
        try:
            found = r.func(pkg)  # what Rule.check yields, without its generator
            hits = list(found) if found is not None else ()
        except Exception as exc:  # noqa: BLE001 - any rule failure becomes a finding
            import traceback

            tb = traceback.extract_tb(exc.__traceback__)
            where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
            msg = (f"internal error in rule {r.code} ({r.meta.name}): "
                   f"{type(exc).__name__}: {exc}{where}; the other rules still ran")
            yield Finding(code=RULE_CRASH.code, name=RULE_CRASH.meta.name, level=Level.ERROR,
                          message=msg, package=pkg.display, key=r.code,
                          tags=RULE_CRASH.meta.tags)
            continue
        for hit in hits:
            yield _finding(r, hit, pkg.display, settings)


def read_failures(pkg: ModelPackage) -> Iterator[Finding]:
    """One MC902 finding per path the OS refused while the rules read the package (recorded
    by :class:`ModelPackage`): what was not read was not checked, so the run is not clean."""
    for rel, what in pkg.failures.items():
        where = rel or "the package folder"
        yield Finding(
            code=TARGET_ERROR.code, name=TARGET_ERROR.meta.name, level=Level.ERROR,
            message=f"{where} {what}, so this package is not known to be clean",
            package=pkg.display, file=rel or None,
            key=rel, tags=TARGET_ERROR.meta.tags,
            fix="give the user running modelcheck read access (and execute access on "
                "folders), or check the storage; then run the check again")


def check_package_obj(pkg: ModelPackage, rules: dict[str, Rule], settings: Settings
                      ) -> PackageResult:
    findings = list(run_rules(pkg, rules, settings))
    if settings.per_path_ignores:
        findings = [f for f in findings if not settings.path_ignored(f)]
    findings += read_failures(pkg)  # never ignored by path: an unchecked file is not clean
    findings.sort(key=lambda f: (f.file or "", f.line or 0, f.col or 0, f.code, f.message))
    meta = pkg.meta
    ver = meta.get("mlflow_version")
    return PackageResult(
        display=pkg.display, findings=findings,
        mlflow_version=str(ver) if ver is not None else None,
        flavors=tuple(pkg.flavors),
    )


def target_error(display: str, message: str) -> PackageResult:
    f = Finding(code=TARGET_ERROR.code, name=TARGET_ERROR.meta.name, level=Level.ERROR,
                message=message, package=display, tags=TARGET_ERROR.meta.tags)
    return PackageResult(display=display, findings=[f])
