"""Check packages behind URLs: fsspec URLs (s3://, gs://, az://, file://, ...) and MLflow URIs.

Targets are planned into jobs (one per package) lazily: checking starts with the first job,
while a lister may still be paging. Up to ``--jobs`` packages are in flight at once, and at
most FLIGHT_BYTES of their prefetched files: the files a package's rules will read are fetched
in one concurrent batch on the backend's event loop when it is async (s3fs: raw keep-alive
GETs with callbacks, no thread and no task per request), and the rules run on the calling
thread as each batch lands (no thread per package: the hand-offs and the GIL would cost more
than the rules), but for a big batch (a big pickle to scan), checked on a thread so that the
others keep landing and starting meanwhile; new packages are started once an eighth of
``--jobs`` slots are free, so one wake-up of the loop starts many batches. A package likely
to read outside its batch (a big file some rule may peek at), or whose source is not async,
is checked on a thread instead, so such reads overlap.
Results come back in job order (and, to an ``on_package`` hook, as each package finishes).
Targets that cannot be listed, and files that cannot be read, become tool notifications
(exit 2); the rest of the scan goes on.
"""

from __future__ import annotations

import asyncio
import collections
import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

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
    plan_local,
)

FLIGHT_BYTES = 256 * 1024 * 1024  # most prefetched bytes held by the packages in flight
SIDE_THREADS = 16  # most threads checking packages that read outside their batch
REFILL_PART = 8  # new packages are started once 1/8 of --jobs slots are free (at least 1)
# a package whose batch is bigger is checked on a thread: its rules (a big pickle's scan) may
# take a tenth of a second, during which this thread would start no batch and land none
HEAVY_BYTES = 64 * 1024

Item = tuple[PackageResult, list[str]]
OnPackage = Callable[[PackageResult], None] | None


class _Failed:
    """A target that could not be planned, in its place in the stream of jobs."""

    def __init__(self, item: Item) -> None:
        self.item = item


def check_remote(targets: list[str], rules: dict[str, Rule], settings: Settings,
                 notifications: list[str], *,
                 progress: Callable[[int, int], None] | None = None,
                 done: list[PackageResult] | None = None,
                 on_package: OnPackage = None) -> list[PackageResult]:
    """Check every package under ``targets`` (URLs); tool failures go to ``notifications``.
    Results come in target order, then job order; a target that cannot be listed is one
    MC902 result in its place. ``on_package`` gets each result (on this thread) as soon as
    its package is finished, in the order they finish.

    When a ``KeyboardInterrupt`` stops the scan, ``done`` holds the packages that finished
    (the work still in flight is abandoned, not waited for)."""
    results: list[PackageResult] = [] if done is None else done
    results.extend(run_jobs(_stream(targets, settings), rules, settings, notifications,
                            progress, done=results, on_package=on_package))
    return results


def _stream(targets: list[str], settings: Settings) -> Iterator[Job | _Failed]:
    """Each target's jobs, planned lazily (a planner may be a generator that pages)."""
    for t in targets:
        try:
            for job in plan(t, settings):
                if not settings.excluded(job.display):
                    yield job
        except TargetFailed as exc:
            msg = f"{t}: {exc}"
            yield _Failed((target_error(t, msg), [msg]))


def plan(target: str, settings: Settings) -> Iterable[Job]:
    """The packages under one target (raises TargetFailed, maybe after some jobs: a bucket's
    jobs come while its listing pages in)."""
    if target.startswith(MLFLOW_PREFIXES):
        from modelcheck.sources.mlflow_uri import plan_mlflow

        return plan_mlflow(target, options_of(settings))
    if target.lower().startswith("file://"):
        return plan_local(file_url_path(target), target)
    from modelcheck.sources.stream_plan import stream_fsspec

    return stream_fsspec(target, options_of(settings))


def options_of(settings: Settings) -> SourceOptions:
    return SourceOptions(settings.storage_options, settings.jobs)


def run_jobs(jobs: Iterable[Job], rules: dict[str, Rule], settings: Settings,
             notifications: list[str],
             progress: Callable[[int, int], None] | None,
             done: list[PackageResult] | None = None,
             on_package: OnPackage = None) -> list[PackageResult]:
    """Check packages, up to ``--jobs`` in flight; results come back in job order.
    ``jobs`` may be a generator: it is consumed as the scan goes, and ``progress`` gets
    ``(done, jobs seen so far)`` until it ends; ``on_package`` gets each result as its
    package finishes (before its progress call). On a ``KeyboardInterrupt`` the packages
    finished so far are appended to ``done``."""
    known = len(jobs) if isinstance(jobs, (list, tuple)) else None
    if known == 0:
        return []
    workers = max(1, settings.jobs or DEFAULT_JOBS)
    if known is not None:
        workers = min(workers, known)
    out: list[Item | None] = []
    try:  # --jobs 1 too: one package in flight, fetched the same cheap way
        _Flight(rules, settings, workers, out, progress, known, on_package).run(iter(jobs))
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


class _Flight:
    """The packages in flight. The calling thread takes jobs from the stream, hands async
    sources' batches to their loop (one wake-up for all the batches started together), and
    runs the rules as batches land; other packages are checked on threads."""

    def __init__(self, rules: dict[str, Rule], settings: Settings, workers: int,
                 out: list[Item | None], progress: Callable[[int, int], None] | None,
                 known: int | None, on_package: OnPackage = None) -> None:
        self.rules, self.settings, self.workers = rules, settings, workers
        self.out, self.progress, self.known = out, progress, known
        self.on_package = on_package
        # ("fetched", i, job, source or the exception) or ("checked", i, item, nbytes)
        # (a C queue: one lock per put and get, not a Python Condition)
        self.landed: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.in_flight = 0
        self.bytes = 0
        self.finished = 0
        self._pool: ThreadPoolExecutor | None = None
        # batches to start on each event loop, and the loops already woken up for theirs
        self._starts: dict[asyncio.AbstractEventLoop, collections.deque] = {}
        self._woken: set[asyncio.AbstractEventLoop] = set()

    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=min(self.workers, SIDE_THREADS),
                                            thread_name_prefix="modelcheck")
        return self._pool

    def run(self, jobs: Iterator[Job | _Failed]) -> None:
        try:
            self._run(jobs)
        except BaseException:
            # Ctrl-C or SIGTERM: stop now. Waiting for the threads could take long (one may
            # wait on the network); queued work is cancelled, the rest abandoned (the
            # command line exits right after the reports).
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            raise
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _run(self, jobs: Iterator[Job | _Failed]) -> None:
        more = True
        # refill once a few slots are free, not after every landing: each refill wakes the
        # loop thread (a pipe write, a GIL hand-off) to start the new batches together
        refill = max(1, self.workers // REFILL_PART)
        while True:
            fill = more and (self.workers - self.in_flight >= refill or not self.in_flight)
            while fill and more and self.in_flight < self.workers and \
                    (self.bytes < FLIGHT_BYTES or not self.in_flight):
                job = next(jobs, None)
                if job is None:
                    more = False
                    break
                self.out.append(None)
                self._start(len(self.out) - 1, job)
            if not self.in_flight:
                if more:
                    continue
                return
            self._land(*self.landed.get())
            while True:  # every batch that landed meanwhile, before the loop is woken again
                try:
                    self._land(*self.landed.get_nowait())
                except queue.Empty:
                    break

    def _start(self, i: int, job: Job | _Failed) -> None:
        if isinstance(job, _Failed):
            self._finish(i, job.item)
            return
        try:
            source = job.make()
            loop = getattr(source, "loop", None)
            plan = getattr(source, "plan", None) if loop is not None else None
            want = plan(self.settings.text_cap, self.settings.max_pickle_bytes) \
                if plan is not None else None
        except Exception as exc:  # noqa: BLE001 - reported by check_one
            self._finish(i, check_one(job, self.rules, self.settings, exc))
            return
        self.in_flight += 1
        if loop is None:  # a sync source: fetched and checked on a thread
            self.pool().submit(self._on_thread, i, job, source, True, 0)
            return
        nbytes = getattr(source, "planned_bytes", 0) if want is not None else 0
        self.bytes += nbytes
        starts = self._starts.get(loop)
        if starts is None:
            starts = self._starts[loop] = collections.deque()
        starts.append((i, job, source, want, nbytes))
        if loop not in self._woken:
            self._woken.add(loop)
            loop.call_soon_threadsafe(self._start_batches, loop)

    def _start_batches(self, loop: asyncio.AbstractEventLoop) -> None:
        """On ``loop``: start every batch queued for it since its last wake-up."""
        self._woken.discard(loop)
        starts = self._starts[loop]
        put = self.landed.put
        cap, pickle_cap = self.settings.text_cap, self.settings.max_pickle_bytes
        while starts:
            i, job, source, want, nbytes = starts.popleft()
            try:
                fast = getattr(source, "start_fetch", None) if want is not None else None
                if fast is not None and fast(want, lambda i=i, j=job, s=source, n=nbytes:
                                             put(("fetched", i, j, s, n))):
                    continue
                coro = source.afetch(cap, pickle_cap) if want is None else \
                    source.afetch(cap, pickle_cap, want)
                task = asyncio.ensure_future(coro)
            except Exception as exc:  # noqa: BLE001 - reported by check_one
                put(("fetched", i, job, exc, nbytes))
                continue
            task.add_done_callback(lambda t, i=i, j=job, s=source, n=nbytes:
                                   put(("fetched", i, j, _outcome(t, s), n)))

    def _land(self, what: str, i: int, job_or_item, payload, nbytes: int) -> None:
        if what == "checked":
            self._done(i, job_or_item, nbytes)
            return
        job, source = job_or_item, payload
        if nbytes > HEAVY_BYTES or getattr(source, "late_likely", False):
            self.pool().submit(self._on_thread, i, job, source, False, nbytes)
            return
        self._done(i, check_one(job, self.rules, self.settings, source), nbytes)

    def _on_thread(self, i: int, job: Job, source: Source, fetch: bool, nbytes: int) -> None:
        try:
            if fetch and getattr(source, "prefetch", None) is not None:
                try:
                    source.prefetch(self.settings.text_cap, self.settings.max_pickle_bytes)
                except Exception as exc:  # noqa: BLE001 - reported by check_one
                    source = exc
            item = check_one(job, self.rules, self.settings, source)
        except BaseException as exc:  # the scan waits for every package: always answer
            msg = f"{job.display}: cannot be checked: {type(exc).__name__}: {exc}"
            self.landed.put(("checked", i, _with_provenance(job, target_error(job.display,
                                                                               msg), [msg]),
                             None, nbytes))
            raise
        self.landed.put(("checked", i, item, None, nbytes))

    def _done(self, i: int, item: Item, nbytes: int) -> None:
        self.in_flight -= 1
        self.bytes -= nbytes
        self._finish(i, item)

    def _finish(self, i: int, item: Item) -> None:
        self.out[i] = item
        self.finished += 1
        if self.on_package is not None:
            self.on_package(item[0])
        if self.progress:
            self.progress(self.finished, self.known or len(self.out))


def _outcome(task: asyncio.Future, source: Source) -> Source | BaseException:
    """The source once its batch task ended, or what stopped the batch."""
    try:
        err = task.exception()
    except BaseException as exc:  # noqa: BLE001 - cancelled: the loop stopped
        err = exc
    return source if err is None else err


def _with_provenance(job: Job, result: PackageResult, problems: list[str]) -> Item:
    if job.provenance is not None:
        result.provenance = job.provenance
    return result, problems


def check_one(job: Job, rules: dict[str, Rule], settings: Settings,
              source: Source | BaseException | None = None
              ) -> tuple[PackageResult, list[str]]:
    """One package: fetch what its rules read in one batch (unless ``source`` is given,
    already fetched), run the rules, collect read problems. The result carries the job's
    provenance (a registry package's name, version, alias...), failed or not."""
    return _with_provenance(job, *_check_one(job, rules, settings, source))


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
    except TargetFailed as exc:  # a part of a target that could not be listed
        msg = f"{job.display}: {exc}"
        return target_error(job.display, msg), [msg]
    except Exception as exc:  # noqa: BLE001 - a package that breaks the runner is reported
        msg = f"{job.display}: cannot be checked: {type(exc).__name__}: {exc}"
        return target_error(job.display, msg), [msg]
    # a line names the object that could not be read (where access must be granted); when
    # the package is shown under another name (models:/, runs:/ on a bucket), that name first
    shown = job.display
    return result, [p if p.startswith(shown) else f"{shown}: {p}"
                    for p in getattr(source, "problems", ())]
