"""What modelcheck knows about MLflow's built-in flavors (key names as written by 1.x-3.18).

``PATH_KEYS`` lists, per flavor, the keys whose string value names a file or directory inside
the package; ``PATH_LIST_KEYS`` the keys holding ``[{path: ...}]`` lists; ``FLAVOR_LIBRARIES``
maps a flavor to its library-version key and the pip distribution that provides the library.
Shared by the flavor rules (MC2xx) and the environment rules (MC5xx).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from modelcheck.formats.yaml.loader import join_pointer

PYFUNC = "python_function"

# flavor -> keys whose value is a package-relative file or directory.
PATH_KEYS: dict[str, tuple[str, ...]] = {
    PYFUNC: ("data", "model_path", "python_model"),
    "sklearn": ("pickled_model",),
    "xgboost": ("data",),
    "lightgbm": ("data",),
    "catboost": ("data",),
    "statsmodels": ("data",),
    "h2o": ("data",),
    "onnx": ("data",),
    "pytorch": ("model_data",),
    "tensorflow": ("data", "saved_model_dir"),
    "keras": ("data",),
    "spark": ("model_data",),
    "transformers": ("model_binary", "peft_adaptor"),
    "sentence_transformers": (),
    "paddle": ("pickled_model",),
    "spacy": ("data",),
    "prophet": ("data",),
    "pmdarima": ("data",),
    "diviner": ("data",),  # MLflow 1.x/2.x
}

# flavor -> keys holding a list of {path: <rel path>} mappings (or a single such mapping).
PATH_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "sklearn": ("extra_files",),
    "xgboost": ("extra_files",),
    "lightgbm": ("extra_files",),
    "pytorch": ("extra_files", "requirements_file"),
    "onnx": ("extra_files",),
    "statsmodels": ("extra_files",),
}

# flavor -> (library version key in the flavor block, pip distribution name).
FLAVOR_LIBRARIES: dict[str, tuple[str, str]] = {
    "sklearn": ("sklearn_version", "scikit-learn"),
    "xgboost": ("xgb_version", "xgboost"),
    "lightgbm": ("lgb_version", "lightgbm"),
    "catboost": ("catboost_version", "catboost"),
    "statsmodels": ("statsmodels_version", "statsmodels"),
    "h2o": ("h2o_version", "h2o"),
    "onnx": ("onnx_version", "onnx"),
    "pytorch": ("pytorch_version", "torch"),
    "tensorflow": ("keras_version", "tensorflow"),
    "keras": ("keras_version", "keras"),
    "spark": ("pyspark_version", "pyspark"),
    "transformers": ("transformers_version", "transformers"),
    "sentence_transformers": ("sentence_transformers_version", "sentence-transformers"),
    "paddle": ("paddle_version", "paddlepaddle"),
    "spacy": ("spacy_version", "spacy"),
    "prophet": ("prophet_version", "prophet"),
    "pmdarima": ("pmdarima_version", "pmdarima"),
    "diviner": ("diviner_version", "diviner"),
    PYFUNC: ("cloudpickle_version", "cloudpickle"),
}

# flavor -> the module its loader imports (the library the version key describes). The keras
# flavor's module is its `keras_module` key when set (`tensorflow.keras` before Keras 3).
FLAVOR_MODULES: dict[str, str] = {
    "sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm",
    "catboost": "catboost", "statsmodels": "statsmodels", "h2o": "h2o", "onnx": "onnx",
    "pytorch": "torch", "tensorflow": "tensorflow", "keras": "keras", "spark": "pyspark",
    "transformers": "transformers", "sentence_transformers": "sentence_transformers",
    "paddle": "paddle", "spacy": "spacy", "prophet": "prophet", "pmdarima": "pmdarima",
    "diviner": "diviner", PYFUNC: "cloudpickle",
}


def library_version_text(flavor: str, key: str, value: str) -> str:
    """The PEP 440 part of a flavor's library version as MLflow writes it: `keras_version` of
    Keras bundled in TensorFlow <= 2.2 carries a `-tf` suffix (`2.3.0-tf`, tf.keras.__version__),
    which MLflow itself strips before comparing."""
    if key == "keras_version" and value.endswith("-tf"):
        return value[:-3]
    return value


KNOWN_FLAVORS = frozenset(PATH_KEYS)

SKLEARN_FORMATS = {"pickle": (".pkl",), "cloudpickle": (".pkl",), "skops": (".skops",)}


def path_refs(flavor: str, conf: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yield (pointer, value) for every key of ``conf`` that names a path in the package.

    Values are yielded as found (callers check the type). ``None`` values are skipped: MLflow
    writes null for optional keys it did not use.
    """
    for key in PATH_KEYS.get(flavor, ()):
        if key in conf and conf[key] is not None:
            if flavor == "tensorflow" and key == "data" and conf.get("model_type") not in (
                    None, "keras"):
                continue
            yield join_pointer("flavors", flavor, key), conf[key]
    for key in PATH_LIST_KEYS.get(flavor, ()):
        items = conf.get(key)
        if items is None:
            continue
        if isinstance(items, dict):
            items = [items]
            base: tuple[Any, ...] = ("flavors", flavor, key)
            yield from _items(items, base, single=True)
        elif isinstance(items, list):
            yield from _items(items, ("flavors", flavor, key), single=False)
        else:
            yield join_pointer("flavors", flavor, key), items
    if flavor == PYFUNC:
        arts = conf.get("artifacts")
        if isinstance(arts, dict):
            for name, spec in arts.items():
                ptr = join_pointer("flavors", flavor, "artifacts", name, "path")
                if isinstance(spec, dict):
                    if spec.get("path") is not None:
                        yield ptr, spec["path"]
                else:
                    yield join_pointer("flavors", flavor, "artifacts", name), spec
        elif arts is not None:
            yield join_pointer("flavors", flavor, "artifacts"), arts
    if flavor == "transformers" and isinstance(conf.get("model_binary"), str):
        comps = conf.get("components")
        if isinstance(comps, list):
            for i, name in enumerate(comps):
                if isinstance(name, str) and name:
                    yield join_pointer("flavors", flavor, "components", i), f"components/{name}"


def _items(items: list[Any], base: tuple[Any, ...], *, single: bool) -> Iterator[tuple[str, Any]]:
    for i, item in enumerate(items):
        parts = base if single else (*base, i)
        if isinstance(item, dict) and "path" in item:
            yield join_pointer(*parts, "path"), item["path"]
        else:
            yield join_pointer(*parts), item


ENV_KEYS = ("conda", "virtualenv")


def env_refs(pf: dict) -> list[tuple[str, str]]:
    """(pointer, file) for every file the pyfunc `env` names (string or dict form)."""
    env = pf.get("env")
    if isinstance(env, str):
        return [(join_pointer("flavors", "python_function", "env"), env)]
    if isinstance(env, dict):
        return [(join_pointer("flavors", "python_function", "env", k), v)
                for k, v in env.items() if k in ENV_KEYS and isinstance(v, str)]
    return []


# --- the key each built-in flavor's load_model reads its model from -------------------------
# Read from MLflow 2.17.2 and 3.18.0 (`mlflow/<flavor>/__init__.py` `load_model`/`_load_model`;
# the same keys since 1.x). ``default`` is the path MLflow falls back to when the key is absent
# (`flavor_conf.get("data", "model.cb")`); None means the loader indexes the key
# (`flavor_conf["model_data"]`, KeyError) or joins its value (`os.path.join(d, conf.get("data"))`,
# TypeError on None), so the key is required.

LGB_BOOSTER = "lightgbm.basic.Booster"  # lightgbm model_class MLflow assumes when absent


class ModelKey(NamedTuple):
    key: str
    default: str | None


MODEL_KEYS: dict[str, ModelKey] = {
    "sklearn": ModelKey("pickled_model", None),  # flavor_conf["pickled_model"]
    "xgboost": ModelKey("data", None),  # os.path.join(model_dir, flavor_conf.get("data"))
    "lightgbm": ModelKey("data", None),  # same
    "onnx": ModelKey("data", None),  # flavor_conf["data"]
    "pytorch": ModelKey("model_data", None),  # pytorch_conf["model_data"]
    "spark": ModelKey("model_data", None),  # flavor_conf["model_data"]
    "johnsnowlabs": ModelKey("model_data", None),  # flavor_conf["model_data"]
    "paddle": ModelKey("pickled_model", None),  # flavor_conf["pickled_model"] (a path prefix)
    "catboost": ModelKey("data", "model.cb"),
    "statsmodels": ModelKey("data", "model.statsmodels"),
    "h2o": ModelKey("data", "model.h2o"),
    "spacy": ModelKey("data", "model.spacy"),
    "prophet": ModelKey("data", "model.pr"),
    "pmdarima": ModelKey("data", "model.pmd"),
    "fastai": ModelKey("data", "model.fastai"),
    "openai": ModelKey("data", "model.yaml"),
    "keras": ModelKey("data", "model"),  # Keras 3 flavor, mlflow/keras/load.py
    # MLflow 1.x/2.x (3 has no diviner): flavor_conf.get("data", "model.div"); a model fit in
    # Spark reads flavor_conf["data"] (DIVINER_SPARK_KEY)
    "diviner": ModelKey("data", "model.div"),
}
DIVINER_SPARK_KEY = ModelKey("data", None)
# tensorflow: `model_type: keras` reads `data` (default "model"); `tf2-module`, `tf1-estimator`
# (and an old block without model_type and without a keras flavor) read `saved_model_dir`.
# When the MLmodel also has a `keras` flavor, tensorflow's loader reads the keras block instead.
TF_KERAS_KEY = ModelKey("data", "model")
TF_SAVED_MODEL_KEY = ModelKey("saved_model_dir", None)
# transformers reads `model_binary` (default "pipeline", the pre-2.4.1 layout) only for a model
# saved into the package: not with `source_model_revision` (save_pretrained=False, fetched from
# the Hub) nor `local_base_model_path` (PEFT on a local base model).
TRANSFORMERS_KEY = ModelKey("model_binary", "pipeline")


def model_key(flavor: str, conf: dict[str, Any], flavors: dict[str, Any]) -> ModelKey | None:
    """The key the flavor's ``load_model`` reads its model file from, None when the flavor is
    not built in or does not read a fixed key in this configuration."""
    if flavor == "tensorflow":
        if "keras" in flavors:
            return None  # the keras block is read (and checked as the keras flavor)
        mtype = conf.get("model_type")
        return TF_KERAS_KEY if mtype == "keras" else TF_SAVED_MODEL_KEY
    if flavor == "diviner" and conf.get("fit_with_spark"):
        return DIVINER_SPARK_KEY
    if flavor == "transformers":
        if conf.get("local_base_model_path") or "source_model_revision" in conf:
            return None
        return TRANSFORMERS_KEY
    return MODEL_KEYS.get(flavor)


def pickled_keys(flavor: str, conf: dict[str, Any]) -> tuple[str, ...]:
    """Keys of a built-in flavor block whose file MLflow writes with pickle/cloudpickle.

    Flavors that store their model in another format are absent: prophet writes
    ``json.dump(model_to_json(m))`` (model.pr, JSON text), paddle ``paddle.jit.save`` (a path
    prefix of .pdmodel/.pdiparams), xgboost/catboost/onnx/h2o/spacy/keras/tensorflow/spark their
    library's own formats. sklearn and lightgbm depend on the block: skops is not a pickle, and a
    lightgbm Booster is saved with ``Booster.save_model`` (text).
    """
    if flavor == "sklearn":
        return () if conf.get("serialization_format") == "skops" else ("pickled_model",)
    if flavor == "lightgbm":
        if conf.get("model_class", LGB_BOOSTER) == LGB_BOOSTER \
                or conf.get("serialization_format") == "skops":
            return ()
        return ("data",)
    return PICKLED_KEYS.get(flavor, ())


# keys whose file is JSON holding base64-encoded pickles that the loader unpickles: diviner's
# GroupedPmdarima.save (diviner/serialize/pmdarima_serializer.py: urlsafe_b64encode of
# pickle.dumps for the keys and values of its grouped dicts and for the model template;
# GroupedProphet writes prophet's JSON, which holds none). MLflow 3 has no diviner flavor.
EMBEDDED_PICKLE_KEYS: dict[str, tuple[str, ...]] = {
    "diviner": ("data",),
}

PICKLED_KEYS: dict[str, tuple[str, ...]] = {
    "statsmodels": ("data",),  # results.save(path) -> statsmodels' save_pickle
    "pmdarima": ("data",),  # pickle.dump(model, f)
    "pytorch": ("model_data",),  # torch.save (usually a directory holding model.pth)
}
