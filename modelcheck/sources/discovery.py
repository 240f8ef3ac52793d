"""Turn user targets (dirs, MLmodel files, files inside packages, trees) into packages."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from modelcheck.records import FrozenRecord

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".venv", "venv", ".eggs", "site-packages", ".ipynb_checkpoints",
})
# A folder with one of these but no MLmodel is a package that lost its MLmodel.
ORPHAN_MARKERS = ("registered_model_meta", "MLModel", "mlmodel", "MLModel.yaml", "MLmodel.yaml")


class Target(FrozenRecord):
    """A package to check: its path and how it is shown."""

    _fields = ("display", "path")

    def __init__(self, display: str, path: str) -> None:
        init = object.__setattr__
        init(self, "display", display)  # how the package path is shown
        init(self, "path", path)  # filesystem path of the package root

    # ordered by (display, path), like ``@dataclass(order=True)``
    def __lt__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._compared() < other._compared()  # type: ignore[attr-defined]
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._compared() <= other._compared()  # type: ignore[attr-defined]
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._compared() > other._compared()  # type: ignore[attr-defined]
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._compared() >= other._compared()  # type: ignore[attr-defined]
        return NotImplemented


class DiscoveryError(Exception):
    pass


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return rel.replace(os.sep, "/") if not rel.startswith("..") else path


def looks_like_orphan(names: set[str]) -> bool:
    if "MLmodel" in names:
        return False
    if any(m in names for m in ORPHAN_MARKERS):
        return True
    # env files of a saved model, without an MLproject that would explain them
    return {"python_env.yaml", "requirements.txt", "conda.yaml"} <= names and (
        "MLproject" not in names)


def package_of(path: str) -> str | None:
    """The package root holding ``path`` (walking up), or None."""
    cur = os.path.abspath(path)
    if os.path.isfile(cur) or not os.path.exists(cur):
        cur = os.path.dirname(cur)
    while True:
        if os.path.isfile(os.path.join(cur, "MLmodel")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _is_venv(path: str, names: list[str]) -> bool:
    return "pyvenv.cfg" in names or "conda-meta" in names


def iter_tree(root: str) -> Iterator[str]:
    """Package directories under ``root``, as the walk finds them (top-down, names sorted)."""
    for dirpath, dirnames, filenames in os.walk(root):
        names = set(filenames)
        if _is_venv(dirpath, filenames + dirnames):
            dirnames[:] = []
            continue
        if "MLmodel" in names or looks_like_orphan(names | set(dirnames)):
            yield dirpath
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)


def discover(targets: list[str]) -> tuple[list[Target], list[str]]:
    """Packages for ``targets`` (deduplicated, sorted) and messages for targets that fail."""
    errors: list[str] = []
    return sorted(iter_discover(targets, errors)), errors


def iter_discover(targets: list[str], errors: list[str]) -> Iterator[Target]:
    """:func:`discover` as a stream: each package once, as soon as it is found (walk order,
    not sorted); messages for targets that fail are appended to ``errors``."""
    seen: set[str] = set()
    for t in targets:
        if not os.path.exists(t) and not os.path.islink(t):
            errors.append(f"{t}: no such file or directory")
            continue
        path = os.path.abspath(t)
        real_base: str | None = None
        found: Iterable[str]
        if os.path.isdir(path):
            if os.path.isfile(os.path.join(path, "MLmodel")):
                found = [path]
            else:
                found = iter_tree(path)
                # os.walk does not enter symlinked dirs: below ``path`` every dir is real
                real_base = os.path.realpath(path)
        else:
            pkg = package_of(path)
            if pkg is None:
                parent = os.path.dirname(path)
                try:
                    names = set(os.listdir(parent))
                except OSError:
                    names = set()
                if looks_like_orphan(names):
                    pkg = parent
                else:
                    errors.append(f"{t}: not inside an MLflow model package (no MLmodel above)")
                    continue
            found = [pkg]
        any_found = False
        for p in found:
            any_found = True
            if real_base is not None and p.startswith(path):
                real = real_base + p[len(path):]
            else:
                real = os.path.realpath(p)
            if real not in seen:
                seen.add(real)
                yield Target(_display(p), p)
        if not any_found:
            errors.append(f"{t}: no MLflow model package (no MLmodel file) found here")
