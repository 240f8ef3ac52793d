"""Reading every stored example form (§5): real packages are clean; each broken form is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from modelcheck.package.examples import example_issues
from modelcheck.package.model_package import ModelPackage
from modelcheck.sources.local import LocalSource

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "mlflow"
CORPUS = REPO.parent / "shared" / "corpus" / "realworld"


def issues(path: Path, levels=("error", "warning")):
    pkg = ModelPackage(LocalSource(str(path)))
    return [i for i in example_issues(pkg) if i.level in levels]


def real_packages():
    pkgs = sorted(p.parent for p in FIXTURES.glob("*/*/MLmodel"))
    pkgs += [p for p in sorted(CORPUS.glob("0*")) if (p / "input_example.json").exists()]
    return pkgs


@pytest.mark.parametrize("path", real_packages(), ids=lambda p: p.name)
def test_real_mlflow_examples_are_clean(path):
    assert issues(path) == []


def make(tmp_path: Path, info: dict, example, serving=None, signature=None,
         version="3.18.0", raw: str | None = None) -> Path:
    meta = {"mlflow_version": version, "flavors": {"python_function": {}},
            "saved_input_example_info": info}
    if signature:
        meta["signature"] = {"inputs": json.dumps(signature), "outputs": None, "params": None}
    (tmp_path / "MLmodel").write_text(yaml.safe_dump(meta))
    (tmp_path / "input_example.json").write_text(raw if raw is not None else json.dumps(example))
    if serving is not None:
        (tmp_path / "serving_input_example.json").write_text(json.dumps(serving))
    return tmp_path


INFO = {"artifact_path": "input_example.json", "type": "ndarray"}
TENSOR = [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]


def codes(path):
    return sorted({(i.code, i.level) for i in issues(path)})


def test_tf_serving_wrapper(tmp_path):
    p = make(tmp_path, {**INFO, "format": "tf-serving"}, {"inputs": [[1.0, 2.0]]},
             signature=TENSOR, version="2.9.0")
    assert codes(p) == []


def test_tf_serving_wrapper_missing(tmp_path):
    p = make(tmp_path, {**INFO, "format": "tf-serving"}, [[1.0, 2.0]], signature=TENSOR,
             version="2.9.0")
    assert codes(p) == [("MC404", "error")]


def test_records_orient(tmp_path):
    info = {"artifact_path": "input_example.json", "type": "dataframe",
            "pandas_orient": "records"}
    sig = [{"type": "long", "name": "a", "required": True}]
    assert codes(make(tmp_path, info, [{"a": 1}, {"a": 2}], signature=sig)) == []


def test_records_orient_missing_column(tmp_path):
    info = {"artifact_path": "input_example.json", "type": "dataframe",
            "pandas_orient": "records"}
    sig = [{"type": "long", "name": "a", "required": True}]
    assert codes(make(tmp_path, info, [{"b": 1}], signature=sig)) == [("MC411", "error")]


def test_params_flag_without_wrapper(tmp_path):
    info = {**INFO, "params": "true"}
    assert codes(make(tmp_path, info, [[1.0, 2.0]], signature=TENSOR)) == [("MC404", "error")]


def test_nan_is_legal(tmp_path):
    info = {"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split"}
    sig = [{"type": "double", "name": "a", "required": True}]
    p = make(tmp_path, info, None, signature=sig, raw='{"columns": ["a"], "data": [[NaN]]}')
    assert codes(p) == []


def test_unknown_type(tmp_path):
    p = make(tmp_path, {**INFO, "type": "tensor"}, [[1.0]])
    assert codes(p) == [("MC403", "error")]


def test_base64_binary(tmp_path):
    info = {"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split"}
    sig = [{"type": "binary", "name": "b", "required": True}]
    assert codes(make(tmp_path, info, {"columns": ["b"], "data": [["YWI=\n"]]},
                      signature=sig)) == []
    assert codes(make(tmp_path, info, {"columns": ["b"], "data": [["a"]]},
                      signature=sig)) == [("MC412", "error")]


def test_llm_serving_payload(tmp_path):
    info = {"artifact_path": "input_example.json", "type": "json_object", "params": "true",
            "serving_input_path": "serving_input_example.json"}
    ex = {"inputs": {"messages": [{"role": "user", "content": "hi"}]},
          "params": {"temperature": 0.5}}
    serving = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5}
    assert codes(make(tmp_path, info, ex, serving)) == []
    serving["temperature"] = 0.9
    assert codes(make(tmp_path, info, ex, serving)) == [("MC406", "warning")]


def test_sparse_serving_is_compared_densified(tmp_path):
    info = {"artifact_path": "input_example.json", "type": "sparse_matrix_csr",
            "serving_input_path": "serving_input_example.json"}
    ex = {"data": [1.0, 2.0], "indices": [1, 0], "indptr": [0, 1, 2], "shape": [2, 2]}
    assert codes(make(tmp_path, info, ex, {"inputs": [[0.0, 1.0], [2.0, 0.0]]})) == []
    assert codes(make(tmp_path, info, ex, {"inputs": [[0.0, 1.0], [2.0, 5.0]]})) == [
        ("MC406", "warning")]


def test_orphan_serving_file_is_a_note(tmp_path):
    p = make(tmp_path, INFO, [[1.0, 2.0]], {"inputs": [[1.0, 2.0]]}, signature=TENSOR)
    found = [(i.code, i.level) for i in issues(p, ("error", "warning", "note"))]
    assert found == [("MC405", "note")]
