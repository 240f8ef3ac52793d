"""Check packages behind URLs: fsspec URLs (s3://, gs://, az://, file://, ...) and MLflow URIs.

Each target is listed once. Then up to ``--jobs`` packages are in flight at once: the files
a package's rules will read are fetched in one concurrent batch (on the backend's event loop
when it is async, like s3fs: no thread waits on the network), and the rules run on a thread
as each batch lands. Targets that cannot be listed, and files that cannot be read,
become tool notifications (exit 2); the rest of the scan goes on.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from modelcheck.engine.run import check_package_obj, target_error
from modelcheck.engine.settings import Settings
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import PackageResult, Rule
from modelcheck.sources.base import Source
from modelcheck.sources.plan import (
    DEFAULT_JOBS,
    MLFLOW_PREFIXES,
    Job,
    SourceOptions,
    TargetFailed,
    file_url_path,
    plan_fsspec,
    plan_local,
)


def check_remote(targets: list[str], rules: dict[str, Rule], settings: Settings,
                 notifications: list[str], *,
                 progress: Callable[[int, int], None] | None = None,
                 done: list[PackageResult] | None = None) -> list[PackageResult]:
    """Check every package under ``targets`` (URLs); tool failures go to ``notifications``.

    When a ``KeyboardInterrupt`` stops the scan, ``done`` holds the packages that finished
    (the threads still in flight are abandoned, not waited for)."""
    results: list[PackageResult] = [] if done is None else done
    jobs: list[Job] = []
    for t in targets:
        try:
            found = plan(t, settings)
        except TargetFailed as exc:
            msg = f"{t}: {exc}"
            results.append(target_error(t, msg))
            notifications.append(msg)
            continue
        jobs.extend(j for j in found if not settings.excluded(j.display))
    results.extend(run_jobs(jobs, rules, settings, notifications, progress, done=results))
    return results


def plan(target: str, settings: Settings) -> list[Job]:
    """The packages under one target (raises TargetFailed)."""
    if target.startswith(MLFLOW_PREFIXES):
        from modelcheck.sources.mlflow_uri import plan_mlflow

        return plan_mlflow(target, options_of(settings))
    if target.lower().startswith("file://"):
        return plan_local(file_url_path(target), target)
    return plan_fsspec(target, options_of(settings))


def options_of(settings: Settings) -> SourceOptions:
    return SourceOptions(settings.storage_options, settings.jobs)


def run_jobs(jobs: list[Job], rules: dict[str, Rule], settings: Settings,
             notifications: list[str],
             progress: Callable[[int, int], None] | None,
             done: list[PackageResult] | None = None) -> list[PackageResult]:
    """Check packages, up to ``--jobs`` in flight; results come back in job order. On a
    ``KeyboardInterrupt`` the packages finished so far are appended to ``done``."""
    n = len(jobs)
    if not n:
        return []
    workers = max(1, min(settings.jobs or DEFAULT_JOBS, n))
    out: list[tuple[PackageResult, list[str]] | None] = [None] * n
    try:
        if workers == 1:
            for i, job in enumerate(jobs):
                out[i] = check_one(job, rules, settings)
                if progress:
                    progress(i + 1, n)
        else:
            _pipeline(jobs, rules, settings, workers, out, progress)
    except KeyboardInterrupt:
        for item in out:
            if item is not None and done is not None:
                done.append(item[0])
                notifications.extend(item[1])
        raise
    results = []
    for item in out:
        assert item is not None
        results.append(item[0])
        notifications.extend(item[1])
    return results


def _pipeline(jobs: list[Job], rules: dict[str, Rule], settings: Settings, workers: int,
              out: list, progress: Callable[[int, int], None] | None) -> None:
    """Keep ``workers`` packages in flight: each one's batch is fetched on the backend's loop
    (or, for sync sources, on a thread), then its rules run on the rule threads."""
    landed: queue.Queue[tuple[int, tuple[PackageResult, list[str]]]] = queue.Queue()
    # one thread per package in flight: rules mostly run on data already fetched, but a read
    # outside the batch (a big file, one the plan did not foresee) blocks its thread
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modelcheck")
    try:
        _feed(jobs, rules, settings, workers, out, progress, pool, landed)
    except BaseException:
        # Ctrl-C or SIGTERM: stop now. Leaving a `with` would wait for every thread, and a
        # thread may wait on the network for a long time; queued work is cancelled and the
        # threads in flight are abandoned (the command line exits right after the reports).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _feed(jobs: list[Job], rules: dict[str, Rule], settings: Settings, workers: int,
          out: list, progress: Callable[[int, int], None] | None, pool: ThreadPoolExecutor,
          landed: queue.Queue) -> None:
    n = len(jobs)

    def finish(i: int, job: Job, source: Source | BaseException, fetch: bool = False
               ) -> None:
        try:
            prefetch = getattr(source, "prefetch", None) if fetch else None
            if prefetch is not None:
                prefetch(settings.text_cap, settings.max_pickle_bytes)
        except Exception as exc:  # noqa: BLE001 - reported by check_one
            source = exc
        try:
            landed.put((i, check_one(job, rules, settings, source)))
        except BaseException as exc:  # the scan waits for every package: always answer
            msg = f"{job.display}: cannot be checked: {type(exc).__name__}: {exc}"
            landed.put((i, (target_error(job.display, msg), [msg])))
            raise

    def start(i: int) -> None:
        job = jobs[i]
        try:
            source = job.make()
            loop = getattr(source, "loop", None)
        except Exception as exc:  # noqa: BLE001 - reported by check_one
            pool.submit(finish, i, job, exc)
            return
        if loop is None:
            pool.submit(finish, i, job, source, True)
            return
        fut = asyncio.run_coroutine_threadsafe(source.afetch(settings.text_cap,
                                                            settings.max_pickle_bytes), loop)

        def fetched(f: Future, i: int = i, job: Job = job, source: Source = source) -> None:
            try:
                err = f.exception()
            except BaseException as exc:  # noqa: BLE001 - cancelled: the loop stopped
                err = exc
            try:
                pool.submit(finish, i, job, source if err is None else err)
            except RuntimeError:  # the scan was stopped (pool shut down): nothing to report
                pass

        fut.add_done_callback(fetched)

    started = done = 0
    while done < n:
        while started < n and started - done < workers:
            start(started)
            started += 1
        i, item = landed.get()
        out[i] = item
        done += 1
        if progress:
            progress(done, n)


def check_one(job: Job, rules: dict[str, Rule], settings: Settings,
              source: Source | BaseException | None = None
              ) -> tuple[PackageResult, list[str]]:
    """One package: fetch what its rules read in one batch (unless ``source`` is given,
    already fetched), run the rules, collect read problems. The result carries the job's
    provenance (a registry package's name, version, alias...), failed or not."""
    result, problems = _check_one(job, rules, settings, source)
    if job.provenance is not None:
        result.provenance = job.provenance
    return result, problems


def _check_one(job: Job, rules: dict[str, Rule], settings: Settings,
               source: Source | BaseException | None = None
               ) -> tuple[PackageResult, list[str]]:
    try:
        if isinstance(source, BaseException):
            raise source
        if source is None:
            source = job.make()
            prefetch = getattr(source, "prefetch", None)
            if prefetch is not None:
                prefetch(settings.text_cap, settings.max_pickle_bytes)
        failed = getattr(source, "failed", None)
        err = failed("MLmodel") if failed else None
        if err is not None:
            from modelcheck.sources.fsspec_source import describe_error

            msg = f"{job.display}: MLmodel cannot be read: {describe_error(err)}"
            return target_error(job.display, msg), [msg]
        pkg = ModelPackage(source, job.display, text_cap=settings.text_cap,
                           pickle_cap=settings.max_pickle_bytes,
                           read_budget=settings.package_read_bytes)
        result = check_package_obj(pkg, rules, settings)
    except Exception as exc:  # noqa: BLE001 - a package that breaks the runner is reported
        msg = f"{job.display}: cannot be checked: {type(exc).__name__}: {exc}"
        return target_error(job.display, msg), [msg]
    return result, list(getattr(source, "problems", ()))
