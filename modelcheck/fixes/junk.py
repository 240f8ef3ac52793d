"""MC650: junk left in the package. The fix deletes what is certainly junk: byte-code caches,
tool caches, operating-system metadata and conda's temporary requirement files. It never
deletes a Git or IDE folder, a backup or swap file (someone's work), a sourceless ``.pyc``
(it may be the only copy of the code), or a folder holding a symlink or anything else.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from modelcheck.fixes.base import SAFE, Change, fixer
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import Finding

CACHE_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".mypy_cache",
                        ".ruff_cache"})
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_CONDA_TEMP = re.compile(r"^condaenv\.[a-z0-9_]{8}\.requirements\.txt$")


def junk_file(pkg: ModelPackage, rel: str) -> bool:
    """``rel`` is a regular file that is certainly junk."""
    base = posixpath.basename(rel)
    if base in JUNK_NAMES or _CONDA_TEMP.match(base):
        return True
    if base.startswith("._") and base != "._SUCCESS.crc":
        return True  # an AppleDouble resource fork: Finder metadata, never the data
    if base.endswith((".pyc", ".pyo")) and "." not in base[:-4]:
        return pkg.is_file(rel[:-4] + ".py")  # compiled next to its source
    return False


def junk_folder(pkg: ModelPackage, rel: str) -> bool:
    """``rel`` is a cache folder holding nothing but files and folders (for ``__pycache__``,
    only byte code)."""
    base = posixpath.basename(rel)
    if base not in CACHE_DIRS:
        return False
    inside = [e for e in pkg.files() if e.path.startswith(rel + "/")]
    if pkg.listing_truncated() or any(e.kind not in ("file", "dir") for e in inside):
        return False
    if base == "__pycache__":
        return all(e.kind == "dir" or e.path.endswith((".pyc", ".pyo")) for e in inside)
    return True


@fixer("MC650")
def junk(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    for f in findings:
        rel = f.file
        if not rel:
            continue
        e = pkg.entry(rel)
        if e.target is not None:
            continue  # reached through a symlink
        if e.kind == "dir" and junk_folder(pkg, rel):
            yield Change("MC650", SAFE, rel, title=f"delete {rel}/", delete=True, folder=True)
        elif e.kind == "file" and junk_file(pkg, rel):
            yield Change("MC650", SAFE, rel, title=f"delete {rel}", delete=True)
