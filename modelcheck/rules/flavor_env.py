"""MC207-MC208: the python_function `env` key is malformed or names missing files."""

from __future__ import annotations

from modelcheck.formats.flavors import ENV_KEYS as _ENV_KEYS
from modelcheck.formats.flavors import env_refs
from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule
from modelcheck.rules.flavor_paths import outside_reason


@rule("MC207", "flavor-pyfunc-env-invalid", Level.ERROR, tags=("flavors", "env"))
def flavor_pyfunc_env_invalid(pkg):
    """`python_function.env` is neither a file name nor `{conda: ..., virtualenv: ...}`.

    What it checks
    `env` is either a string (1.x: the conda file) or a mapping whose keys are `conda` and
    `virtualenv` with file names as values. A mapping must hold both: MLflow reads
    `env["conda"]` for conda and `env["virtualenv"]` for virtualenv/uv environments.

    Why it matters
    Serving, `spark_udf` and `mlflow models` commands rebuild the environment from these
    files; a malformed `env` raises `KeyError`/`TypeError` there, so the model cannot be
    served even though it loads in-process.

    Example
    `env: {conda: conda.yaml}` (no `virtualenv`) or `env: [conda.yaml, python_env.yaml]`.

    How to fix
    Write `env: {conda: conda.yaml, virtualenv: python_env.yaml}` (the files MLflow creates).
    """
    pf = pkg.pyfunc
    if pf is None or "env" not in pf or pf["env"] is None:
        return
    env = pf["env"]
    ptr = join_pointer("flavors", "python_function", "env")
    fix = "write env: {conda: conda.yaml, virtualenv: python_env.yaml}"
    if isinstance(env, str):
        if not env.strip():
            yield Hit("env is an empty string; expected the conda file name (conda.yaml)",
                      file="MLmodel", line=pkg.line(ptr), pointer=ptr, fix=fix)
        return
    if not isinstance(env, dict):
        yield Hit(f"env is {type(env).__name__} {env!r}; expected a file name or a mapping "
                  "{conda: conda.yaml, virtualenv: python_env.yaml}", file="MLmodel",
                  line=pkg.line(ptr), pointer=ptr, fix=fix)
        return
    for key in env:
        if key not in _ENV_KEYS:
            kp = join_pointer("flavors", "python_function", "env", key)
            yield Hit(f"env has unknown key {key!r}; MLflow reads only 'conda' and "
                      "'virtualenv'", file="MLmodel", line=pkg.line(kp), pointer=kp, fix=fix,
                      key=f"unknown:{key}")
    for key in _ENV_KEYS:
        if key not in env:
            how = ("conda environments (env_manager=conda)" if key == "conda"
                   else "virtualenv/uv environments (the default for serving)")
            yield Hit(f"env has no {key!r} entry: MLflow reads env[{key!r}] when building "
                      f"{how} and fails with KeyError", file="MLmodel", line=pkg.line(ptr),
                      pointer=ptr, fix=fix, key=f"missing:{key}")
        elif not isinstance(env[key], str) or not env[key].strip():
            kp = join_pointer("flavors", "python_function", "env", key)
            yield Hit(f"env.{key} is {env[key]!r}; expected a file name", file="MLmodel",
                      line=pkg.line(kp), pointer=kp, fix=fix, key=f"type:{key}")


@rule("MC208", "flavor-env-file-missing", Level.ERROR, tags=("flavors", "env"))
def flavor_env_file_missing(pkg):
    """A file named by `python_function.env` is not in the package.

    What it checks
    Each file named by `env` (the string form, or `env.conda` / `env.virtualenv`) exists in
    the package as a file.

    Why it matters
    Serving and `mlflow models` commands rebuild the model's environment from these files;
    when one is missing they fail before the model is loaded. The exception is a missing
    `python_env.yaml` next to a present conda file: MLflow then builds the virtualenv from
    `conda.yaml` and `requirements.txt` (its path for pre-1.26 models), so that is a note.

    Example
    `env: {conda: conda.yaml, virtualenv: python_env.yaml}` in a package that has no
    `python_env.yaml` (dropped by a copy script that kept only `MLmodel` and the model).

    How to fix
    Copy the missing environment file back from the run's artifacts, or re-log the model.
    """
    pf = pkg.pyfunc
    if pf is None:
        return
    for ptr, rel in env_refs(pf):
        if not rel.strip() or outside_reason(rel):
            continue  # MC207 / MC210 report unusable names
        e = pkg.entry(rel)
        if e.kind == "file" or (e.kind == "symlink" and e.escapes):
            continue
        what = "is a directory" if e.kind == "dir" else "does not exist"
        conda = pf["env"].get("conda") if isinstance(pf.get("env"), dict) else None
        if ptr.endswith("/virtualenv") and isinstance(conda, str) and pkg.is_file(conda):
            # mlflow.utils.virtualenv._get_python_env falls back to conda.yaml (+ requirements)
            yield Hit(f"{ptr.lstrip('/')} names {rel!r}, which {what} in the package: "
                      f"virtualenv/uv environments fall back to {conda} and requirements.txt, "
                      "as for models logged before MLflow 1.26", file="MLmodel",
                      line=pkg.line(ptr, value=True), pointer=ptr, key=rel, level=Level.NOTE,
                      fix=f"restore {rel} from the run's artifacts, or re-log the model")
            continue
        yield Hit(f"{ptr.lstrip('/')} names {rel!r}, which {what} in the package: the model's "
                  "environment cannot be rebuilt for serving", file="MLmodel",
                  line=pkg.line(ptr, value=True), pointer=ptr, key=rel,
                  fix=f"restore {rel} from the run's artifacts, or re-log the model")
