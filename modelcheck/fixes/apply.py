"""Writing a plan to the package folder, and showing it as a diff.

Writing is careful: every file is checked before any is written (still inside the package,
not reached through a symlink, a regular file the user may write, and holding exactly the
bytes the plan was made from), then each is replaced atomically (a temporary file in the
same folder, its mode copied, ``os.replace``). Deleted files must still hold the bytes seen,
deleted folders the entries seen. Nothing is followed out of the package, and nothing but the
files the plan names is touched.
"""

from __future__ import annotations

import difflib
import os
import shutil
import stat
import tempfile

from modelcheck.fixes.plan import Plan
from modelcheck.sources.base import OutsidePackage, normalize, os_reason
from modelcheck.sources.local import LocalSource

# what a fix may edit: environment files, MLmodel and the input example (never a model file)
EDITABLE = (".txt", ".yaml", ".yml", ".json")


class FixError(Exception):
    """The plan cannot be written (nothing of the package was written)."""


def _path(root: str, rel: str, *, folder: bool = False) -> str:
    """The absolute path of ``rel`` when it is a regular file (a real folder with
    ``folder``) whose every parent is a real folder inside ``root``."""
    try:
        norm = normalize(rel)
    except OutsidePackage as exc:
        raise FixError(f"{rel}: {exc}") from None
    path = os.path.join(root, norm)
    parent = os.path.dirname(path)
    if os.path.realpath(parent) != parent or not (parent == root or
                                                   parent.startswith(root + os.sep)):
        raise FixError(f"{rel}: a parent folder is a symlink or leaves the package")
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise FixError(f"{rel} cannot be examined ({os_reason(exc)})") from None
    want = stat.S_ISDIR if folder else stat.S_ISREG
    if not want(st.st_mode):
        raise FixError(f"{rel} is no longer a {'folder' if folder else 'regular file'}")
    return path


def _current(source: LocalSource, rel: str, size: int) -> bytes:
    try:
        return source.read(rel, size + 1)
    except (OSError, OutsidePackage) as exc:
        raise FixError(f"{rel} cannot be read ({os_reason(exc)})") from None


def _listing(source: LocalSource, rel: str) -> tuple:
    entries, _ = source.walk(1_000_000)
    return tuple((e.path, e.kind, e.size) for e in entries if e.path.startswith(rel + "/"))


def verify(plan: Plan) -> None:
    """Raise FixError when any file of the plan cannot be written as planned."""
    source = LocalSource(plan.root)
    for rel in plan.files:
        if rel != "MLmodel" and not rel.endswith(EDITABLE):
            raise FixError(f"{rel}: modelcheck never edits such a file")
        path = _path(plan.root, rel)
        if not os.access(path, os.W_OK):
            raise FixError(f"{rel} is read-only (permission denied): nothing was written")
        if _current(source, rel, len(plan.original[rel])) != plan.original[rel]:
            raise FixError(f"{rel} changed since modelcheck read it: nothing was written; "
                           "run the fix again")
    for rel, snap in plan.gone.items():
        folder = isinstance(snap, tuple)
        _path(plan.root, rel, folder=folder)
        now = _listing(source, rel) if folder else _current(source, rel, len(snap))
        if now != snap:
            raise FixError(f"{rel} changed since modelcheck read it: nothing was written; "
                           "run the fix again")


def write(plan: Plan) -> None:
    """Write the plan (after :func:`verify`); raises FixError naming what was not written."""
    verify(plan)
    done: list[str] = []
    try:
        for rel, new in plan.files.items():
            if new != plan.original[rel]:
                _replace(_path(plan.root, rel), new)
                done.append(rel)
        for rel, snap in plan.gone.items():
            if isinstance(snap, tuple):
                shutil.rmtree(_path(plan.root, rel, folder=True))
            else:
                os.unlink(_path(plan.root, rel))
            done.append(rel)
    except OSError as exc:
        wrote = f" ({', '.join(done)} already written)" if done else ""
        raise FixError(f"{exc.filename or ''}: {os_reason(exc)}{wrote}") from None


def _replace(path: str, data: bytes) -> None:
    st = os.lstat(path)
    folder, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".modelcheck-fix")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown") and os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _shown(text: str) -> str:
    return text.replace("\ufeff", "<U+FEFF>")


def diff(plan: Plan) -> str:
    """The plan as a unified diff (as ``ruff --diff`` shows one: both headers name the file by
    its path as shown), each fix named first as a comment, deletions as ``deleted:`` lines."""
    base = "" if plan.display in ("", ".") else plan.display.rstrip("/") + "/"
    out = list(dict.fromkeys(f"# {c.code} ({c.safety}): {c.title}\n" for c in plan.applied))
    for rel in sorted(plan.files):
        a, b = plan.original[rel], plan.files[rel]
        if a == b:
            continue
        old = _shown(a.decode("utf-8", "replace")).splitlines(keepends=True)
        new = _shown(b.decode("utf-8", "replace")).splitlines(keepends=True)
        for line in difflib.unified_diff(old, new, f"{base}{rel}", f"{base}{rel}"):
            if line.endswith("\n"):
                out.append(line)
            else:
                out.append(line + "\n\\ No newline at end of file\n")
    for rel in sorted(plan.gone):
        snap = plan.gone[rel]
        if isinstance(snap, tuple):
            n = sum(1 for e in snap if e[1] != "dir")
            out.append(f"deleted: {base}{rel}/ ({n} file{'s' if n != 1 else ''})\n")
        else:
            out.append(f"deleted: {base}{rel}\n")
    return "".join(out)
