"""MC213-MC215: flavor `code` keys and the package's `code/` directory disagree."""

from __future__ import annotations

from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule
from modelcheck.rules.flavor_paths import outside_reason


def _norm(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().rstrip("/") or None
    return value


def _custom_loader(pkg) -> bool:
    lm = (pkg.pyfunc or {}).get("loader_module")
    return isinstance(lm, str) and not lm.startswith("mlflow.") and lm != "mlflow"


@rule("MC213", "flavor-code-dir-missing", Level.WARNING, tags=("flavors", "code"))
def flavor_code_dir_missing(pkg):
    """A flavor's `code` key names a directory the package does not have.

    What it checks
    Each flavor's `code` value (normally `code`, written when the model was logged with
    `code_paths`) is an existing directory in the package.

    Why it matters
    MLflow prepends `<package>/<code>` to `sys.path` at load. Loading itself does not fail
    when the directory is gone, but every module that was meant to come from it (a custom
    `loader_module`, classes the pickle references) then raises `ModuleNotFoundError`. It is
    an error when `loader_module` is not an `mlflow.*` module.

    Example
    `code: code` in both flavor blocks, but `code/` was not copied with the package.

    How to fix
    Copy `code/` back from the run's artifacts, or re-log the model with `code_paths`.
    """
    seen: dict[str, list[str]] = {}
    for name, conf in pkg.flavors.items():
        v = _norm(conf.get("code"))
        if isinstance(v, str) and not outside_reason(v):
            seen.setdefault(v, []).append(join_pointer("flavors", name, "code"))
    for rel, ptrs in seen.items():
        e = pkg.entry(rel)
        if e.kind == "dir" or (e.kind == "symlink" and e.escapes):
            continue
        what = "is a file, not a directory" if e.kind == "file" else "does not exist"
        custom = _custom_loader(pkg)
        keys = ", ".join(p.lstrip("/") for p in ptrs)
        yield Hit(f"{keys} names the code directory {rel!r}, which {what}: modules meant to "
                  "come from it will not import"
                  + (" (the custom loader_module needs it)" if custom else ""),
                  file="MLmodel", line=pkg.line(ptrs[0], value=True), pointer=ptrs[0],
                  level=Level.ERROR if custom else None, key=rel,
                  fix=f"restore the {rel}/ directory from the run's artifacts, or re-log with "
                      "code_paths")


@rule("MC214", "flavor-code-dir-unreferenced", Level.WARNING, tags=("flavors", "code"))
def flavor_code_dir_unreferenced(pkg):
    """The package has a `code/` directory that no flavor's `code` key refers to.

    What it checks
    A `code/` directory holding files at the package root while every flavor has
    `code: null` or no `code` key (an empty `code/` is ignored).

    Why it matters
    MLflow adds the code directory to `sys.path` only through the `code` key, so this code is
    never importable at load: a model that depends on it fails with `ModuleNotFoundError`,
    and one that does not carries dead files.

    Example
    A package whose `MLmodel` was regenerated without `code_paths`, leaving `code/helpers.py`
    behind with `code: null`.

    How to fix
    Set `code: code` in the python_function block (and the native flavor block), or delete
    `code/` if the model does not need it.
    """
    if not pkg.is_dir("code") or not pkg.flavors:
        return
    if any(_norm(c.get("code")) == "code" for c in pkg.flavors.values()):
        return
    if not any(e.kind == "file" and e.path.startswith("code/") for e in pkg.files()):
        return  # an empty code/ holds nothing the model could need
    target = "/flavors/python_function" if pkg.pyfunc is not None else "/flavors"
    yield Hit("the package has a code/ directory but no flavor sets code: code, so MLflow never "
              "puts it on sys.path", file="MLmodel", line=pkg.line(target), pointer=target,
              fix="set code: code in the flavor blocks, or delete code/ if it is not needed")


@rule("MC215", "flavor-code-mismatch", Level.WARNING, tags=("flavors", "code"))
def flavor_code_mismatch(pkg):
    """python_function `code` differs from a native flavor's `code`.

    What it checks
    Built-in flavors write the same `code` value (`code` or null) into their own block and
    into `python_function`; the two must agree. Flavors without a `code` key (1.x) are
    skipped.

    Why it matters
    `pyfunc.load_model` uses the python_function value, the native loader (e.g.
    `mlflow.sklearn.load_model`) the flavor's own: a mismatch, always from a hand edit, means
    one of the two ways of loading misses the model's code.

    Example
    `python_function: {code: code, ...}` with `sklearn: {code: null, ...}`.

    How to fix
    Make both `code` values the same (normally `code` when `code/` exists, else null).
    """
    pf = pkg.pyfunc
    if pf is None:
        return
    mine = _norm(pf.get("code"))
    for name, conf in pkg.flavors.items():
        if name == "python_function" or "code" not in conf:
            continue
        theirs = _norm(conf.get("code"))
        if theirs != mine:
            ptr = join_pointer("flavors", name, "code")
            yield Hit(f"flavors/{name}/code is {conf.get('code')!r} but python_function code "
                      f"is {pf.get('code')!r}: pyfunc and native loading see different code "
                      "directories", file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                      fix="make both code values the same")
