"""MC601-MC602: modules the model needs but nobody provides; `code/` modules that shadow."""

from __future__ import annotations

import posixpath
import sys

from modelcheck.formats.pickle.policy import imported_modules
from modelcheck.formats.requirements.importmap import (
    canonical,
    distributions_for,
    is_stdlib,
    pip_name,
    provides,
)
from modelcheck.package.pickle_files import pickle_files
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

# Distributions whose import name differs from their name, or that are too common to shadow.
_WELL_KNOWN = frozenset({
    "mlflow", "numpy", "pandas", "sklearn", "scipy", "torch", "tensorflow", "keras",
    "xgboost", "lightgbm", "catboost", "cloudpickle", "joblib", "yaml", "requests",
    "transformers", "pydantic", "packaging", "six", "decorator", "typing_extensions",
    "attr", "attrs", "click", "flask", "werkzeug", "jinja2", "pyarrow", "statsmodels",
    "matplotlib", "PIL", "cv2", "onnx", "onnxruntime", "pyspark", "google", "protobuf",
    "setuptools", "pkg_resources", "pip", "wheel", "certifi", "urllib3", "idna",
    "dateutil", "pytz", "tqdm", "regex", "filelock", "fsspec", "huggingface_hub",
    "tokenizers", "safetensors", "sympy", "networkx", "threadpoolctl", "numba", "dill",
    "skops", "shap", "prophet", "spacy", "nltk", "gensim", "sqlalchemy", "boto3",
    "botocore", "azure", "gunicorn", "uvicorn", "fastapi", "starlette", "markdown",
    "docker", "cachetools", "opentelemetry", "databricks", "h5py", "tf_keras",
    # import names of common packages that differ from their distribution's name
    "_loss", "skimage", "ruamel", "bs4", "dotenv", "jwt", "Crypto", "OpenSSL", "magic", "docx",
    "pptx", "fitz", "serial", "usb", "zmq", "git", "github", "psycopg2", "MySQLdb",
    "torchvision", "fbprophet", "pmdarima", "sentence_transformers", "paddle", "mxnet", "umap",
    "hdbscan", "imblearn", "category_encoders", "lightning", "pytorch_lightning", "faiss",
    "Levenshtein", "tensorflow_hub", "tensorflow_text", "markupsafe", "pydantic_core",
    "llvmlite", "h2o", "openai", "langchain", "langchain_core", "langchain_community",
    "langchain_openai", "tiktoken",
})


def code_dirs(pkg) -> list[str]:
    """The `code` directories named by any flavor that exist in the package."""
    out: list[str] = []
    for conf in pkg.flavors.values():
        c = conf.get("code")
        if isinstance(c, str) and c.strip("/") and not c.startswith("/") and ".." not in c:
            c = c.strip("/")
            if c not in out and pkg.is_dir(c):
                out.append(c)
    return out


def code_modules(pkg, code: str) -> dict[str, str]:
    """Top-level importable names in ``code`` -> the file or dir that provides them."""
    out: dict[str, str] = {}
    prefix = code + "/"
    for e in pkg.files():
        if not e.path.startswith(prefix):
            continue
        rest = e.path[len(prefix):]
        if "/" in rest:
            continue
        if e.kind == "dir" and rest.isidentifier() and rest != "__pycache__":
            out.setdefault(rest, e.path)
        elif e.kind == "file" and rest.endswith((".py", ".so", ".pyd")):
            stem = rest.split(".", 1)[0]
            if stem.isidentifier():
                out.setdefault(stem, e.path)
    return out


def declared_distributions(pkg) -> tuple[set[str], bool]:
    """Canonical pip names of every declared requirement (conda names mapped to pip's);
    False when no env file exists."""
    from modelcheck.package.envfiles import all_requirement_sources, conda_name, env_of

    env = env_of(pkg)
    names: set[str] = set()
    any_env = False
    for lines in all_requirement_sources(env):
        any_env = True
        for r in lines:
            if r.kind == "requirement" and r.name:
                names.add(canonical(r.name))
            elif r.url or r.text:
                # wheels/VCS/local paths: take the egg or file stem as a best guess
                stem = posixpath.basename((r.url or r.text).split("#egg=")[-1]).split("-")[0]
                if stem:
                    names.add(canonical(stem))
    if env.conda is not None:
        any_env = True
        for d in env.conda.deps:
            if isinstance(d.value, str):
                names.add(pip_name(conda_name(d.value)))
    if env.requirements is not None:
        any_env = True
    return names, any_env


@rule("MC601", "pickle-module-not-provided", Level.WARNING, tags=("code", "env", "pickle"))
def pickle_module_not_provided(pkg):
    """A module the model's pickles import is neither in `code/` nor a declared requirement.

    What it checks
    Every top-level module that loading the package's pickles imports (their globals and
    cloudpickle `subimport` calls) must be in the standard library, shipped in the flavor's
    `code` directory, or provided by a requirement in `requirements.txt`/`conda.yaml`/
    `python_env.yaml`, directly or as a dependency of one. Import names are mapped to
    distributions from their real metadata (tools/gen_distribution_table.py reads each wheel's
    RECORD and Requires-Dist): `sklearn` -> `scikit-learn`, `cv2` -> `opencv-python`,
    `azureml.training.tabular` -> `azureml-training-tabular`; a required distribution of a
    namespace's prefix the table does not know (`azureml-foo`) may provide that namespace.
    Conda names count as their pip names (`pytorch` is `torch`).
    Classes pickled from `__main__` (a notebook or training script) are reported too.

    Why it matters
    This is the classic "works on my machine" failure of custom pyfunc models: the pickle
    references a helper module that lived next to the training notebook, so loading in a
    fresh serving environment raises `ModuleNotFoundError` (or `AttributeError` for
    `__main__` classes).

    Example
    `python_model.pkl` references `mytransformers.DateTransformer`, but `mytransformers` is
    neither in `code/` nor installable from requirements.txt.

    How to fix
    Log the model with `code_paths=["mytransformers.py"]` (or `infer_code_paths=True`), or
    add the distribution that provides the module to `extra_pip_requirements`.
    """
    mods: dict[str, str] = {}
    for pf in pickle_files(pkg):
        if pf.scan is None:
            continue
        for m in imported_modules(pf.scan):
            mods.setdefault(m, pf.path)
    if not mods:
        return
    shipped: set[str] = set()
    for c in code_dirs(pkg):
        shipped |= set(code_modules(pkg, c))
    declared, any_env = declared_distributions(pkg)
    declared |= {"mlflow"}  # the loader itself runs in an environment with mlflow
    seen: set[str] = set()
    for mod, where in mods.items():
        top = mod.split(".", 1)[0]
        if top in seen:
            continue
        if top == "__main__":
            seen.add(top)
            names = sorted({g.name for pf in pickle_files(pkg) if pf.scan
                            for g in pf.scan.globals if g.module == "__main__"})
            yield Hit(f"{where} references {', '.join(names[:5]) or 'objects'} from "
                      "__main__: classes defined in the training script or notebook cannot be "
                      "found when the model is loaded elsewhere", file=where, key="__main__",
                      fix="move the classes into a module and log it with code_paths")
            continue
        if is_stdlib(mod) or top in shipped or not top.isidentifier():
            continue
        if not any_env or provides(mod, declared):
            continue
        seen.add(top)
        dists = [d for d in distributions_for(top) if d != canonical(top)]
        hint = f" (distribution {dists[0]!r})" if dists else ""
        yield Hit(f"{where} imports module {top!r}{hint}, which is neither shipped in code/ "
                  "nor provided by a declared requirement: loading in a fresh environment "
                  "raises ModuleNotFoundError", file=where, key=top,
                  fix=f"add {top}.py to code_paths when logging, or add the package providing "
                      f"{top!r} to the requirements")


@rule("MC602", "code-shadows-module", Level.WARNING, tags=("code",))
def code_shadows_module(pkg):
    """A module in `code/` has the name of a standard-library module or a common package.

    What it checks
    Top-level modules and packages in the flavor `code` directory (`code/<name>.py`,
    `code/<name>/`) named like a standard-library module (`logging`, `types`, `json`...) or
    a well-known distribution (`mlflow`, `numpy`, `pandas`, `sklearn`, `decorator`...).

    Why it matters
    MLflow prepends `code/` to `sys.path` when it loads the model, so that module replaces
    the real one for the whole process: a `code/decorator.py` hides the `decorator` package
    for every model and library loaded afterwards, and `code/logging.py` breaks MLflow
    itself.

    Example
    `code/utils.py` is fine; `code/sklearn/` or `code/json.py` is not.

    How to fix
    Rename the module (e.g. `myproject_utils.py`) and its imports, then re-log the model.
    """
    for c in code_dirs(pkg):
        for name, path in sorted(code_modules(pkg, c).items()):
            if name in sys.stdlib_module_names if hasattr(sys, "stdlib_module_names") \
                    else is_stdlib(name):
                what = "the standard-library module"
            elif name in _WELL_KNOWN:
                what = "the installed package"
            else:
                continue
            yield Hit(f"{path} shadows {what} {name!r}: {c}/ is put first on sys.path when "
                      "the model loads, so every import of it in the process gets this file",
                      file=path, key=name,
                      fix=f"rename {path} to a project-specific name and update its imports")
