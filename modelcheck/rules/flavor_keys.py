"""MC218: a built-in flavor block lacks the key its MLflow loader reads the model from."""

from __future__ import annotations

from modelcheck.formats.flavors import model_key
from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule


def _lookalike(conf: dict, key: str) -> str:
    import difflib  # only on a finding

    others = [k for k in conf if isinstance(k, str) and k != key]
    close = [k for k in others if k.startswith(key) or key in k]
    close = close or difflib.get_close_matches(key, others, n=1, cutoff=0.6)
    return f" (is {close[0]!r} a renamed {key!r}?)" if close else ""


@rule("MC218", "flavor-model-key-missing", Level.ERROR, tags=("flavors",))
def flavor_model_key_missing(pkg):
    """A built-in flavor has no key naming its model file, so MLflow's loader cannot find it.

    What it checks
    Each built-in flavor's `load_model` reads its model from one fixed key of its block in
    `MLmodel` (read from MLflow 2.x and 3.x): `pickled_model` for sklearn and paddle, `data`
    for xgboost, lightgbm and onnx, `model_data` for pytorch, spark and johnsnowlabs,
    `saved_model_dir` for a tensorflow SavedModel (`model_type` tf2-module/tf1-estimator),
    `data` for a diviner model fit in Spark (`fit_with_spark: true`).
    The key must be present and not null. Other loaders fall back to a default path when the
    key is absent (`data` of catboost `model.cb`, statsmodels `model.statsmodels`, h2o
    `model.h2o`, spacy `model.spacy`, prophet `model.pr`, pmdarima `model.pmd`, fastai
    `model.fastai`, openai `model.yaml`, diviner `model.div` (MLflow 1.x/2.x; 3.x has no
    diviner flavor), keras and tensorflow keras `model`, transformers
    `model_binary` `pipeline`): for those it is an error only when that default path is not in
    the package either. A transformers model fetched from the Hub (`source_model_revision`)
    or built on a local base model (`local_base_model_path`) is not checked.

    Why it matters
    `mlflow.<flavor>.load_model` fails: `KeyError: 'data'`, `TypeError` joining a `None`
    path, or `OSError` opening the default file that is not there. Loading through
    `python_function` may still work (it reads the pyfunc block), which hides the break
    until someone loads the native model.

    Example
    `xgboost: {data_file: model.ubj, model_class: ...}`: the `data` key was renamed by hand.

    How to fix
    Restore the key with the model file's package-relative path (`data: model.ubj`), or
    re-log the model with MLflow.
    """
    flavors = pkg.flavors
    for flavor, conf in flavors.items():
        if not isinstance(conf, dict):
            continue
        mk = model_key(flavor, conf, flavors)
        if mk is None:
            continue
        if conf.get(mk.key) is not None:
            continue
        how = "is null" if mk.key in conf else "is missing"
        if mk.default is not None:
            kind = pkg.entry(mk.default).kind
            if kind != "missing":
                continue  # MLflow loads the default path (or the read failed: not ours)
            why = (f"MLflow's loader then falls back to {mk.default!r}, which is not in the "
                   "package")
        else:
            why = "MLflow's loader reads it without a default, so load_model fails"
        ptr = join_pointer("flavors", flavor)
        yield Hit(f"MLmodel {flavor} flavor: key {mk.key!r} {how}"
                  f"{_lookalike(conf, mk.key)}; {why}", file="MLmodel", line=pkg.line(ptr),
                  pointer=ptr, key=f"{flavor}:{mk.key}",
                  fix=f"set {mk.key}: <the model file's path> in the {flavor} block, or re-log "
                      "the model")
