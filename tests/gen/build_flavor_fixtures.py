# ruff: noqa: E501, E401, E702 - a table of fixture cases, one per line
"""Builds the MC2xx fixture packages: real MLflow-written packages with one edit each.

Run from tests/gen: python build_flavor_fixtures.py
"""

import mlmodel_fixture_helpers as fx
from mlmodel_fixture_helpers import make, sub

F = fx.FIXTURES / "3.18.0"
fx.BASES.update({"mfc": F / "models_from_code", "pcode": F / "pyfunc_code_paths_params", "skops": F / "sklearn_skops"})
codes = [f"MC2{i:02d}" for i in range(1, 18)]
for code in codes:
    make(code, "pass", "real-sklearn-2.5", "v2")
    make(code, "pass", "real-pyfunc-code-3.18", "pcode")
for code in ["MC203", "MC209", "MC211", "MC212", "MC206", "MC210"]:
    make(code, "pass", "real-models-from-code-3.18", "mfc")
for code in ["MC209", "MC210", "MC211", "MC128"]:
    make(code, "pass", "real-pyfunc-artifacts-2.0", "pyfunc")
make("MC217", "pass", "real-skops-3.18", "skops")
make("MC216", "pass", "real-skops-3.18", "skops")
make("MC213", "pass", "real-code-1.x", "code"); make("MC214", "pass", "real-code-1.x", "code")

make("MC201","fail","sklearn-only","v2", edit=lambda t: t[:t.index("  python_function:")] + t[t.index("  sklearn:"):], expect={"count":1,"lines":[3]})
make("MC202","fail","no-loader","v2", edit=sub("    loader_module: mlflow.sklearn\n", ""), expect={"count":1})
make("MC202","fail","file-name","v2", edit=sub("loader_module: mlflow.sklearn", "loader_module: mlflow/sklearn.py"), expect={"count":1,"lines":[8]})
make("MC203","fail","python-model-key-dropped","pcode", edit=sub("    python_model: python_model.pkl\n", ""), expect={"count":1})
make("MC204","fail","float-version","v2", edit=sub("python_version: 3.10.12", "python_version: 3.10"), expect={"count":1,"messages":["3.1"]})
make("MC204","fail","missing","v2", edit=sub("    python_version: 3.10.12\n", ""), expect={"count":1})
make("MC205","fail","predict-fn-call","v2", edit=sub("predict_fn: predict", "predict_fn: predict_proba()"), expect={"count":1,"lines":[10]})
make("MC205","fail","streamable-string","pcode", edit=sub("streamable: false", "streamable: 'no'"), expect={"count":1})
make("MC206","fail","custom-loader","pcode", edit=sub("loader_module: mlflow.pyfunc.model", "loader_module: churn.serving.loader"), expect={"count":1,"messages":["churn.serving.loader"]})
make("MC206","pass","custom-loader-in-code","pcode", edit=sub("loader_module: mlflow.pyfunc.model", "loader_module: helpers"))
make("MC207","fail","no-virtualenv","v2", edit=sub("      virtualenv: python_env.yaml\n", ""), expect={"count":1,"messages":["'virtualenv'"]})
make("MC207","fail","list","v2", edit=sub("    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n", "    env:\n    - conda.yaml\n    - python_env.yaml\n"), expect={"count":1})
make("MC207","pass","legacy-string","v2", edit=sub("    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n", "    env: conda.yaml\n"))
make("MC208","fail","python-env-dropped","v2", remove=["python_env.yaml"], expect={"count":1,"lines":[7],"messages":["python_env.yaml"]})
make("MC208","fail","legacy-string-missing","v2", edit=sub("    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n", "    env: environment.yml\n"), expect={"count":1})
make("MC209","fail","moved-model","v2", remove=["model.pkl"], files={"artifacts/model.pkl": (fx.BASES["v2"] / "model.pkl").read_bytes()}, expect={"count":2,"messages":["artifacts/model.pkl"]})
make("MC209","fail","artifact-missing","pyfunc", remove=["artifacts/model.pkl"], expect={"count":1,"lines":[6]})
make("MC209","fail","python-model-missing","pcode", remove=["python_model.pkl"], expect={"count":1})
make("MC209","fail","backslash","pyfunc", edit=sub("path: artifacts/model.pkl", "path: artifacts\\model.pkl"), expect={"count":1,"messages":["backslashes"]})
make("MC210","fail","absolute-pickle","v2", edit=sub("pickled_model: model.pkl", "pickled_model: /home/alice/proj/model.pkl"), expect={"count":1,"messages":["absolute path"]})
make("MC210","fail","dotdot-artifact","pyfunc", edit=sub("path: artifacts/model.pkl", "path: ../shared/model.pkl"), expect={"count":1,"messages":["'..'"]})
make("MC211","fail","artifact-flattened","pyfunc", edit=sub("      ames-regression-model:\n        path: artifacts/model.pkl\n        uri: tmp/model.pkl\n", "      ames-regression-model: 5\n"), expect={"count":1})
make("MC211","fail","artifact-no-path","pyfunc", edit=sub("        path: artifacts/model.pkl\n", ""), expect={"count":1,"messages":["no 'path'"]})
make("MC212","fail","code-file-missing","mfc", remove=["mfc_model.py"], expect={"count":1,"messages":["mfc_model.py"]})
make("MC212","fail","windows-path","mfc", edit=lambda t: __import__("re").sub(r"model_code_path: \S+", r"model_code_path: C:\\Users\\bob\\exp\\mfc_model.py", t), expect={"count":1,"messages":["Windows"]})
make("MC213","fail","code-dir-dropped","pcode", remove=["code"], expect={"count":1,"level":"warning"})
make("MC213","fail","custom-loader-needs-code","code", remove=["code"], edit=sub("loader_module: mlflow.pyfunc.model", "loader_module: rignet.loader"), expect={"count":1,"level":"error"})
make("MC214","fail","dead-code-dir","pcode", edit=sub("    code: code\n", "    code: null\n"), expect={"count":1})
make("MC215","fail","sklearn-code-null","v2", edit=sub("    loader_module: mlflow.sklearn\n", "    code: code\n    loader_module: mlflow.sklearn\n"), files={"code/helpers.py": "def f():\n    return 1\n"}, expect={"count":1,"lines":[14]})
make("MC215","pass","legacy-no-flavor-code","v2", edit=sub("    code: null\n", ""))
make("MC216","fail","float-version","v2", edit=sub("sklearn_version: 1.1.1", "sklearn_version: 1.10"), expect={"count":1,"messages":["1.1"]})
make("MC216","fail","not-pep440","v2", edit=sub("sklearn_version: 1.1.1", "sklearn_version: latest"), expect={"count":1})
make("MC216","pass","local-label","v2", edit=sub("sklearn_version: 1.1.1", "sklearn_version: 1.1.1+cu121"))
make("MC217","fail","unknown-format","v2", edit=sub("serialization_format: cloudpickle", "serialization_format: joblib"), expect={"count":1,"level":"error"})
make("MC217","fail","extension-mismatch","v2", edit=sub("serialization_format: cloudpickle", "serialization_format: skops"), expect={"count":1,"level":"warning"})

# MC218 diviner (MLflow 1.x/2.x only): data defaults to model.div, except for a model fit in Spark
fx.BASES["diviner"] = fx.FIXTURES / "2.17.2" / "diviner_pmdarima_plain"
_DIV = "    code: null\n    data: model.div\n    diviner_version: 0.1.1\n    fit_with_spark: false\n"
make("MC218","pass","real-2.17-diviner","diviner")
make("MC218","pass","diviner-key-absent-default-present","diviner", edit=sub(_DIV, _DIV.replace("    data: model.div\n", "")))
make("MC218","fail","diviner-key-absent-default-missing","diviner", edit=sub(_DIV, _DIV.replace("    data: model.div\n", "")), remove=["model.div"], files={"grouped.div": (fx.BASES["diviner"] / "model.div").read_bytes()}, expect={"count":1,"messages":["falls back to 'model.div'"]})
make("MC218","fail","diviner-spark-data-missing","diviner", edit=sub(_DIV, "    code: null\n    diviner_version: 0.1.1\n    fit_with_spark: true\n"), expect={"count":1,"messages":["without a default"]})
