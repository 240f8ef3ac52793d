"""Run a scan on any ``concurrent.futures.Executor``: a Dask cluster
(``client.get_executor()``), a process pool, or another engine with the same interface.

The lead (this process) finds the work and the executor's workers do it: local trees are
discovered here and their packages sent in batches; a bucket is split into folders here
(a few shallow listings), each folder is listed recursively on a worker, and its packages are
checked in batches on the workers. MLflow registry URIs are checked here (resolving them needs
this process's tracking server and credentials). Results stream back as tasks finish and are
reported in the order, and with the notifications, of a run on this machine.

A task that fails (after the retries the executor gives it: Dask retries a task whose worker
died) becomes an MC902 for each package it held, never a package dropped. What crosses to a
worker is listed in :mod:`modelcheck.scan.tasks`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any

from modelcheck.engine.run import target_error
from modelcheck.engine.settings import Settings
from modelcheck.engine.toolcodes import TARGET_ERROR
from modelcheck.results import PackageResult, Rule
from modelcheck.scan import tasks
from modelcheck.sources.plan import DEFAULT_JOBS, MLFLOW_PREFIXES

Progress = Callable[[int, int], None] | None
OnPackage = Callable[[PackageResult], None] | None
BATCH_MAX = 32  # packages per task at most: a task's cost stays well above the engine's
# a bucket is listed by folders on the workers: at least SPLIT_MIN of them (when the folders
# SPLIT_DEPTH levels down give that many), at most SPLIT_MAX
SPLIT_MIN = 16
SPLIT_DEPTH = 3
SPLIT_MAX = 512


def selection_of(rules: dict[str, Rule]) -> tasks.Selection:
    from modelcheck.version import __version__

    return __version__, tuple(rules)


def worker_settings(settings: Settings) -> Settings:
    """The settings sent to workers: per-path ignores are applied here (their patterns may be
    relative to this process's working directory, which a worker does not share)."""
    if not settings.per_path_ignores:
        return settings
    from modelcheck.records import replace

    return replace(settings, per_path_ignores={})


def _refilter(result: PackageResult, settings: Settings) -> PackageResult:
    """Drop what ``per-path-ignores`` ignores, as the engine does on this machine (an MC902,
    a file that was not read, is never ignored by path)."""
    if settings.per_path_ignores:
        result.findings = [f for f in result.findings
                           if f.code == TARGET_ERROR.code or not settings.path_ignored(f)]
    return result


def _failure(exc: BaseException) -> str:
    from concurrent.futures import CancelledError

    if isinstance(exc, CancelledError):
        return "the task was cancelled (the cluster was shut down?)"
    return f"{type(exc).__name__}: {exc}"


def _failed_package(display: str, exc: BaseException) -> tasks.Checked:
    msg = f"{display}: cannot be checked: the worker failed: {_failure(exc)}"
    return target_error(display, msg), [msg]


def _batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def batch_size(n: int, batch: int | None = None) -> int:
    """Packages per task: about 64 tasks for the scan, 1 to BATCH_MAX packages each."""
    return batch or max(1, min(BATCH_MAX, -(-n // 64)))


class _Pending:
    """Futures in flight, each with what to do when it is done."""

    def __init__(self) -> None:
        self.futures: dict[Future, Callable[[Future], None]] = {}

    def add(self, fut: Future, then: Callable[[Future], None]) -> None:
        self.futures[fut] = then

    def drain(self) -> None:
        while self.futures:
            done, _ = wait(list(self.futures), return_when=FIRST_COMPLETED)
            for fut in done:
                self.futures.pop(fut)(fut)

    def cancel(self) -> None:
        for fut in self.futures:
            fut.cancel()
        self.futures.clear()


def _outcome(fut: Future) -> tuple[Any, BaseException | None]:
    try:
        return fut.result(), None
    except BaseException as exc:  # noqa: BLE001 - any failure of the task, reported per package
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None, exc


# -- local trees -------------------------------------------------------------------------------

def check_local_on(executor: Executor, targets: list[str], rules: dict[str, Rule],
                   settings: Settings, progress: Progress = None,
                   done: list[PackageResult] | None = None, notes: list[str] | None = None,
                   batch: int | None = None, notifications: list[str] | None = None,
                   on_package: OnPackage = None) -> tuple[list[PackageResult], list[str]]:
    """:func:`modelcheck.scan.local.check_local` on ``executor``: the packages under local
    ``targets`` in discovery's sorted order, and the targets that could not be read. A task
    that failed makes each of its packages an MC902, said in ``notifications`` too.
    ``on_package`` gets each result (on this thread) as its task's results come back."""
    from modelcheck.sources.discovery import discover

    done = [] if done is None else done
    found, errors = discover(targets, notes)
    work = [t for t in found if not settings.excluded(t.display)]
    if not work:
        return [], errors
    out: list[PackageResult | None] = [None] * len(work)
    sel, sent = selection_of(rules), worker_settings(settings)
    pending = _Pending()
    finished = 0

    def landed(fut: Future, lo: int, items: list[tuple[str, str]]) -> None:
        nonlocal finished
        value, exc = _outcome(fut)
        checked = value if exc is None else [_failed_package(d, exc) for _, d in items]
        for i, (result, problems) in enumerate(checked, lo):
            if problems:
                said[i] = problems
            out[i] = _refilter(result, settings)
            done.append(out[i])
            if on_package is not None:
                on_package(out[i])
        finished += len(items)
        if progress:
            progress(finished, len(work))

    said: dict[int, list[str]] = {}  # failed tasks' messages, by package

    def tell() -> None:
        for i in sorted(said):
            if notifications is not None:
                notifications.extend(said[i])

    size = batch_size(len(work), batch)
    try:
        for lo in range(0, len(work), size):
            items = [(t.path, t.display) for t in work[lo:lo + size]]
            fut = executor.submit(tasks.check_local_batch, items, sent, sel)
            pending.add(fut, lambda f, lo=lo, items=items: landed(f, lo, items))
        pending.drain()
    except BaseException:
        pending.cancel()  # Ctrl-C, SIGTERM: ``done`` holds what finished
        tell()
        raise
    tell()
    results = [r for r in out if r is not None]
    assert len(results) == len(work)
    return results, errors


# -- URL targets -------------------------------------------------------------------------------

def split(url: str, options: dict) -> list[str] | None:
    """Folders under the scan root ``url`` whose recursive listings, together, hold every
    package of the root, none of them inside a package (so a worker can list each alone and
    name its packages as one listing of the whole root names them); None when the root is to
    be listed whole (it is a package, it holds no folder, or it cannot be read here).

    The root's sub-folders, split one level deeper while there are fewer than SPLIT_MIN of
    them (one request per folder split, without recursion; down to SPLIT_DEPTH, and not past
    SPLIT_MAX folders). A folder that is a package, looks like one, or is a virtualenv is
    never split; folders discovery skips are left out."""
    from modelcheck.sources.fsspec_source import open_url

    try:
        fs, root = open_url(url, options)
        whole, dirs = _folder(fs, root)
    except Exception:  # noqa: BLE001 - a worker plans it whole, and says what is wrong
        return None
    if whole or not dirs:
        return None
    prefixes = dirs
    for _ in range(SPLIT_DEPTH - 1):
        if len(prefixes) >= SPLIT_MIN:
            break
        deeper: list[str] = []
        for p in prefixes:
            try:
                whole, dirs = _folder(fs, f"{root}/{p}")
            except Exception:  # noqa: BLE001 - listed whole on a worker, which says why
                whole, dirs = True, []
            deeper += [p] if whole else [f"{p}/{d}" for d in dirs]
        if len(deeper) > SPLIT_MAX:
            break
        prefixes = deeper
    return sorted(prefixes) or None



def _folder(fs: Any, path: str) -> tuple[bool, list[str]]:
    """Whether the folder at ``path`` is to be listed whole (a package, one that lost its
    MLmodel, a virtualenv), and its sub-folders but those discovery skips."""
    from modelcheck.sources.discovery import SKIP_DIRS, decides_alone

    entries = fs.ls(path, detail=True)
    names = {str(e["name"]).rstrip("/").rsplit("/", 1)[-1] for e in entries}
    dirs = sorted({str(e["name"]).rstrip("/").rsplit("/", 1)[-1] for e in entries
                   if e.get("type") == "directory"} - SKIP_DIRS)
    return decides_alone(names), dirs


class _Remote:
    """What the URL targets gave: per target, why it (or a folder of it) failed; per package
    (keyed in the order a run here reports them), its result and read problems."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.failed: dict[int, list[str]] = {}
        self.checked: dict[tuple, tasks.Checked] = {}
        self.found: dict[int, int] = {}  # packages listed per split target

    def fail(self, ti: int, msg: str) -> None:
        self.failed.setdefault(ti, []).append(msg)

    def report(self, settings: Settings, notifications: list[str]) -> list[PackageResult]:
        """Target by target, as :func:`modelcheck.scan.remote.check_remote` gives them: a
        target that failed is an MC902 in its place (a folder of a split target that could
        not be listed, one before that target's packages), each target's packages in the
        order its listing gives them."""
        out: list[PackageResult] = []
        keys = sorted(self.checked)
        k = 0
        for ti, t in enumerate(self.targets):
            for msg in self.failed.get(ti, ()):
                out.append(target_error(t, msg))
                notifications.append(msg)
            while k < len(keys) and keys[k][0] == ti:
                result, problems = self.checked[keys[k]]
                out.append(_refilter(result, settings))
                notifications.extend(problems)
                k += 1
        return out


def check_remote_on(executor: Executor, targets: list[str], rules: dict[str, Rule],
                    settings: Settings, notifications: list[str], *,
                    progress: Progress = None, done: list[PackageResult] | None = None,
                    batch: int | None = None, on_package: OnPackage = None
                    ) -> list[PackageResult]:
    """:func:`modelcheck.scan.remote.check_remote` on ``executor``: the same results, in the
    same order, with the same notifications; ``on_package`` gets each package's result (on
    this thread) as its task's results come back."""
    from modelcheck.scan.remote import options_of, plan
    from modelcheck.sources.plan import TargetFailed, pool_options

    done = [] if done is None else done
    sel, sent = selection_of(rules), worker_settings(settings)
    state = _Remote(targets)
    pending = _Pending()
    counts = {"done": 0, "known": 0}
    size = batch or 2 * (settings.jobs or DEFAULT_JOBS)
    here: list[tuple[int, list]] = []  # MLflow targets: (target index, jobs) checked here

    def tick(n: int) -> None:
        counts["done"] += n
        if progress:
            progress(counts["done"], max(counts["known"], counts["done"]))

    def keep(key: tuple, item: tasks.Checked) -> None:
        state.checked[key] = item
        done.append(item[0])
        if on_package is not None:
            on_package(_refilter(item[0], settings))

    def checked(fut: Future, ti: int, pkgs: list[tasks.FsPackage], url: str) -> None:
        value, exc = _outcome(fut)
        base = url.rstrip("/")
        for (pkg, _files), item in zip(pkgs, value or [None] * len(pkgs), strict=True):
            keep((ti, pkg), item if exc is None else
                 _failed_package(f"{base}/{pkg}" if pkg else base, exc))
        tick(len(pkgs))

    buffered: dict[int, list[tasks.FsPackage]] = {}
    listing: dict[int, int] = {}  # listings in flight per target

    def submit(ti: int, url: str, options: dict, final: bool) -> None:
        buf = buffered.get(ti, [])
        while buf and (len(buf) >= size or final):
            part, buf[:] = buf[:size], buf[size:]
            f = executor.submit(tasks.check_fsspec_batch, url, options, part, sent, sel)
            pending.add(f, lambda f, part=part: checked(f, ti, part, url))

    def listed(fut: Future, ti: int, url: str, options: dict, prefix: str) -> None:
        value, exc = _outcome(fut)
        t = targets[ti]
        listing[ti] -= 1
        if exc is not None:
            state.fail(ti, f"{t}: cannot list {prefix}/: the worker failed: {_failure(exc)}")
        elif value[1] is not None:
            state.fail(ti, f"{t}: cannot list {prefix}/: {value[1]}")
        else:
            pkgs = value[0]
            state.found[ti] = state.found.get(ti, 0) + len(pkgs)
            base = url.rstrip("/")
            pkgs = [p for p in pkgs if not settings.excluded(f"{base}/{p}" if p else base)]
            counts["known"] += len(pkgs)
            buffered.setdefault(ti, []).extend(pkgs)
        # checks start as soon as a batch is full; the last, smaller one when all is listed
        submit(ti, url, options, final=not listing[ti])

    def whole(fut: Future, ti: int) -> None:
        value, exc = _outcome(fut)
        t = targets[ti]
        if exc is not None:
            state.fail(ti, f"{t}: cannot be checked: the worker failed: {_failure(exc)}")
            return
        problem, items = value
        if problem is not None:
            state.fail(ti, problem)
        for i, item in enumerate(items):
            keep((ti, i), item)
        tick(len(items))

    split_targets: set[int] = set()
    try:
        for ti, t in enumerate(targets):
            if t.startswith(MLFLOW_PREFIXES):
                jobs: list = []
                try:
                    jobs.extend(j for j in plan(t, settings) if not settings.excluded(j.display))
                except TargetFailed as exc:
                    state.fail(ti, f"{t}: {exc}")
                here.append((ti, jobs))
                continue
            options = pool_options(t, options_of(settings))
            prefixes = None if t.lower().startswith("file://") else split(t, options)
            if prefixes is None:
                f = executor.submit(tasks.check_target, t, sent, sel)
                pending.add(f, lambda f, ti=ti: whole(f, ti))
                continue
            split_targets.add(ti)
            listing[ti] = len(prefixes)
            for prefix in prefixes:
                f = executor.submit(tasks.list_prefix, t, options, prefix)
                pending.add(f, lambda f, ti=ti, t=t, o=options, p=prefix: listed(f, ti, t, o, p))
        for ti, jobs in here:  # while the workers work
            for i, item in enumerate(tasks.check_jobs(jobs, rules, settings)):
                keep((ti, i), item)
            tick(len(jobs))
        pending.drain()
    except BaseException:
        pending.cancel()
        raise
    for ti in sorted(split_targets):
        if not state.found.get(ti) and not state.failed.get(ti):
            state.fail(ti, f"{targets[ti]}: no MLflow model package (no MLmodel file) found "
                           "here")
    return state.report(settings, notifications)
