"""MC112-MC113: the `flavors` mapping is missing, empty or malformed."""

from __future__ import annotations

from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule
from modelcheck.rules.mlmodel_shape import foreign_shape


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {"str": "a string", "list": "a list", "int": "a number", "float": "a number",
            "bool": "a boolean"}.get(type(value).__name__, type(value).__name__)


@rule("MC112", "mlmodel-flavors-missing", Level.ERROR, tags=("mlmodel", "flavors"))
def mlmodel_flavors_missing(pkg):
    """`MLmodel` has no usable `flavors` mapping (missing, empty, or not a mapping).

    What it checks
    That the top-level `flavors` key exists and is a non-empty mapping from flavor name to the
    flavor's settings.

    Why it matters
    The flavors say how to load the model. `Model.load` itself accepts a missing or empty
    `flavors`, but every loader then fails: `pyfunc.load_model` with "Model does not have the
    python_function flavor", `mlflow.sklearn.load_model` with a missing-flavor error.

    Example
    `flavors: {}` left by a script that rebuilt `MLmodel` by hand, or `flavors:` with no value.

    How to fix
    Restore `MLmodel` from the run's artifacts, or re-save the model with its flavor's
    `save_model` / `log_model`.
    """
    doc = pkg.mlmodel
    if not doc.ok or not isinstance(doc.data, dict) or foreign_shape(pkg) is not None:
        return
    meta = doc.data
    if "flavors" not in meta:
        yield Hit("MLmodel has no 'flavors' key: no loader can load this model (expected a "
                  "mapping such as {python_function: {...}, sklearn: {...}})", file="MLmodel",
                  line=1, pointer="/flavors",
                  fix="restore MLmodel from the run's artifacts or re-save the model")
        return
    fl = meta["flavors"]
    if not isinstance(fl, dict):
        yield Hit(f"'flavors' is {_type_name(fl)}; expected a mapping from flavor name to its "
                  "settings", file="MLmodel", line=pkg.line("/flavors"), pointer="/flavors",
                  fix="restore MLmodel from the run's artifacts or re-save the model")
    elif not fl:
        yield Hit("'flavors' is empty: no loader can load this model", file="MLmodel",
                  line=pkg.line("/flavors"), pointer="/flavors",
                  fix="restore MLmodel from the run's artifacts or re-save the model")


@rule("MC113", "mlmodel-flavor-not-mapping", Level.ERROR, tags=("mlmodel", "flavors"))
def mlmodel_flavor_not_mapping(pkg):
    """A flavor's value in `flavors` is not a mapping.

    What it checks
    Every entry under `flavors` (e.g. `python_function`, `sklearn`) is a mapping of settings;
    an empty mapping `{}` is allowed.

    Why it matters
    Loaders read keys from the flavor block (`conf["pickled_model"]`, `conf.get("code")`); a
    string, list or null there fails with `TypeError`/`AttributeError`, and modelcheck cannot
    check that flavor's files either.

    Example
    `flavors: {python_function: mlflow.sklearn}` or `sklearn:` with nothing under it.

    How to fix
    Restore the flavor block from the run's artifacts (e.g. `sklearn: {pickled_model:
    model.pkl, sklearn_version: 1.5.2, serialization_format: cloudpickle}`).
    """
    fl = pkg.meta.get("flavors")
    if not isinstance(fl, dict):
        return
    for name, conf in fl.items():
        if not isinstance(conf, dict):
            ptr = join_pointer("flavors", name)
            yield Hit(f"flavor {name!r} is {_type_name(conf)}; expected a mapping of its "
                      "settings", file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                      fix=f"restore the {name} block from the run's artifacts")
