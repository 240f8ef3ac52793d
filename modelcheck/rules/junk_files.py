"""MC650-MC651: leftover junk files and second copies of the model file."""

from __future__ import annotations

import posixpath
import re

from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_JUNK_DIRS = {"__pycache__": "Python byte-code cache", ".ipynb_checkpoints":
              "Jupyter checkpoint folder", ".git": "Git repository", ".svn": "SVN metadata",
              ".idea": "IDE settings", ".vscode": "IDE settings",
              ".pytest_cache": "pytest cache", ".mypy_cache": "mypy cache",
              ".ruff_cache": "ruff cache"}
_JUNK_NAMES = {".DS_Store": "macOS Finder metadata", "Thumbs.db": "Windows thumbnail cache",
               "desktop.ini": "Windows folder settings"}
# conda's pip step writes the env file's pip list to a tempfile next to it
# (`tempfile.NamedTemporaryFile(prefix="condaenv.", suffix=".requirements.txt")`, an 8-char
# random name), and deletes it when the step finishes
_CONDA_TEMP = re.compile(r"^condaenv\.[a-z0-9_]{8}\.requirements\.txt$")
_MODEL_EXTS = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ubj", ".xgb", ".lgb", ".cb",
               ".onnx", ".h5", ".keras", ".skops", ".safetensors", ".statsmodels")


def _junk_reason(path: str) -> str | None:
    base = posixpath.basename(path)
    if base in _JUNK_NAMES:
        return _JUNK_NAMES[base]
    if base.startswith("._") and base != "._SUCCESS.crc":
        return "macOS resource fork"
    if _CONDA_TEMP.match(base):
        return ("conda temporary requirements file (conda writes it next to conda.yaml while "
                "it creates the environment, as for MLflow's env_manager=conda, and leaves it "
                "when that step is interrupted)")
    if base.endswith((".pyc", ".pyo")):
        return "compiled Python byte code"
    if base.endswith("~") or base.endswith((".swp", ".swo", ".bak", ".orig", ".rej")) \
            or (base.startswith(".#")) or (base.startswith("#") and base.endswith("#")):
        return "editor backup or swap file"
    return None


@rule("MC650", "junk-file", Level.NOTE, tags=("hygiene",))
def junk_file(pkg):
    """Leftover junk in the package: `__pycache__`, `.pyc`, `.DS_Store`, editor and temp files.

    What it checks
    Directories such as `__pycache__`, `.ipynb_checkpoints`, `.git`, IDE folders, and files
    such as `*.pyc`, `.DS_Store`, `Thumbs.db`, `._*` resource forks, `*~`, `*.swp`, `*.bak`,
    and conda's `condaenv.<random>.requirements.txt` temp files (left in the model folder
    when creating the environment from `conda.yaml` was interrupted). Each junk directory is
    reported once (not every file inside it). Whole stray trees are MC652 (a tracking store)
    and MC653 (native executables).

    Why it matters
    They bloat every copy of the model, can leak local paths and history (`.git`), and
    stale `.pyc` files in `code/` may be imported instead of the source next to them.
    MLflow itself deletes `__pycache__` after logging, so they come from later hand edits.

    Example
    `code/__pycache__/model.cpython-37.pyc` or `.DS_Store` at the package root.

    How to fix
    Delete them, and exclude them in whatever copies the package (`.gitignore`, sync job).
    """
    junk_dirs: list[str] = []
    for e in pkg.files():
        if any(e.path.startswith(d + "/") for d in junk_dirs):
            continue
        base = posixpath.basename(e.path)
        if e.kind == "dir" and base in _JUNK_DIRS:
            junk_dirs.append(e.path)
            yield Hit(f"{e.path}/ is a {_JUNK_DIRS[base]} left in the package", file=e.path,
                      key=e.path, fix=f"delete {e.path}/")
        elif e.kind == "file":
            reason = _junk_reason(e.path)
            if reason:
                yield Hit(f"{e.path} is a {reason} left in the package", file=e.path,
                          key=e.path, fix=f"delete {e.path}")


@rule("MC651", "duplicate-model-file", Level.NOTE, tags=("hygiene",))
def duplicate_model_file(pkg):
    """A second copy of a model file the MLmodel names sits elsewhere in the package.

    What it checks
    Files with model extensions (`.pkl`, `.ubj`, `.onnx`, `.pt`...) that have the same size
    and base name as a model file named by a flavor key, or the same base name under a
    stale copy folder, but are not referenced by MLmodel.

    Why it matters
    Only one copy is loaded; the other doubles the package size and invites confusion about
    which one is the model (someone edits or replaces the wrong one).

    Example
    `model.pkl` named by `pickled_model` and an identical `MLProject/model.pkl`.

    How to fix
    Delete the copy that MLmodel does not reference.
    """
    named: set[str] = set()
    for conf in pkg.flavors.values():
        for v in conf.values():
            if isinstance(v, str) and not v.startswith("/"):
                named.add(v.strip("/"))
    sizes = {}
    for e in pkg.files():
        if e.kind == "file" and e.path in named and e.path.lower().endswith(_MODEL_EXTS):
            sizes[e.path] = e.size
    if not sizes:
        return
    for e in pkg.files():
        if e.kind != "file" or e.path in named:
            continue
        for ref, size in sizes.items():
            if posixpath.basename(e.path) == posixpath.basename(ref) and e.size == size:
                yield Hit(f"{e.path} looks like a second copy of {ref} (same name and size, "
                          f"{size} bytes) that MLmodel does not reference", file=e.path,
                          key=e.path, fix=f"delete {e.path} if it is a stale copy of {ref}")
                break
