"""Check many local packages: in this process, or on a pool of worker processes.

The only place a local scan starts workers. A scan of fewer than ``PARALLEL_MIN_PACKAGES``
packages runs here; a larger one forks ``jobs`` workers (one per core plus one by default),
each with the rules selected once, and gets results back in the order the packages were given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

from modelcheck.engine.registry import all_rules
from modelcheck.engine.run import check_package_obj, select_rules
from modelcheck.engine.settings import Settings
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import PackageResult
from modelcheck.sources.discovery import Target, discover, iter_discover
from modelcheck.sources.local import LocalSource


def local_package(path: str, display: str, settings: Settings) -> ModelPackage:
    return ModelPackage(LocalSource(path, display), display, text_cap=settings.text_cap,
                        pickle_cap=settings.max_pickle_bytes,
                        read_budget=settings.package_read_bytes)


def check_local(targets: list[str], rules: dict, settings: Settings,
                progress: Callable[[int, int], None] | None = None,
                done: list[PackageResult] | None = None, notes: list[str] | None = None,
                on_package: Callable[[PackageResult], None] | None = None
                ) -> tuple[list[PackageResult], list[str]]:
    """Discover the packages under local ``targets`` and check each: their results in
    discovery's sorted order, and the targets that could not be read (one message each).

    Each result is also appended to ``done`` as it arrives: when a ``KeyboardInterrupt``
    stops the scan (the worker processes are stopped at once), ``done`` holds what finished.
    Symlinked folders the walk did not follow are named in ``notes``. ``on_package`` is
    called with each result as it arrives (in this thread).
    """
    errors: list[str] = []
    done = [] if done is None else done
    if progress is None and _jobs(settings) > 1:
        # no progress bar to size: check packages while the tree is still being walked
        stream = (t for t in iter_discover(targets, errors, notes)
                  if not settings.excluded(t.display))
        results = _run_stream(stream, rules, settings, done, on_package)
    else:
        found, errors = discover(targets, notes)
        work = [t for t in found if not settings.excluded(t.display)]
        results = _run_local(work, rules, settings, progress, done, on_package)
    return results, errors


PARALLEL_MIN_PACKAGES = 24
_WORKER: tuple[Settings, dict] | None = None  # a pool worker's settings and selected rules


def _init_worker(settings: Settings) -> None:
    import gc
    import signal

    # Ctrl-C reaches the whole process group: a worker ignores it (the parent stops the pool
    # and terminates the workers); SIGTERM (from the parent) ends it without a traceback.
    # Both were blocked across the fork (see _start_pool): unblock them now.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    global _WORKER
    _WORKER = (settings, select_rules(all_rules(), settings))
    # a check makes many short-lived containers and almost no cycles: collect the youngest
    # generation less often (the heap inherited from the parent is frozen already)
    gc.set_threshold(max(gc.get_threshold()[0], 5000))


def _check_target(args: tuple[str, str]) -> PackageResult:
    """Worker entry (module level so it pickles): check one local package."""
    assert _WORKER is not None
    path, display = args
    settings, rules = _WORKER
    return check_package_obj(local_package(path, display, settings), rules, settings)


def _jobs(settings: Settings) -> int:
    """Worker processes for a local scan: ``jobs``, else one per core plus one. A worker
    waiting for the disk (a large tree is mostly not in the page cache) leaves its core idle;
    the extra one keeps every core busy (10,000 packages read cold on 2 cores: 11% faster;
    warm: no change)."""
    return settings.jobs or (os.cpu_count() or 1) + 1


def _run_local(work, rules, settings, progress, out: list[PackageResult],
               on_package: Callable[[PackageResult], None] | None = None
               ) -> list[PackageResult]:
    jobs = _jobs(settings)
    if jobs > 1 and len(work) >= PARALLEL_MIN_PACKAGES:
        args = [(t.path, t.display) for t in work]
        chunk = max(1, min(64, len(args) // (jobs * 8)))
        results = _pool_map(args, rules, settings, jobs, chunk)
        try:
            for i, res in enumerate(results, 1):
                out.append(res)
                if on_package:
                    on_package(res)
                if progress:
                    progress(i, len(work))
        finally:
            results.close()  # on an interrupt: stop the pool now, not when collected
        return out
    for i, t in enumerate(work, 1):
        out.append(check_package_obj(local_package(t.path, t.display, settings), rules,
                                     settings))
        if on_package:
            on_package(out[-1])
        if progress:
            progress(i, len(work))
    return out


def _run_stream(stream: Iterator[Target], rules, settings, done: list[PackageResult],
                on_package: Callable[[PackageResult], None] | None = None
                ) -> list[PackageResult]:
    """:func:`_run_local` over targets still being discovered (their walk overlaps the
    checks); results come back in the sorted order :func:`discover` gives."""
    from itertools import islice

    head = list(islice(stream, PARALLEL_MIN_PACKAGES))
    if len(head) < PARALLEL_MIN_PACKAGES:
        return _run_local(sorted(head), rules, settings, None, done, on_package)
    submitted: list[Target] = []

    def args() -> Iterator[tuple[str, str]]:
        for t in chain(head, stream):
            submitted.append(t)
            yield t.path, t.display

    results = done
    gen = _pool_map(args(), rules, settings, _jobs(settings), STREAM_CHUNK)
    try:
        for res in gen:
            results.append(res)
            if on_package:
                on_package(res)
    finally:
        gen.close()  # on an interrupt: stop the pool now, not when collected
    order = sorted(range(len(submitted)), key=submitted.__getitem__)
    return [results[i] for i in order]


STREAM_CHUNK = 32  # packages per task when the total is not known yet


def _pool_map(args: Iterable[tuple[str, str]], rules, settings, jobs: int, chunk: int
              ) -> Iterator[PackageResult]:
    """Check ``(path, display)`` packages on ``jobs`` worker processes, in order."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    it = iter(args)
    first = next(it, None)
    if first is None:
        return
    # The first package is checked here, before the workers fork: what its rules load on
    # first use (modules, caches) is then loaded once for all of them. Freezing the heap
    # keeps the workers' garbage collector off the pages they share with this process.
    yield check_package_obj(local_package(first[0], first[1], settings), rules, settings)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    gc.freeze()
    pool = None
    try:
        pool = _start_pool(ProcessPoolExecutor, ctx, jobs, settings)
        yield from pool.map(_check_target, it, chunksize=chunk)
    except BaseException:
        # Ctrl-C, SIGTERM (raised here by the command line's handler) or a closed generator:
        # stop now. Waiting for the queued packages (what leaving the executor's `with` does)
        # could take minutes; the workers are terminated instead (they ignore SIGINT, and die
        # of SIGTERM without a traceback).
        if pool is not None:
            _stop(pool)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        gc.unfreeze()


def _stop(pool) -> None:
    """Stop a pool now: queued work cancelled, its workers terminated."""
    _quiet_manager(pool)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _quiet_manager(pool) -> None:
    """Keep the pool's manager thread from printing a traceback when its workers are killed:
    CPython 3.11's executor then sets an exception on futures already cancelled (by
    ``map``'s cleanup or ``cancel_futures``) and dies of ``InvalidStateError``. Only that
    error of that thread is dropped; any other thread exception is printed as before."""
    import threading
    from concurrent.futures import InvalidStateError

    manager = getattr(pool, "_executor_manager_thread", None)
    previous = threading.excepthook

    def hook(args) -> None:
        if args.thread is manager and args.exc_type is not None \
                and issubclass(args.exc_type, InvalidStateError):
            return
        previous(args)

    threading.excepthook = hook


def _ready() -> None:
    """A no-op task: its answer means every worker has been forked."""


def _start_pool(executor, ctx, jobs: int, settings: Settings):
    """A started process pool whose workers cannot be hit by SIGINT/SIGTERM before their
    initializer ignores them: both signals are blocked in this thread across the forks (a
    signal that arrives meanwhile is delivered here when they are unblocked)."""
    import signal
    import threading

    block = (hasattr(signal, "pthread_sigmask")
             and threading.current_thread() is threading.main_thread())
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if block \
        else None
    pool = executor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                    initargs=(settings,))
    started = False
    try:
        pool.submit(_ready).result()  # with fork, every worker starts on the first submit
        started = True
    finally:
        try:
            if block:  # a signal held meanwhile is raised here: the pool must not outlive it
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        except BaseException:
            started = False
            raise
        finally:
            if not started:
                _stop(pool)
    return pool
