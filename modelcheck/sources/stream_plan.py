"""Bucket packages planned while the listing is still paging (s3:// with the direct reader).

:func:`~modelcheck.sources.plan.plan_fsspec` lists the whole scan root before the first job:
in a bucket of thousands of packages that is seconds of round trips (one per 1000 keys, one
after the other) during which nothing is checked. Here the root's own level is listed first
(one request with a delimiter: the files and folders right under the root), which settles what
only the root's names can settle (the root is a package, lost its MLmodel, is a virtualenv:
then the whole listing is planned as before). The recursive listing then runs on the backend's
loop, and each top-level folder's packages are yielded as soon as the listing has passed the
folder: keys come in S3's (sorted) order, so a folder's keys are all in once a key of the next
folder arrives. Each folder's packages are named by the same :class:`Listing` logic as a
listing of the whole root (nothing inside a folder depends on keys outside it, once the root
is settled), and folders come in key order, which is the order of the whole listing's package
list. The jobs are the same, in the same order, as :func:`plan_fsspec` gives.

Any listing answer the direct reader does not take (denied, not a listing) before the first
job falls back to :func:`plan_fsspec` (which reports errors its usual way); after it, the
rest is listed through s3fs, and a failure there is one failing job in place of what was
not listed (never silence).
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

from modelcheck.sources.plan import Job, SourceOptions, TargetFailed, plan_fsspec, pool_options

_END = object()
MAX_DEPTH = 3  # most folder levels walked down to find groups


def stream_fsspec(url: str, options: SourceOptions) -> Iterator[Job]:
    """:func:`plan_fsspec`'s jobs, the first of them before the listing ends."""
    start = _start(url, options)
    if start is None:
        yield from plan_fsspec(url, options)
        return
    fs, root, depth, pages = start
    base = url.rstrip("/")
    folders = _Folders(fs, root, base, depth)
    failed: BaseException | None = None
    for page in pages:
        if isinstance(page, BaseException):
            failed = page
            break
        yield from folders.take(page)
    else:
        yield from folders.finish()
    if failed is not None:
        if not folders.yielded and not folders.flushed and not folders.ready:
            yield from plan_fsspec(url, options)  # nothing given yet: the listing as before
            return
        yield from folders.rest_through_s3fs()
    if not folders.yielded:
        raise TargetFailed("no MLflow model package (no MLmodel file) found here")


def _start(url: str, options: SourceOptions
           ) -> tuple[Any, str, int, Iterator[Any]] | None:
    """The filesystem, root, group depth and page stream of a root to stream, or None: plan
    it whole. Keys are grouped by their first ``depth`` folders: the root's folders, or,
    while the root (or its only folder) holds just one folder, the folders below it."""
    from modelcheck.sources.discovery import SKIP_DIRS, decides_alone
    from modelcheck.sources.fsspec_source import fast_timestamps, open_url

    try:
        fs, root = open_url(url, pool_options(url, options))
    except Exception:  # noqa: BLE001 - plan_fsspec says what is wrong
        return None
    if type(fs).__name__ != "S3FileSystem":
        return None
    from fsspec.asyn import sync

    from modelcheck.sources.s3_direct import direct_for
    from modelcheck.sources.s3_list import alist

    direct = direct_for(fs)
    bucket, _, key = root.partition("/")
    if direct is None or not bucket:
        return None
    prefix = key + "/" if key else ""
    fast_timestamps(fs)
    # the recursive listing starts now, beside the root's own level (one round trip less
    # before the first job); it is dropped if the root is to be planned whole
    pages = _pages(fs, direct, bucket, prefix, alist)
    depth, under = 1, prefix
    while True:
        try:
            level = sync(fs.loop, alist, direct, bucket, under, None, True)
        except Exception:  # noqa: BLE001 - plan_fsspec lists it and says what is wrong
            level = None
        if level is None:
            return None if depth == 1 else (fs, root, depth - 1, pages)
        cut = len(bucket) + 1 + len(under)
        names = {k[cut:].rstrip("/") for k, _ in level}
        dirs = {k[cut:].rstrip("/") for k, size in level if size < 0} - SKIP_DIRS
        if not dirs or decides_alone(names):
            # this folder decides for itself: the root is listed whole; a folder below it
            # (the root's only one) is one group
            return None if depth == 1 else (fs, root, depth - 1, pages)
        if len(dirs) > 1 or depth == MAX_DEPTH:
            return fs, root, depth, pages
        # one folder (a bucket's "models/"): its folders are the groups
        under += next(iter(dirs)) + "/"
        depth += 1


def _pages(fs: Any, direct: Any, bucket: str, prefix: str, alist: Any) -> Iterator[Any]:
    """The recursive listing (started now, on the backend's loop): its pages as they land
    (lists of ``("bucket/key", size)``), and an exception in place of the rest when the
    direct listing gave up."""
    import asyncio

    landed: queue.SimpleQueue = queue.SimpleQueue()
    fut = asyncio.run_coroutine_threadsafe(alist(direct, bucket, prefix, landed.put), fs.loop)
    fut.add_done_callback(lambda _f: landed.put(_END))
    return _drain(landed, fut)


def _drain(landed: queue.SimpleQueue, fut: Any) -> Iterator[Any]:
    while True:
        page = landed.get()
        if page is _END:
            break
        yield page
    try:
        whole = fut.result()
    except Exception as exc:  # noqa: BLE001 - the rest is listed through s3fs
        yield exc
        return
    if whole is None:
        yield OSError("the direct listing gave up")


class _Folders:
    """Keys grouped by folder (their first ``depth`` folders); a group's packages once its
    keys are all in."""

    def __init__(self, fs: Any, root: str, url: str, depth: int) -> None:
        self.fs, self.root, self.url, self.depth = fs, root, url, depth
        self.cut = len(root) + 1 if root else 0
        self.current: str | None = None
        self.sizes: dict[str, int] = {}
        self.last = ""  # the last key taken, as listed (keys must come in order)
        self.flushed: set[str] = set()
        self.ready: list[tuple[str, str | None, Any]] = []  # (package, safe from key, listing)
        self.yielded = 0

    def take(self, page: list[tuple[str, int]]) -> Iterator[Job]:
        prefix = self.root + "/" if self.root else ""
        for raw, size in page:
            if raw <= self.last:
                raise TargetFailed("cannot list: the storage listed keys out of order")
            self.last = raw
            name = raw.rstrip("/")
            if not name.startswith(prefix):
                continue  # keys beside the prefix (as Listing.of)
            rel = name[self.cut:]
            top = self.group(rel)
            if top is None:
                continue  # a file above the groups: in no package (its folder is none)
            if top != self.current:
                if top in self.flushed:
                    raise TargetFailed("cannot list: the storage listed keys out of order")
                self.flush()
                self.current = top
                yield from self.emit(rel)
            self.sizes[rel] = int(size or 0)

    def group(self, rel: str) -> str | None:
        """The group (first ``depth`` folders) of the root-relative key ``rel``; None for a
        file above the groups."""
        parts = rel.split("/", self.depth)
        return "/".join(parts[:-1]) if len(parts) > self.depth else None

    def flush(self) -> None:
        """The current group's packages (its keys are all in) join those ready to go."""
        from modelcheck.sources.fsspec_source import Listing

        group = self.current
        if group is None:
            return
        listing = Listing(self.fs, self.root, self.url, sorted(self.sizes), self.sizes)
        self.flushed.add(group)
        self.current, self.sizes = None, {}
        # a group whose name has a character sorting before "/" ("a-c") is listed before the
        # group named by its part up to there ("a": "a-c/" < "a/"), whose packages may sort
        # before this one's ("a" < "a-c"): they wait until the listing is past that group
        cut = next((i for i, ch in enumerate(group) if ch < "/"), None)
        safe = None if cut is None else group[:cut] + "0"
        self.ready += [(p, safe, listing) for p in listing.packages() if p]
        self.ready.sort(key=lambda r: r[0])  # the whole listing's order: package names sorted

    def emit(self, at: str | None) -> Iterator[Job]:
        """The ready packages, in order, that no group after the key ``at`` (None: the
        listing's end) can come before."""
        while self.ready:
            p, safe, listing = self.ready[0]
            if at is not None and safe is not None and at < safe:
                return
            del self.ready[0]
            self.yielded += 1
            yield Job(f"{self.url}/{p}", lambda p=p, listing=listing: listing.source(p))

    def finish(self) -> Iterator[Job]:
        self.flush()
        yield from self.emit(None)

    def rest_through_s3fs(self) -> Iterator[Job]:
        """The folders not yet given, listed through s3fs (which says what goes wrong)."""
        from modelcheck.sources.fsspec_source import describe_error

        self.current, self.sizes, self.last = None, {}, ""
        try:
            found = self.fs.find(self.root, detail=True, withdirs=False)
        except Exception as exc:  # noqa: BLE001 - one failing job: never silence
            msg = f"cannot list the rest: {describe_error(exc)}"
            yield Job(self.url, lambda: _raise(TargetFailed(msg)))
            return
        rest = sorted((name, info.get("size")) for name, info in found.items()
                      if info.get("type", "file") == "file")
        prefix = self.root + "/" if self.root else ""
        rest = [(n, s) for n, s in rest
                if self.group(n.rstrip("/")[len(prefix):]) not in self.flushed]
        yield from self.take(rest)
        yield from self.finish()


def _raise(exc: BaseException) -> Any:
    raise exc
