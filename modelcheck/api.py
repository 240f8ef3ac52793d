"""The public Python API: ``check`` and ``check_package``.

``check`` selects the rules once, hands local targets to :mod:`modelcheck.scan.local` and
URLs to :mod:`modelcheck.scan.remote`, and applies the baseline to the report they make.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from modelcheck.engine.registry import all_rules
from modelcheck.engine.run import check_package_obj, select_rules, target_error
from modelcheck.engine.settings import Settings
from modelcheck.results import PackageResult, Report
from modelcheck.scan.local import local_package


def is_remote(target: str) -> bool:
    return "://" in target or target.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


def check_package(path: str, settings: Settings | None = None) -> PackageResult:
    """Check one local package directory (or its MLmodel file)."""
    settings = settings or Settings()
    if os.path.basename(path) == "MLmodel" and os.path.isfile(path):
        path = os.path.dirname(path) or "."
    rules = select_rules(all_rules(), settings)
    return check_package_obj(local_package(path, path, settings), rules, settings)


def check(
    targets: Iterable[str],
    settings: Settings | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Discover packages under ``targets`` and check each; returns a :class:`Report`."""
    from modelcheck.scan.local import check_local

    settings = settings or Settings()
    targets = list(targets)
    rules = select_rules(all_rules(), settings)
    report = Report(rules=rules)
    local = [t for t in targets if not is_remote(t)]
    remote = [t for t in targets if is_remote(t)]
    results, errors = check_local(local, rules, settings, progress)
    for msg in errors:
        name = msg.split(":", 1)[0]
        report.packages.append(target_error(name, msg))
        report.notifications.append(msg)
    report.packages.extend(results)
    if remote:
        from modelcheck.scan.remote import check_remote

        report.packages.extend(check_remote(remote, rules, settings, report.notifications,
                                             progress=progress))
    if settings.baseline:
        from modelcheck.engine.baseline import apply_baseline

        report.suppressed = apply_baseline(report, settings.baseline)
    return report
