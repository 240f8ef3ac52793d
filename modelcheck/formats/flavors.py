"""What modelcheck knows about MLflow's built-in flavors (key names as written by 1.x-3.18).

``PATH_KEYS`` lists, per flavor, the keys whose string value names a file or directory inside
the package; ``PATH_LIST_KEYS`` the keys holding ``[{path: ...}]`` lists; ``FLAVOR_LIBRARIES``
maps a flavor to its library-version key and the pip distribution that provides the library.
Shared by the flavor rules (MC2xx) and the environment rules (MC5xx).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    PYFUNC: "cloudpickle",
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
