"""The public Python API: ``check`` and ``check_package``.

``check`` selects the rules once, hands local targets to :mod:`modelcheck.scan.local` and
URLs to :mod:`modelcheck.scan.remote`, and applies the baseline to the report they make.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from modelcheck.engine.registry import all_rules
from modelcheck.engine.run import check_package_obj, select_rules, target_error
from modelcheck.engine.settings import Settings, validate
from modelcheck.results import Interrupted, Invocation, PackageResult, Report
from modelcheck.scan.local import local_package


def is_remote(target: str) -> bool:
    return "://" in target or target.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


def check_package(path: str, settings: Settings | None = None) -> PackageResult:
    """Check one local package directory (or its MLmodel file)."""
    settings = settings or Settings()
    if os.path.basename(path) == "MLmodel" and os.path.isfile(path):
        path = os.path.dirname(path) or "."
    registry = all_rules()
    validate(settings, list(registry))
    rules = select_rules(registry, settings)
    return check_package_obj(local_package(path, path, settings), rules, settings)


def check(
    targets: Iterable[str],
    settings: Settings | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Discover packages under ``targets`` and check each; returns a :class:`Report`.

    Settings that name unknown rule codes, or enable no rule, raise ``ConfigError`` before any
    work. A ``KeyboardInterrupt`` (Ctrl-C, or :class:`~modelcheck.results.Interrupted` from a
    signal handler) stops the scan and its workers: it is re-raised as ``Interrupted`` whose
    ``report`` holds the packages checked before it (``report.partial`` is True).
    """
    from modelcheck.scan.local import check_local

    settings = settings or Settings()
    targets = list(targets)
    registry = all_rules()
    validate(settings, list(registry))
    rules = select_rules(registry, settings)
    report = Report(rules=rules, invocation=_invocation(targets, settings))
    local = [t for t in targets if not is_remote(t)]
    remote = [t for t in targets if is_remote(t)]
    local_done: list[PackageResult] = []
    remote_done: list[PackageResult] = []
    try:
        results, errors = check_local(local, rules, settings, progress, done=local_done,
                                      notes=report.notes)
        for msg in errors:
            name = msg.split(":", 1)[0]
            report.packages.append(target_error(name, msg))
            report.notifications.append(msg)
        report.packages.extend(results)
        local_done = []
        if remote:
            from modelcheck.scan.remote import check_remote

            report.packages.extend(check_remote(remote, rules, settings, report.notifications,
                                                progress=progress, done=remote_done))
    except KeyboardInterrupt as exc:
        report.packages.extend(sorted(local_done, key=lambda p: p.display))
        report.packages.extend(remote_done)
        report.interrupted = getattr(exc, "signal", "SIGINT")
        _apply_baseline(report, settings)
        report.invocation.finished = _now()
        raise Interrupted(report.interrupted, report) from None
    _apply_baseline(report, settings)
    report.invocation.finished = _now()
    return report


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _invocation(targets: list[str], settings: Settings) -> Invocation:
    from modelcheck.version import __version__

    return Invocation(__version__, _now(), "", list(targets), settings.as_json())


def _apply_baseline(report: Report, settings: Settings) -> None:
    if settings.baseline:
        from modelcheck.engine.baseline import apply_baseline

        report.suppressed = apply_baseline(report, settings.baseline)
