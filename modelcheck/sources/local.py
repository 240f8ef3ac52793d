"""Local filesystem source, contained to the package root."""

from __future__ import annotations

import errno
import functools
import os
import stat

from modelcheck.sources.base import Entry, OutsidePackage, Source, normalize, os_reason


class LocalSource(Source):
    walk_first = True

    def __init__(self, root: str, display: str | None = None) -> None:
        self.root = _real_root(root)
        self.display = display if display is not None else root

    def _abs(self, rel: str) -> str:
        norm = normalize(rel)
        return os.path.join(self.root, norm) if norm else self.root

    def _inside(self, real: str) -> bool:
        return real == self.root or real.startswith(self.root + os.sep)

    def entry(self, rel: str) -> Entry:
        norm = normalize(rel)
        path = self._abs(norm)
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return Entry(norm, "missing")
        except OSError as exc:  # denied on a parent folder, an I/O error: not "special"
            return Entry(norm, "unreadable", error=os_reason(exc))
        # Every component must stay inside: a symlinked parent dir counts too. A top-level
        # name that is not a symlink sits directly in the (already real) root: no need to ask.
        if "/" in norm or stat.S_ISLNK(st.st_mode):
            real = os.path.realpath(path)
        else:
            real = path
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(path)
            escapes = not self._inside(real)
            return Entry(norm, "symlink", 0, target, escapes)
        if not self._inside(real):
            return Entry(norm, "symlink", 0, None, True)
        if stat.S_ISDIR(st.st_mode):
            return Entry(norm, "dir")
        if stat.S_ISREG(st.st_mode):
            return Entry(norm, "file", st.st_size)
        return Entry(norm, "special")

    def resolve(self, rel: str) -> Entry:
        """Like entry(), but follows a symlink that stays inside the package."""
        e = self.entry(rel)
        if e.kind == "symlink" and not e.escapes:
            real = os.path.realpath(self._abs(e.path))
            inner = os.path.relpath(real, self.root).replace(os.sep, "/")
            target = self.entry(inner) if inner != "." else Entry("", "dir")
            if target.kind in ("file", "dir", "missing", "special", "unreadable"):
                return Entry(e.path, target.kind, target.size, e.target, False,
                             target.error)
        return e

    def read(self, rel: str, limit: int) -> bytes:
        return _read_fd(self._open(rel), limit, rel)

    def mapped(self, rel: str):  # -> mmap.mmap | None
        """A read-only ``mmap`` of the regular file ``rel``, opened with ``read``'s
        containment; None for an empty file. Raises as ``read`` does."""
        import mmap

        fd = self._open(rel)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(f"{rel} is not a regular file")
            if st.st_size == 0:
                return None
            return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)

    def _open(self, rel: str) -> int:
        """A descriptor of the file ``rel``, opened so that it cannot leave the package: an
        O_NOFOLLOW open of a top-level name, else resolved and its real path checked inside
        the root right before the open."""
        norm = normalize(rel)
        if _NOFOLLOW and norm and "/" not in norm:
            fd = self._open_top(norm)
            if fd is not None:
                return fd
        e = self.resolve(rel)
        if e.kind == "symlink":
            raise OutsidePackage(f"{rel} is a symlink that leaves the package")
        if e.kind == "missing":
            raise FileNotFoundError(rel)
        if e.kind == "dir":
            raise IsADirectoryError(rel)
        if e.kind == "unreadable":
            raise OSError(e.error or "cannot be read")
        if e.kind != "file":
            raise OSError(f"{rel} is not a regular file")
        if "/" not in e.path and e.target is None:
            real = self._abs(e.path)  # a plain top-level file: O_NOFOLLOW guards the open
        else:
            real = os.path.realpath(self._abs(e.path))
        if not self._inside(real):  # re-check right before opening
            raise OutsidePackage(rel)
        return os.open(real, _FLAGS)

    def _open_top(self, name: str) -> int | None:
        """An open descriptor of the top-level regular file ``name``, or None when ``name``
        is a symlink (the caller then resolves it the careful way).

        The root is a real path and ``name`` has no separator, so an open with O_NOFOLLOW
        cannot leave the package: one open replaces the lstat, and fstat tells the rest.
        """
        try:
            return os.open(os.path.join(self.root, name), _FLAGS)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):  # a symlink (EMLINK on some BSDs)
                return None
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                raise FileNotFoundError(name) from None
            raise

    def walk(self, max_entries: int) -> tuple[list[Entry], bool]:
        out: list[Entry] = []
        failures: list[tuple[str, str]] = []
        self.walk_failures = failures
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            abs_dir = self._abs(rel_dir) if rel_dir else self.root
            try:
                with os.scandir(abs_dir) as it:
                    items = sorted(it, key=lambda d: d.name)
            except OSError as exc:  # a folder that cannot be listed: nothing under it read
                failures.append((rel_dir, os_reason(exc)))
                continue
            for d in items:
                rel = f"{rel_dir}/{d.name}" if rel_dir else d.name
                if len(out) >= max_entries:
                    return out, True
                try:
                    if d.is_symlink():
                        out.append(self.entry(rel))
                    elif d.is_dir(follow_symlinks=False):
                        out.append(Entry(rel, "dir"))
                        stack.append(rel)
                    elif d.is_file(follow_symlinks=False):
                        out.append(Entry(rel, "file", d.stat(follow_symlinks=False).st_size))
                    else:
                        out.append(Entry(rel, "special"))
                except OSError as exc:
                    out.append(Entry(rel, "unreadable", error=os_reason(exc)))
                except OutsidePackage:
                    out.append(Entry(rel, "special"))
        out.sort(key=lambda e: e.path)
        return out, False


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows: no open without an lstat there
_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)


def _read_fd(fd: int, limit: int, rel: str) -> bytes:
    """Read at most ``limit + 1`` bytes of the regular file open on ``fd``, then close it."""
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(rel)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{rel} is not a regular file")
        # plain os.read on the descriptor: a file object would add an isatty ioctl, a seek
        # and a buffer per file. Reading limit + 1 at once would allocate the whole cap
        # (16 MiB and more) for every small file: ask for what fstat tells, then the rest.
        cap = limit + 1
        want = min(cap, st.st_size + 1)
        data = os.read(fd, want)
        if len(data) < want or want == cap:
            return data  # a short read of a regular file is its end
        parts, got = [data], len(data)  # it grew since fstat: read on, up to the cap
        while got < cap:
            chunk = os.read(fd, min(1 << 16, cap - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=256)
def _real_dir(path: str) -> str:
    return os.path.realpath(path)


def _real_root(root: str) -> str:
    """``os.path.realpath(root)``, with the parent directory's real path shared by the
    packages of one folder (one lstat per package instead of one per path component)."""
    path = os.path.abspath(root)
    parent, base = os.path.split(path)
    if not base or base in (".", "..") or ".." in root.replace(os.sep, "/").split("/"):
        return os.path.realpath(root)
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            return os.path.realpath(root)
    except OSError:
        return os.path.realpath(root)
    return os.path.join(_real_dir(parent), base)
