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
                progress: Callable[[int, int], None] | None = None
                ) -> tuple[list[PackageResult], list[str]]:
    """Discover the packages under local ``targets`` and check each: their results in
    discovery's sorted order, and the targets that could not be read (one message each)."""
    errors: list[str] = []
    if progress is None and _jobs(settings) > 1:
        # no progress bar to size: check packages while the tree is still being walked
        stream = (t for t in iter_discover(targets, errors) if not settings.excluded(t.display))
        results = _run_stream(stream, rules, settings)
    else:
        found, errors = discover(targets)
        work = [t for t in found if not settings.excluded(t.display)]
        results = _run_local(work, rules, settings, progress)
    return results, errors


PARALLEL_MIN_PACKAGES = 24
_WORKER: tuple[Settings, dict] | None = None  # a pool worker's settings and selected rules


def _init_worker(settings: Settings) -> None:
    import gc

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


def _run_local(work, rules, settings, progress) -> list[PackageResult]:
    jobs = _jobs(settings)
    out: list[PackageResult] = []
    if jobs > 1 and len(work) >= PARALLEL_MIN_PACKAGES:
        args = [(t.path, t.display) for t in work]
        chunk = max(1, min(64, len(args) // (jobs * 8)))
        for i, res in enumerate(_pool_map(args, rules, settings, jobs, chunk), 1):
            out.append(res)
            if progress:
                progress(i, len(work))
        return out
    for i, t in enumerate(work, 1):
        out.append(check_package_obj(local_package(t.path, t.display, settings), rules,
                                     settings))
        if progress:
            progress(i, len(work))
    return out


def _run_stream(stream: Iterator[Target], rules, settings) -> list[PackageResult]:
    """:func:`_run_local` over targets still being discovered (their walk overlaps the
    checks); results come back in the sorted order :func:`discover` gives."""
    from itertools import islice

    head = list(islice(stream, PARALLEL_MIN_PACKAGES))
    if len(head) < PARALLEL_MIN_PACKAGES:
        return _run_local(sorted(head), rules, settings, None)
    submitted: list[Target] = []

    def args() -> Iterator[tuple[str, str]]:
        for t in chain(head, stream):
            submitted.append(t)
            yield t.path, t.display

    results = list(_pool_map(args(), rules, settings, _jobs(settings), STREAM_CHUNK))
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
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(settings,)) as pool:
            yield from pool.map(_check_target, it, chunksize=chunk)
    finally:
        gc.unfreeze()
