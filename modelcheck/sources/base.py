"""The read-only interface every package source implements."""

from __future__ import annotations

import posixpath
from typing import Literal

from modelcheck.records import FrozenRecord

Kind = Literal["file", "dir", "symlink", "special", "missing"]


class OutsidePackage(ValueError):
    """A path that would leave the package root (absolute, ``..``, drive letter, symlink)."""


class Entry(FrozenRecord):
    """One file, directory or link of a package, as its source lists it."""

    __slots__ = ("path", "kind", "size", "target", "escapes")
    _fields = __slots__

    def __init__(self, path: str, kind: Kind, size: int = 0, target: str | None = None,
                 escapes: bool = False) -> None:
        init = object.__setattr__
        init(self, "path", path)  # package-relative, "/"-separated
        init(self, "kind", kind)
        init(self, "size", size)
        init(self, "target", target)  # symlink target as written
        init(self, "escapes", escapes)  # symlink whose target leaves the package


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

    def walk(self, max_entries: int) -> tuple[list[Entry], bool]:  # pragma: no cover
        """All entries under the root (symlinks not followed); True when capped."""
        raise NotImplementedError
