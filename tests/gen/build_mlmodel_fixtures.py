# ruff: noqa: E501, E401, E702 - a table of fixture cases, one per line
"""Builds the MC1xx fixture packages: real MLflow-written packages with one edit each.

Run from tests/gen: python build_mlmodel_fixtures.py
"""
from mlmodel_fixture_helpers import CORPUS, make, sub

# pass cases: real packages
for code in ["MC102","MC103","MC104","MC105","MC106","MC107","MC108","MC109","MC110","MC111","MC112","MC113",
             "MC114","MC115","MC116","MC117","MC118","MC119","MC120","MC121","MC122","MC123","MC124","MC125",
             "MC126","MC127","MC128","MC129"]:
    make(code, "pass", "real-sklearn-2.5", "v2")
    make(code, "pass", "real-sklearn-3.4", "v3")
E = "MLmodel"
make("MC102","fail","binary","v2", raw=b"\x00\x01MLmodel\x00", expect={"count":1,"messages":["binary"],"file":E})
make("MC102","fail","utf16","v2", raw=open(CORPUS / "009_lucashelfs__simple_mlops/MLmodel").read().encode("utf-16"), expect={"count":1})
make("MC102","fail","empty","v2", raw="", expect={"count":1,"messages":["empty"]})
make("MC103","fail","bad-indent","v2", edit=sub("  sklearn:\n", "  sklearn:\n\tbroken: [\n"), expect={"count":1,"messages":["not valid YAML"]})
make("MC104","fail","python-object-tag","v2", edit=sub("run_id: 4f7f", "run_id: !!python/object/apply:os.system ['id']\nx_run_id: 4f7f"), expect={"count":1,"lines":[19]})
make("MC105","fail","two-documents","v2", edit=lambda t: t + "---\nflavors: {}\n", expect={"count":1})
bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f'{c}: &{c} [{",".join(["*"+p]*10)}]\n' for p, c in zip("abcdefg", "bcdefgh", strict=True))
make("MC106","fail","billion-laughs","v2", edit=lambda t: t + bomb, expect={"count":1,"messages":["laughs"]})
make("MC107","fail","duplicate-version","v2", edit=sub("    sklearn_version: 1.1.1\n", "    sklearn_version: 1.0.2\n    serialization_format: cloudpickle\n    sklearn_version: 1.1.1\n"),
     expect={"count":2,"messages":["'sklearn_version'","keeps the last"]})
make("MC108","fail","list-root","v2", raw="- flavors\n- python_function\n", expect={"count":1,"messages":["a list"]})
make("MC109","fail","lfs-pointer","v2", raw="version https://git-lfs.github.com/spec/v1\noid sha256:9f2c1a0b5e7d4c3b2a19f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3\nsize 512\n", expect={"count":1,"lines":[1]})
make("MC110","fail","conflict","v2", edit=sub("    sklearn_version: 1.1.1\n", "<<<<<<< HEAD\n    sklearn_version: 1.1.1\n=======\n    sklearn_version: 1.3.0\n>>>>>>> retrain\n"), expect={"count":1,"lines":[16]})
make("MC111","fail","json-run-info","v2", raw='{"run_id": "4f7f7ec530f64c0d9f3ce7ad0c505635", "experiment_id": "1", "status": "FINISHED"}', expect={"count":1,"messages":["JSON object"]})
make("MC111","fail","html-page","v2", raw="<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>MLmodel at main</title></head>\n<body>flavors: ...</body>\n</html>\n", expect={"count":1,"messages":["HTML"]})
make("MC111","fail","python-source","v2", raw="import mlflow\n\n\nclass Model(mlflow.pyfunc.PythonModel):\n    def predict(self, context, model_input):\n        return model_input\n", expect={"count":1,"messages":["Python source"]})
make("MC112","fail","no-flavors","v2", edit=lambda t: t[:t.index("flavors:")] + t[t.index("mlflow_version"):], expect={"count":1,"messages":["no 'flavors'"]})
make("MC112","fail","empty-flavors","v2", edit=lambda t: t[:t.index("flavors:")] + "flavors: {}\n" + t[t.index("mlflow_version"):], expect={"count":1,"lines":[3]})
make("MC113","fail","flavor-string","v2", edit=lambda t: t[:t.index("  sklearn:")] + "  sklearn: model.pkl\n" + t[t.index("mlflow_version"):], expect={"count":1,"lines":[12]})
make("MC114","fail","no-time","v2", edit=sub("utc_time_created: '2023-11-30 21:54:24.912401'\n", ""), expect={"count":1})
make("MC115","fail","iso-z","v2", edit=sub("'2023-11-30 21:54:24.912401'", "'2023-11-30T21:54:24Z'"), expect={"count":1,"lines":[20]})
make("MC115","fail","epoch","v2", edit=sub("'2023-11-30 21:54:24.912401'", "1701381264"), expect={"count":1})
make("MC115","pass","unquoted-timestamp","v2", edit=sub("'2023-11-30 21:54:24.912401'", "2023-11-30 21:54:24.912401"))
make("MC116","fail","future","v2", edit=sub("'2023-11-30 21:54:24.912401'", "'2099-01-01 00:00:00'"), expect={"count":1,"messages":["future"]})
make("MC116","fail","before-2018","v2", edit=sub("'2023-11-30 21:54:24.912401'", "'2015-06-01 12:00:00'"), expect={"count":1,"messages":["2018"]})
make("MC117","pass","hand-named-run","v2", edit=sub("run_id: 4f7f7ec530f64c0d9f3ce7ad0c505635", "run_id: my-training-run"))
make("MC117","fail","empty","v2", edit=sub("run_id: 4f7f7ec530f64c0d9f3ce7ad0c505635", "run_id: ''"), expect={"count":1})
make("MC118","fail","not-hex","v2", edit=sub("model_uuid: 16980f64af86495b9b9ed29826aef630", "model_uuid: churn-model-v2"), expect={"count":1,"lines":[18]})
make("MC118","fail","m-prefix-in-2x","v2", edit=sub("model_uuid: 16980f64af86495b9b9ed29826aef630", "model_uuid: m-16980f64af86495b9b9ed29826aef630"), expect={"count":1})
make("MC119","fail","prefix-dropped","v3", edit=sub("model_id: m-5936b754dfe0453d9be093c6ff647fbc", "model_id: 5936b754dfe0453d9be093c6ff647fbc"), expect={"count":1})
make("MC119","pass","save-model-null","v3", edit=sub("model_id: m-5936b754dfe0453d9be093c6ff647fbc", "model_id: null"))
make("MC120","fail","copied-uuid","v3", edit=sub("model_uuid: m-5936b754dfe0453d9be093c6ff647fbc", "model_uuid: m-0c922cab419641e6a748442abbb34d62"), expect={"count":1})
make("MC121","fail","not-pep440","v2", edit=sub("mlflow_version: 2.5.0", "mlflow_version: latest"), expect={"count":1,"lines":[17]})
make("MC121","fail","float","v2", edit=sub("mlflow_version: 2.5.0", "mlflow_version: 2.10"), expect={"count":1,"messages":["not a string"]})
make("MC122","fail","size-string","v3", edit=sub("model_size_bytes: 2056", "model_size_bytes: 2 KB"), expect={"count":1,"messages":["model_size_bytes"]})
make("MC122","fail","metadata-list","v2", edit=lambda t: t + "metadata:\n- team-a\nprompts: prompts:/qa/1\n", expect={"count":2})
make("MC122","pass","size-differs-from-folder","v3", edit=sub("model_size_bytes: 2056", "model_size_bytes: 1"))
make("MC123","fail","string","v3", edit=lambda t: t + "env_vars: OPENAI_API_KEY\n", expect={"count":1,"level":"error"})
make("MC123","pass","list","v3", edit=lambda t: t + "env_vars:\n- OPENAI_API_KEY\n")
res = "resources:\n  api_version: '1'\n  databricks:\n    serving_endpoint:\n    - name: my-endpoint\n"
make("MC124","fail","both","v3", edit=lambda t: t + res + "auth_policy:\n  system_auth_policy:\n    resources:\n      api_version: '1'\n      databricks:\n        serving_endpoint:\n        - name: e\n  user_auth_policy: {}\n", expect={"count":1})
make("MC124","pass","resources-only","v3", edit=lambda t: t + res)
make("MC125","pass","resources-ok","v3", edit=lambda t: t + res)
make("MC125","pass","auth-policy-ok","v3", edit=lambda t: t + "auth_policy:\n  system_auth_policy:\n    resources:\n      api_version: '1'\n      databricks:\n        serving_endpoint:\n        - name: e\n  user_auth_policy: {}\n")
make("MC125","fail","api-version-2","v3", edit=lambda t: t + res.replace("'1'", "2").replace("serving_endpoint", "serving_endpoints"), expect={"count":2,"messages":["api_version","serving_endpoints"]})
make("MC125","fail","resources-path","v3", edit=lambda t: t + "resources: resources.yaml\n", expect={"count":1,"level":"error"})
make("MC126","fail","is-external","v3", edit=lambda t: t + "metadata:\n  mlflow.model.isExternal: true\n", expect={"count":1})
make("MC126","pass","string-true","v3", edit=lambda t: t + "metadata:\n  mlflow.model.isExternal: 'true'\n")
make("MC127","fail","signatures-typo","v2", edit=lambda t: t + "signatures:\n  inputs: '[{\"type\": \"double\", \"name\": \"x\", \"required\": true}]'\n  outputs: null\n", expect={"count":1,"messages":["did you mean 'signature'"]})
make("MC128","fail","model-code-path","v3", edit=sub("    loader_module: mlflow.sklearn\n", "    loader_module: mlflow.sklearn\n    model_code_path: /home/alice/exp/mfc_model.py\n"), expect={"count":1,"messages":["alice"]})
make("MC128","fail","windows-artifact-uri","pyfunc", edit=sub("uri: tmp/model.pkl", "uri: file:///C:/Users/bob/proj/tmp/model.pkl"), expect={"count":1,"messages":["'bob'"]})
make("MC128","pass","s3-logged-model","v3")
make("MC129","fail","absolute-in-2x","v2", edit=sub("artifact_path: model", "artifact_path: /home/bob/models/churn"), expect={"count":1,"level":"warning"})
make("MC129","fail","mlruns-nested","v2", edit=sub("artifact_path: model", "artifact_path: mlruns/1/4f7f7ec530f64c0d9f3ce7ad0c505635"), expect={"count":1,"level":"note"})
make("MC129","pass","logged-model-location-3x","v3", edit=sub("artifact_path: s3://mlflow-artifacts/1/models", "artifact_path: /home/alice/exp/mlruns/1/models"))
