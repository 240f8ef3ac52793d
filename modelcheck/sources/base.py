"""The read-only interface every package source implements."""

from __future__ import annotations

import posixpath
from typing import Literal

from modelcheck.records import FrozenRecord

# "unreadable": the OS refused to tell what the entry is (permission denied on a parent
# folder, an I/O error); ``Entry.error`` holds its reason
Kind = Literal["file", "dir", "symlink", "special", "missing", "unreadable"]


class OutsidePackage(ValueError):
    """A path that would leave the package root (absolute, ``..``, drive letter, symlink)."""


class Entry(FrozenRecord):
    """One file, directory or link of a package, as its source lists it."""

    __slots__ = ("path", "kind", "size", "target", "escapes", "error")
    _fields = __slots__

    def __init__(self, path: str, kind: Kind, size: int = 0, target: str | None = None,
                 escapes: bool = False, error: str | None = None) -> None:
        init = object.__setattr__
        init(self, "path", path)  # package-relative, "/"-separated
        init(self, "kind", kind)
        init(self, "size", size)
        init(self, "target", target)  # symlink target as written
        init(self, "escapes", escapes)  # symlink whose target leaves the package
        init(self, "error", error)  # the OS's reason, for an "unreadable" entry


def normalize(rel: str) -> str:
    """Validate a package-relative path; raise OutsidePackage if it could escape."""
    if not isinstance(rel, str) or rel == "":
        raise OutsidePackage("empty path")
    if "\x00" in rel:
        raise OutsidePackage("path contains a NUL byte")
    if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        raise OutsidePackage(f"absolute path {rel!r}")
    if "\\" in rel:
        raise OutsidePackage(f"backslash in path {rel!r}")
    if "/." not in rel and "//" not in rel and rel[0] != "." and rel[-1] != "/":
        return rel  # no "." or ".." part, no empty part: normpath would return it as it is
    norm = posixpath.normpath(rel)
    if norm == ".." or norm.startswith("../"):
        raise OutsidePackage(f"path {rel!r} leaves the package")
    return "" if norm == "." else norm


class Source:
    """Read-only access to one package's files. Never reads outside the package root."""

    display: str = ""
    # entry() may be answered from walk() (a local tree: the walk stats every file anyway);
    # remote sources list once and answer entry() from that listing themselves
    walk_first: bool = False

    def entry(self, rel: str) -> Entry:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, rel: str, limit: int) -> bytes:  # pragma: no cover - interface
        """Read at most ``limit + 1`` bytes of a regular file inside the package."""
        raise NotImplementedError

    def mapped(self, rel: str):  # -> mmap.mmap | None
        """A read-only memory map of a regular file inside the package (the caller closes
        it), or None where this source cannot map files (remote sources) or it is empty."""
        return None

    def walk(self, max_entries: int) -> tuple[list[Entry], bool]:  # pragma: no cover
        """All entries under the root (symlinks not followed); True when capped.

        A folder the walk could not list is still an entry; the source names it, with the
        OS's reason, in :attr:`walk_failures` (the package reports it: nothing under it
        was checked)."""
        raise NotImplementedError

    # folders the last walk() could not list: (package-relative path, OS reason); "" is
    # the package root. A source that lists without failing keeps the empty default.
    walk_failures: tuple[tuple[str, str], ...] | list[tuple[str, str]] = ()


def os_reason(exc: BaseException) -> str:
    """The OS's words for a failed read or listing (``strerror``), else the message."""
    reason = getattr(exc, "strerror", None)
    return str(reason) if reason else (str(exc) or type(exc).__name__)
