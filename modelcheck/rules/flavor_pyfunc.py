"""MC201-MC206: the `python_function` flavor is missing or its own keys are malformed."""

from __future__ import annotations

import re

from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_PYVER = re.compile(r"^\d+\.\d+\.\d+$")
PYTHON_MODEL_LOADERS = frozenset({
    "mlflow.pyfunc.model", "mlflow.pyfunc.loaders.code_model",
    "mlflow.pyfunc.loaders.chat_model", "mlflow.pyfunc.loaders.chat_agent",
    "mlflow.pyfunc.loaders.responses_agent"})
# Loader packages installed by well-known libraries (not expected under code/).
_SITE_LOADERS = ("mlflow", "databricks")


def _ptr(*parts: object) -> str:
    return join_pointer("flavors", "python_function", *parts)


def _hit(pkg, message: str, fix: str, *parts: object, **kw) -> Hit:
    ptr = _ptr(*parts)
    return Hit(message, file="MLmodel", line=pkg.line(ptr), pointer=ptr, fix=fix, **kw)


@rule("MC201", "flavor-pyfunc-missing", Level.WARNING, tags=("flavors",))
def flavor_pyfunc_missing(pkg):
    """The model has no `python_function` flavor.

    What it checks
    That `flavors` contains `python_function`, the generic flavor used by
    `mlflow.pyfunc.load_model`, `mlflow models serve`, `spark_udf` and batch scoring.

    Why it matters
    Without it the model can only be loaded with its native flavor (e.g.
    `mlflow.sklearn.load_model`); serving and pyfunc loading fail with "Model does not have
    the python_function flavor". Happens for estimators without `predict` and some Spark/H2O
    setups.

    Example
    `flavors: {sklearn: {pickled_model: model.pkl, ...}}` only.

    How to fix
    Save an estimator that has `predict` (or wrap it in a `PythonModel`) so MLflow adds the
    `python_function` flavor.
    """
    fl = pkg.meta.get("flavors")
    if isinstance(fl, dict) and fl and "python_function" not in fl:
        names = ", ".join(map(str, fl))
        yield Hit(f"no python_function flavor (flavors: {names}): pyfunc.load_model and "
                  "'mlflow models serve' cannot load this model", file="MLmodel",
                  line=pkg.line("/flavors"), pointer="/flavors",
                  fix="re-save the model so MLflow adds python_function (an estimator with "
                      "predict, or a PythonModel wrapper)")


@rule("MC202", "flavor-pyfunc-loader-invalid", Level.ERROR, tags=("flavors",))
def flavor_pyfunc_loader_invalid(pkg):
    """`python_function.loader_module` is missing or not a dotted module name.

    What it checks
    The pyfunc `loader_module`, which MLflow imports with `importlib.import_module` to call
    its `_load_pyfunc`, is present and a dotted Python identifier (`mlflow.sklearn`,
    `mlflow.pyfunc.model`, `my_pkg.loader`).

    Why it matters
    Without it `pyfunc.load_model` fails with a `KeyError`; a value such as `mlflow/sklearn`
    or `sklearn.py` cannot be imported and fails with `ModuleNotFoundError`.

    Example
    `loader_module: mlflow.sklearn.py`.

    How to fix
    Set the module MLflow wrote for the flavor (e.g. `mlflow.sklearn`) or restore `MLmodel`.
    """
    pf = pkg.pyfunc
    if pf is None:
        return
    lm = pf.get("loader_module")
    if lm is None:
        yield _hit(pkg, "python_function has no loader_module: pyfunc.load_model cannot tell "
                   "which module loads the model", "set loader_module (e.g. mlflow.sklearn for "
                   "a sklearn model, mlflow.pyfunc.model for a PythonModel)")
    elif not isinstance(lm, str) or not _DOTTED.match(lm):
        yield _hit(pkg, f"loader_module {lm!r} is not a dotted Python module name (expected "
                   "e.g. 'mlflow.sklearn')", "write the importable module name, e.g. "
                   "mlflow.sklearn", "loader_module")


@rule("MC203", "flavor-pyfunc-python-model-unset", Level.ERROR, tags=("flavors",))
def flavor_pyfunc_python_model_unset(pkg):
    """A `PythonModel` pyfunc names neither `python_model` nor `model_code_path`.

    What it checks
    When `loader_module` is `mlflow.pyfunc.model` (or one of the `mlflow.pyfunc.loaders.*`
    modules), the flavor must say where the model is: `python_model` (the cloudpickle file)
    or `model_code_path` (models-from-code).

    Why it matters
    MLflow raises "Python model path was not specified in the model configuration" and the
    model cannot be loaded or served.

    Example
    A `python_function` block with `loader_module: mlflow.pyfunc.model` whose
    `python_model: python_model.pkl` line was deleted.

    How to fix
    Restore `python_model: python_model.pkl` (or `model_code_path`) from the original
    `MLmodel`, or re-log the model.
    """
    pf = pkg.pyfunc
    lm = None if pf is None else pf.get("loader_module")
    if not isinstance(lm, str) or lm not in PYTHON_MODEL_LOADERS:
        return
    if pf.get("python_model") is None and pf.get("model_code_path") is None:
        yield _hit(pkg, f"loader_module {lm} needs python_model (the pickled "
                   "PythonModel) or model_code_path (models-from-code); neither is set",
                   "restore python_model: python_model.pkl or model_code_path, or re-log",
                   "loader_module")


@rule("MC204", "flavor-pyfunc-python-version", Level.WARNING, tags=("flavors", "env"))
def flavor_pyfunc_python_version(pkg):
    """`python_function.python_version` is missing or not a full `X.Y.Z` version.

    What it checks
    The interpreter version MLflow records at save time (always written), e.g. `3.11.7`. An
    unquoted `3.10` is read by YAML as the number 3.1.

    Why it matters
    MLflow compares it with the running Python and warns on a major.minor mismatch; serving
    tools use it to pick the interpreter. A missing or truncated value hides version drift.

    Example
    `python_version: 3.10` (the float 3.1) or `python_version: '3'`.

    How to fix
    Write the full version of the interpreter that saved the model, e.g. `'3.10.12'`.
    """
    pf = pkg.pyfunc
    if pf is None:
        return
    v = pf.get("python_version")
    if v is None:
        yield _hit(pkg, "python_function has no python_version (MLflow always records the "
                   "saving interpreter, e.g. 3.11.7)", "add python_version: 'X.Y.Z'")
    elif not isinstance(v, str) or not _PYVER.match(v):
        extra = " (an unquoted 3.10 is the YAML number 3.1)" if isinstance(v, float) else ""
        yield _hit(pkg, f"python_version is {v!r}; expected a full version 'X.Y.Z'{extra}",
                   "write the saving interpreter's full version, quoted, e.g. '3.10.12'",
                   "python_version")


@rule("MC205", "flavor-pyfunc-field-type", Level.WARNING, tags=("flavors",))
def flavor_pyfunc_field_type(pkg):
    """A `python_function` option has the wrong type.

    What it checks
    `predict_fn` and `predict_stream_fn` are method names (identifiers), `streamable` is a
    boolean, and `config` (the model config handed to `_load_pyfunc`) is a mapping.

    Why it matters
    MLflow calls `getattr(model, predict_fn)`; a value such as `predict()` or
    `model.predict` fails at the first prediction. A string `streamable: 'false'` is truthy,
    so streaming is attempted on a model that cannot stream.

    Example
    `predict_fn: predict_proba()` or `streamable: 'no'`.

    How to fix
    Use a bare method name (`predict_proba`), a YAML boolean, and a mapping for `config`.
    """
    pf = pkg.pyfunc
    if pf is None:
        return
    fix = "use a bare method name, a YAML boolean, and a mapping for config"
    for key in ("predict_fn", "predict_stream_fn"):
        v = pf.get(key)
        if v is not None and (not isinstance(v, str) or not _IDENT.match(v)):
            yield _hit(pkg, f"{key} is {v!r}; expected a method name such as 'predict'", fix,
                       key)
    v = pf.get("streamable")
    if v is not None and not isinstance(v, bool):
        yield _hit(pkg, f"streamable is {v!r}; expected true or false", fix, "streamable")
    v = pf.get("config")
    if v is not None and not isinstance(v, dict):
        yield _hit(pkg, f"config is {type(v).__name__} {v!r}; expected a mapping", fix, "config")


@rule("MC206", "flavor-pyfunc-loader-not-packaged", Level.WARNING, tags=("flavors", "code"))
def flavor_pyfunc_loader_not_packaged(pkg):
    """A custom `loader_module` is not shipped in the package's `code/` directory.

    What it checks
    When `loader_module` is not an `mlflow.*` module, that `code/<module path>.py` or the
    package `code/<top-level package>/` exists (the `code` dir is put on `sys.path` at load),
    or that a declared requirement installs the module (what distributions install is read
    from their real metadata, e.g. `azureml-evaluate-mlflow` installs `azureml.evaluate`).

    Why it matters
    Otherwise the module must already be installed wherever the model is loaded; in a fresh
    serving environment built from the model's requirements it usually is not, and loading
    fails with `ModuleNotFoundError`.

    Example
    `loader_module: my_project.serving.loader` with no `code/` directory.

    How to fix
    Log the model with `code_paths=["my_project"]` so the module is copied into `code/`, or
    make the module an installable requirement of the model.
    """
    pf = pkg.pyfunc
    if pf is None:
        return
    lm = pf.get("loader_module")
    if not isinstance(lm, str) or not _DOTTED.match(lm) or lm.split(".")[0] in _SITE_LOADERS:
        return
    code = pf.get("code")
    code_dir = code if isinstance(code, str) and code else "code"
    parts = lm.split(".")
    candidates = [f"{code_dir}/{'/'.join(parts)}.py", f"{code_dir}/{parts[0]}",
                  f"{code_dir}/{parts[0]}.py"]
    if any(pkg.exists(c) for c in candidates):
        return
    from modelcheck.formats.requirements.importmap import provides
    from modelcheck.rules.code_modules import declared_distributions

    declared, any_env = declared_distributions(pkg)
    if any_env and provides(lm, declared):
        return  # a declared requirement installs it (azureml-evaluate-mlflow: azureml.evaluate)
    yield _hit(pkg, f"loader_module {lm!r} is not mlflow.* and is not in the package "
               f"({candidates[0]} / {candidates[1]}/ missing): it must be installed where the "
               "model is loaded", "log the model with code_paths=[...] holding the module, or "
               "add it to the model's requirements", "loader_module")
