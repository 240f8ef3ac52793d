"""Build the MC3xx fixture packages under tests/rules/MC3xx/ (run by hand; output committed).

Each case copies a real MLflow-written package from the corpus (014: MLflow 3.4.0 sklearn;
004: 2.22.0 with a tensor output; 003: 2.0.1 custom pyfunc) and replaces only the ``signature``
block of its MLmodel (and, where the case needs it, ``mlflow_version``). Pass cases that are
the unedited corpus packages prove real MLflow output is clean.

    python tests/build_signature_fixtures.py [/path/to/corpus/realworld]
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent / "rules"
CORPUS = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus/realworld")
SRC = {"014": "014_oleh-edu__goitneo-argo", "004": "004_GinantiRiski1__Workflow-CI",
       "003": "003_ts-azure-services__local-mlflow-aml-endpoint"}
KEEP = object()  # keep the original signature block

_c = lambda t, n=None, r=True, **kw: {"type": t, **({"name": n} if n is not None else {}),  # noqa: E731
                                      "required": r, **kw}
_t = lambda d, s, n=None: {"type": "tensor", **({"name": n} if n else {}),  # noqa: E731
                           "tensor-spec": {"dtype": d, "shape": s}}
TWO = [_c("double", "a"), _c("long", "b")]
OUT = [_c("double")]
PARAMS_ALL = [
    {"name": "i", "default": 1, "shape": None, "type": "long"},
    {"name": "f", "default": 1.5, "shape": None, "type": "double"},
    {"name": "s", "default": "a", "shape": None, "type": "string"},
    {"name": "b", "default": True, "shape": None, "type": "boolean"},
    {"name": "l", "default": [1, 2], "shape": [-1], "type": "long"},
    {"name": "t", "default": "2024-01-01T00:00:00", "shape": None, "type": "datetime"},
    {"name": "o", "default": {"x": 1}, "shape": None, "type": "object",
     "properties": {"x": {"type": "long", "required": True}}},
]


def js(value) -> str:
    return "'" + json.dumps(value).replace("'", "''") + "'"


def block(inputs=None, outputs=None, params=None) -> str:
    def v(x):
        return "null" if x is None else x if isinstance(x, str) and x.startswith(
            ("'", "\n", "[", "{")) else js(x)
    return f"signature:\n  inputs: {v(inputs)}\n  outputs: {v(outputs)}\n  params: {v(params)}\n"


# (code, outcome, case, source, signature block | None (remove) | KEEP, mlflow_version, expect)
CASES: list[tuple] = [
    ("MC301", "pass", "mlflow_3_4_sklearn", "014", KEEP, None, None),
    ("MC301", "fail", "no_signature", "014", None, None,
     {"count": 1, "level": "note", "messages": ["no signature"]}),
    ("MC302", "pass", "mlflow_3_4_sklearn", "014", KEEP, None, None),
    ("MC302", "fail", "yaml_list", "014",
     "signature:\n  inputs:\n  - {name: a, type: double, required: true}\n  outputs: null\n",
     None, {"count": 1, "messages": ["must be a string holding JSON"], "lines": [29]}),
    ("MC302", "fail", "signature_scalar", "014", "signature: sklearn-default\n", None,
     {"count": 1, "messages": ["must be a mapping"]}),
    ("MC303", "pass", "mlflow_2_22_tensor_output", "004", KEEP, None, None),
    ("MC303", "fail", "python_repr", "014",
     block("'[{''name'': ''a'', ''type'': ''double''}]'", js(OUT)), None,
     {"count": 1, "messages": ["not valid JSON"]}),
    ("MC303", "fail", "object_not_list", "014", block({"name": "a", "type": "double"}), None,
     {"count": 1, "messages": ["must be a JSON list"]}),
    ("MC303", "fail", "empty_list", "014", block([], OUT), None,
     {"count": 1, "messages": ["empty list"]}),
    ("MC304", "pass", "outputs_only_3x", "014", block(None, OUT), None, None),
    ("MC304", "fail", "all_null", "014", block(), None,
     {"count": 1, "messages": ["no inputs, outputs or params"]}),
    ("MC304", "fail", "inputs_null_before_2_7", "014", block(None, OUT), "2.5.0",
     {"count": 1, "messages": ["MLflow before 2.7"]}),
    ("MC305", "pass", "nested_types", "014", block([
        _c("array", "a", items={"type": "string"}),
        _c("object", "o", properties={"x": {"type": "long", "required": True},
                                      "y": {"type": "array", "items": {"type": "double"},
                                            "required": False}}),
        _c("map", "m", values={"type": "map", "values": {"type": "binary"}}),
        _c("any", "z", False), _c("datetime", "t")], OUT), None, None),
    ("MC305", "fail", "unknown_type_int", "014",
     block([_c("double", "a"), _c("long", "b"), _c("int", "age")], OUT), None,
     {"count": 1, "messages": ['inputs[2] ("age"): unknown type "int"', 'did you mean "long"']}),
    ("MC305", "fail", "unknown_key_nullable", "014",
     block([_c("double", "a", nullable=True)], OUT), None,
     {"count": 1, "messages": ["unknown key(s) 'nullable'", "TypeError"]}),
    ("MC305", "fail", "array_without_items", "014", block([_c("array", "a")], OUT), None,
     {"count": 1, "messages": ["array has no 'items'"]}),
    ("MC305", "fail", "object_empty_properties", "014",
     block([_c("object", "a", properties={})], OUT), None,
     {"count": 1, "messages": ["empty 'properties'"]}),
    ("MC305", "fail", "missing_type", "014", block([{"name": "a", "required": True}], OUT),
     None, {"count": 1, "messages": ["no 'type' key"]}),
    ("MC305", "fail", "tensor_items", "014",
     block([_c("array", "a", items={"type": "tensor"})], OUT), None,
     {"count": 1, "messages": ["'tensor' is not allowed"]}),
    ("MC306", "pass", "required_present", "014",
     block([_c("array", "a", items={"type": "long"})], OUT), None, None),
    ("MC306", "fail", "array_without_required", "014",
     block([{"type": "array", "items": {"type": "long"}, "name": "a"}], OUT), None,
     {"count": 1, "level": "warning", "messages": ["reads it as required"]}),
    ("MC307", "pass", "required_false", "014",
     block([_c("double", "a", False), _c("double", "b")], OUT), None, None),
    ("MC307", "fail", "legacy_optional_2_5", "014",
     block([{"name": "a", "type": "long", "optional": True}, {"name": "b", "type": "long"}]),
     "2.5.0", {"count": 1, "messages": ["MLflow 2.18 and later cannot load it"]}),
    ("MC307", "fail", "optional_and_required", "014",
     block([{"name": "a", "type": "long", "optional": True, "required": False}], OUT), None,
     {"count": 1, "messages": ["both 'optional' and 'required'"]}),
    ("MC308", "pass", "named_tensors", "014",
     block([_t("int64", [1, 3], "a"), _t("float64", [1, 2, 2], "b")],
           [_t("<f4", [-1]), ]), None, None),
    ("MC308", "pass", "mlflow_2_22_tensor_output", "004", KEEP, None, None),
    ("MC308", "fail", "unknown_dtype", "014", block([_t("float33", [-1, 4])], OUT), None,
     {"count": 1, "messages": ['unknown numpy dtype "float33"']}),
    ("MC308", "fail", "shape_null", "014", block([_t("float32", None)], OUT), None,
     {"count": 1, "messages": ["shape must be a JSON list"]}),
    ("MC308", "fail", "sized_string", "014", block([_t("<U10", [-1])], OUT), None,
     {"count": 1, "messages": ["sized string dtype"]}),
    ("MC308", "fail", "bad_dims", "014", block([_t("int8", [-5, "a"])], OUT), None,
     {"count": 1, "messages": ["not integers >= -1"]}),
    ("MC308", "fail", "missing_tensor_spec", "014",
     block([{"type": "tensor", "dtype": "float32"}], OUT), None,
     {"count": 1, "messages": ["needs a 'tensor-spec'"]}),
    ("MC309", "pass", "integer_names", "014",
     block([_c("long", 0), _c("double", 1, False)], [_c("string", 0)]), None, None),
    ("MC309", "fail", "mixed_named_unnamed", "014",
     block([_c("double", "a"), _c("double")], OUT), None,
     {"count": 1, "messages": ["mixes named and unnamed"]}),
    ("MC309", "fail", "mixed_tensor_column", "004",
     block(js([_c("double", "a")]), [_c("long", "y"), _t("int64", [-1], "z")]), None,
     {"count": 1, "messages": ["mixes tensor specs"]}),
    ("MC309", "fail", "unnamed_tensors", "014",
     block([_t("float32", [-1]), _t("float32", [-1])], OUT), None,
     {"count": 1, "messages": ["unnamed"]}),
    ("MC309", "fail", "unnamed_optional", "014", block([_c("double", None, False)], OUT), None,
     {"count": 1, "messages": ["unnamed optional"]}),
    ("MC310", "pass", "integer_names", "014",
     block([_c("long", 0), _c("double", 1, False)], [_c("string", 0)]), None, None),
    ("MC310", "fail", "duplicate", "014",
     block([_c("double", "age"), _c("long", "age")], OUT), None,
     {"count": 1, "level": "error", "messages": ['duplicate name "age"']}),
    ("MC310", "fail", "empty_name", "014", block([_c("double", "")], OUT), None,
     {"count": 1, "level": "warning", "messages": ['empty name ""']}),
    ("MC311", "pass", "params_all_types", "014",
     block([_c("string")], OUT, PARAMS_ALL), None, None),
    ("MC311", "fail", "binary_param", "014",
     block([_c("string")], OUT, [{"name": "p", "type": "binary", "default": None}]), None,
     {"count": 1, "messages": ['type "binary" is not supported']}),
    ("MC311", "fail", "missing_default", "014",
     block([_c("string")], OUT, [{"name": "p", "type": "long"}]), None,
     {"count": 1, "messages": ["missing 'default'"]}),
    ("MC311", "fail", "bad_shape", "014",
     block([_c("string")], OUT, [{"name": "p", "type": "long", "default": [1, 2],
                                   "shape": [2]}]), None,
     {"count": 1, "messages": ["shape must be null"]}),
    ("MC311", "fail", "duplicate_param", "014",
     block([_c("string")], OUT, [{"name": "p", "type": "long", "default": 1},
                                 {"name": "p", "type": "double", "default": 1.0}]), None,
     {"count": 1, "messages": ['duplicate param name "p"']}),
    ("MC311", "fail", "unknown_type", "014",
     block([_c("string")], OUT, [{"name": "t", "type": "float64", "default": 0.5}]), None,
     {"count": 1, "messages": ['unknown param type "float64"']}),
    ("MC312", "pass", "params_all_types", "014",
     block([_c("string")], OUT, PARAMS_ALL), None, None),
    ("MC312", "fail", "long_default_float", "014",
     block([_c("string")], OUT, [{"name": "n", "type": "long", "default": 1.5,
                                   "shape": None}]), None,
     {"count": 1, "messages": ["does not fit type long"]}),
    ("MC312", "fail", "bool_for_double", "014",
     block([_c("string")], OUT, [{"name": "n", "type": "double", "default": True}]), None,
     {"count": 1, "messages": ["does not fit type double"]}),
    ("MC312", "fail", "list_default_null", "014",
     block([_c("string")], OUT, [{"name": "n", "type": "long", "default": None,
                                   "shape": [-1]}]), None,
     {"count": 1, "messages": ["expected a 1-D list"]}),
    ("MC312", "fail", "bad_datetime", "014",
     block([_c("string")], OUT, [{"name": "d", "type": "datetime",
                                   "default": "2024-13-01"}]), None,
     {"count": 1, "messages": ["month 13 is out of range"]}),
    ("MC313", "pass", "mlflow_2_0_1_pyfunc", "003", KEEP, None, None),
    ("MC313", "pass", "mlflow_3_4_sklearn", "014", KEEP, None, None),
    ("MC313", "fail", "array_in_2_9", "014",
     block([_c("array", "a", items={"type": "long"})], OUT), "2.9.2",
     {"count": 2, "level": "warning", "messages": ["array", "required"]}),
    ("MC313", "fail", "object_param_in_2_17", "014",
     block([_c("string")], OUT, [PARAMS_ALL[6]]), "2.17.2",
     {"count": 1, "messages": ["object params", "2.20"]}),
]


def build() -> None:
    for code, outcome, case, src, sig, version, expect in CASES:
        dest = HERE / code / outcome / case
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(CORPUS / SRC[src], dest)
        for p in [dest, *dest.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        mlmodel = dest / "MLmodel"
        text = mlmodel.read_text()
        if sig is not KEEP:
            text = re.sub(r"(?ms)^signature:.*?(?=^\S)", sig or "", text)
        if version:
            text = re.sub(r"(?m)^mlflow_version: .*$", f"mlflow_version: {version}", text)
        mlmodel.write_text(text)
        if expect:
            (dest / ".expect.json").write_text(json.dumps(expect, indent=1) + "\n")


if __name__ == "__main__":
    build()
