"""MC624-MC628: pickled python_model, Git LFS pointers, capability note, skops trust."""

from __future__ import annotations

from modelcheck.formats.pickle.policy import classify
from modelcheck.formats.pickle.skops import default_trusted, scan_skops
from modelcheck.formats.pickle.values import GlobalRef
from modelcheck.package.pickle_files import is_lfs_pointer, mapped_or_read, pickle_files
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_MODEL_EXTS = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".bin", ".ubj", ".xgb",
               ".json", ".lgb", ".cb", ".cbm", ".onnx", ".h5", ".keras", ".skops",
               ".safetensors", ".pb", ".statsmodels", ".model", ".npy", ".npz", ".gguf",
               ".tflite", ".mar", ".pdparams")
_PATH_KEYS = ("pickled_model", "data", "model_data", "model_path", "python_model",
              "saved_model_dir", "model_binary")


def _is_danger(qualname: str) -> str:
    mod, _, name = qualname.rpartition(".")
    v = classify(GlobalRef(mod, name, "skops"))
    return v.reason if v.kind == "danger" else ""


@rule("MC624", "python-model-pickled", Level.WARNING, tags=("security", "pickle"),
      security_severity=5.0)
def python_model_pickled(pkg):
    """The pyfunc model is a cloudpickled `PythonModel` object (`python_model` key).

    What it checks
    A `python_function` flavor with a `python_model` file (`python_model.pkl`): the model
    object was saved with cloudpickle rather than as models-from-code.

    Why it matters
    MLflow documents pickled `PythonModel`s as unsafe and recommends models-from-code;
    MLflow 3.18 refuses to load them when `MLFLOW_ALLOW_MODEL_CODE_EXECUTION=false`, and a
    cloudpickled class only loads on the Python minor version and cloudpickle version that
    wrote it.

    Example
    `python_function: {python_model: python_model.pkl, cloudpickle_version: 2.2.1}`.

    How to fix
    Re-log the model with `python_model="model.py"` (models-from-code), which ships source
    code instead of byte code.
    """
    conf = pkg.pyfunc or {}
    val = conf.get("python_model")
    if not isinstance(val, str) or not val:
        return
    names: list[str] = []
    for pf in pickle_files(pkg):
        if pf.path == val.strip("/") and pf.scan is not None:
            names = list(dict.fromkeys(pf.scan.qualnames))
    what = f" (serialized code for {', '.join(names[:6])})" if names else ""
    yield Hit(f"python_function.python_model {val!r} is a cloudpickled PythonModel{what}: "
              "it executes byte code when loaded and only loads on the same Python and "
              "cloudpickle versions; MLflow recommends models-from-code",
              file="MLmodel", pointer="/flavors/python_function/python_model",
              line=pkg.line("/flavors/python_function/python_model"),
              fix="re-log the model as models-from-code (python_model='model.py')")


@rule("MC625", "lfs-pointer", Level.ERROR, tags=("artifacts",))
def lfs_pointer(pkg):
    """A model file is a Git LFS pointer, not the model itself.

    What it checks
    Files named by MLmodel path keys, and files with model extensions (`.pkl`, `.ubj`,
    `.pt`, `.onnx`, `.skops`...), whose content is a Git LFS pointer
    (`version https://git-lfs.github.com/spec/v1`).

    Why it matters
    The repository was cloned without `git lfs pull`: the file holds ~130 bytes of text, and
    loading fails with a confusing deserialization error.

    Example
    `model.pkl` containing `version https://git-lfs.github.com/spec/v1`, `oid sha256:...`,
    `size 14732812`.

    How to fix
    Run `git lfs pull` (or fetch the real file from the artifact store) before using it.
    """
    named: dict[str, str] = {}
    for flavor, conf in pkg.flavors.items():
        for key in _PATH_KEYS:
            v = conf.get(key)
            if isinstance(v, str) and v and not v.startswith("/"):
                named.setdefault(v.strip("/"), f"/flavors/{flavor}/{key}")
    candidates = dict(named)
    for e in pkg.files():
        if e.kind == "file" and e.path.lower().endswith(_MODEL_EXTS) and e.size < 1024:
            candidates.setdefault(e.path, "")
    for rel, ptr in sorted(candidates.items()):
        if is_lfs_pointer(pkg, rel):
            size = ""
            t = pkg.text(rel)
            if t.ok and t.text:
                for line in t.text.splitlines():
                    if line.startswith("size "):
                        size = f" (the real file is {line[5:].strip()} bytes)"
            yield Hit(f"{rel} is a Git LFS pointer, not the model file{size}: the file was "
                      "never pulled", file=rel, pointer=ptr,
                      fix="run `git lfs pull` or download the real file")


@rule("MC626", "needs-code-execution", Level.NOTE, tags=("security", "capability"))
def needs_code_execution(pkg):
    """Capability report: loading this package deserializes pickles or runs packaged code.

    What it checks
    Whether the package needs pickle deserialization (pickle/cloudpickle payloads MLmodel
    references, `python_model.pkl`, `*.pth`, statsmodels) or executes packaged code (a `code` dir on
    `sys.path`, models-from-code `model_code_path`).

    Why it matters
    Such a package must come from a trusted source, and MLflow 3.18 refuses to load it when
    `MLFLOW_ALLOW_MODEL_CODE_EXECUTION=false` (or, for pickles,
    `MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false`).

    Example
    A sklearn package with `serialization_format: cloudpickle` and `model.pkl`.

    How to fix
    Nothing to fix; prefer skops, ONNX or native formats where the flavor supports them.
    """
    needs: list[str] = []
    pickles = [pf.path for pf in pickle_files(pkg) if pf.scan is not None and pf.scan.is_pickle
               and pf.referenced]  # a stray pickle is not loaded with the model
    if pickles:
        needs.append("pickle deserialization (" + ", ".join(pickles[:5])
                     + (", ..." if len(pickles) > 5 else "") + ")")
    codes = {c.get("code") for c in pkg.flavors.values() if isinstance(c.get("code"), str)}
    if any(pkg.is_dir(c) for c in codes if c and not c.startswith("/")):
        needs.append("packaged code on sys.path (" + ", ".join(sorted(codes)) + "/)")
    if (pkg.pyfunc or {}).get("model_code_path"):
        needs.append("models-from-code (runs the model's Python file)")
    if needs:
        yield Hit("loading this package requires " + " and ".join(needs),
                  file="MLmodel", pointer="/flavors", key="capability")


def _skops_files(pkg) -> dict[str, set[str]]:
    """Each `.skops` file -> the types trusted for it by any flavor that names it.

    MLflow's loader is the native flavor (sklearn, lightgbm), whose `skops_trusted_types` is
    passed to skops; `python_function` names the same file without the list, so the lists of
    every flavor naming a file are united rather than the last flavor winning.
    """
    files: dict[str, set[str]] = {}
    for conf in pkg.flavors.values():
        for key in ("pickled_model", "data"):
            v = conf.get(key)
            if isinstance(v, str) and v.endswith(".skops") and pkg.is_file(v):
                trusted = conf.get("skops_trusted_types")
                files.setdefault(v, set()).update(
                    t for t in (trusted if isinstance(trusted, list) else ()) if isinstance(t, str))
    for e in pkg.files():
        if e.kind == "file" and e.path.endswith(".skops"):
            files.setdefault(e.path, set())
    return files


@rule("MC627", "skops-untrusted-types", Level.WARNING, tags=("security", "skops"),
      security_severity=7.0)
def skops_untrusted_types(pkg):
    """A `.skops` model constructs types skops does not trust by default, or dangerous ones.

    What it checks
    The `schema.json` inside each `.skops` file is read statically. Every type or function
    it will construct is listed; types outside the builtins/numpy/scipy/sklearn defaults
    that the flavor's `skops_trusted_types` does not list are warnings (skops refuses to
    load them); types that can execute code (`os.system`, `builtins.eval`...) are errors.
    A `.skops` file that could not be scanned (unreadable, over `--max-pickle-bytes` in a
    remote package, a corrupt zip, a schema over 64 MiB or 2,000,000 nodes) is an error:
    unscanned code is not trusted. Local files are read in place (memory-mapped) whatever
    their size.

    Why it matters
    skops exists so sklearn models load without pickle's code execution; a schema that
    names `builtins.exec` or an unexpected third-party class defeats that, and an untrusted
    type makes `mlflow.sklearn.load_model` raise `UntrustedTypesFoundException`.

    Example
    `schema.json` with a function node `{"module_path": "os", "function": "system"}`.

    How to fix
    Re-save the model with only standard estimators, or review each type and list it in
    `skops_trusted_types` when logging the model.
    """
    for rel, trusted_set in sorted(_skops_files(pkg).items()):
        with mapped_or_read(pkg, rel) as (data, problem, kind):
            if data is None:
                yield Hit(f"{rel} could not be scanned: {problem}; unscanned code is not "
                          "trusted", file=rel, level=Level.ERROR, key=kind or "unreadable",
                          fix="raise --max-pickle-bytes, check a local copy, or review the "
                              "file by other means before loading it")
                continue
            sc = scan_skops(data)
        if sc.problem:
            yield Hit(f"{rel}: {sc.problem}", file=rel, level=Level.ERROR, key="problem",
                      fix="re-save the model with skops")
            continue
        for t in sc.types:
            reason = _is_danger(t)
            if reason:
                yield Hit(f"{rel} schema.json constructs {t}: {reason}", file=rel,
                          level=Level.ERROR, key=t,
                          fix="do not load this model; re-save it from trusted code")
            elif not default_trusted(t) and t not in trusted_set:
                yield Hit(f"{rel} constructs {t}, which skops does not trust by default and "
                          "skops_trusted_types does not list: loading raises "
                          "UntrustedTypesFoundException", file=rel, key=t,
                          fix=f"review {t} and add it to skops_trusted_types, or avoid it")


@rule("MC628", "skops-trusted-types-dangerous", Level.ERROR, tags=("security", "skops"),
      security_severity=8.8)
def skops_trusted_types_dangerous(pkg):
    """`skops_trusted_types` in MLmodel trusts types that can execute code.

    What it checks
    Each entry of a flavor's `skops_trusted_types` list (sklearn, lightgbm): an entry naming
    a callable or module that can run commands or load code (`builtins.eval`, `os.system`,
    `subprocess.Popen`, `pickle.loads`...) is reported; a value that is not a list of
    strings is reported too.

    Why it matters
    MLflow passes this list to `skops.io.load(trusted=...)`; a package that carries its own
    trust list can widen trust to anything (a known MLflow advisory): the `.skops` file then
    runs code at load like a pickle would.

    Example
    `skops_trusted_types: [sklearn.linear_model._logistic.LogisticRegression, builtins.eval]`.

    How to fix
    Remove the entry and re-log the model; trust only the classes the model really uses.
    """
    for flavor, conf in pkg.flavors.items():
        val = conf.get("skops_trusted_types")
        ptr = f"/flavors/{flavor}/skops_trusted_types"
        if val is None:
            continue
        if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
            yield Hit(f"{flavor}.skops_trusted_types must be a list of type names, found "
                      f"{type(val).__name__}", file="MLmodel", pointer=ptr,
                      line=pkg.line(ptr), level=Level.WARNING, key="shape",
                      fix="write a YAML list of fully qualified type names")
            continue
        for i, t in enumerate(val):
            reason = _is_danger(t)
            if reason:
                yield Hit(f"{flavor}.skops_trusted_types trusts {t}: {reason}",
                          file="MLmodel", pointer=f"{ptr}/{i}", line=pkg.line(ptr), key=t,
                          fix=f"remove {t} from skops_trusted_types and re-log the model")
