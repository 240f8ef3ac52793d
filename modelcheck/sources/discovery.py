"""Turn user targets (dirs, MLmodel files, files inside packages, trees) into packages."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from modelcheck.records import FrozenRecord
from modelcheck.sources.base import os_reason

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".venv", "venv", ".eggs", "site-packages", ".ipynb_checkpoints",
})
# A folder with one of these but no MLmodel is a package that lost its MLmodel.
ORPHAN_MARKERS = ("registered_model_meta", "MLModel", "mlmodel", "MLModel.yaml", "MLmodel.yaml")
# On Databricks, MLflow copies a package's metadata files into a ``metadata/`` folder INSIDE
# the package, for Unity Catalog sharing (mlflow.models.model._copy_model_metadata_for_uc_sharing:
# METADATA_FILES, plus original_requirements.txt for a wheeled model). That folder is part of
# its package, not a package of its own.
UC_METADATA_DIR = "metadata"
UC_METADATA_FILES = frozenset({"MLmodel", "conda.yaml", "requirements.txt", "python_env.yaml",
                               "original_requirements.txt"})


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


def is_uc_metadata(names: Iterable[str]) -> bool:
    """True when a ``metadata/`` folder directly inside a package holds ``names`` (every
    entry, sub-folders included): only MLflow's Unity Catalog copy of the metadata files."""
    found = set(names)
    return bool(found) and found <= UC_METADATA_FILES


def _uc_metadata_owner(path: str) -> str | None:
    """The package that holds the folder ``path`` as its Unity Catalog metadata copy."""
    parent, name = os.path.split(path)
    if name != UC_METADATA_DIR or not os.path.isfile(os.path.join(parent, "MLmodel")):
        return None
    try:
        return parent if is_uc_metadata(os.listdir(path)) else None
    except OSError:
        return None


def looks_like_orphan(names: set[str]) -> bool:
    if "MLmodel" in names:
        return False
    if any(m in names for m in ORPHAN_MARKERS):
        return True
    # env files of a saved model, without an MLproject that would explain them
    return {"python_env.yaml", "requirements.txt", "conda.yaml"} <= names and (
        "MLproject" not in names)


def decides_alone(names: set[str]) -> bool:
    """True when a folder holding ``names`` (its files and sub-folders) is a package, one
    that lost its MLmodel, or a virtualenv: what is under it is decided by it, so a listing
    planner takes it whole and never splits it into its sub-folders."""
    return "MLmodel" in names or looks_like_orphan(names) or "pyvenv.cfg" in names \
        or "conda-meta" in names


def package_of(path: str) -> str | None:
    """The package root holding ``path`` (walking up), or None."""
    cur = os.path.abspath(path)
    if os.path.isfile(cur) or not os.path.exists(cur):
        cur = os.path.dirname(cur)
    while True:
        if os.path.isfile(os.path.join(cur, "MLmodel")):
            return _uc_metadata_owner(cur) or cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _is_venv(path: str, names: list[str]) -> bool:
    return "pyvenv.cfg" in names or "conda-meta" in names


def iter_tree(root: str, errors: list[str] | None = None,
              notes: list[str] | None = None) -> Iterator[str]:
    """Package directories under ``root``, as the walk finds them (top-down, names sorted).

    A folder that cannot be listed is named in ``errors`` (packages in it were not checked);
    a symlinked folder, which the walk does not follow, is named in ``notes``. A package's
    Unity Catalog ``metadata/`` copy is part of the package: it is not walked into.
    """
    stack = [root]
    while stack:
        dirpath = stack.pop()
        try:
            with os.scandir(dirpath) as it:
                entries = list(it)
        except OSError as exc:
            if errors is not None:
                errors.append(f"{_display(dirpath)}: cannot be listed ({os_reason(exc)}): "
                              "model packages in it were not checked")
            continue
        filenames: list[str] = []
        dirnames: list[str] = []
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    dirnames.append(e.name)
                    continue
                if e.is_symlink() and e.is_dir():  # a symlinked folder: said, not followed
                    if notes is not None and e.name not in SKIP_DIRS:
                        notes.append(_link_note(e.path))
                    continue
            except OSError:
                pass
            filenames.append(e.name)
        if _is_venv(dirpath, filenames + dirnames):
            continue
        names = set(filenames)
        if "MLmodel" in names or looks_like_orphan(names | set(dirnames)):
            yield dirpath
            if "MLmodel" in names and UC_METADATA_DIR in dirnames and _uc_metadata_owner(
                    os.path.join(dirpath, UC_METADATA_DIR)):
                dirnames.remove(UC_METADATA_DIR)
        stack.extend(os.path.join(dirpath, d)
                     for d in sorted(dirnames, reverse=True) if d not in SKIP_DIRS)


def _link_note(path: str) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (f"{_display(path)}: a symlinked folder (-> {target}), not followed: model "
            "packages in it were not checked here; give its real path as a target to check them")


def discover(targets: list[str], notes: list[str] | None = None
             ) -> tuple[list[Target], list[str]]:
    """Packages for ``targets`` (deduplicated, sorted) and messages for targets that fail
    (and, in ``notes``, the symlinked folders the walk did not follow)."""
    errors: list[str] = []
    return sorted(iter_discover(targets, errors, notes)), errors


def iter_discover(targets: list[str], errors: list[str],
                  notes: list[str] | None = None) -> Iterator[Target]:
    """:func:`discover` as a stream: each package once, as soon as it is found (walk order,
    not sorted); messages for targets that fail, or for folders in them that cannot be
    listed, are appended to ``errors``; symlinked folders not followed, to ``notes``."""
    seen: set[str] = set()
    for t in targets:
        try:
            os.lstat(t)
        except FileNotFoundError:
            errors.append(f"{t}: no such file or directory")
            continue
        except OSError as exc:  # denied on a folder above it, an I/O error
            errors.append(f"{t}: cannot be read ({os_reason(exc)})")
            continue
        path = os.path.abspath(t)
        real_base: str | None = None
        found: Iterable[str]
        n_errors = len(errors)
        if os.path.isdir(path):
            if os.path.isfile(os.path.join(path, "MLmodel")):
                found = [_uc_metadata_owner(path) or path]
            else:
                found = iter_tree(path, errors, notes)
                # the walk does not enter symlinked dirs: below ``path`` every dir is real
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
        if not any_found and len(errors) == n_errors:  # not when a folder could not be read
            errors.append(f"{t}: no MLflow model package (no MLmodel file) found here")
