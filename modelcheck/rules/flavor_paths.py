"""MC209-MC212: files and directories named by flavor keys are missing or outside the package."""

from __future__ import annotations

import ntpath
import posixpath
import re

from modelcheck.formats.flavors import env_refs, path_refs
from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_DRIVE = re.compile(r"^[A-Za-z]:")


def outside_reason(rel: str) -> str | None:
    """Why a path written in MLmodel cannot name a file inside the package (None if it can)."""
    if rel.startswith(("/", "\\")):
        return "is an absolute path"
    if _DRIVE.match(rel):
        return "is an absolute Windows path"
    if _URI.match(rel):
        return "is a URI, not a package-relative path"
    if ".." in rel.replace("\\", "/").split("/"):
        return "climbs out of the package with '..'"
    return None


def all_path_refs(pkg) -> list[tuple[str, str, object]]:
    """(flavor, pointer, value) for every path-valued key of every flavor."""
    return pkg.memo("flavor-path-refs", lambda: [
        (name, ptr, value) for name, conf in pkg.flavors.items()
        for ptr, value in path_refs(name, conf)])


def _same_name_elsewhere(pkg, rel: str) -> str | None:
    base = posixpath.basename(rel.rstrip("/"))
    if not base:
        return None
    folded = None
    for e in pkg.files():
        if e.path == rel or e.kind not in ("file", "dir"):
            continue
        if posixpath.basename(e.path) == base:
            return e.path
        if folded is None and e.path.casefold() == rel.rstrip("/").casefold():
            folded = e.path  # renamed by case only (works on macOS/Windows, not on Linux)
    return folded


@rule("MC209", "flavor-path-missing", Level.ERROR, tags=("flavors", "artifacts"))
def flavor_path_missing(pkg):
    """A file or directory that a flavor key names is not in the package.

    What it checks
    Every path-valued key of the known flavors exists inside the package: python_function
    `data`, `model_path`, `python_model`, `artifacts.*.path`; sklearn/paddle
    `pickled_model`; `data` of xgboost, lightgbm, catboost, statsmodels, h2o, onnx, keras,
    tensorflow, spacy, prophet, pmdarima; `model_data` of pytorch and spark; tensorflow
    `saved_model_dir`; transformers `model_binary`, `peft_adaptor` and `components/<name>`;
    `extra_files[*].path`.

    Why it matters
    The loader joins the package path with this value and opens it: a missing file fails
    `load_model` and serving with `FileNotFoundError`/`OSError`.

    Example
    `xgboost: {data: model.ubj}` after a commit moved the file to `artifacts/model.ubj`.

    How to fix
    Put the file back at the path `MLmodel` names (or update the key to where the file is),
    or re-log the model.
    """
    missing: dict[str, list[str]] = {}  # one finding per missing path, naming every key
    for _flavor, ptr, value in all_path_refs(pkg):
        if not isinstance(value, str) or not value.strip() or outside_reason(value):
            continue  # MC211 / MC210
        if "\\" in value:
            alt = value.replace("\\", "/")
            found = pkg.exists(alt)
            yield Hit(f"{ptr.lstrip('/')} is {value!r}, written with Windows backslashes: on "
                      "Linux/macOS that is one file name, which is not in the package"
                      + (f" ({alt!r} exists)" if found else ""), file="MLmodel",
                      line=pkg.line(ptr, value=True), pointer=ptr,
                      fix=f"write the path with forward slashes: {alt}")
            continue
        e = pkg.entry(value)
        if e.kind != "missing":
            continue  # present, or an escaping symlink (containment rules report it)
        missing.setdefault(posixpath.normpath(value), []).append(ptr)
    for value, ptrs in missing.items():
        ptr = ptrs[0]
        keys = " and ".join(p.lstrip("/") for p in ptrs)
        other = _same_name_elsewhere(pkg, value)
        hint = ""
        if other:
            same = posixpath.basename(other) == posixpath.basename(value)
            hint = (f"; a file of that name is at {other!r}" if same else
                    f"; {other!r} differs only in letter case (found on macOS/Windows only)")
        yield Hit(f"{keys} name{'s' if len(ptrs) == 1 else ''} {value!r}, which does not exist "
                  f"in the package{hint}", file="MLmodel", line=pkg.line(ptr, value=True),
                  pointer=ptr,
                  fix=(f"move {other} back to {value} or point the key at {other}" if other
                       else f"restore {value} from the run's artifacts, or re-log the model"))


@rule("MC210", "flavor-path-outside", Level.ERROR, tags=("flavors", "artifacts", "security"),
      security_severity=5.0)
def flavor_path_outside(pkg):
    """A flavor or `env` path is absolute, a URI, or climbs out with `..`.

    What it checks
    Path-valued flavor keys (see MC209), the `env` files and the flavor `code` keys must be
    relative paths inside the package: not `/abs/path`, `C:\\...`, `file:///...`, `s3://...`,
    nor containing `..`. (Symlinks that escape are reported by the containment rules.)

    Why it matters
    MLflow joins the value onto the package path; an absolute path or `..` makes the loader
    read a file from the author's machine layout or elsewhere on the serving host, so the
    package is not self-contained and may load something unintended.

    Example
    `pickled_model: /home/alice/project/model.pkl` or `data: ../shared/model.onnx`.

    How to fix
    Copy the file into the package and write its package-relative path (e.g. `model.pkl`).
    """
    refs: list[tuple[str, object]] = [(p, v) for _f, p, v in all_path_refs(pkg)]
    if pkg.pyfunc is not None:
        refs += env_refs(pkg.pyfunc)
    for name, conf in pkg.flavors.items():
        if isinstance(conf.get("code"), str):
            refs.append((join_pointer("flavors", name, "code"), conf["code"]))
    for ptr, value in refs:
        if not isinstance(value, str):
            continue
        reason = outside_reason(value)
        if reason:
            yield Hit(f"{ptr.lstrip('/')} is {value!r}, which {reason}: expected a path inside "
                      "the package", file="MLmodel", line=pkg.line(ptr, value=True),
                      pointer=ptr, fix="copy the file into the package and write its "
                                       "package-relative path")


@rule("MC211", "flavor-path-type", Level.ERROR, tags=("flavors", "artifacts"))
def flavor_path_type(pkg):
    """A path-valued flavor key holds something other than a path string.

    What it checks
    Path keys (see MC209) are non-empty strings; python_function `artifacts` is a mapping of
    `{name: {path: ..., uri: ...}}`; `extra_files` is a list of `{path: ...}`.

    Why it matters
    The loaders index these values directly (`info["path"]`, `os.path.join(root, value)`); a
    number, list or an artifact without `path` fails with `TypeError`/`KeyError`.

    Example
    `artifacts: {encoder: artifacts/encoder.pkl}` (the `{path: ...}` mapping flattened).

    How to fix
    Restore the structure MLflow writes, e.g. `artifacts: {encoder: {path:
    artifacts/encoder.pkl, uri: ...}}`.
    """
    fix = "restore the structure MLflow writes (see the message), or re-log the model"
    for _flavor, ptr, value in all_path_refs(pkg):
        if not isinstance(value, str) or not value.strip():
            yield Hit(f"{ptr.lstrip('/')} is {value!r}; expected a package-relative path "
                      "string", file="MLmodel", line=pkg.line(ptr), pointer=ptr, fix=fix)
    pf = pkg.pyfunc or {}
    arts = pf.get("artifacts")
    if isinstance(arts, dict):
        for name, spec in arts.items():
            if isinstance(spec, dict) and spec.get("path") is None:
                ptr = join_pointer("flavors", "python_function", "artifacts", name)
                yield Hit(f"artifact {name!r} has no 'path'; MLflow reads "
                          "artifacts[name]['path'] and fails with KeyError", file="MLmodel",
                          line=pkg.line(ptr), pointer=ptr, fix=fix)


@rule("MC212", "flavor-model-code-missing", Level.ERROR, tags=("flavors", "code"))
def flavor_model_code_missing(pkg):
    """The models-from-code file (`model_code_path` basename) is not at the package root.

    What it checks
    python_function `model_code_path` stores the author's original path; MLflow loads
    `<package>/<basename(model_code_path)>`. That file must exist and be a `.py` file. A
    Windows path (`C:\\...\\model.py`) is flagged when only its Windows basename exists:
    `os.path.basename` on Linux/macOS keeps the whole string.

    Why it matters
    Without the file `pyfunc.load_model` fails with `FileNotFoundError`; models-from-code has
    no pickle to fall back on.

    Example
    `model_code_path: /home/alice/exp/agent.py` but the package holds no `agent.py`.

    How to fix
    Copy the model code file to the package root under its basename, or re-log the model
    with `python_model="agent.py"`.
    """
    pf = pkg.pyfunc
    if pf is None or pf.get("model_code_path") is None:
        return
    ptr = join_pointer("flavors", "python_function", "model_code_path")
    value = pf["model_code_path"]
    if not isinstance(value, str) or not value.strip():
        yield Hit(f"model_code_path is {value!r}; expected the path of the model's .py file",
                  file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                  fix="re-log the model with python_model='<file>.py'")
        return
    base = posixpath.basename(value)
    if base and pkg.is_file(base):
        if not base.endswith(".py"):
            yield Hit(f"model_code_path basename {base!r} is not a .py file; MLflow runs it as "
                      "Python code", file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                      level=Level.WARNING, fix="log the model code from a .py file")
        return
    win = ntpath.basename(value)
    if win != base and win and pkg.is_file(win):
        yield Hit(f"model_code_path {value!r} is a Windows path: MLflow on Linux/macOS takes "
                  f"the whole string as the basename and cannot find {win!r}, so the model "
                  "loads only on Windows", file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                  fix="re-log the model on Linux/macOS, or set model_code_path to "
                      f"{win!r}")
        return
    yield Hit(f"model_code_path {value!r}: MLflow loads {base!r} from the package root, which "
              "does not exist", file="MLmodel", line=pkg.line(ptr), pointer=ptr,
              fix=f"copy the model code file into the package root as {base}")
