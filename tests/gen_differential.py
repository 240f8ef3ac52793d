"""Build signature/example pairs and record REAL MLflow's verdict on each (differential oracle).

Run with the interpreter of the MLflow version to record, from the repository root::

    /work/venvs/mlflow3/bin/python tests/gen_differential.py   # -> cases-3.18.0.json
    /work/venvs/mlflow2/bin/python tests/gen_differential.py   # -> cases-2.17.2.json

Which MLflow path decides. A stored example matters because serving (and ``log_model``'s own
validation, ``mlflow.models.utils._validate_serving_input``) feeds it to the model: the
example is turned into the serving payload (``serving_input_example.json``: ``dataframe_split``
for DataFrame examples, ``inputs`` otherwise, ``params`` alongside), parsed by
``mlflow.pyfunc.scoring_server._parse_json_data(payload, model_meta, input_schema)`` (the
scoring server's parser, which casts columns with ``cast_df_types_according_to_schema``) and
then checked by ``mlflow.pyfunc._validate_prediction_input`` (``_enforce_schema`` +
``_enforce_params_schema``), exactly what ``PyFuncModel.predict`` runs before the model is
called. We call those two functions directly instead of saving and loading a model per case:
they are what ``_validate_serving_input`` runs between ``load_model`` and the model's own
``predict``.

Every stored example is ALSO run on the loaded path (``run_loaded``): a real package directory
is written, ``Model.load_input_example`` / ``load_input_example_params`` read it back (for a
json_object example that is the parsed JSON, unconverted: ``_read_example`` in
mlflow/models/utils.py) and ``_validate_prediction_input`` runs on it, which is what MLflow's
own save runs (``mlflow/utils/_capture_modules.py``: ``model.predict(input_example,
params=params)``) and what ``pyfunc_model.predict(pyfunc_model.input_example)`` runs. A case's
``verdict`` is the worse of the two (``served`` and ``loaded`` are recorded too); a case made
from a ``serving_input`` payload is only served.

Example types covered: dataframe split/values (``matrix``, ``struct``, ``nested``,
``params``), dataframe_records and instances payloads, json_object as records, a dict of
columns, a one-row dict, a list and a scalar (``jsonmatrix``) for every scalar column type and
value set, json_object against array/object/map/any columns (``jsonnested``), chat/prompt LLM
dicts and lists of strings (``jsonllm``), json_object with params (``jsonparams``) and tensor
signatures (``jsontensor``), ndarray tensors (``tensor``) and ndarray against column
signatures (``ndcols``), csr/csc sparse matrices (``sparse``).

Verdicts: ``reject`` when either step raises; ``lossy`` when MLflow accepts but a value the
model receives differs from the value in the example (float truncated to int, string turned
into a boolean, number into a string or a datetime, bool into a number, a float not
representable in float32...); ``accept`` otherwise. Decoding base64 for ``binary`` columns,
parsing ISO strings for ``datetime`` columns, null <-> NaN/None/NaT, and dropping extra columns
or undeclared params are not value changes; nor is MLflow 2.x filling a missing boolean
with False (MLflow's normal handling of missing booleans; modelcheck reports it as a note).

Generation is seeded (``random.Random(SEED)``) so the files are reproducible.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import random
import sys
from pathlib import Path
from typing import Any

SEED = 20240611
OUT = Path(__file__).parent / "data" / "differential"

SCALARS = ["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"]


def _b64(s: bytes) -> str:
    return base64.encodebytes(s).decode()


# value sets for one column (JSON values as stored in input_example.json)
def value_sets(rng: random.Random) -> dict[str, list[Any]]:
    ints = [rng.randint(-50, 50) for _ in range(3)]
    return {
        "ints": ints,
        "ints01": [0, 1, 1],
        "floats_frac": [rng.randint(0, 9) + 0.5, 2.25, -1.75],
        "floats_integral": [1.0, 2.0, float(rng.randint(3, 9))],
        "float32_exact": [0.5, 0.25, 1.5],
        "float_precise": [0.1, 1.3, 2.7],
        "int_null": [1, None, 3],
        "float_nan": [1.5, math.nan, 2.5],
        "bools": [True, False, True],
        "bool_null": [True, None, False],
        "strings": ["a", "b", "hello"],
        "numeric_strings": ["1", "2", "30"],
        "iso_dates": ["2024-01-01", "2024-02-03", "2023-12-31"],
        "iso_datetimes": ["2024-01-01T00:00:00", "2024-01-02T03:04:05.123456",
                          "2024-06-01T12:00:00"],
        "base64": [_b64(b"ab"), _b64(b"\x00"), _b64(b"hello world")],
        "not_base64": ["%%%", "a", "***"],
        "str_null": ["a", None, "b"],
        "all_null": [None, None, None],
        "big_ints": [2**40, 3, -(2**35)],
        "mixed_int_str": [1, "a", 2],
        "epoch_ints": [1700000000, 0, 86400],
        "out_of_range_dates": ["1500-01-01", "2024-01-01", "2024-01-02"],
        "mixed_iso_formats": ["2024-01-01", "2024-01-02T03:04:05", "2024-01-03"],
        # non-ISO datetime text: pandas' dateutil fallback on the DataFrame path
        "dt_month_names": ["Jan 1 2024", "Feb 2 2024", "Mar 3 2024"],
        "dt_slash_ymd": ["2024/01/02", "2024/02/03", "2024/03/04"],
        "dt_us": ["01/02/2024", "1/3/2024", "12/13/2024"],
        "dt_month13": ["01/02/2024", "13/02/2024", "02/02/2024"],
        "dt_mixed_non_iso": ["2024/01/02", "2024-01-03", "2024/01/04"],
        "dt_iso_then_text": ["2024-01-03", "Jan 4 2024", "2024-01-05"],
        "dt_words": ["hello", "Monday", "x"],
        "dt_small_numbers": ["12", "0", "1.5"],
        "dt_tz": ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00+01:00", "2024-01-03T00:00:00Z"],
        "dt_partial": ["2024", "2025", "2026"],
        "dt_year_month": ["2024-01", "2024-02", "2024-03"],
        "dt_empty_nat": ["", "2024-01-01", "NaT"],
        "dt_blank": ["  ", "2024-01-01", "2024-01-02"],
        "dt_bad_iso": ["2024-02-30", "2024-01-01", "2024-01-02"],
        "dt_with_time": ["2024/01/02 10:00:00", "2024/01/03 11:30:00", "2024/01/04 00:00:00"],
    }


def col_schema(name: Any, t: str, required: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {"type": t, "required": required}
    if name is not None:
        d["name"] = name
    return d


def df_case(cols: list[str] | None, rows: list[list[Any]], inputs: list[dict[str, Any]],
            params: dict[str, Any] | None = None, param_schema: list[dict[str, Any]] | None = None,
            tag: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"data": rows} if cols is None else {"columns": cols, "data": rows}
    info: dict[str, Any] = {"artifact_path": "input_example.json", "type": "dataframe",
                            "pandas_orient": "values" if cols is None else "split"}
    return _case(tag, info, body, inputs, params, param_schema)


def _case(tag: str, info: dict[str, Any], body: Any, inputs: list[dict[str, Any]] | None,
          params: dict[str, Any] | None, param_schema: list[dict[str, Any]] | None
          ) -> dict[str, Any]:
    if params is not None:
        info = {**info, "params": "true"}
        body = {"inputs": body, "params": params}
    return {
        "tag": tag,
        "signature": {"inputs": json.dumps(inputs) if inputs is not None else None,
                      "outputs": None,
                      "params": json.dumps(param_schema) if param_schema is not None else None},
        "saved_input_example_info": info,
        "input_example": json.dumps(body),
    }


def gen_column_matrix(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for vname, values in value_sets(rng).items():
        for t in SCALARS:
            for required in (True, False):
                rows = [[v, i] for i, v in enumerate(values)]
                inputs = [col_schema("x", t, required), col_schema("k", "long")]
                out.append(df_case(["x", "k"], rows, inputs,
                                   tag=f"matrix/{vname}/{t}/{'req' if required else 'opt'}"))
    return out


def gen_structure(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    base = [col_schema("a", "long"), col_schema("b", "double"), col_schema("c", "string", False)]
    rows3 = [[1, 1.5, "x"], [2, 2.5, "y"]]
    out.append(df_case(["a", "b", "c"], rows3, base, tag="struct/exact"))
    out.append(df_case(["c", "b", "a"], [r[::-1] for r in rows3], base, tag="struct/reordered"))
    out.append(df_case(["a", "b"], [r[:2] for r in rows3], base, tag="struct/missing-optional"))
    out.append(df_case(["a", "c"], [[1, "x"], [2, "y"]], base, tag="struct/missing-required"))
    out.append(df_case(["c"], [["x"], ["y"]], base, tag="struct/missing-two-required"))
    out.append(df_case(["a", "b", "c", "z"], [r + [9] for r in rows3], base,
                       tag="struct/extra"))
    out.append(df_case(["b", "z"], [[1.5, 9]], base, tag="struct/extra-and-missing"))
    unnamed = [col_schema(None, "long"), col_schema(None, "double")]
    out.append(df_case(None, [[1, 1.5], [2, 2.5]], unnamed, tag="struct/unnamed-exact"))
    out.append(df_case(None, [[1, 1.5, "q"]], unnamed, tag="struct/unnamed-more"))
    out.append(df_case(None, [[1], [2]], unnamed, tag="struct/unnamed-fewer"))
    out.append(df_case(None, [[1.5, 1]], unnamed, tag="struct/unnamed-swapped"))
    out.append(df_case(["p", "q"], [[1, 1.5]], unnamed, tag="struct/unnamed-sig-named-df"))
    out.append(df_case(None, [[1, 1.5]], [col_schema("a", "long"), col_schema("b", "double")],
                       tag="struct/named-sig-unnamed-df"))
    out.append(df_case(["a", "b"], [[1, None]], [col_schema("a", "long"),
                                                 col_schema("b", "long", False)],
                       tag="struct/null-in-optional-long"))
    # random mixes of many columns
    for i in range(20):
        n = rng.randint(2, 6)
        types = [rng.choice(["long", "double", "string", "boolean"]) for _ in range(n)]
        gen = {"long": lambda: rng.randint(0, 9), "double": lambda: rng.random() * 10,
               "string": lambda: rng.choice("abc"), "boolean": lambda: rng.random() < 0.5}
        names = [f"c{j}" for j in range(n)]
        req = [rng.random() < 0.7 for _ in range(n)]
        sig = [col_schema(names[j], types[j], req[j]) for j in range(n)]
        keep = [j for j in range(n) if rng.random() < 0.85]
        if rng.random() < 0.3 and keep:  # corrupt a cell type
            j = rng.choice(keep)
            bad = {"long": "x", "double": "y", "string": 3, "boolean": 1.5}[types[j]]
        else:
            j, bad = -1, None
        rows = [[(bad if (jj == j and r == 0) else gen[types[jj]]()) for jj in keep]
                for r in range(rng.randint(1, 4))]
        out.append(df_case([names[jj] for jj in keep], rows, sig, tag=f"struct/random{i}"))
    return out


def gen_nested(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    arr_long = {"type": "array", "items": {"type": "long"}}
    arr_str = {"type": "array", "items": {"type": "string"}}
    obj = {"type": "object", "properties": {"c": {"type": "long", "required": True},
                                            "d": {"type": "string", "required": False}}}
    mp = {"type": "map", "values": {"type": "double"}}
    arr_obj = {"type": "array", "items": obj}
    anyt = {"type": "any"}

    def sig(t, req=True):
        return [{**t, "name": "x", "required": req}, col_schema("k", "long")]

    vals = {
        "list_ints": [[1, 2], [3]],
        "list_floats": [[1.5], [2.0]],
        "list_strs": [["a"], ["b", "c"]],
        "empty_lists": [[], []],
        "scalars": [1, 2],
        "obj_ok": [{"c": 1, "d": "z"}, {"c": 2}],
        "obj_missing": [{"d": "z"}, {"c": 2}],
        "obj_extra": [{"c": 1, "e": 3}, {"c": 2}],
        "obj_badtype": [{"c": "q"}, {"c": 2}],
        "map_ok": [{"a": 1.5, "b": 2}, {}],
        "map_strvals": [{"a": "q"}, {"b": 1.0}],
        "list_objs": [[{"c": 1}], [{"c": 2, "d": "w"}]],
        "nulls": [None, None],
        "mixed": [[1, 2], None],
    }
    for tname, t in (("arr_long", arr_long), ("arr_str", arr_str), ("obj", obj), ("map", mp),
                     ("arr_obj", arr_obj), ("any", anyt)):
        for vname, v in vals.items():
            for req in (True, False):
                rows = [[x, i] for i, x in enumerate(v)]
                out.append(df_case(["x", "k"], rows, sig(t, req),
                                   tag=f"nested/{tname}/{vname}/{'req' if req else 'opt'}"))
    # array column without "required" key: 2.x reads it required, 3.x optional
    for vname in ("nulls", "list_ints"):
        rows = [[x, i] for i, x in enumerate(vals[vname])]
        out.append(df_case(["x", "k"], rows, [{**arr_long, "name": "x"}, col_schema("k", "long")],
                           tag=f"nested/arr-no-required/{vname}"))
    return out


def tensor_case(data: Any, inputs: list[dict[str, Any]], tag: str,
                params: dict[str, Any] | None = None,
                param_schema: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    info = {"artifact_path": "input_example.json", "type": "ndarray"}
    return _case(tag, info, data, inputs, params, param_schema)


def tspec(dtype: str, shape: list[int], name: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}
    if name:
        d["name"] = name
    return d


def gen_tensors(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    datas = {
        "r1_ints": [1, 2, 3],
        "r2_ints": [[1, 2], [3, 4]],
        "r2_floats": [[1.5, 2.0], [3.25, 4.0]],
        "r2_integral_floats": [[1.0, 2.0]],
        "r2_bools": [[True, False]],
        "r2_strs": [["a", "b"]],
        "r2_numstrs": [["1", "2"]],
        "r2_null": [[1.0, None]],
        "r2_w3": [[1, 2, 3]],
        "r3": [[[1, 2], [3, 4]]],
        "ragged": [[1, 2], [3]],
        "scalar": 5,
        "r1_strs": ["x", "y"],
    }
    shapes = [[-1], [-1, 2], [-1, 3], [2, 2], [-1, -1], [1, 2, 2], [-1, 2, 2], [1, 2]]
    dtypes = ["float32", "float64", "int32", "int64", "bool", "str", "object", "uint8"]
    for dname, data in datas.items():
        for dt in dtypes:
            for shape in rng.sample(shapes, 3):
                out.append(tensor_case(data, [tspec(dt, shape)],
                                       tag=f"tensor/{dname}/{dt}/{shape}"))
    # named tensors (dict of arrays)
    two = [tspec("int64", [-1, 3], "a"), tspec("float64", [-1, 2, 2], "b")]
    out.append(tensor_case({"a": [[1, 2, 3]], "b": [[[1.0, 1.0], [1.0, 1.0]]]}, two,
                           tag="tensor/named/ok"))
    out.append(tensor_case({"a": [[1, 2, 3]]}, two, tag="tensor/named/missing"))
    out.append(tensor_case({"a": [[1, 2]], "b": [[[1.0, 1.0], [1.0, 1.0]]]}, two,
                           tag="tensor/named/bad-shape"))
    out.append(tensor_case({"a": [[1, 2, 3]], "b": [[[1.0, 1.0], [1.0, 1.0]]], "c": [1]}, two,
                           tag="tensor/named/extra"))
    out.append(tensor_case({"a": [["x", 2, 3]], "b": [[[1.0, 1.0], [1.0, 1.0]]]}, two,
                           tag="tensor/named/bad-elem"))
    out.append(tensor_case([[1, 2, 3]], two, tag="tensor/named/list-given"))
    return out


def gen_params(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    values = {"int": 3, "float": 0.5, "integral_float": 2.0, "bool": True, "str": "abc",
              "date_str": "2024-01-01", "num_str": "1", "list_ints": [1, 2],
              "list_floats": [1.5, 2.5], "list_mixed": [1, "a"], "null": None,
              "dict": {"x": 1}, "empty_list": []}
    defaults = {"boolean": False, "integer": 1, "long": 1, "float": 1.0, "double": 1.0,
                "string": "s", "datetime": "2024-01-01T00:00:00"}
    inputs = [col_schema("x", "double")]
    for vname, v in values.items():
        for t, d in defaults.items():
            for shape in (None, [-1]):
                default = [d] if shape else d
                ps = [{"name": "p", "type": t, "default": default, "shape": shape}]
                out.append(df_case(["x"], [[1.5]], inputs, params={"p": v}, param_schema=ps,
                                   tag=f"params/{vname}/{t}/{'list' if shape else 'scalar'}"))
    ps = [{"name": "p", "type": "long", "default": 1, "shape": None}]
    out.append(df_case(["x"], [[1.5]], inputs, params={"q": 1}, param_schema=ps,
                       tag="params/unknown"))
    out.append(df_case(["x"], [[1.5]], inputs, params={}, param_schema=ps, tag="params/empty"))
    out.append(df_case(["x"], [[1.5]], inputs, params={"p": 1}, param_schema=None,
                       tag="params/no-schema"))
    out.append(tensor_case([[1.0, 2.0]], [tspec("float64", [-1, 2])], params={"p": "x"},
                           param_schema=ps, tag="params/tensor-bad"))
    return out


def gen_json_objects(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    info = {"artifact_path": "input_example.json", "type": "json_object"}
    named = [col_schema("a", "long"), col_schema("b", "string", False)]
    cases = {
        "dict_scalars": ({"a": 1, "b": "x"}, named),
        "dict_bad": ({"a": "q", "b": "x"}, named),
        "dict_missing": ({"b": "x"}, named),
        "list_dicts": ([{"a": 1}, {"a": 2, "b": "y"}], named),
        "list_dicts_missing": ([{"b": "y"}], named),
        "list_str": (["hello", "world"], [col_schema(None, "string")]),
        "str": ("hello", [col_schema(None, "string")]),
        "int_for_str": (5, [col_schema(None, "string")]),
        "int": (5, [col_schema(None, "long")]),
        "float_for_long": (5.5, [col_schema(None, "long")]),
        "str_for_long": ("x", [col_schema(None, "long")]),
        "dict_lists": ({"a": [1, 2], "b": {"c": 1}},
                       [{"type": "array", "items": {"type": "long"}, "name": "a",
                         "required": True},
                        {"type": "object", "properties": {"c": {"type": "long",
                                                                "required": True}},
                         "name": "b", "required": True}]),
        "dict_lists_bad": ({"a": ["x"], "b": {"c": 1}},
                           [{"type": "array", "items": {"type": "long"}, "name": "a",
                             "required": True},
                            {"type": "object", "properties": {"c": {"type": "long",
                                                                    "required": True}},
                             "name": "b", "required": True}]),
        "datetime_str": ("2024-01-02T03:04:05", [col_schema(None, "datetime")]),
        "single_col_list": ([1, 2, 3], [col_schema("a", "long")]),
        "single_col_list_bad": (["x", "y"], [col_schema("a", "long")]),
        "datetime_year": ("2024", [col_schema(None, "datetime")]),
        "datetime_year_month": (["2024-01", "2024-02"], [col_schema(None, "datetime")]),
        "datetime_text": ("Jan 1 2024", [col_schema(None, "datetime")]),
        "datetime_slash": (["2024/01/02"], [col_schema(None, "datetime")]),
        "datetime_named_text": ({"a": ["01/02/2024"]}, [col_schema("a", "datetime")]),
        "datetime_named_iso": ({"a": ["2024-01-02", "2024-01-03T04:05:06"]},
                               [col_schema("a", "datetime")]),
        "datetime_nat": (["NaT", "2024-01-02"], [col_schema(None, "datetime")]),
        "datetime_words": (["hello"], [col_schema(None, "datetime")]),
    }
    for name, (body, inputs) in cases.items():
        out.append(_case(f"json/{name}", info, body, inputs, None, None))
    return out


JSON_INFO = {"artifact_path": "input_example.json", "type": "json_object"}


def gen_json_matrix(rng: random.Random) -> list[dict[str, Any]]:
    """json_object examples (what ``_Example`` writes for a dict, a list or a scalar) in every
    form x every scalar column type x every value set: records (a list of dicts), a dict of
    columns, a one-row dict of scalars, an unnamed list and a bare scalar."""
    out = []
    for vname, values in value_sets(rng).items():
        for t in SCALARS:
            named = [col_schema("x", t), col_schema("k", "long")]
            forms: dict[str, tuple[Any, list[dict[str, Any]]]] = {
                "records": ([{"x": v, "k": i} for i, v in enumerate(values)], named),
                "columns": ({"x": values, "k": list(range(len(values)))}, named),
                "row": ({"x": values[0], "k": 0}, named),
                "list": (values, [col_schema(None, t)]),
                "scalar": (values[0], [col_schema(None, t)]),
            }
            for form, (body, inputs) in forms.items():
                out.append(_case(f"jsonmatrix/{form}/{vname}/{t}", JSON_INFO, body, inputs,
                                 None, None))
            # a record without the optional column, and one with null in it
            opt = [col_schema("x", t, False), col_schema("k", "long")]
            recs = [{"k": 0}] + [{"x": v, "k": i + 1} for i, v in enumerate(values)]
            out.append(_case(f"jsonmatrix/records-opt/{vname}/{t}", JSON_INFO, recs, opt,
                             None, None))
    return out


def gen_json_nested(rng: random.Random) -> list[dict[str, Any]]:
    """json_object examples against array / object / map / any columns."""
    out = []
    arr_long = {"type": "array", "items": {"type": "long"}}
    arr_str = {"type": "array", "items": {"type": "string"}}
    arr_dbl = {"type": "array", "items": {"type": "double"}}
    obj = {"type": "object", "properties": {"c": {"type": "long", "required": True},
                                            "d": {"type": "string", "required": False}}}
    mp = {"type": "map", "values": {"type": "double"}}
    types = {"arr_long": arr_long, "arr_str": arr_str, "arr_dbl": arr_dbl, "obj": obj,
             "map": mp, "arr_obj": {"type": "array", "items": obj}, "any": {"type": "any"}}
    vals = {
        "list_ints": [1, 2], "list_floats": [1.5, 2.0], "list_strs": ["a", "b"], "empty": [],
        "scalar": 3, "str": "q", "obj_ok": {"c": 1, "d": "z"}, "obj_missing": {"d": "z"},
        "obj_extra": {"c": 1, "e": 3}, "obj_badtype": {"c": "q"}, "map_ok": {"a": 1.5, "b": 2},
        "map_strvals": {"a": "q"}, "list_objs": [{"c": 1}, {"c": 2, "d": "w"}], "null": None,
        "list_mixed": [1, "a"], "list_null": [1, None],
    }
    for tname, t in types.items():
        for vname, v in vals.items():
            for req in (True, False):
                sig = [{**t, "name": "x", "required": req}, col_schema("k", "long")]
                r = "req" if req else "opt"
                out.append(_case(f"jsonnested/row/{tname}/{vname}/{r}", JSON_INFO,
                                 {"x": v, "k": 0}, sig, None, None))
                out.append(_case(f"jsonnested/records/{tname}/{vname}/{r}", JSON_INFO,
                                 [{"x": v, "k": 0}, {"x": v, "k": 1}], sig, None, None))
            out.append(_case(f"jsonnested/only/{tname}/{vname}", JSON_INFO, {"x": v},
                             [{**t, "name": "x", "required": True}], None, None))
    return out


def gen_json_llm(rng: random.Random) -> list[dict[str, Any]]:
    """Chat / prompt style json_object examples of LLM flavors, and lists of strings."""
    out = []
    msg = {"type": "object", "properties": {"role": {"type": "string", "required": True},
                                            "content": {"type": "string", "required": True}}}
    chat = [{"type": "array", "items": msg, "name": "messages", "required": True}]
    chat_opt = chat + [{"type": "double", "name": "temperature", "required": False},
                       {"type": "long", "name": "max_tokens", "required": False}]
    bodies = {
        "chat": {"messages": [{"role": "user", "content": "hi"}]},
        "chat_two": {"messages": [{"role": "system", "content": "be brief"},
                                  {"role": "user", "content": "hi"}]},
        "chat_no_role": {"messages": [{"content": "hi"}]},
        "chat_extra_key": {"messages": [{"role": "user", "content": "hi", "name": "x"}]},
        "chat_int_content": {"messages": [{"role": "user", "content": 5}]},
        "chat_not_list": {"messages": {"role": "user", "content": "hi"}},
        "chat_temp": {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5},
        "chat_temp_int": {"messages": [{"role": "user", "content": "hi"}], "temperature": 1},
        "chat_tokens": {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10},
        "chat_tokens_float": {"messages": [{"role": "user", "content": "hi"}],
                              "max_tokens": 10.5},
        "chat_missing": {"temperature": 0.5},
        "chat_records": [{"messages": [{"role": "user", "content": "hi"}]}],
    }
    for name, body in bodies.items():
        for sname, sig in (("chat", chat), ("chat_opt", chat_opt)):
            out.append(_case(f"jsonllm/{name}/{sname}", JSON_INFO, body, sig, None, None))
    prompt = [col_schema("prompt", "string")]
    strs = [col_schema(None, "string")]
    for name, body in {"prompt": {"prompt": "hi"}, "prompt_list": {"prompt": ["a", "b"]},
                       "prompt_int": {"prompt": 3}, "list_strs": ["a", "b"], "str": "hi",
                       "list_mixed": ["a", 1], "list_null": ["a", None],
                       "list_lists": [["a"], ["b"]], "empty_list": []}.items():
        for sname, sig in (("prompt", prompt), ("strs", strs)):
            out.append(_case(f"jsonllm/{name}/{sname}", JSON_INFO, body, sig, None, None))
    # chat with params
    ps = [{"name": "temperature", "type": "double", "default": 0.1, "shape": None}]
    for pname, pv in (("ok", {"temperature": 0.5}), ("int", {"temperature": 1}),
                      ("bad", {"temperature": "hot"})):
        out.append(_case(f"jsonllm/params-{pname}", JSON_INFO, bodies["chat"], chat, pv, ps))
    return out


def gen_json_params(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    ps = [{"name": "p", "type": "long", "default": 1, "shape": None}]
    named = [col_schema("a", "long")]
    for bname, body in (("records", [{"a": 1}]), ("row", {"a": 1}), ("bad", {"a": "x"}),
                        ("float", {"a": 1.5})):
        for pname, pv in (("ok", {"p": 2}), ("bad", {"p": "x"}), ("unknown", {"q": 1})):
            out.append(_case(f"jsonparams/{bname}/{pname}", JSON_INFO, body, named, pv, ps))
    return out


def sparse_case(typ: str, dense: list[list[Any]], inputs: list[dict[str, Any]], tag: str
                ) -> dict[str, Any]:
    """A sparse example stored as _Example stores it (data, indices, indptr, shape)."""
    rows, cols = len(dense), len(dense[0])
    data: list[Any] = []
    indices: list[int] = []
    indptr = [0]
    majors = range(rows) if typ.endswith("csr") else range(cols)
    for m in majors:
        for n in (range(cols) if typ.endswith("csr") else range(rows)):
            v = dense[m][n] if typ.endswith("csr") else dense[n][m]
            if v != 0:
                data.append(v)
                indices.append(n)
        indptr.append(len(data))
    body = {"data": data, "indices": indices, "indptr": indptr, "shape": [rows, cols]}
    info = {"artifact_path": "input_example.json", "type": typ}
    return _case(tag, info, body, inputs, None, None)


def gen_sparse(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    denses = {"floats": [[0, 1.5], [2.5, 0]], "ints": [[0, 1], [2, 0]],
              "wide": [[0, 1.0, 0], [2.0, 0, 3.0]]}
    for typ in ("sparse_matrix_csr", "sparse_matrix_csc"):
        for dname, dense in denses.items():
            for dt in ("float64", "float32", "int64", "int32"):
                for shape in ([-1, 2], [2, 2], [-1, 3], [-1]):
                    out.append(sparse_case(typ, dense, [tspec(dt, shape)],
                                           f"sparse/{typ}/{dname}/{dt}/{shape}"))
            out.append(sparse_case(typ, dense, [col_schema(None, "double"),
                                                col_schema(None, "double")],
                                   f"sparse/{typ}/{dname}/columns"))
    return out


def gen_ndarray_columns(rng: random.Random) -> list[dict[str, Any]]:
    """ndarray examples (lists, dicts of lists) against column signatures."""
    out = []
    for t in SCALARS:
        for dname, data in (("r1_ints", [1, 2]), ("r1_floats", [1.5, 2.0]),
                            ("r1_strs", ["a", "b"]), ("r1_bools", [True, False]),
                            ("named_ints", {"x": [1, 2]}), ("named_strs", {"x": ["a", "b"]}),
                            ("named_floats", {"x": [0.5, 1.5]})):
            inputs = ([col_schema("x", t)] if isinstance(data, dict)
                      else [col_schema(None, t)])
            out.append(tensor_case(data, inputs, tag=f"ndcols/{dname}/{t}"))
    return out


def gen_json_tensors(rng: random.Random) -> list[dict[str, Any]]:
    """json_object examples (lists, dicts of lists) against tensor signatures."""
    out = []
    for name, body, inputs in (
            ("list2d", [[1.0, 2.0]], [tspec("float64", [-1, 2])]),
            ("list1d", [1, 2], [tspec("int64", [-1])]),
            ("list_strs", ["a", "b"], [tspec("str", [-1])]),
            ("list_objects", ["a", 1], [tspec("object", [-1])]),
            ("named", {"a": [[1, 2, 3]], "b": [[[1.0, 1.0], [1.0, 1.0]]]},
             [tspec("int64", [-1, 3], "a"), tspec("float64", [-1, 2, 2], "b")]),
            ("scalar", 5, [tspec("int64", [-1])])):
        out.append(_case(f"jsontensor/{name}", JSON_INFO, body, inputs, None, None))
    return out


def serving_variants(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same examples sent as ``dataframe_records`` (named DataFrames) and ``instances``
    payloads: the case carries the payload in ``serving_input`` and MLflow parses that."""
    out = []
    for c in cases:
        info = c["saved_input_example_info"]
        if info.get("params") == "true":
            continue
        body = json.loads(c["input_example"])
        if info["type"] == "dataframe":
            if "columns" not in body:
                continue
            recs = [dict(zip(body["columns"], r, strict=False)) for r in body["data"]]
            forms = {"dataframe_records": recs}
        elif (isinstance(body, list) and body and all(isinstance(r, dict) for r in body)
              and '"tensor"' not in (c["signature"]["inputs"] or "")):
            continue  # instances records + column signature: not modelled (conform_payload)
        else:
            forms = {"instances": body}
        for key, data in forms.items():
            out.append({**c, "tag": f"{key}/{c['tag']}",
                        "serving_input": json.dumps({key: data})})
    return out


def all_cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    cases = (gen_column_matrix(rng) + gen_structure(rng) + gen_nested(rng) + gen_tensors(rng)
             + gen_params(rng) + gen_json_objects(rng))
    cases += serving_variants(cases)
    cases += (gen_json_matrix(rng) + gen_json_nested(rng) + gen_json_llm(rng)
              + gen_json_params(rng) + gen_sparse(rng) + gen_ndarray_columns(rng)
              + gen_json_tensors(rng))
    for i, c in enumerate(cases):
        c["id"] = i
    return cases


# ---------------------------------------------------------------------------------------------
# the oracle (needs mlflow)

def serving_payload(case: dict[str, Any]) -> dict[str, Any]:
    """The serving payload MLflow writes for this example (serving_input_example.json), or the
    records/instances payload the case carries."""
    if "serving_input" in case:
        return json.loads(case["serving_input"])
    info = case["saved_input_example_info"]
    body = json.loads(case["input_example"])
    params = None
    if info.get("params") == "true":
        body, params = body["inputs"], body["params"]
    if info["type"] == "dataframe":
        payload: dict[str, Any] = {"dataframe_split": body}
    elif info["type"].startswith("sparse_matrix"):
        payload = {"inputs": densify(info["type"], body)}  # _Example: model_input.toarray()
    elif isinstance(body, dict) and LLM_KEYS & set(body):
        # _Example: a dict with a unified-LLM key (is_unified_llm_input: messages, prompt,
        # input) is the serving payload itself, params merged at its top level
        return {**body, **(params or {})}
    else:
        payload = {"inputs": body}
    if params is not None:
        payload["params"] = params
    return payload


LLM_KEYS = {"messages", "prompt", "input"}


def densify(typ: str, d: dict[str, Any]) -> list[list[Any]]:
    rows, cols = d["shape"]
    ptr, idx, vals = d["indptr"], d["indices"], d["data"]
    zero = 0 if all(type(v) is int for v in vals) else 0.0  # toarray() keeps the dtype
    dense: list[list[Any]] = [[zero] * cols for _ in range(rows)]
    for major in range(len(ptr) - 1):
        for k in range(ptr[major], ptr[major + 1]):
            r, c = (major, idx[k]) if typ.endswith("csr") else (idx[k], major)
            dense[r][c] = vals[k]
    return dense


def run_loaded(case: dict[str, Any]) -> tuple[str, str]:
    """The example as ``Model.load_input_example`` returns it, passed to ``predict``: what
    MLflow runs at save time to capture the modules predict imports
    (``mlflow/utils/_capture_modules.py``, ``model.predict(input_example, params=params)``) and
    what ``pyfunc_model.predict(pyfunc_model.input_example)`` runs. ``_read_example``
    (mlflow/models/utils.py) returns a json_object example as the parsed JSON, unconverted;
    a dataframe/ndarray example is converted with the signature (``dataframe_from_parsed_json``
    / ``parse_inputs_data``), a sparse one becomes a scipy matrix. A real package directory is
    written and read back through the public API, then ``_validate_prediction_input`` runs
    (``PyFuncModel._predict``, before the model is called)."""
    import tempfile

    from mlflow.models import Model, ModelSignature
    from mlflow.pyfunc import _validate_prediction_input

    sig = ModelSignature.from_dict(case["signature"])
    with tempfile.TemporaryDirectory() as d:
        model = Model(signature=sig, saved_input_example_info=case["saved_input_example_info"])
        model.save(str(Path(d) / "MLmodel"))
        (Path(d) / "input_example.json").write_text(case["input_example"])
        loaded = Model.load(d)
        try:
            data = loaded.load_input_example(d)
            params = loaded.load_input_example_params(d)
        except Exception as exc:
            return "reject", f"load_input_example: {type(exc).__name__}: {str(exc)[:300]}"
    try:
        out, pout = _validate_prediction_input(data, params, sig.inputs, sig.params)
    except Exception as exc:
        return "reject", f"{type(exc).__name__}: {str(exc)[:300]}"
    info = case["saved_input_example_info"]
    body = json.loads(case["input_example"])
    if info.get("params") == "true":
        body = body["inputs"]
    if info["type"] == "dataframe":
        payload: dict[str, Any] = {"dataframe_split": body}
    elif info["type"].startswith("sparse_matrix"):
        payload = {"inputs": densify(info["type"], body)}
    else:
        payload = {"inputs": body}
    if params is not None:
        payload["params"] = params
    changed = value_changes(case, payload, out, pout, loaded=True)
    return ("lossy", "; ".join(changed)[:300]) if changed else ("accept", "")


_RANK = {"accept": 0, "lossy": 1, "reject": 2}


def run_both(case: dict[str, Any]) -> dict[str, str]:
    """MLflow's verdict on the stored example: the worse of the served path (log_model's
    ``_validate_serving_input``, the scoring server) and the loaded path (``run_loaded``).
    A case built from a ``serving_input`` payload is only served."""
    from mlflow.models import ModelSignature

    try:
        ModelSignature.from_dict(case["signature"])
    except Exception as exc:  # the signature itself does not load
        return {"verdict": "invalid-signature", "detail": f"{type(exc).__name__}: {exc}"}
    served, sdetail = run_mlflow(case)
    if "serving_input" in case:
        return {"served": served, "verdict": served, "detail": sdetail}
    loaded, ldetail = run_loaded(case)
    worst = max(served, loaded, key=_RANK.__getitem__)
    detail = sdetail if worst == served else ldetail  # the deciding path's message
    return {"served": served, "loaded": loaded, "verdict": worst, "detail": detail}


def run_mlflow(case: dict[str, Any]) -> tuple[str, str]:
    from mlflow.models import Model, ModelSignature
    from mlflow.pyfunc import _validate_prediction_input
    from mlflow.pyfunc.scoring_server import _parse_json_data

    try:
        sig = ModelSignature.from_dict(case["signature"])
    except Exception as exc:  # the signature itself does not load
        return "invalid-signature", f"{type(exc).__name__}: {exc}"
    model = Model(signature=sig)
    payload = serving_payload(case)
    text = json.dumps(payload)
    try:
        parsed = _parse_json_data(text, model, model.get_input_schema())
        data, params = _validate_prediction_input(parsed.data, parsed.params, sig.inputs,
                                                  sig.params)
    except Exception as exc:
        return "reject", f"{type(exc).__name__}: {str(exc)[:300]}"
    changed = value_changes(case, comparable(case, payload), data, params)
    return ("lossy", "; ".join(changed)[:300]) if changed else ("accept", "")


def comparable(case: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """A records/instances payload of a DataFrame example is compared as the original split
    body; an instances payload of another example as ``inputs``."""
    if "serving_input" not in case:
        return payload
    if case["saved_input_example_info"]["type"] == "dataframe":
        return {"dataframe_split": json.loads(case["input_example"])}
    return {"inputs": payload["instances"]}


def _is_missing(v: Any) -> bool:
    import pandas as pd

    if v is None:
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (list, dict)) else False
    except (TypeError, ValueError):
        return False


def same_value(src: Any, out: Any, kind: str | None) -> bool:
    """Is ``out`` (what the model receives) the same value as ``src`` (the JSON value)?"""
    import numpy as np
    import pandas as pd

    if hasattr(out, "tolist") and not isinstance(out, (pd.Timestamp,)):
        out = out.tolist()
    if isinstance(out, tuple):
        out = list(out)
    if kind == "boolean" and src is None and out is False:
        return True  # MLflow 2.x fills missing booleans with False: reported as a note
    if _is_missing(src) or _is_missing(out):
        return _is_missing(src) and _is_missing(out)
    if isinstance(src, list):
        return (isinstance(out, list) and len(out) == len(src)
                and all(same_value(a, b, kind) for a, b in zip(src, out, strict=False)))
    if isinstance(src, dict):
        return (isinstance(out, dict) and set(out) == set(src)
                and all(same_value(src[k], out[k], kind) for k in src))
    if isinstance(src, bool):
        return isinstance(out, (bool, np.bool_)) and bool(out) == src
    if isinstance(src, (int, float)):
        if isinstance(out, (bool, np.bool_, str, bytes)) or not isinstance(out, (int, float)):
            return False
        if kind == "float":  # rounding to the declared float32 precision is not a change
            return float(np.float32(src)) == float(out)
        return float(out) == float(src) and (not isinstance(src, int) or int(out) == src)
    if isinstance(src, str):
        if isinstance(out, str):
            return out == src
        if isinstance(out, bytes):
            if kind == "binary":
                try:
                    return base64.decodebytes(src.encode()) == out
                except Exception:
                    return False
            return out == src.encode()
        if isinstance(out, (pd.Timestamp,)) or type(out).__name__ in ("datetime", "date"):
            try:
                return pd.Timestamp(src) == pd.Timestamp(out)
            except Exception:
                return False
        return False
    return src == out


def value_changes(case: dict[str, Any], payload: dict[str, Any], data: Any, params: Any,
                  loaded: bool = False) -> list[str]:
    import numpy as np
    import pandas as pd

    changes: list[str] = []
    sig = case["signature"]
    inputs = json.loads(sig["inputs"]) if sig["inputs"] else []
    kinds = {s.get("name"): s.get("type") for s in inputs}
    if "dataframe_split" in payload and isinstance(data, pd.DataFrame):
        body = payload["dataframe_split"]
        cols = body.get("columns") or list(range(len(body["data"][0]) if body["data"] else 0))
        for j, c in enumerate(cols):
            if c not in data.columns:
                continue
            kind = kinds.get(c) if c in kinds else (
                inputs[j].get("type") if j < len(inputs) else None)
            src = [row[j] for row in body["data"]]
            out = data[c].tolist()
            for a, b in zip(src, out, strict=False):
                if not same_value(a, b, kind):
                    changes.append(f"{c}: {a!r} -> {b!r}")
                    break
    elif "inputs" in payload:
        src = payload["inputs"]
        if inputs and inputs[0].get("type") == "tensor":
            kind = None
            if isinstance(data, dict) and isinstance(src, dict):
                for k, v in data.items():
                    if not same_value(src.get(k), np.asarray(v).tolist(), kind):
                        changes.append(f"{k}: changed")
            elif isinstance(data, np.ndarray):
                if not same_value(src, data.tolist(), kind):
                    changes.append("tensor values changed")
        elif isinstance(data, pd.DataFrame):
            recs = src if isinstance(src, list) and all(isinstance(x, dict) for x in src) \
                else None
            json_object = case["saved_input_example_info"]["type"] == "json_object"
            if isinstance(src, dict) and not recs and loaded and json_object:
                # _enforce_schema: a dict becomes ONE row when a column is an array/object or
                # every value is a scalar or a list of strings, else pd.DataFrame(dict)
                recs = [src] if (any(k in ("array", "object") for k in kinds.values()) or all(
                    not isinstance(v, (list, dict)) or (isinstance(v, list) and all(
                        isinstance(x, str) for x in v)) for v in src.values())) else None
            elif isinstance(src, dict) and not recs:
                # served: convert_data_type made every list an ndarray except in an `any`
                # column, then _enforce_schema's one-row rule (above) ran on the result
                one = any(k in ("array", "object") for k in kinds.values()) or all(
                    not isinstance(v, (list, dict)) or (
                        isinstance(v, list) and kinds.get(k) == "any"
                        and all(isinstance(x, str) for x in v)) for k, v in src.items())
                recs = [src] if one or all(not isinstance(v, list) or kinds.get(k) == "array"
                                           for k, v in src.items()) else None
            if recs is not None:
                for c in data.columns:
                    out = data[c].tolist()
                    for rec, b in zip(recs, out, strict=False):
                        if c in rec and not same_value(rec[c], b, kinds.get(c)):
                            changes.append(f"{c}: {rec[c]!r} -> {b!r}")
                            break
            else:
                flat = src if isinstance(src, list) else [src]
                if isinstance(src, dict):
                    for c in data.columns:
                        if c in src and not same_value(src[c], data[c].tolist(), kinds.get(c)):
                            changes.append(f"{c}: changed")
                else:
                    out = data[data.columns[0]].tolist()
                    kind = inputs[0].get("type") if inputs else None
                    if flat and all(isinstance(r, list) and r for r in flat):
                        flat = [r[0] for r in flat]  # rows: their first column
                    if not same_value(flat, out, kind):
                        changes.append(f"{flat!r} -> {out!r}")
    given = payload.get("params") or {}
    pschema = json.loads(sig["params"]) if sig.get("params") else []
    ptypes = {p["name"]: p.get("type") for p in pschema}
    for k, v in given.items():
        if k in ptypes and isinstance(params, dict) and k in params:
            if not same_value(v, params[k], ptypes[k]):
                changes.append(f"param {k}: {v!r} -> {params[k]!r}")
    return changes


def write_cases(path: Path, version: str, cases: list[dict[str, Any]]) -> None:
    """One case per line: small, and a regenerated file diffs case by case."""
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    path.write_text(f'{{"mlflow_version":{json.dumps(version)},"seed":{SEED},"cases":[\n'
                    f"{lines}\n]}}\n")


def main() -> int:
    import mlflow

    logging.disable(logging.CRITICAL)
    import warnings

    warnings.simplefilter("ignore")
    version = mlflow.__version__
    cases = all_cases()
    for c in cases:
        c["mlflow_version"] = version
        c.update(run_both(c))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"cases-{version}.json"
    write_cases(path, version, cases)
    counts: dict[str, int] = {}
    for c in cases:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    print(f"{path}: {len(cases)} cases {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
