"""MC109-MC111: something else was saved under the name `MLmodel` (LFS pointer, merge
conflict, JSON, Python source)."""

from __future__ import annotations

import json
import re

from modelcheck.records import FrozenRecord
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_FILE = "MLmodel"
_LFS = "version https://git-lfs.github.com/spec/"
_CONFLICT_START = re.compile(r"^<{7}(?: |$)", re.M)
_CONFLICT_REST = re.compile(r"^(?:={7}|>{7})(?: |$)", re.M)
# compiled on first use (re's cache): only an MLmodel that is no YAML mapping needs it
_PY_LINE = (
    r"^(?:import [A-Za-z_][\w.]*|from [A-Za-z_.][\w.]* import |def [A-Za-z_]\w*\s*\(|"
    r"class [A-Za-z_]\w*\s*[(:]|if __name__ == )")


class Shape(FrozenRecord):
    """What a file named ``MLmodel`` is instead of an MLmodel."""

    _fields = ("kind", "line", "detail")

    def __init__(self, kind: str, line: int, detail: str = "") -> None:
        init = object.__setattr__
        init(self, "kind", kind)  # "lfs", "conflict", "json", "python", "html"
        init(self, "line", line)
        init(self, "detail", detail)


def foreign_shape(pkg) -> Shape | None:
    """What the MLmodel text is instead of an MLmodel, or None (cached per package)."""
    return pkg.memo("mlmodel-shape", lambda: _shape(pkg))


def _shape(pkg) -> Shape | None:
    if pkg.entry(_FILE).kind != "file":
        return None
    t = pkg.text(_FILE)
    if not t.ok or t.text is None:
        return None
    text = t.text
    if text.lstrip().startswith(_LFS):
        return Shape("lfs", 1)
    first = _CONFLICT_START.search(text)
    if first and _CONFLICT_REST.search(text, first.end()):
        return Shape("conflict", text.count("\n", 0, first.start()) + 1)
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, (dict, list)):
            line = text.count("\n", 0, len(text) - len(stripped)) + 1
            keys = ", ".join(sorted(map(str, data))[:6]) if isinstance(data, dict) else ""
            return Shape("json", line, keys)
    doc = pkg.mlmodel
    if stripped[:15].lower().startswith(("<!doctype html", "<html")):
        return Shape("html", text.count("\n", 0, len(text) - len(stripped)) + 1)
    if not doc.ok or not isinstance(doc.data, dict):
        py = re.search(_PY_LINE, text, re.M)
        if py:
            return Shape("python", text.count("\n", 0, py.start()) + 1,
                         text[py.start():].splitlines()[0][:60])
    return None


@rule("MC109", "mlmodel-lfs-pointer", Level.ERROR, tags=("mlmodel",))
def mlmodel_lfs_pointer(pkg):
    """`MLmodel` is a Git LFS pointer, not the file itself.

    What it checks
    An `MLmodel` whose text starts with `version https://git-lfs.github.com/spec/v1`, the
    three-line pointer Git LFS leaves when the object was not fetched.

    Why it matters
    MLflow parses the pointer as YAML, gets a plain string instead of a mapping, and fails.
    The payload files of such a checkout are usually pointers too.

    Example
    A repository cloned without `git lfs install`, or a CI checkout without `lfs: true`.

    How to fix
    Run `git lfs pull` (or enable LFS in the CI checkout) so the real files replace the
    pointers; or stop tracking `MLmodel` with LFS (it is small text).
    """
    s = foreign_shape(pkg)
    if s and s.kind == "lfs":
        yield Hit("MLmodel is a Git LFS pointer ('version https://git-lfs.github.com/spec/v1'), "
                  "not the MLmodel YAML: the LFS object was never fetched", file=_FILE,
                  line=s.line, fix="run 'git lfs pull' (or enable LFS in your CI checkout)")


@rule("MC110", "mlmodel-merge-conflict", Level.ERROR, tags=("mlmodel",))
def mlmodel_merge_conflict(pkg):
    """`MLmodel` holds unresolved merge-conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`).

    What it checks
    Lines starting with seven `<`, `=` or `>` characters, as Git writes for a conflicted merge.

    Why it matters
    The markers are not valid YAML (or silently turn into strange keys), so `Model.load`
    fails or reads a mix of both sides.

    Example
    `<<<<<<< HEAD` / `  sklearn_version: 1.3.0` / `=======` / `  sklearn_version: 1.5.2` /
    `>>>>>>> retrain`.

    How to fix
    Resolve the conflict: keep one side, delete the marker lines, and re-check the package.
    """
    s = foreign_shape(pkg)
    if s and s.kind == "conflict":
        yield Hit(f"MLmodel has unresolved merge-conflict markers (first '<<<<<<<' on line "
                  f"{s.line}); expected plain YAML", file=_FILE, line=s.line,
                  fix="resolve the merge conflict and delete the marker lines")


@rule("MC111", "mlmodel-foreign-format", Level.ERROR, tags=("mlmodel",))
def mlmodel_foreign_format(pkg):
    """`MLmodel` holds JSON, Python source or an HTML page instead of the MLmodel YAML.

    What it checks
    An `MLmodel` that is a JSON document or an HTML page, or that fails to parse as a YAML
    mapping and looks like Python source (`import ...`, `def ...`, `class ...`).

    Why it matters
    A JSON object is valid YAML, so MLflow reads it, but a JSON file saved under this name
    (run metadata, a registry response) lacks `flavors` and nothing can load it. Python source
    is not YAML at all: the model fails to load.

    Example
    A script writes `json.dump(run.to_dictionary(), open("MLmodel", "w"))`; a models-from-code
    file copied over `MLmodel`.

    How to fix
    Restore the real `MLmodel` from the run's artifacts or re-log the model; keep the JSON or
    Python file under its own name.
    """
    s = foreign_shape(pkg)
    if s is None or s.kind not in ("json", "python", "html"):
        return
    if s.kind == "html":
        yield Hit("MLmodel holds an HTML page (a web page saved instead of the raw file?), not "
                  "the MLmodel YAML", file=_FILE, line=s.line,
                  fix="download the raw MLmodel file (not the web page) or re-log the model")
        return
    if s.kind == "python":
        yield Hit(f"MLmodel holds Python source ({s.detail!r} on line {s.line}), not the "
                  "MLmodel YAML", file=_FILE, line=s.line,
                  fix="restore MLmodel from the run's artifacts; keep the code under its own "
                      "name")
        return
    data = pkg.mlmodel.data
    if isinstance(data, dict) and isinstance(data.get("flavors"), dict):
        yield Hit("MLmodel is written as JSON; MLflow reads it (JSON is YAML) but writes YAML, "
                  "so this file was made by hand or by another tool", file=_FILE, line=s.line,
                  level=Level.NOTE, fix="re-save it as YAML (yaml.safe_dump) or re-log the model")
        return
    what = f"a JSON object with keys {s.detail}" if s.detail else "a JSON list"
    yield Hit(f"MLmodel holds {what} and no 'flavors' mapping: it is not an MLmodel file",
              file=_FILE, line=s.line,
              fix="restore MLmodel from the run's artifacts; keep the JSON under its own name")
