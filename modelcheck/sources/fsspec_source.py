"""Packages in object stores and other fsspec URLs (s3://, gs://, az://, ...).

One recursive listing per target finds every package (a folder holding ``MLmodel``, or one
that lost it); each package's :class:`ListingSource` answers ``entry``/``walk`` from that
listing (no extra requests). Before the rules run, every file the rules will read is fetched
whole in ONE concurrent batch (:meth:`ListingSource.prefetch`, or :meth:`ListingSource.afetch`
on the backend's event loop): one GET per file, no HEADs (sizes come from the listing), files
shared by a package and a package nested in it fetched once. Other reads (big files, files the
plan did not foresee) go through fsspec on demand, ranged to the size limit they are given.
fsspec and the backends are optional extras, imported only when a remote target is given.
"""

from __future__ import annotations

import asyncio
import bisect
import errno
import inspect
import posixpath
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelcheck.sources.base import Entry, Source, normalize
from modelcheck.sources.discovery import (
    SKIP_DIRS,
    UC_METADATA_DIR,
    is_uc_metadata,
    looks_like_orphan,
)

# protocol -> (extra, backend package)
EXTRAS = {
    "s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs",
    "az": "azure", "abfs": "azure", "abfss": "azure", "adl": "azure",
}
WHOLE_BELOW = 1024 * 1024  # files up to this size are fetched whole when any part is read
# Binary formats no rule opens (their sizes, from the listing, are all the rules use), unless
# under LFS_PEEK bytes: a model file that small is read to tell a Git LFS pointer. Everything
# else is read by some rule: text files by the secrets scan, files without these extensions
# by the pickle scanner's content sniff. tests/test_s3_scan.py checks the plan on real packages
# (no file fetched and left unread, none read outside the batch).
UNREAD_EXTS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".html", ".tsv", ".log", ".parquet",
               ".crc", ".pb", ".onnx", ".ubj", ".xgb", ".lgb", ".cbm", ".h5", ".keras",
               ".safetensors", ".index", ".npy", ".npz")
LFS_PEEK = 1024
BATCH_BYTES = 64 * 1024 * 1024  # most bytes one package's batch holds; the rest is read lazily
BATCH_CONCURRENCY = 32  # most requests of one package's batch in flight at once


def planned(rel: str, size: int, limit: int, pickle_limit: int = 0) -> bool:
    """True when the rules will read the file ``rel`` of ``size`` bytes whole: any small file
    but the binaries in UNREAD_EXTS; a bigger one (up to ``pickle_limit``) when it is a pickle
    or skops file by its name, which the opcode and schema scans read whole."""
    if size <= 0:
        return False
    low = rel.lower()
    if size > limit:
        return size <= pickle_limit and low.endswith(_whole_read_exts())
    return size < LFS_PEEK or not low.endswith(UNREAD_EXTS)


def _whole_read_exts() -> tuple[str, ...]:
    from modelcheck.formats.pickle.scanner import PICKLE_EXTS

    # .bin is a pickle only when its head says so: it is peeked at first, not read whole
    return tuple(e for e in PICKLE_EXTS if e != ".bin") + (".skops",)


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


_ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z")
_RFC1123 = re.compile(r"[A-Z][a-z]{2}, (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"), 1)}


def _timestamp_parser() -> Any:
    """botocore's timestamp parser with fast exact paths for the two shapes S3 sends (ISO 8601
    ``...Z`` in listings, RFC 1123 ``... GMT`` in ``Last-Modified``): the same instants, without
    dateutil's generic parser, which costs more than the rest of a small GET's parsing."""
    import datetime

    from botocore.utils import parse_timestamp
    from dateutil.tz import tzutc

    utc = tzutc()

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            if _ISO_Z.fullmatch(value):
                return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=utc)
            m = _RFC1123.fullmatch(value)
            if m and m.group(2) in _MONTHS:
                d, mon, y, hh, mm, ss = m.groups()
                try:
                    return datetime.datetime(int(y), _MONTHS[mon], int(d), int(hh), int(mm),
                                             int(ss), tzinfo=utc)
                except ValueError:
                    pass
        return parse_timestamp(value)

    return parse


def fast_timestamps(fs: Any) -> bool:
    """Give an s3fs filesystem's botocore session :func:`_timestamp_parser` (True if done)."""
    proto = getattr(fs, "protocol", ())
    if "s3" not in ((proto,) if isinstance(proto, str) else tuple(proto)):
        return False
    try:
        fs.connect()  # s3fs: the session (and client) that the listing would make anyway
        factory = fs.session.get_component("response_parser_factory")
        factory.set_parser_defaults(timestamp_parser=_timestamp_parser())
    except Exception:  # noqa: BLE001 - a speed-up only: botocore keeps its own parser
        return False
    return True


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return f"access denied ({exc})"
    if isinstance(exc, FileNotFoundError):
        return "not found (it was listed, then removed)"
    text = f"{type(exc).__name__}: {exc}"
    if _unknown_authority(exc):
        text += (". The storage's TLS certificate comes from an authority not trusted here; "
                 "for a private endpoint, give that authority to the storage client (s3://: "
                 "--storage-option client_kwargs.verify=/path/to/ca.pem, or AWS_CA_BUNDLE)")
    return text


# OpenSSL's verification failures that trusting the right authority cures (not an expired
# certificate, nor one for another host name): 2, 18, 19, 20 (X509_V_ERR_UNABLE_TO_GET_ISSUER_
# CERT, _DEPTH_ZERO_SELF_SIGNED_CERT, _SELF_SIGNED_CERT_IN_CHAIN, _UNABLE_TO_GET_ISSUER_CERT_
# LOCALLY), as codes and as the messages wrapping libraries keep
_UNKNOWN_AUTHORITY_CODES = frozenset({2, 18, 19, 20})
_UNKNOWN_AUTHORITY_TEXTS = ("unable to get local issuer certificate",
                            "unable to get issuer certificate", "self-signed certificate",
                            "self signed certificate")


def _unknown_authority(exc: BaseException) -> bool:
    """A TLS certificate from an unknown authority failed verification, anywhere in the chain
    of ``exc`` (causes, and contexts that were not suppressed)."""
    import ssl

    seen: BaseException | None = exc
    for _ in range(16):  # chains are short; a cycle must not loop forever
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_code in _UNKNOWN_AUTHORITY_CODES
        text = str(seen)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return any(t in text for t in _UNKNOWN_AUTHORITY_TEXTS)
        if seen.__cause__ is not None or seen.__suppress_context__:
            seen = seen.__cause__
        else:
            seen = seen.__context__
    return False


@dataclass(frozen=True)
class Listing:
    """Every file under a scan root, as sorted root-relative keys with their sizes."""

    fs: Any
    root: str  # fs path of the scan root (no trailing slash)
    url: str  # URL of the scan root, for display
    keys: list[str]
    sizes: dict[str, int]
    # keys inside a package nested in another package -> how many packages hold them; their
    # bytes are fetched once and handed to each (``memo``, used on the backend's loop only)
    shared: dict[str, int] = field(default_factory=dict, compare=False)
    memo: dict[str, Any] = field(default_factory=dict, compare=False)
    # the filesystem's direct S3 reader, looked up once per listing, not once per package
    # (a lookup hashes the filesystem's token): [] until looked up, then [reader or None]
    direct: list[Any] = field(default_factory=list, compare=False)

    @classmethod
    def of(cls, fs: Any, root: str, url: str) -> Listing:
        found = _fast_listing(fs, root)
        if found is None:
            found = [(name, info.get("size"))
                     for name, info in fs.find(root, detail=True, withdirs=False).items()
                     if info.get("type", "file") == "file"]
        sizes: dict[str, int] = {}
        prefix = root + "/" if root else ""
        n = len(prefix)
        for name, size in found:
            name = name.rstrip("/")
            if not name.startswith(prefix):
                continue  # keys beside the prefix
            rel = name[n:]
            if rel:
                sizes[rel] = int(size or 0)
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
                up, _, base = d.rpartition("/")
                if base == UC_METADATA_DIR and "MLmodel" in names.get(up, ()) \
                        and is_uc_metadata(names[d]):
                    continue  # its package's Unity Catalog metadata copy: part of it
                out.append(d)
        self._count_shared(out)
        return out

    def _count_shared(self, pkgs: list[str]) -> None:
        """Record the keys that more than one of ``pkgs`` holds (packages inside packages)."""
        found = set(pkgs)
        self.shared.clear()
        for q in pkgs:
            parts = q.split("/") if q else []
            if not any("/".join(parts[:i]) in found for i in range(len(parts))):
                continue  # not inside another package
            lo = bisect.bisect_left(self.keys, q + "/")
            hi = bisect.bisect_left(self.keys, q + "0")
            for key in self.keys[lo:hi]:
                kp = key.split("/")[:-1]
                self.shared[key] = sum("/".join(kp[:i]) in found for i in range(len(kp) + 1))

    def source(self, pkg: str) -> ListingSource:
        base = f"{self.root}/{pkg}" if pkg else self.root
        display = f"{self.url}/{pkg}" if pkg else self.url
        return ListingSource(self.fs, base, self.under(pkg), display, self,
                             pkg + "/" if pkg else "")


def _cat_kwargs(fs: Any) -> dict[str, Any]:
    """Keyword arguments for a whole-file ``_cat_file``: s3fs otherwise asks for the size
    first (a HEAD, or a listing-cache lookup) to split big files into parallel parts."""
    return _CAT_KWARGS[type(fs)] if type(fs) in _CAT_KWARGS else _cat_kwargs_of(type(fs))


_CAT_KWARGS: dict[type, dict[str, Any]] = {}


def _cat_kwargs_of(cls: type) -> dict[str, Any]:
    try:
        params = inspect.signature(cls._cat_file).parameters
    except (AttributeError, TypeError, ValueError):
        params = {}
    kw = _CAT_KWARGS[cls] = {"max_concurrency": 1} if "max_concurrency" in params else {}
    return kw


def _fast_listing(fs: Any, root: str) -> list[tuple[str, int]] | None:
    """An s3fs bucket's objects under ``root`` listed without botocore (see s3_list), as
    ``(path, size)``; None: list through the filesystem."""
    if type(fs).__name__ != "S3FileSystem":
        return None
    from modelcheck.sources.s3_list import list_keys

    return list_keys(fs, root)


def _direct_for(fs: Any) -> Any:
    """s3fs's fast reader for whole small files (see s3_direct), or None."""
    if type(fs).__name__ != "S3FileSystem":
        return None
    from modelcheck.sources.s3_direct import direct_for

    return direct_for(fs)


class ListingSource(Source):
    """One package, described by a listing; reads go through fsspec, inside the prefix only."""

    def __init__(self, fs: Any, base: str, files: dict[str, int], display: str,
                 listing: Listing | None = None, prefix: str = "") -> None:
        self.fs = fs
        self.base = base
        self.display = display
        self.problems: list[str] = []  # reads that failed (denied, removed, network)
        # instrumentation (tests, bench): files fetched in the batch, fetched outside it, read
        self.fetched: list[str] = []
        self.late: list[str] = []
        self.reads: set[str] = set()
        self._listing = listing
        self._prefix = prefix  # of this package's keys in the listing
        self._lock = threading.Lock()
        self._cache: dict[str, bytes | BaseException] = {}
        self.late_likely = False  # set by plan(): some read will happen outside the batch
        self.planned_bytes = 0  # set by plan(): bytes the batch holds
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

    # -- the batch: every file the rules will read, fetched once, before they run -----------
    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The backend's event loop when it is an async fsspec filesystem (s3fs, gcsfs...)."""
        if getattr(self.fs, "async_impl", False):
            return getattr(self.fs, "loop", None)
        return None

    def plan(self, cap: int, pickle_cap: int = 0) -> list[str]:
        """The files to fetch before the rules run (see :func:`planned`), in listing order,
        at most BATCH_BYTES of them (``cap``: the text size limit; ``pickle_cap``: pickles')."""
        limit = min(cap, WHOLE_BELOW)
        out, total = [], 0
        self.late_likely = False
        for rel, e in self._entries.items():
            if e.kind != "file" or rel in self._cache:
                continue
            if planned(rel, e.size, limit, pickle_cap):
                if total + e.size > BATCH_BYTES:
                    self.late_likely = True
                    continue
                total += e.size
                out.append(rel)
            elif e.size > limit and not rel.lower().endswith(UNREAD_EXTS):
                self.late_likely = True  # a rule may read (a part of) it: outside the batch
        self.planned_bytes = total
        return out

    def prefetch(self, cap: int, pickle_cap: int = 0) -> None:
        """Fetch :meth:`plan`'s files in one concurrent batch (blocking)."""
        loop = self.loop
        if loop is not None:
            from fsspec.asyn import sync

            sync(loop, self.afetch, cap, pickle_cap)
            return
        want = self.plan(cap, pickle_cap)
        if not want:
            return
        paths = [self._path(n) for n in want]
        try:
            got = self.fs.cat(paths, on_error="return")
            got = got if isinstance(got, dict) else {paths[0]: got}
        except Exception as exc:  # noqa: BLE001 - becomes a read problem per file
            got = {p: exc for p in paths}
        for n, p in zip(want, paths, strict=True):
            value = got.get(p, got.get(p.split("://", 1)[-1]))
            if isinstance(value, (bytes, BaseException)):
                self._keep(n, value)

    def start_fetch(self, want: list[str], done: Callable[[], None]) -> bool:
        """Fetch ``want`` (from :meth:`plan`) without a task, on the backend's loop thread:
        each file's direct GET calls back; ``done()`` is called once all have landed. False
        (nothing started) where this fast path does not apply: then await :meth:`afetch`."""
        direct = self._direct()
        if direct is None or not want or not direct.ready(self.base):
            return False
        listing = self._listing
        if listing is not None and listing.shared and \
                any(self._prefix + rel in listing.shared for rel in want):
            return False  # files shared with a nested package: afetch fetches them once
        left = [len(want)]

        def landed(rel: str, value: bytes | BaseException) -> None:
            self._keep(rel, value)
            left[0] -= 1
            if not left[0]:
                done()

        def answered(rel: str, got: Any) -> None:
            if got is None:  # not for the direct path: s3fs reads it and reports errors
                asyncio.ensure_future(self._s3fs_read(rel, direct, landed))
            else:
                landed(rel, got)

        for rel in want:
            direct.start(self._path(rel), self._entries[rel].size,
                         lambda got, rel=rel: answered(rel, got))
        return True

    def _direct(self) -> Any:
        """:func:`_direct_for` this package's filesystem (cached on its listing)."""
        listing = self._listing
        if listing is None or listing.fs is not self.fs:
            return _direct_for(self.fs)
        if not listing.direct:
            listing.direct.append(_direct_for(self.fs))
        return listing.direct[0]

    async def _s3fs_read(self, rel: str, direct: Any, landed: Callable) -> None:
        path = self._path(rel)
        try:
            data = await self.fs._cat_file(path, **_cat_kwargs(self.fs))
            direct.s3fs_read(path)
        except Exception as exc:  # noqa: BLE001 - a read problem of that file
            data = exc
        landed(rel, data)

    async def afetch(self, cap: int, pickle_cap: int = 0, want: list[str] | None = None
                     ) -> None:
        """:meth:`prefetch` as a coroutine, on the backend's loop (``self.loop``)."""
        want = self.plan(cap, pickle_cap) if want is None else want
        if not want:
            return
        kw = _cat_kwargs(self.fs)
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)
        direct = self._direct()

        async def get(rel: str) -> bytes | BaseException:
            async with gate:
                try:
                    if direct is not None:
                        got = await direct.get(self._path(rel), self._entries[rel].size)
                        if got is not None:
                            return got
                        data = await self.fs._cat_file(self._path(rel), **kw)
                        direct.s3fs_read(self._path(rel))
                        return data
                    return await self.fs._cat_file(self._path(rel), **kw)
                except Exception as exc:  # noqa: BLE001 - a read problem of that file
                    return exc

        async def one(rel: str) -> None:
            listing, key = self._listing, self._prefix + rel
            if listing is None or key not in listing.shared:
                self._keep(rel, await get(rel))
                return
            fut = listing.memo.get(key)  # a package nesting this one may fetch it already
            first = fut is None
            if fut is None:
                fut = listing.memo[key] = asyncio.ensure_future(get(rel))
            value = await fut
            listing.shared[key] -= 1
            if listing.shared[key] <= 0:
                listing.memo.pop(key, None)
            self._keep(rel, value, counted=first)

        await asyncio.gather(*(one(r) for r in want))

    def _keep(self, rel: str, value: bytes | BaseException, counted: bool = True) -> None:
        with self._lock:
            self._cache[rel] = value
            if counted:
                self.fetched.append(rel)

    def _fetch(self, path: str, end: int | None) -> bytes:  # sync, outside the batch
        """The file at ``path``, or its first ``end`` bytes."""
        if end is None:
            return self.fs.cat_file(path, **_cat_kwargs(self.fs))
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
        self.reads.add(e.path)
        data = self._cache.get(e.path)
        if data is None:
            if e.size:
                self.late.append(e.path)
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
