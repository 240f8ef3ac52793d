"""Check packages behind URLs: fsspec URLs (s3://, gs://, az://, file://, ...) and MLflow URIs.

Each target is listed once. Then up to ``--jobs`` packages are in flight at once: the files
a package's rules will read are fetched in one concurrent batch (on the backend's event loop
when it is async, like s3fs: no thread waits on the network), and the rules run on a thread
as each batch lands. Targets that cannot be listed, and files that cannot be read,
become tool notifications (exit 2); the rest of the scan goes on.
"""

from __future__ import annotations

import asyncio
import os
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from modelcheck.engine import PackageResult, check_package_obj, target_error
from modelcheck.model import Rule
from modelcheck.package import ModelPackage
from modelcheck.settings import Settings
from modelcheck.sources.base import Source

DEFAULT_JOBS = 16
MLFLOW_PREFIXES = ("models:/", "runs:/", "mlflow-artifacts:/")


@dataclass
class Job:
    """One package to check: how to show it and how to build its source."""

    display: str
    make: Callable[[], Source]


class TargetFailed(Exception):
    """A whole target could not be listed or resolved (message says why)."""


def check_remote(targets: list[str], rules: dict[str, Rule], settings: Settings,
                 notifications: list[str], *,
                 progress: Callable[[int, int], None] | None = None) -> list[PackageResult]:
    """Check every package under ``targets`` (URLs); tool failures go to ``notifications``."""
    results: list[PackageResult] = []
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
    results.extend(run_jobs(jobs, rules, settings, notifications, progress))
    return results


def plan(target: str, settings: Settings) -> list[Job]:
    """The packages under one target (raises TargetFailed)."""
    if target.startswith(MLFLOW_PREFIXES):
        from modelcheck.sources.mlflow_uri import plan_mlflow

        return plan_mlflow(target, settings)
    if target.lower().startswith("file://"):
        return plan_local(file_url_path(target), target)
    return plan_fsspec(target, settings)


def file_url_path(url: str) -> str:
    p = urlparse(url)
    if p.netloc not in ("", "localhost"):
        raise TargetFailed(f"file URL with a remote host {p.netloc!r} is not supported")
    return unquote(p.path) or "/"


def plan_local(path: str, display: str) -> list[Job]:
    """A local tree shown under a URL (file:// targets, local MLflow artifact locations)."""
    from modelcheck.discovery import discover
    from modelcheck.sources.local import LocalSource

    found, errors = discover([path])
    if errors:
        raise TargetFailed(errors[0].split(": ", 1)[-1])
    base = os.path.abspath(path)
    display = display.rstrip("/")
    jobs = []
    for t in found:
        rel = os.path.relpath(os.path.abspath(t.path), base).replace(os.sep, "/")
        shown = display if rel == "." else f"{display}/{rel}"
        jobs.append(Job(shown, lambda p=t.path, s=shown: LocalSource(p, s)))
    return jobs


def plan_fsspec(url: str, settings: Settings) -> list[Job]:
    from modelcheck.sources.fsspec_source import (
        BackendMissing,
        Listing,
        fast_timestamps,
        open_url,
    )

    try:
        fs, root = open_url(url, pool_options(url, settings))
    except BackendMissing as exc:
        raise TargetFailed(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - bad options, bad URL
        raise TargetFailed(f"cannot open: {type(exc).__name__}: {exc}") from exc
    fast_timestamps(fs)
    protocol = url.split("://", 1)[0]
    url = url.rstrip("/")
    try:
        listing = Listing.of(fs, root, url)
        if not listing.keys:
            listing = _file_target(fs, root, url, protocol)
    except TargetFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - denied, missing bucket, network
        from modelcheck.sources.fsspec_source import describe_error

        what = "does not exist" if isinstance(exc, FileNotFoundError) else describe_error(exc)
        raise TargetFailed(f"cannot list: {what}") from exc
    pkgs = listing.packages()
    if not pkgs:
        raise TargetFailed("no MLflow model package (no MLmodel file) found here")
    return [Job(listing.url + (f"/{p}" if p else ""), lambda p=p: listing.source(p))
            for p in pkgs]


def pool_options(url: str, settings: Settings) -> dict:
    """Storage options, with an S3 connection pool big enough for ``--jobs`` packages'
    batches (botocore's default of 10 connections would cap the requests in flight)."""
    opts = dict(settings.storage_options)
    if url.split("://", 1)[0].lower() not in ("s3", "s3a"):
        return opts
    if any(k == "config_kwargs.max_pool_connections" or k == "config_kwargs" for k in opts):
        return opts  # the user's choice
    jobs = settings.jobs or DEFAULT_JOBS
    opts["config_kwargs.max_pool_connections"] = max(10, min(256, 8 * jobs))
    return opts


def _file_target(fs, root: str, url: str, protocol: str):
    """A URL naming one object: list the package that holds it (walking up to MLmodel)."""
    from modelcheck.sources.fsspec_source import Listing

    info = fs.info(root)  # FileNotFoundError when nothing is there
    if info.get("type") != "file":
        raise TargetFailed("no MLflow model package (no MLmodel file) found here")
    cur = root.rsplit("/", 1)[0]
    while "/" in cur:
        if fs.exists(f"{cur}/MLmodel"):
            return Listing.of(fs, cur, f"{protocol}://{cur}")
        cur = cur.rsplit("/", 1)[0]
    raise TargetFailed("not inside an MLflow model package (no MLmodel above)")


def run_jobs(jobs: list[Job], rules: dict[str, Rule], settings: Settings,
             notifications: list[str],
             progress: Callable[[int, int], None] | None) -> list[PackageResult]:
    """Check packages, up to ``--jobs`` in flight; results come back in job order."""
    n = len(jobs)
    if not n:
        return []
    workers = max(1, min(settings.jobs or DEFAULT_JOBS, n))
    out: list[tuple[PackageResult, list[str]] | None] = [None] * n
    if workers == 1:
        for i, job in enumerate(jobs):
            out[i] = check_one(job, rules, settings)
            if progress:
                progress(i + 1, n)
    else:
        _pipeline(jobs, rules, settings, workers, out, progress)
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
    n = len(jobs)
    landed: queue.Queue[tuple[int, tuple[PackageResult, list[str]]]] = queue.Queue()
    # one thread per package in flight: rules mostly run on data already fetched, but a read
    # outside the batch (a big file, one the plan did not foresee) blocks its thread
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modelcheck") as pool:

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
                pool.submit(finish, i, job, source if err is None else err)

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
    already fetched), run the rules, collect read problems."""
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
