"""The public Python API: ``check`` and ``check_package``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from modelcheck.engine import PackageResult, Report, check_package_obj, select_rules, target_error
from modelcheck.package import ModelPackage
from modelcheck.registry import all_rules
from modelcheck.settings import Settings


def is_remote(target: str) -> bool:
    return "://" in target or target.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


def _local_package(path: str, display: str, settings: Settings) -> ModelPackage:
    from modelcheck.sources.local import LocalSource

    return ModelPackage(LocalSource(path, display), display, text_cap=settings.text_cap)


def check_package(path: str, settings: Settings | None = None) -> PackageResult:
    """Check one local package directory (or its MLmodel file)."""
    settings = settings or Settings()
    if os.path.basename(path) == "MLmodel" and os.path.isfile(path):
        path = os.path.dirname(path) or "."
    rules = select_rules(all_rules(), settings)
    return check_package_obj(_local_package(path, path, settings), rules, settings)


def check(
    targets: Iterable[str],
    settings: Settings | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Discover packages under ``targets`` and check each; returns a :class:`Report`."""
    from modelcheck.discovery import discover

    settings = settings or Settings()
    targets = list(targets)
    rules = select_rules(all_rules(), settings)
    report = Report(rules=rules)
    local = [t for t in targets if not is_remote(t)]
    remote = [t for t in targets if is_remote(t)]
    found, errors = discover(local)
    for msg in errors:
        name = msg.split(":", 1)[0]
        report.packages.append(target_error(name, msg))
        report.notifications.append(msg)
    work = [t for t in found if not settings.excluded(t.display)]
    results = _run_local(work, rules, settings, progress)
    report.packages.extend(results)
    if remote:
        from modelcheck.sources.remote import check_remote  # optional backends

        report.packages.extend(check_remote(remote, rules, settings, report.notifications))
    if settings.baseline:
        from modelcheck.baseline import apply_baseline

        report.suppressed = apply_baseline(report, settings.baseline)
    return report


def _run_local(work, rules, settings, progress) -> list[PackageResult]:
    def one(t) -> PackageResult:
        return check_package_obj(_local_package(t.path, t.display, settings), rules, settings)

    out: list[PackageResult] = []
    for i, t in enumerate(work, 1):
        out.append(one(t))
        if progress:
            progress(i, len(work))
    return out
