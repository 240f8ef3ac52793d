"""The public Python API: ``check`` and ``check_package``.

``check`` selects the rules once, hands local targets to :mod:`modelcheck.scan.local` and
URLs to :mod:`modelcheck.scan.remote` (or both to :mod:`modelcheck.scan.executor` when given an
executor: a Dask cluster's, a process pool...), and applies the baseline to the report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from modelcheck.engine.registry import all_rules
from modelcheck.engine.run import check_package_obj, select_rules, target_error
from modelcheck.engine.settings import Settings, validate
from modelcheck.results import Interrupted, Invocation, PackageResult, Report
from modelcheck.scan.collector import Collector, scan_collector
from modelcheck.scan.local import local_package

if TYPE_CHECKING:  # concurrent.futures imports logging: not on a plain check's path
    from concurrent.futures import Executor


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
    executor: Executor | None = None,
    on_package: Callable[[PackageResult], None] | None = None,
) -> Report:
    """Discover packages under ``targets`` and check each; returns a :class:`Report`.

    Settings that name unknown rule codes, or enable no rule, raise ``ConfigError`` before any
    work. A ``KeyboardInterrupt`` (Ctrl-C, or :class:`~modelcheck.results.Interrupted` from a
    signal handler) stops the scan and its workers: it is re-raised as ``Interrupted`` whose
    ``report`` holds the packages checked before it (``report.partial`` is True).

    With an ``executor`` (any ``concurrent.futures.Executor``: ``client.get_executor()`` of a
    Dask cluster, a ``ProcessPoolExecutor``...) the packages are listed and checked by its
    workers, and reported as a run here reports them (see :mod:`modelcheck.scan.executor`).

    ``on_package`` is called once with each package's result (baseline applied) in this
    thread, as the package finishes (in the order packages finish, local trees, URL targets
    and an ``executor``'s results alike); a target that could not be listed, when its scan
    ends. Every package is given before ``check`` returns or raises ``Interrupted``. The
    command line streams ``-f json-lines`` with it.
    """
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
    stream = _Stream(on_package, settings) if on_package is not None else None
    # the runners hand each package over as it finishes; the rest, at the end
    hook = {"on_package": stream} if stream is not None else {}
    with scan_collector() as collector:
        try:
            _scan(report, local, remote, rules, settings, executor, progress, collector, hook,
                  local_done, remote_done)
        except KeyboardInterrupt as exc:
            report.packages.extend(sorted(local_done, key=lambda p: p.display))
            report.packages.extend(remote_done)
            report.interrupted = getattr(exc, "signal", "SIGINT")
            _finish(report, settings, stream)
            raise Interrupted(report.interrupted, report) from None
    _finish(report, settings, stream)
    return report


def _scan(report: Report, local: list[str], remote: list[str], rules, settings: Settings,
          executor: Executor | None, progress: Callable[[int, int], None] | None,
          collector: Collector, hook: dict, local_done: list[PackageResult],
          remote_done: list[PackageResult]) -> None:
    from modelcheck.scan.local import check_local

    run_local = check_local if executor is None else \
        _on(executor, "check_local_on", notifications=report.notifications)
    results, errors = run_local(local, rules, settings, progress, done=local_done,
                                notes=report.notes, **hook)
    for msg in errors:
        name = msg.split(":", 1)[0]
        report.packages.append(target_error(name, msg))
        report.notifications.append(msg)
    report.packages.extend(results)
    local_done.clear()  # in report.packages now: not again on an interrupt
    if remote:
        from modelcheck.scan.remote import check_remote

        run_remote = check_remote if executor is None else _on(executor, "check_remote_on")
        if executor is None:  # the storage client exists once the first package is done
            progress = _settling(collector, progress)
        report.packages.extend(run_remote(remote, rules, settings, report.notifications,
                                          progress=progress, done=remote_done, **hook))


def _settling(collector: Collector, progress: Callable[[int, int], None] | None
              ) -> Callable[[int, int], None]:
    def settle_then(done: int, total: int) -> None:
        collector.settle()
        if progress is not None:
            progress(done, total)
    return settle_then


def _finish(report: Report, settings: Settings, stream: _Stream | None) -> None:
    if stream is None:
        _apply_baseline(report, settings)
    else:
        stream.rest(report)
    report.invocation.finished = _now()


class _Stream:
    """``on_package`` of a check: each package once, its baseline findings dropped first."""

    def __init__(self, on_package: Callable[[PackageResult], None], settings: Settings) -> None:
        self.on_package = on_package
        self.known = None
        if settings.baseline:  # read before the scan: a bad baseline stops it before any work
            from modelcheck.engine.baseline import load_baseline

            self.known = load_baseline(settings.baseline)
        self.suppressed = 0
        self.sent: list[PackageResult] = []  # kept alive: their ids stay theirs
        self.ids: set[int] = set()

    def __call__(self, pkg: PackageResult) -> None:
        if id(pkg) in self.ids:
            return
        self.ids.add(id(pkg))
        self.sent.append(pkg)
        if self.known is not None:
            from modelcheck.engine.baseline import filter_package

            self.suppressed += filter_package(pkg, self.known)
        self.on_package(pkg)

    def rest(self, report: Report) -> None:
        """The packages the runner did not hand over as they finished (target errors, an
        executor's results, what finished before an interrupt)."""
        for pkg in report.packages:
            self(pkg)
        report.suppressed = self.suppressed


def _on(executor: Executor, name: str, **kw) -> Callable:
    """The runner ``name`` of :mod:`modelcheck.scan.executor` bound to ``executor`` (same
    arguments and results as the local and remote runners)."""
    from functools import partial

    from modelcheck.scan import executor as runners

    return partial(getattr(runners, name), executor, **kw)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _invocation(targets: list[str], settings: Settings) -> Invocation:
    from modelcheck.version import __version__

    return Invocation(__version__, _now(), "", list(targets), settings.as_json())


def _apply_baseline(report: Report, settings: Settings) -> None:
    if settings.baseline:
        from modelcheck.engine.baseline import apply_baseline

        report.suppressed = apply_baseline(report, settings.baseline)
