"""Import name -> distribution name, for "is this module provided by a requirement?".

Most distributions install a top-level module of (nearly) the same name; this table holds the
common exceptions seen in ML environments. Keys are top-level import names; values are
canonical distribution names (PEP 503: lower case, runs of ``-_.`` as one ``-``). Several
distributions may provide one import name (``cv2``: any OpenCV build).
"""

from __future__ import annotations

import re
import sys

IMPORT_TO_DISTS: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn", "sklearn"),
    "_loss": ("scikit-learn",),  # sklearn's Cython loss classes pickle under module "_loss"
    "skimage": ("scikit-image",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
            "opencv-contrib-python-headless"),
    "PIL": ("pillow", "pil"),
    "yaml": ("pyyaml",),
    "ruamel": ("ruamel-yaml",),
    "bs4": ("beautifulsoup4",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "jwt": ("pyjwt",),
    "google": ("protobuf", "google-cloud-storage", "google-api-core", "google-auth",
               "googleapis-common-protos", "google-cloud-bigquery"),
    "attr": ("attrs",),
    "Crypto": ("pycryptodome",),
    "OpenSSL": ("pyopenssl",),
    "magic": ("python-magic",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "fitz": ("pymupdf",),
    "serial": ("pyserial",),
    "usb": ("pyusb",),
    "zmq": ("pyzmq",),
    "git": ("gitpython",),
    "github": ("pygithub",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "MySQLdb": ("mysqlclient",),
    "sqlalchemy": ("sqlalchemy",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos",
                   "tf-nightly", "tensorflow-intel"),
    "tf_keras": ("tf-keras",),
    "keras": ("keras", "tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-keras"),
    "torch": ("torch", "pytorch"),
    "torchvision": ("torchvision",),
    "lightgbm": ("lightgbm",),
    "xgboost": ("xgboost", "xgboost-cpu"),
    "catboost": ("catboost",),
    "pyspark": ("pyspark",),
    "statsmodels": ("statsmodels",),
    "prophet": ("prophet",),
    "fbprophet": ("fbprophet",),
    "pmdarima": ("pmdarima",),
    "sentence_transformers": ("sentence-transformers",),
    "transformers": ("transformers",),
    "huggingface_hub": ("huggingface-hub",),
    "paddle": ("paddlepaddle", "paddlepaddle-gpu"),
    "mxnet": ("mxnet",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "mlflow": ("mlflow", "mlflow-skinny"),
    "umap": ("umap-learn",),
    "hdbscan": ("hdbscan",),
    "imblearn": ("imbalanced-learn",),
    "category_encoders": ("category-encoders",),
    "lightning": ("lightning", "pytorch-lightning"),
    "pytorch_lightning": ("pytorch-lightning", "lightning"),
    "gensim": ("gensim",),
    "nltk": ("nltk",),
    "spacy": ("spacy",),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "Levenshtein": ("python-levenshtein", "levenshtein"),
    "tensorflow_hub": ("tensorflow-hub",),
    "tensorflow_text": ("tensorflow-text",),
    "google.protobuf": ("protobuf",),
    "pkg_resources": ("setuptools",),
    "setuptools": ("setuptools",),
    "typing_extensions": ("typing-extensions",),
    "jinja2": ("jinja2",),
    "markupsafe": ("markupsafe",),
    "pydantic_core": ("pydantic-core", "pydantic"),
    "shap": ("shap",),
    "numba": ("numba",),
    "llvmlite": ("llvmlite",),
    "scipy": ("scipy",),
    "numpy": ("numpy",),
    "pandas": ("pandas",),
    "pyarrow": ("pyarrow",),
    "cloudpickle": ("cloudpickle",),
    "joblib": ("joblib",),
    "dill": ("dill",),
    "h2o": ("h2o",),
    "openai": ("openai",),
    "langchain": ("langchain",),
    "langchain_core": ("langchain-core", "langchain"),
    "langchain_community": ("langchain-community",),
    "langchain_openai": ("langchain-openai",),
    "tiktoken": ("tiktoken",),
}

# Distributions that depend on another (installing the key brings the values along), so a
# module of a value counts as provided by the key.
BRINGS_ALONG: dict[str, tuple[str, ...]] = {
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "pandas": ("numpy", "python-dateutil", "pytz", "tzdata"),
    "mlflow": ("mlflow-skinny", "cloudpickle", "numpy", "pandas", "scikit-learn", "scipy",
               "pyarrow", "pyyaml", "packaging", "protobuf", "requests", "sqlalchemy",
               "click", "jinja2", "flask", "matplotlib", "gunicorn", "graphene", "alembic",
               "docker", "markdown", "cachetools", "pydantic", "sqlparse"),
    "mlflow-skinny": ("cloudpickle", "pyyaml", "packaging", "protobuf", "requests",
                      "click", "pydantic", "sqlparse", "cachetools"),
    "xgboost": ("numpy", "scipy"),
    "lightgbm": ("numpy", "scipy"),
    "catboost": ("numpy", "pandas", "scipy", "graphviz", "matplotlib", "plotly", "six"),
    "statsmodels": ("numpy", "scipy", "pandas", "patsy", "packaging"),
    "torch": ("numpy", "typing-extensions", "sympy", "networkx", "jinja2", "filelock",
              "fsspec"),
    "torchvision": ("torch", "numpy", "pillow"),
    "tensorflow": ("numpy", "keras", "h5py", "protobuf", "tensorboard"),
    "transformers": ("numpy", "huggingface-hub", "tokenizers", "safetensors", "pyyaml",
                     "regex", "requests", "tqdm", "packaging"),
    "sentence-transformers": ("transformers", "torch", "numpy", "scikit-learn", "scipy",
                              "huggingface-hub"),
    "prophet": ("numpy", "pandas", "cmdstanpy", "holidays", "matplotlib"),
    "imbalanced-learn": ("scikit-learn", "numpy", "scipy", "joblib"),
    "shap": ("numpy", "scipy", "scikit-learn", "pandas", "numba", "cloudpickle"),
}

_CANON = re.compile(r"[-_.]+")


def canonical(dist: str) -> str:
    return _CANON.sub("-", dist).lower()


def is_stdlib(module: str) -> bool:
    top = module.split(".", 1)[0]
    names = getattr(sys, "stdlib_module_names", None) or _FALLBACK_STDLIB
    return top in names or top in ("__builtin__", "copy_reg", "__main__")


def distributions_for(module: str) -> tuple[str, ...]:
    """Distribution names (canonical) that may provide top-level module ``module``."""
    top = module.split(".", 1)[0]
    known = IMPORT_TO_DISTS.get(module) or IMPORT_TO_DISTS.get(top)
    guess = canonical(top)
    return tuple(dict.fromkeys([*(known or ()), guess]))


def provided(module: str, dists: set[str]) -> bool:
    """True when one of ``dists`` (canonical names) provides ``module``, directly or along."""
    return any(d in dists or not _brought_by(d).isdisjoint(dists)
               for d in distributions_for(module))


def _reach(dist: str) -> set[str]:
    """Every distribution installing ``dist`` brings along, transitively."""
    seen: set[str] = set()
    frontier = [dist]
    while frontier:
        for extra in BRINGS_ALONG.get(frontier.pop(), ()):
            if extra not in seen:
                seen.add(extra)
                frontier.append(extra)
    return seen


_BROUGHT_BY: dict[str, frozenset[str]] = {}


def _brought_by(dist: str) -> frozenset[str]:
    """The distributions that bring ``dist`` along (transitively).

    ``provided`` used to compute the closure of a package's requirements on every call (~5
    per package); this inverse of the (constant) BRINGS_ALONG table is made once instead,
    on first use."""
    if not _BROUGHT_BY:
        inverse: dict[str, set[str]] = {}
        for key in BRINGS_ALONG:
            for extra in _reach(key):
                inverse.setdefault(extra, set()).add(key)
        _BROUGHT_BY.update({k: frozenset(v) for k, v in inverse.items()})
    return _BROUGHT_BY.get(dist, _NOTHING)


_NOTHING: frozenset[str] = frozenset()


_FALLBACK_STDLIB = frozenset("""
abc argparse array ast asyncio base64 bisect builtins bz2 calendar collections concurrent
contextlib copy copyreg csv ctypes dataclasses datetime decimal difflib enum functools gc glob
gzip hashlib heapq hmac html http importlib inspect io itertools json logging lzma math
multiprocessing numbers operator os pathlib pickle platform posix pprint queue random re
shutil signal socket sqlite3 ssl statistics string struct subprocess sys tempfile textwrap
threading time timeit traceback types typing unittest urllib uuid warnings weakref zipfile
zlib _codecs _pickle marshal codecs fractions posixpath ntpath nt site runpy pty code
""".split())
