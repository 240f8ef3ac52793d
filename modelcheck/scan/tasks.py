"""What a worker of another engine runs: a Dask cluster, a process pool, any
``concurrent.futures.Executor`` (see :mod:`modelcheck.scan.executor`, the lead's side).

Every task is a module-level function over plain values that pickle with plain ``pickle``:
package references (a local path, or an fsspec URL, a package folder and its files' sizes),
the :class:`Settings`, and the lead's *selection* (its modelcheck version and the codes of the
rules it selected). Nothing unpicklable crosses: a worker takes the rules from its own
registry, and refuses (:class:`WorkerMismatch`) when it cannot give the lead's answer.
"""

from __future__ import annotations

from modelcheck.engine.registry import all_rules
from modelcheck.engine.run import check_package_obj
from modelcheck.engine.settings import Settings
from modelcheck.results import PackageResult, Rule
from modelcheck.scan.local import local_package
from modelcheck.scan.remote import check_one
from modelcheck.sources.plan import DEFAULT_JOBS, Job

# a package's result and the read problems that go to the report's notifications
Checked = tuple[PackageResult, list[str]]
# (modelcheck version, codes of the selected rules)
Selection = tuple[str, tuple[str, ...]]
# an fsspec package: its folder relative to the scan root ("" for the root) and its files'
# sizes (relative to the package), from the listing
FsPackage = tuple[str, dict[str, int]]


class WorkerMismatch(RuntimeError):
    """This worker cannot give the lead's answer: it runs another modelcheck version, or a
    rule the lead selected is not registered here (a plugin not installed on the worker)."""


_RULES: dict[tuple[str, ...], dict[str, Rule]] = {}


def worker_rules(selection: Selection) -> dict[str, Rule]:
    """The rules the lead selected, from this process's registry (cached per selection)."""
    from modelcheck.version import __version__

    version, codes = selection
    if version != __version__:
        raise WorkerMismatch(f"this worker runs modelcheck {__version__}, the lead runs "
                             f"{version}: install the same version on every worker")
    rules = _RULES.get(codes)
    if rules is None:
        registry = all_rules()
        missing = [c for c in codes if c not in registry]
        if missing:
            raise WorkerMismatch(
                f"rule(s) {', '.join(missing)} are not registered on this worker: install the "
                "same rule plugins on every worker as where modelcheck runs")
        rules = _RULES[codes] = {c: registry[c] for c in codes}
    return rules


def check_local_batch(items: list[tuple[str, str]], settings: Settings,
                      selection: Selection) -> list[Checked]:
    """Check local packages ``(path, display)`` (the path as the lead found it: the workers
    must see the same files at the same paths)."""
    rules = worker_rules(selection)
    return [(check_package_obj(local_package(path, display, settings), rules, settings), [])
            for path, display in items]


def list_prefix(url: str, options: dict, prefix: str) -> tuple[list[FsPackage], str | None]:
    """The packages under the folder ``prefix`` of the scan root ``url`` (one recursive
    listing of that folder), named as a listing of the whole root names them; or the reason
    the folder could not be listed. ``prefix`` is never a package nor inside one: the lead
    decided that from the folders above it (see :func:`modelcheck.scan.executor.split`)."""
    from modelcheck.sources.fsspec_source import (
        Listing,
        describe_error,
        fast_timestamps,
        open_url,
    )

    fs, root = open_url(url, options)
    fast_timestamps(fs)
    try:
        part = Listing.of(fs, f"{root}/{prefix}", url)
    except Exception as exc:  # noqa: BLE001 - denied, removed, network: the lead reports it
        what = "does not exist" if isinstance(exc, FileNotFoundError) else describe_error(exc)
        return [], what
    keys = [f"{prefix}/{k}" for k in part.keys]
    whole = Listing(fs, root, url, keys, {f"{prefix}/{k}": s for k, s in part.sizes.items()})
    above = {prefix.rsplit("/", i)[0] for i in range(1, prefix.count("/") + 1)} | {""}
    return [(p, whole.under(p)) for p in whole.packages() if p not in above], None


def check_fsspec_batch(url: str, options: dict, packages: list[FsPackage], settings: Settings,
                       selection: Selection) -> list[Checked]:
    """Check packages of the scan root ``url``, up to ``--jobs`` in flight (each one's files
    fetched in one batch, as :mod:`modelcheck.scan.remote` does)."""
    from modelcheck.sources.fsspec_source import ListingSource, fast_timestamps, open_url

    rules = worker_rules(selection)
    fs, root = open_url(url, options)
    fast_timestamps(fs)
    url = url.rstrip("/")

    def job(item: FsPackage) -> Job:
        pkg, files = item
        display = f"{url}/{pkg}" if pkg else url
        base = f"{root}/{pkg}" if pkg else root
        return Job(display, lambda: ListingSource(fs, base, files, display))

    return check_jobs([job(p) for p in packages], rules, settings)


def check_target(target: str, settings: Settings, selection: Selection
                 ) -> tuple[str | None, list[Checked]]:
    """A whole URL target on this worker, planned as :mod:`modelcheck.scan.remote` plans it
    (a ``file://`` tree, or a bucket folder that is one package): its packages, or the message
    saying why it could not be planned."""
    from modelcheck.scan.remote import plan
    from modelcheck.sources.plan import TargetFailed

    rules = worker_rules(selection)
    jobs: list[Job] = []
    problem = None
    try:  # the planner may page: it can fail after giving some packages
        jobs.extend(j for j in plan(target, settings) if not settings.excluded(j.display))
    except TargetFailed as exc:
        problem = f"{target}: {exc}"
    return problem, check_jobs(jobs, rules, settings)


def check_jobs(jobs: list[Job], rules: dict[str, Rule], settings: Settings) -> list[Checked]:
    """Each job's result and read problems, in job order, up to ``--jobs`` in flight."""
    n = max(1, min(settings.jobs or DEFAULT_JOBS, len(jobs)))
    if n == 1:
        return [check_one(j, rules, settings) for j in jobs]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n, thread_name_prefix="modelcheck") as pool:
        return list(pool.map(lambda j: check_one(j, rules, settings), jobs))


def nothing(items: list) -> list:
    """A task that does no work: what the engine costs per task (the benchmark's probe)."""
    return [None for _ in items]
