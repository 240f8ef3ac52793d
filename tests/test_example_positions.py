"""MC4xx findings name the file, line and column of the offending value, row or key."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from modelcheck.formats.json_locate import Locator
from modelcheck.package.examples import example_issues, issue_location
from modelcheck.package.model_package import ModelPackage
from modelcheck.sources.local import LocalSource

SIG = [{"type": "long", "name": "a", "required": True},
       {"type": "double", "name": "b", "required": True}]


def make(tmp: Path, example, serving=None, sig=SIG, info=None, params_sig=None) -> Path:
    info = info or {"artifact_path": "input_example.json", "type": "dataframe",
                    "pandas_orient": "split"}
    if serving is not None:
        info = {**info, "serving_input_path": "serving_input_example.json"}
    meta = {"mlflow_version": "3.18.0", "flavors": {"python_function": {}},
            "saved_input_example_info": info,
            "signature": {"inputs": json.dumps(sig), "outputs": None,
                          "params": json.dumps(params_sig) if params_sig else None}}
    (tmp / "MLmodel").write_text(yaml.safe_dump(meta))
    (tmp / "input_example.json").write_text(json.dumps(example))  # compact, like MLflow
    if serving is not None:  # pretty-printed with indent 2, like MLflow
        (tmp / "serving_input_example.json").write_text(json.dumps(serving, indent=2))
    return tmp


def located(path: Path) -> list[tuple[str, str, int | None, int | None]]:
    pkg = ModelPackage(LocalSource(str(path)))
    return [(i.code, *issue_location(pkg, i)) for i in example_issues(pkg)]


def where(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    off = -1
    for _ in range(nth + 1):
        off = text.index(needle, off + 1)
    return Locator(text).line_col(off)


def test_compact_example_value_column(tmp_path):
    ex = {"columns": ["a", "b"], "data": [[1, 1.5], [2, 2.5], [3, "x"]]}
    p = make(tmp_path, ex)
    text = (p / "input_example.json").read_text()
    assert located(p) == [("MC412", "input_example.json", 1, 58)]
    assert where(text, '"x"') == (1, 58)


def test_lossy_value_row_is_the_first_offending_one(tmp_path):
    ex = {"columns": ["a", "b"], "data": [[1, 1.5], [2, 2.5], [3.5, 1.0], [4.25, 1.0]]}
    p = make(tmp_path, ex)
    text = (p / "input_example.json").read_text()
    assert located(p) == [("MC414", "input_example.json", *where(text, "3.5"))]
    assert where(text, "3.5") == (1, 55)


def test_extra_and_missing_columns_point_at_names(tmp_path):
    ex = {"columns": ["b", "z"], "data": [[1.5, 0]]}
    p = make(tmp_path, ex)
    got = located(p)
    assert ("MC413", "input_example.json", 1, 19) in got  # the "z" in columns
    assert ("MC411", "input_example.json", 1, 13) in got  # the columns list


def test_pretty_serving_records_line(tmp_path):
    ex = {"columns": ["a", "b"], "data": [[1, 1.5], [2, 2.5]]}
    serving = {"dataframe_records": [{"a": 1, "b": 1.5}, {"a": 2, "b": "oops"}]}
    p = make(tmp_path, ex, serving)
    text = (p / "serving_input_example.json").read_text()
    got = located(p)
    assert ("MC412", "serving_input_example.json", *where(text, '"oops"')) in got
    assert where(text, '"oops"') == (9, 12)
    assert ("MC406", "serving_input_example.json", 2, 24) in got  # the records differ


def test_nested_params_wrapped_tensor_element(tmp_path):
    sig = [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]},
            "name": "t"}]
    info = {"artifact_path": "input_example.json", "type": "ndarray", "params": "true"}
    ps = [{"name": "k", "type": "long", "default": 1, "shape": None}]
    ex = {"inputs": {"t": [[1.0, 2.0], [3.0, "seven"]]}, "params": {"k": "many"}}
    p = make(tmp_path, ex, sig=sig, info=info, params_sig=ps)
    text = (p / "input_example.json").read_text()
    got = located(p)
    assert ("MC416", "input_example.json", *where(text, '"seven"')) in got
    assert ("MC415", "input_example.json", *where(text, '"many"')) in got
    assert where(text, '"seven"') == (1, 37)


def test_instances_tensor_records_point_into_the_serving_file(tmp_path):
    sig = [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}, "name": "a"}]
    info = {"artifact_path": "input_example.json", "type": "ndarray"}
    serving = {"instances": [{"a": 1}, {"a": "two"}]}
    p = make(tmp_path, {"a": [1, 2]}, serving, sig=sig, info=info)
    text = (p / "serving_input_example.json").read_text()
    assert ("MC416", "serving_input_example.json", *where(text, '"two"')) in located(p)


def test_clean_records_and_instances_serving_files(tmp_path):
    ex = {"columns": ["a", "b"], "data": [[1, 1.5], [2, 2.5]]}
    serving = {"dataframe_records": [{"a": 1, "b": 1.5}, {"a": 2, "b": 2.5}]}
    assert located(make(tmp_path, ex, serving)) == []


def test_locator_skips_strings_and_nesting():
    t = '{"k": "a,]}\\"[", "data": [[1, {"x": [",", 2]}], [3, 4]], "z": 1}'
    loc = Locator(t)
    assert t[loc.offset(["data", 1, 0])] == "3"
    assert t[loc.offset(["data", 0, 1, "x", 1])] == "2"
    assert loc.offset(["data", 2]) is None
    assert loc.offset(["z"], key=True) == t.index('"z"')
    assert loc.offset(["nope"]) is None
