"""MC610-MC611: entries that leave the package or are not regular files; package limits."""

from __future__ import annotations

from modelcheck.package.model_package import MAX_LISTED_FILES
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

MAX_PACKAGE_BYTES = 100 * 1024 ** 3
MAX_PATH_CHARS = 200  # Windows MAX_PATH is 260 including the folder the package sits in


@rule("MC610", "unsafe-package-entry", Level.ERROR, tags=("containment", "security"),
      security_severity=7.5)
def unsafe_package_entry(pkg):
    """A symlink in the package points outside it, loops, or an entry is a special file.

    What it checks
    Every entry of the package listing (symlinks are never followed out of the package):
    a symlink whose target resolves outside the package root (absolute target, `..`, or a
    chain that ends outside), a symlink loop, and special files (FIFOs, sockets, block or
    character devices).

    Why it matters
    Whatever copies or loads the package follows the link: a `model.pkl -> /etc/passwd` or
    `code -> /home/user/project` makes the serving host read (or upload, when the package is
    logged again) files that are not part of the model. A FIFO blocks every reader forever,
    and devices can return endless data.

    Example
    `artifacts/data.csv -> ../../../secrets/credentials.csv`.

    How to fix
    Replace the link with a copy of the file it points to, and remove special files.
    """
    for e in pkg.files():
        if e.kind == "symlink" and e.escapes:
            yield Hit(f"{e.path} is a symlink to {e.target!r}, which resolves outside the "
                      "package: it is reported, not followed", file=e.path, key="symlink",
                      fix="replace the symlink with a copy of the file it points to")
        elif e.kind == "symlink":
            target = pkg.entry(e.path)
            r = getattr(pkg.source, "resolve", None)
            kind = r(e.path).kind if r else target.kind
            if kind == "symlink":
                yield Hit(f"{e.path} is a symlink ({e.target!r}) that never resolves to a "
                          "file (a loop or a chain of links)", file=e.path, key="loop",
                          fix="replace the symlink with the file it should point to")
        elif e.kind == "special":
            yield Hit(f"{e.path} is not a regular file or directory (FIFO, socket or device): "
                      "readers may block or read unbounded data", file=e.path, key="special",
                      fix="remove the special file from the package")


@rule("MC611", "package-limits", Level.WARNING, tags=("containment",))
def package_limits(pkg):
    """The package exceeds a bound: too many files, too many bytes, or over-long paths.

    What it checks
    The package listing stops at a fixed number of entries; when that cap is hit the rest
    of the package was not checked. The total size of the listed files is also compared with
    a generous bound, and each path's length with what Windows tools handle (260 characters
    including the folder the package is copied to).

    Why it matters
    A model package with tens of thousands of files is usually a mistake (a whole virtualenv,
    `mlruns/` or a dataset copied into `code/` or `artifacts/`), and every loader and upload
    pays for it; checks past the cap did not run. Paths past the Windows limit make copies
    and `mlflow.pyfunc.load_model` fail there.

    Example
    `code_paths=["."]` run from the repository root copies `.git/` and `.venv/` into `code/`.

    How to fix
    Log only the files the model needs (`code_paths` with specific modules, artifacts by
    path), or split the data out of the package.
    """
    if pkg.listing_truncated():
        yield Hit(f"the package has more than {MAX_LISTED_FILES} files and directories: "
                  "listing stopped there, so later files were not checked", key="files",
                  fix="remove files the model does not need (virtualenvs, mlruns, datasets)")
    total = sum(e.size for e in pkg.files() if e.kind == "file")
    if total > MAX_PACKAGE_BYTES:
        yield Hit(f"the package holds {total / 1024 ** 3:.1f} GiB of files, over the "
                  f"{MAX_PACKAGE_BYTES // 1024 ** 3} GiB bound", key="bytes", level=Level.NOTE,
                  fix="check that only model files are in the package")
    for e in pkg.files():
        if len(e.path) > MAX_PATH_CHARS:
            yield Hit(f"{e.path[:60]}... is {len(e.path)} characters long (over "
                      f"{MAX_PATH_CHARS}): Windows tools fail on paths past 260 characters",
                      file=e.path, key="path:" + e.path, fix="shorten the directory names")
            break
