"""Packages in object stores and other fsspec URLs (s3://, gs://, az://, ...).

One recursive listing per target finds every package (a folder holding ``MLmodel``, or one
that lost it); each package's :class:`ListingSource` answers ``entry``/``walk`` from that
listing (no extra requests) and reads through fsspec, ranged to the size limit it is given.
fsspec and the backends are optional extras, imported only when a remote target is given.
"""

from __future__ import annotations

import bisect
import errno
import posixpath
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from modelcheck.discovery import SKIP_DIRS, looks_like_orphan
from modelcheck.sources.base import Entry, Source, normalize

# protocol -> (extra, backend package)
EXTRAS = {
    "s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs",
    "az": "azure", "abfs": "azure", "abfss": "azure", "adl": "azure",
}
# small files every package may have: fetched together, concurrently, before rules run
PREFETCH = ("MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt", "constraints.txt",
            "input_example.json", "serving_input_example.json", "registered_model_meta")


WHOLE_BELOW = 1024 * 1024  # files up to this size are fetched whole when any part is read


class BackendMissing(Exception):
    """The fsspec backend for a URL's protocol is not installed (message: install hint)."""


def install_hint(protocol: str) -> str:
    extra = EXTRAS.get(protocol, "all")
    return f"{protocol}:// needs the {extra} extra: pip install 'modelcheck[{extra}]'"


_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?")


def coerce_value(v: Any) -> Any:
    """``"true"``/``"false"``/``"none"``/numbers from the command line become typed values."""
    if not isinstance(v, str):
        return v
    low = v.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    if _INT.fullmatch(v.strip()):
        return int(v)
    if _FLOAT.fullmatch(v.strip()):
        return float(v)
    return v


def storage_options(raw: dict[str, Any]) -> dict[str, Any]:
    """Typed, nested fsspec options: ``client_kwargs.endpoint_url=URL`` nests under a dict."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        value = storage_options(value) if isinstance(value, dict) else coerce_value(value)
        parts = str(key).split(".")
        cur = out
        for p in parts[:-1]:
            nxt = cur.get(p)
            if not isinstance(nxt, dict):
                nxt = cur[p] = {}
            cur = nxt
        cur[parts[-1]] = value
    return out


def open_url(url: str, options: dict[str, Any]) -> tuple[Any, str]:
    """``(filesystem, path)`` for ``url``; BackendMissing with an install hint when absent."""
    protocol = url.split("://", 1)[0].lower()
    try:
        from fsspec.core import url_to_fs
    except ImportError as exc:
        raise BackendMissing(install_hint(protocol)) from exc
    try:
        fs, path = url_to_fs(url, **storage_options(options))
    except ImportError as exc:
        raise BackendMissing(install_hint(protocol)) from exc
    except ValueError as exc:
        if "protocol" in str(exc).lower():
            raise BackendMissing(f"{protocol}:// is not a known fsspec protocol "
                                 f"({exc})") from exc
        raise
    return fs, path.rstrip("/")


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return f"access denied ({exc})"
    if isinstance(exc, FileNotFoundError):
        return "not found (it was listed, then removed)"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Listing:
    """Every file under a scan root, as sorted root-relative keys with their sizes."""

    fs: Any
    root: str  # fs path of the scan root (no trailing slash)
    url: str  # URL of the scan root, for display
    keys: list[str]
    sizes: dict[str, int]

    @classmethod
    def of(cls, fs: Any, root: str, url: str) -> Listing:
        found = fs.find(root, detail=True, withdirs=False)
        sizes: dict[str, int] = {}
        prefix = root + "/" if root else ""
        for name, info in found.items():
            name = name.rstrip("/")
            if info.get("type", "file") != "file" or not name.startswith(prefix):
                continue  # directory markers, or keys beside the prefix
            rel = name[len(prefix):]
            if rel:
                sizes[rel] = int(info.get("size") or 0)
        return cls(fs, root, url.rstrip("/"), sorted(sizes), sizes)

    def under(self, pkg: str) -> dict[str, int]:
        """Files of the package at ``pkg`` (root-relative), relative to the package."""
        if not pkg:
            return dict(self.sizes)
        lo = bisect.bisect_left(self.keys, pkg + "/")
        hi = bisect.bisect_left(self.keys, pkg + "0")  # "0" sorts right after "/"
        n = len(pkg) + 1
        return {k[n:]: self.sizes[k] for k in self.keys[lo:hi]}

    def packages(self) -> list[str]:
        """Package folders (root-relative; "" is the root), like local tree discovery."""
        names: dict[str, set[str]] = {}
        for key in self.keys:
            parent, _, base = key.rpartition("/")
            names.setdefault(parent, set()).add(base)
            while parent:  # register every folder in the children of its parent
                up, _, d = parent.rpartition("/")
                kids = names.setdefault(up, set())
                if d in kids:
                    break
                kids.add(d)
                parent = up
        if "MLmodel" in names.get("", ()):
            return [""]
        skipped: set[str] = set()
        for d, kids in names.items():
            if "pyvenv.cfg" in kids or "conda-meta" in kids:
                skipped.add(d)
        out = []
        for d in sorted(names):
            parts = d.split("/") if d else []
            if any(p in SKIP_DIRS for p in parts):
                continue
            if any("/".join(parts[:i]) in skipped for i in range(1, len(parts) + 1)):
                continue
            if "MLmodel" in names[d] or looks_like_orphan(names[d]):
                out.append(d)
        return out

    def source(self, pkg: str) -> ListingSource:
        base = f"{self.root}/{pkg}" if pkg else self.root
        display = f"{self.url}/{pkg}" if pkg else self.url
        return ListingSource(self.fs, base, self.under(pkg), display)


class ListingSource(Source):
    """One package, described by a listing; reads go through fsspec, inside the prefix only."""

    def __init__(self, fs: Any, base: str, files: dict[str, int], display: str) -> None:
        self.fs = fs
        self.base = base
        self.display = display
        self.problems: list[str] = []  # reads that failed (denied, removed, network)
        self._lock = threading.Lock()
        self._cache: dict[str, bytes | BaseException] = {}
        self._entries: dict[str, Entry] = {}
        for rel, size in files.items():
            self._entries[rel] = Entry(rel, "file", size)
            parent = posixpath.dirname(rel)
            while parent and parent not in self._entries:
                self._entries[parent] = Entry(parent, "dir")
                parent = posixpath.dirname(parent)

    def entry(self, rel: str) -> Entry:
        norm = normalize(rel)
        if norm == "":
            return Entry("", "dir")
        return self._entries.get(norm) or Entry(norm, "missing")

    def walk(self, max_entries: int) -> tuple[list[Entry], bool]:
        items = sorted(self._entries.values(), key=lambda e: e.path)
        return items[:max_entries], len(items) > max_entries

    def _path(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def prefetch(self, names: Iterable[str], cap: int) -> None:
        """Fetch the listed small files among ``names`` in one concurrent batch."""
        want = [n for n in names if (e := self._entries.get(n)) and e.kind == "file"
                and e.size <= cap]
        if not want:
            return
        paths = [self._path(n) for n in want]
        try:
            got = self._fetch_many(paths)
        except Exception as exc:  # noqa: BLE001 - becomes a read problem per file
            got = {p: exc for p in paths}
        for n, p in zip(want, paths, strict=True):
            value = got.get(p, got.get(p.split("://", 1)[-1]))
            if isinstance(value, (bytes, BaseException)):
                with self._lock:
                    self._cache[n] = value

    def _fetch_many(self, paths: list[str]) -> dict[str, bytes | BaseException]:
        """Whole files, fetched concurrently by the backend (one call, one batch)."""
        got = self.fs.cat(paths, on_error="return")
        return got if isinstance(got, dict) else {paths[0]: got}

    def _fetch(self, path: str, end: int | None) -> bytes:
        """The file at ``path``, or its first ``end`` bytes."""
        if end is None:
            return self.fs.cat_file(path)
        return self.fs.cat_file(path, start=0, end=end)

    def failed(self, rel: str) -> BaseException | None:
        value = self._cache.get(rel)
        return value if isinstance(value, BaseException) else None

    def read(self, rel: str, limit: int) -> bytes:
        e = self.entry(rel)
        if e.kind == "missing":
            raise FileNotFoundError(rel)
        if e.kind == "dir":
            raise IsADirectoryError(rel)
        data = self._cache.get(e.path)
        if data is None:
            # never fetch more than the caller may look at; but a small file is fetched whole
            # (and cached) even for a peek at its head: the full read usually follows
            ranged = e.size > limit and e.size > WHOLE_BELOW
            try:
                data = b"" if e.size == 0 else self._fetch(self._path(e.path),
                                                           limit + 1 if ranged else None)
            except Exception as exc:  # noqa: BLE001 - any backend error is a read problem
                data = exc
            if not ranged or isinstance(data, BaseException):
                with self._lock:
                    self._cache[e.path] = data
        if isinstance(data, BaseException):
            msg = describe_error(data)
            line = f"{self.display}/{e.path}: cannot be read: {msg}"
            with self._lock:
                if line not in self.problems:
                    self.problems.append(line)
            raise OSError(errno.EIO, msg)
        return data[: limit + 1]
