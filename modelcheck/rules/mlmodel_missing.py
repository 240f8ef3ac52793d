"""MC101: the folder looks like a model package but has no ``MLmodel`` file."""

from __future__ import annotations

from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_VARIANTS = ("MLModel", "mlmodel", "Mlmodel", "MLMODEL", "MLmodel.yaml", "MLmodel.yml",
             "MLModel.yaml")


@rule("MC101", "mlmodel-missing", Level.ERROR, tags=("mlmodel",))
def mlmodel_missing(pkg):
    """The package folder has no `MLmodel` file (exact name, case-sensitive).

    What it checks
    A folder that holds the rest of a model package (`registered_model_meta`, environment
    files, or a case-variant such as `MLModel`) but no file named exactly `MLmodel`.

    Why it matters
    `MLmodel` is what makes a folder a model: without it `mlflow.pyfunc.load_model` and
    `mlflow models serve` fail with "Could not find an MLmodel configuration file". On
    case-sensitive filesystems (Linux servers) `MLModel` or `mlmodel` is not found either.

    Example
    A registered-model download holding `registered_model_meta`, `conda.yaml` and `model.pkl`
    whose `MLmodel` was dropped by a copy step.

    How to fix
    Restore `MLmodel` from the run's artifacts (or re-log the model); rename a case-variant
    to exactly `MLmodel`.
    """
    e = pkg.entry("MLmodel")
    if e.kind == "file":
        return
    if e.kind == "dir":
        yield Hit("MLmodel is a directory; it must be the YAML file that describes the model",
                  file="MLmodel", fix="replace the directory with the MLmodel YAML file")
        return
    if e.kind == "symlink" and e.escapes:
        return  # containment rules report escaping symlinks
    if e.kind == "unreadable":
        return  # the OS refused to say what it is (MC902 reports it): unknown, not missing
    names = {x.path for x in pkg.files() if "/" not in x.path}
    variant = next((v for v in _VARIANTS if v in names), None)
    if variant:
        yield Hit(f"no MLmodel file, but {variant!r} exists: MLflow looks for exactly 'MLmodel' "
                  "(case-sensitive on Linux)", file=variant,
                  fix=f"rename {variant} to MLmodel")
    else:
        present = sorted(n for n in names if n in (
            "registered_model_meta", "conda.yaml", "python_env.yaml", "requirements.txt"))
        yield Hit("no MLmodel file in this model package"
                  + (f" (it has {', '.join(present)})" if present else ""),
                  fix="restore MLmodel from the run's artifacts or re-log the model")
