"""Write fixture packages with REAL MLflow, so CI can test modelcheck without installing mlflow.

Run it with the interpreter of a venv that has mlflow and scikit-learn installed::

    /work/venvs/mlflow3/bin/python tests/generate_fixtures.py --out tests/fixtures/mlflow
    /work/venvs/mlflow2/bin/python tests/generate_fixtures.py --out tests/fixtures/mlflow

It detects the MLflow version and replaces ``<out>/<mlflow version>/`` with one package folder
per case plus ``CASES.json`` (what each case is, which defects MLflow itself writes on purpose,
which cases this MLflow version cannot produce). ``--example-out DIR`` also writes the small
clean iris package used by the README (``examples/iris-sklearn``).

Every package comes from MLflow's own ``save_model``/``log_model``; logged cases use a
throw-away sqlite tracking store and a file artifact root inside a temp dir, and the logged
model is downloaded out of it. Models are tiny and seeded so pickles stay a few KB. Nothing
here is edited after MLflow wrote it, except that ``__pycache__`` folders are removed.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GEN = Path(__file__).resolve().parent / "gen"
sys.path.insert(0, str(GEN))

import flavor_cases  # noqa: E402  (tests/gen/flavor_cases.py)
import mlflow  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from mlflow.models.signature import ModelSignature  # noqa: E402
from mlflow.types.schema import Schema, TensorSpec  # noqa: E402
from packaging.version import Version  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

V = Version(mlflow.__version__)
IRIS_COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


# --- models ---------------------------------------------------------------------------------
# Defined in __main__ so cloudpickle stores them by value: the packages load without this file.


class EchoModel(mlflow.pyfunc.PythonModel):
    """Returns its input unchanged (the example cases let MLflow infer the signature)."""

    def predict(self, context, model_input, params=None):
        return model_input


class ScaleModel(mlflow.pyfunc.PythonModel):
    """Uses the helper module shipped through code_paths, and the ``factor`` param."""

    def predict(self, context, model_input, params=None):
        from helpers import scale

        factor = (params or {}).get("factor", 2.0)
        return pd.DataFrame({"x": scale(model_input["x"].astype(float), factor)})


class FirstColumnModel(mlflow.pyfunc.PythonModel):
    """float32 (-1, 4) -> float32 (-1,)."""

    def predict(self, context, model_input, params=None):
        return np.asarray(model_input, dtype=np.float32)[:, 0]


class NamedTensorModel(mlflow.pyfunc.PythonModel):
    """{"a": int64, "b": float64} -> the "a" tensor."""

    def predict(self, context, model_input, params=None):
        return model_input["a"]


def iris() -> tuple[pd.DataFrame, Any]:
    data = load_iris()
    x = pd.DataFrame(data.data, columns=IRIS_COLS)
    return x, data.target


def iris_clf() -> LogisticRegression:
    x, y = iris()
    return LogisticRegression(max_iter=300, random_state=0).fit(x, y)


# --- how to call MLflow on this version -------------------------------------------------------


class Gen:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.store = tmp / "mlflow.db"
        self.artifacts = tmp / "mlruns"
        mlflow.set_tracking_uri(f"sqlite:///{self.store}")
        exp = mlflow.create_experiment("fixtures", artifact_location=self.artifacts.as_uri())
        mlflow.set_experiment(experiment_id=exp)

    @staticmethod
    def _kw(func: Callable, kw: dict[str, Any]) -> dict[str, Any]:
        params = inspect.signature(func).parameters
        if "code_paths" in kw and "code_paths" not in params:
            kw["code_path"] = kw.pop("code_paths")  # MLflow 1.x name
        return kw

    def save(self, module: Any, dest: Path, **kw: Any) -> None:
        module.save_model(path=str(dest), **self._kw(module.save_model, kw))

    def log(self, module: Any, dest: Path, **kw: Any) -> None:
        params = inspect.signature(module.log_model).parameters
        name_kw = "name" if "name" in params else "artifact_path"
        kw[name_kw] = "model"
        with mlflow.start_run():
            info = module.log_model(**self._kw(module.log_model, kw))
        got = mlflow.artifacts.download_artifacts(
            artifact_uri=info.model_uri, dst_path=str(self.tmp / "dl")
        )
        shutil.move(got, dest)
        shutil.rmtree(self.tmp / "dl", ignore_errors=True)


# --- cases ----------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    what: str
    build: Callable[[Gen, Path], None]
    min_version: str = "1.0"
    # Findings modelcheck SHOULD report because MLflow writes the defect on purpose:
    # [{"code": "MC504", "code_prefix": "MC5", "file": ..., "contains": [...], "why": "..."}]
    expected: list[dict[str, Any]] = field(default_factory=list)
    # True findings that are tolerated but not required (debatable level, or no rule yet).
    allowed: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""
    # Modules the case imports; a venv without one records the case as skipped.
    needs: tuple[str, ...] = ()


def _sklearn_plain(g: Gen, d: Path) -> None:
    g.save(mlflow.sklearn, d, sk_model=iris_clf())


def _sklearn_sig_example(g: Gen, d: Path) -> None:
    clf = iris_clf()
    x, _ = iris()
    sig = infer_signature(x, clf.predict(x))
    g.log(mlflow.sklearn, d, sk_model=clf, signature=sig, input_example=x.head(3))


def _sklearn_format(fmt: str) -> Callable[[Gen, Path], None]:
    def build(g: Gen, d: Path) -> None:
        x, _ = iris()
        g.save(mlflow.sklearn, d, sk_model=iris_clf(), serialization_format=fmt,
               input_example=x.head(2))
    return build


def _pyfunc_code_paths_params(g: Gen, d: Path) -> None:
    example = pd.DataFrame({"x": [1.0, 2.0], "label": ["a", "b"]})
    params = {"factor": 2.0, "mode": "fast", "ids": [1, 2]}
    out = pd.DataFrame({"x": [2.0, 4.0]})
    sig = infer_signature(example, out, params=params)
    g.log(mlflow.pyfunc, d, python_model=ScaleModel(), code_paths=[str(GEN / "helpers.py")],
          signature=sig, input_example=(example, params),
          extra_pip_requirements=["requests>=2.0", "pandas"])


def _pyfunc_tensor(g: Gen, d: Path) -> None:
    sig = ModelSignature(inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 4))]),
                         outputs=Schema([TensorSpec(np.dtype(np.float32), (-1,))]))
    example = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    g.save(mlflow.pyfunc, d, python_model=FirstColumnModel(), signature=sig,
           input_example=example)


def _pyfunc_named_tensors(g: Gen, d: Path) -> None:
    example = {"a": np.zeros((1, 3), dtype=np.int64), "b": np.ones((1, 2, 2))}
    sig = infer_signature(example, example["a"])
    g.save(mlflow.pyfunc, d, python_model=NamedTensorModel(), signature=sig,
           input_example=example)


def _models_from_code(g: Gen, d: Path) -> None:
    src = g.tmp / "mfc_model.py"
    shutil.copy(GEN / "mfc_model.py", src)
    g.save(mlflow.pyfunc, d, python_model=str(src), model_config={"k": 1},
           metadata={"team": "x"}, input_example=["a", "b"])


def _pyfunc_no_signature(g: Gen, d: Path) -> None:
    g.save(mlflow.pyfunc, d, python_model=EchoModel())


def _env_conda_override(g: Gen, d: Path) -> None:
    conda_env = {
        "name": "x",
        "channels": ["defaults"],
        "dependencies": ["python=3.9.1", "numpy=1.26",
                         {"pip": [f"mlflow=={mlflow.__version__}", "scikit-learn==1.0"]}],
    }
    g.save(mlflow.sklearn, d, sk_model=iris_clf(), conda_env=conda_env)


def _env_pip_constraints(g: Gen, d: Path) -> None:
    cons = g.tmp / "cons.txt"
    cons.write_text("numpy<3\n")
    g.save(mlflow.sklearn, d, sk_model=iris_clf(),
           pip_requirements=["scikit-learn", f"-c {cons}"])


def _default_sklearn_format() -> str:
    get = getattr(mlflow.sklearn, "_get_default_serialization_format", None)
    return get() if get else mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE


def _env_pip_explicit(g: Gen, d: Path) -> None:
    fmt = _default_sklearn_format()
    lib = [f"{fmt}=={_dist(fmt)}"] if fmt in ("skops", "cloudpickle") else []
    g.save(mlflow.sklearn, d, sk_model=iris_clf(),
           pip_requirements=[f"scikit-learn=={sklearn.__version__}",
                             f"numpy=={np.__version__}", f"scipy=={_dist('scipy')}", *lib])


def _env_extra_pip(g: Gen, d: Path) -> None:
    g.save(mlflow.sklearn, d, sk_model=iris_clf(), extra_pip_requirements=["requests>=2.0"])


def _dist(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _example(make: Callable[[], Any]) -> Callable[[Gen, Path], None]:
    def build(g: Gen, d: Path) -> None:
        example = make()
        g.save(mlflow.pyfunc, d, python_model=EchoModel(), input_example=example)
    return build


def _df_mixed() -> pd.DataFrame:
    return pd.DataFrame({
        "i": [1, 2],
        "f": [1.5, np.nan],
        "s": ["a", None],
        "b": [True, False],
        "t": pd.to_datetime(["2024-01-01 00:00:00", "2024-01-02 03:04:05"]),
        "by": [b"ab", b"\x00"],
    })


def _csr() -> Any:
    from scipy.sparse import csr_matrix

    return csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0]]))


CONDA_WHY = ("custom conda_env is written verbatim: it pins python=3.9.1 and scikit-learn==1.0 "
             "while the model was saved on the running interpreter and scikit-learn")

CASES: list[Case] = [
    Case("sklearn_plain", "mlflow.sklearn.save_model, default serialization, no signature or "
         "example", _sklearn_plain),
    Case("sklearn_sig_example", "mlflow.sklearn.log_model with infer_signature and a 3-row "
         "iris DataFrame example, downloaded from a sqlite/file tracking store (spec §11 ex. 1)",
         _sklearn_sig_example),
    Case("sklearn_pickle", "sklearn save_model serialization_format='pickle', DataFrame example",
         _sklearn_format("pickle")),
    Case("sklearn_cloudpickle", "sklearn save_model serialization_format='cloudpickle', "
         "DataFrame example", _sklearn_format("cloudpickle")),
    Case("sklearn_skops", "sklearn save_model serialization_format='skops' (3.x default), "
         "DataFrame example", _sklearn_format("skops"), min_version="3.0"),
    Case("pyfunc_code_paths_params", "PythonModel logged with code_paths=[helpers.py], a params "
         "signature, a (DataFrame, params) example and extra_pip_requirements=['requests>=2.0', "
         "'pandas'] (spec §11 ex. 2)", _pyfunc_code_paths_params, min_version="2.6"),
    Case("pyfunc_tensor", "PythonModel, TensorSpec float32 (-1, 4) -> float32 (-1,), ndarray "
         "example (spec §11 ex. 3)", _pyfunc_tensor),
    Case("pyfunc_named_tensors", "PythonModel, signature inferred from a dict-of-ndarrays "
         "example (spec §11 ex. 3b)", _pyfunc_named_tensors),
    Case("models_from_code", "models-from-code (python_model=<path>.py) with model_config, "
         "metadata and a list-of-str example (spec §11 ex. 4)", _models_from_code,
         min_version="2.12", notes="model_code_path keeps the absolute temp path of the "
         "source file; only its basename (mfc_model.py, at the package root) is used"),
    Case("pyfunc_no_signature", "PythonModel saved with no signature and no example",
         _pyfunc_no_signature),
    Case("env_conda_override", "sklearn with a custom conda_env: python=3.9.1, numpy=1.26 "
         "(conda-only dep), scikit-learn==1.0 (spec §11 ex. 5)", _env_conda_override,
         expected=[
             {"code": "MC504", "code_prefix": "MC5", "contains": ["3.9"],
              "why": CONDA_WHY + " -> python version disagreement (spec E1/D39)"},
             {"code": "MC506", "code_prefix": "MC5", "contains": ["1.0"],
              "why": CONDA_WHY + " -> sklearn_version vs scikit-learn==1.0 pin (spec E7/D43)"},
         ],
         allowed=[
             {"code": "MC510", "code_prefix": "MC5", "file": "conda.yaml", "contains": ["numpy"],
              "why": "numpy=1.26 is a conda-only dependency (spec E10/D46)"},
         ]),
    Case("env_pip_constraints", "sklearn with pip_requirements=['scikit-learn', '-c <tmp>/"
         "cons.txt'] (spec §11 ex. 6): constraints.txt is copied into the package",
         _env_pip_constraints),
    Case("env_pip_explicit", "sklearn with an explicit, fully pinned pip_requirements list",
         _env_pip_explicit),
    Case("env_extra_pip", "sklearn with extra_pip_requirements=['requests>=2.0']",
         _env_extra_pip),
    Case("example_df_mixed", "EchoModel, DataFrame example with int/float-with-NaN/str-with-None"
         "/bool/datetime/bytes columns; signature inferred by MLflow", _example(_df_mixed)),
    Case("example_df_unnamed", "EchoModel, DataFrame with default integer column labels "
         "(pandas_orient values)",
         _example(lambda: pd.DataFrame([[1, 2.5], [3, np.nan]])),
         notes="2.x/3.x write the inferred column names as JSON integers (\"name\": 0)"),
    Case("example_json_dict", "EchoModel, dict example (json_object) with scalars, a list and "
         "a nested dict", _example(lambda: {"a": 1, "b": "x", "c": [1, 2], "d": {"e": 1.5}}),
         min_version="2.0"),
    Case("example_list_of_dicts", "EchoModel, list-of-dicts example (json_object), one key "
         "missing from a row", _example(lambda: [{"a": 1, "b": "x"}, {"a": 2}]),
         min_version="2.0"),
    Case("example_csr", "EchoModel, scipy csr_matrix example", _example(_csr)),
    Case("example_params_tuple", "EchoModel, (dict, params) example", _example(
        lambda: ({"q": "x"}, {"temperature": 0.5})), min_version="2.6"),
    Case("example_chat_messages", "EchoModel, chat-style {'messages': [...]} example "
         "(json_object)", _example(lambda: {"messages": [{"role": "user", "content": "hi"}]}),
         min_version="2.0"),
]
CASES += [Case(**spec) for spec in flavor_cases.FLAVOR_CASES]

# Why a flavor library is absent from a venv (README: which venv got what), by MLflow major.
NOT_INSTALLED_WHY: dict[tuple[int, str], str] = {
    (3, "mlflow.diviner"): "MLflow 3 removed the diviner flavor",
}


# --- driver ---------------------------------------------------------------------------------


def _no_signature(d: Path) -> list[dict[str, Any]]:
    """Cases saved without signature (or on 1.x, where examples infer none) miss one: true."""
    import yaml

    meta = yaml.safe_load((d / "MLmodel").read_text())
    if "python_function" not in meta["flavors"] or meta.get("signature"):
        return []
    return [{"code": "MC301", "code_prefix": "MC3",
             "why": "saved with no signature (MLflow infers none here): serving cannot check "
                    "inputs, a true warning"}]


def _serialization_dep_gap(d: Path) -> list[dict[str, Any]]:
    """An explicit requirement list or conda_env can leave out the serialization library."""
    import yaml

    sk = (yaml.safe_load((d / "MLmodel").read_text())["flavors"]).get("sklearn") or {}
    lib = sk.get("serialization_format")
    reqs = d / "requirements.txt"
    if lib not in ("skops", "cloudpickle") or not reqs.is_file():
        return []
    names = {line.split("=")[0].split("<")[0].split(">")[0].strip().lower()
             for line in reqs.read_text().splitlines()}
    if lib in names:
        return []
    return [{"code": "MC507", "code_prefix": "MC5", "contains": [lib],
             "why": f"serialization_format {lib} but the user-chosen requirements do not list "
                    f"{lib} (spec E8/D47; mlflow itself depends on it, so loading still works)"}]


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package is missing
        return False


def _case_versions(modules: tuple[str, ...]) -> dict[str, str]:
    """The distributions behind a flavor case's modules, plus mlflow/numpy/pandas."""
    from importlib.metadata import packages_distributions

    top = packages_distributions()
    names = {"mlflow", "numpy", "pandas"}
    for m in modules:
        names.update(top.get(m.split(".")[0], []))
    out = {}
    for name in sorted(names):
        try:
            out[name] = _dist(name)
        except Exception:  # a namespace shared by a dist that is not installed
            pass
    return out


def _clean(path: Path) -> None:
    for p in sorted(path.rglob("__pycache__"), reverse=True):
        shutil.rmtree(p)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def versions() -> dict[str, str]:
    out = {"mlflow": mlflow.__version__, "python": platform.python_version()}
    for name in ("scikit-learn", "pandas", "numpy", "scipy", "cloudpickle", "skops", "pip"):
        try:
            out[name] = _dist(name)
        except Exception:  # not installed in this venv
            pass
    return out


def generate(out_root: Path, only: set[str] | None = None) -> dict[str, Any]:
    dest_root = out_root / mlflow.__version__
    if dest_root.exists() and not only:
        shutil.rmtree(dest_root)
    dest_root.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {"versions": versions(), "cases": {}, "skipped": {}}
    old = dest_root / "CASES.json"
    if only and old.exists():  # partial regeneration keeps the other cases' records
        prev = json.loads(old.read_text())
        index["versions"] = prev["versions"]  # what the full run used; new cases record theirs
        index["cases"] = prev["cases"]
        index["skipped"] = {k: v for k, v in prev.get("skipped", {}).items() if k not in only}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="mc-fixtures-") as tmp:
        os.chdir(tmp)  # some MLflow versions create ./mlruns as a side effect
        try:
            _build_all(Gen(Path(tmp)), dest_root, index, only)
        finally:
            flavor_cases.shutdown_jvms()
            os.chdir(cwd)
    (dest_root / "CASES.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return index


def _build_all(g: Gen, dest_root: Path, index: dict[str, Any], only: set[str] | None) -> None:
    for case in CASES:
        if only and case.name not in only:
            continue
        if V < Version(case.min_version):
            index["skipped"][case.name] = f"needs MLflow >= {case.min_version}"
            continue
        missing = [m for m in case.needs if not _importable(m)]
        if missing:
            why = NOT_INSTALLED_WHY.get((V.major, missing[0]), "")
            index["skipped"][case.name] = (f"{', '.join(missing)} not installed in this venv"
                                           + (f": {why}" if why else ""))
            index["cases"].pop(case.name, None)
            shutil.rmtree(dest_root / case.name, ignore_errors=True)
            continue
        d = dest_root / case.name
        if d.exists():
            shutil.rmtree(d)
        np.random.seed(0)
        try:
            case.build(g, d)
        except Exception as exc:
            shutil.rmtree(d, ignore_errors=True)
            msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            index["skipped"][case.name] = f"MLflow {mlflow.__version__} raised {msg}"
            index["cases"].pop(case.name, None)
            traceback.print_exc()
            continue
        _clean(d)
        allowed = case.allowed + _serialization_dep_gap(d) + _no_signature(d)
        index["cases"][case.name] = {
            "what": case.what,
            "bytes": _size(d),
            "files": sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file()),
            "expected": case.expected,
            "allowed": allowed,
            **({"notes": case.notes} if case.notes else {}),
            **({"versions": _case_versions(case.needs)} if case.needs else {}),
        }
        index["skipped"].pop(case.name, None)
        print(f"{case.name}: {_size(d)} bytes", file=sys.stderr)


def write_example(dest: Path) -> None:
    """The README's clean iris package: sklearn save_model with signature and example."""
    if dest.exists():
        shutil.rmtree(dest)
    clf = iris_clf()
    x, _ = iris()
    mlflow.sklearn.save_model(clf, str(dest), signature=infer_signature(x, clf.predict(x)),
                              input_example=x.head(3))
    _clean(dest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "fixtures" / "mlflow"))
    ap.add_argument("--only", nargs="*",
                    help="regenerate just these cases ('flavors': every built-in flavor case)")
    ap.add_argument("--example-out", help="also write the README's iris example package here")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    only = set(args.only) if args.only else None
    if only and "flavors" in only:  # shorthand for every case of tests/gen/flavor_cases.py
        only = (only - {"flavors"}) | {spec["name"] for spec in flavor_cases.FLAVOR_CASES}
    index = generate(Path(args.out).resolve(), only)
    if args.example_out:
        write_example(Path(args.example_out).resolve())
    print(json.dumps({"versions": index["versions"], "skipped": index["skipped"]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
