"""Record real MLflow's verdict on many signatures, dtype strings and datetime defaults.

Run by hand with a Python that has MLflow installed (never imported by modelcheck itself):

    /work/venvs/mlflow2/bin/python tests/gen_signature_cases.py
    /work/venvs/mlflow3/bin/python tests/gen_signature_cases.py

It writes tests/data/signature_cases_<mlflow version>.json, which
tests/test_signature_differential.py uses to check that our parser rejects exactly what
MLflow rejects. Cases are hand-written edge cases plus deterministic random mutations of
valid MLflow-written signatures.
"""

from __future__ import annotations

import copy
import json
import random
import warnings
from pathlib import Path

DATA = Path(__file__).parent / "data"

VALID = [
    [{"type": "long", "name": "i", "required": True},
     {"type": "double", "name": "f", "required": False},
     {"type": "string", "name": "s", "required": True},
     {"type": "boolean", "name": "b", "required": True},
     {"type": "datetime", "name": "t", "required": True},
     {"type": "binary", "name": "by", "required": True}],
    [{"type": "array", "items": {"type": "long"}, "name": "a", "required": True},
     {"type": "object", "properties": {"c": {"type": "long", "required": True},
                                       "d": {"type": "string", "required": False}},
      "name": "b", "required": True},
     {"type": "map", "values": {"type": "array", "items": {"type": "double"}}, "name": "m",
      "required": False}],
    [{"type": "string", "required": True}],
    [{"type": "long", "name": 0, "required": True}, {"type": "double", "name": 1,
                                                     "required": True}],
    [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}}],
    [{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [1, 3]}},
     {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}],
    [{"type": "sparkml_vector", "name": "v", "required": True}],
]
PARAMS = [
    {"name": "i", "default": 1, "shape": None, "type": "long"},
    {"name": "f", "default": 1.5, "shape": None, "type": "double"},
    {"name": "s", "default": "a", "shape": None, "type": "string"},
    {"name": "b", "default": True, "shape": None, "type": "boolean"},
    {"name": "l", "default": [1, 2], "shape": [-1], "type": "long"},
    {"name": "t", "default": "2024-01-01T00:00:00", "shape": None, "type": "datetime"},
]

POOL = [None, True, False, 0, 1, -1, -2, 1.5, "", "long", "int", "string", "tensor", "array",
        "object", "map", "any", "float33", "U10", "float32", "x", [], [-1], [1, 2], [-1, "a"],
        [[1]], {}, {"type": "long"}, {"type": "tensor"}, {"x": {"type": "long"}},
        {"x": {}}, {"type": "object"}, {"type": "sparkml_vector"}, "2024-01-01", "2024-13-01",
        {"dtype": "int8", "shape": [-1]}, {"dtype": "int8"}]
COL_KEYS = ["type", "name", "required", "optional", "items", "values", "properties",
            "tensor-spec", "extra"]
PARAM_KEYS = ["name", "type", "dtype", "default", "shape", "extra"]

HAND = [
    {"inputs": None, "outputs": None, "params": None},
    {"inputs": "", "outputs": json.dumps([{"type": "long"}])},
    {"inputs": "[]"},
    {"inputs": "{}"},
    {"inputs": "[{'type': 'long'}]"},
    {"inputs": json.dumps(["long"])},
    {"inputs": json.dumps([{"type": "long", "name": "a"}, {"type": "long", "name": "a"}])},
    {"inputs": json.dumps([{"type": "long", "name": ""}])},
    {"inputs": json.dumps([{"type": "long", "optional": True, "name": "a"}])},
    {"inputs": json.dumps([{"type": "long", "optional": True, "required": True, "name": "a"}])},
    {"inputs": json.dumps([{"type": "array", "items": {"type": "long"}, "name": "a"}])},
    {"inputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": None, "shape": [-1]}}])},
    {"inputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "c", "shape": [-1]}}])},
    {"inputs": json.dumps([{"type": "long"}]), "params": "[]"},
    {"inputs": json.dumps([{"type": "long"}]),
     "params": json.dumps([{"name": "p", "type": "long", "default": [], "shape": [-1]}])},
    {"inputs": json.dumps([{"type": "long"}]),
     "params": json.dumps([{"name": "p", "type": "datetime", "default": "2024-01-01 10:00"}])},
    {"inputs": json.dumps([{"type": "long"}]),
     "params": json.dumps([{"name": 1, "type": "long", "default": 1},
                           {"name": "1", "type": "long", "default": 2}])},
    # features of 2.19/2.20 (rejected by older readers)
    {"inputs": json.dumps([{"type": "any", "name": "a", "required": True}])},
    {"inputs": json.dumps([{"type": "any", "name": "a", "required": True, "foo": 1}])},
    {"inputs": json.dumps([{"type": "array", "items": {"type": "any"}, "name": "a",
                            "required": True}])},
    {"inputs": json.dumps([{"type": "array", "items": {"type": "long"}, "name": "a",
                            "optional": True}])},
    {"inputs": json.dumps([{"type": "object", "name": "a", "required": True, "properties": {
        "v": {"type": "sparkml_vector"}}}])},
    {"inputs": json.dumps([{"type": "string"}]),
     "params": json.dumps([{"name": "o", "type": "object", "default": {"x": 1}, "shape": None,
                            "properties": {"x": {"type": "long", "required": True}}}])},
    {"inputs": json.dumps([{"type": "string"}]),
     "params": json.dumps([{"name": "o", "type": "object", "default": None,
                            "properties": {"x": {"type": "long", "required": True}}}])},
    {"inputs": json.dumps([{"type": "string"}]),
     "params": json.dumps([{"name": "o", "type": "object", "default": 5,
                            "properties": {"x": {"type": "long", "required": True}}}])},
    {"inputs": json.dumps([{"type": "string"}]),
     "params": json.dumps([{"name": "o", "type": "object", "default": {"y": 1},
                            "properties": {"x": {"type": "long", "required": True}}}])},
    {"inputs": json.dumps([{"type": "string"}]),
     "params": json.dumps([{"name": "o", "type": "object", "default": [{"x": 1}],
                            "shape": [-1],
                            "properties": {"x": {"type": "long", "required": True}}}])},
    {"inputs": json.dumps([{"type": "string"}]),
     "params": json.dumps([{"name": "o", "type": "object", "default": {"x": 1}}])},
]


def mutations(rng: random.Random, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        if rng.random() < 0.3:
            params = copy.deepcopy(PARAMS)
            target = rng.choice(params)
            target[rng.choice(PARAM_KEYS)] = copy.deepcopy(rng.choice(POOL))
            if rng.random() < 0.2:
                del target[rng.choice(list(target))]
            out.append({"inputs": json.dumps([{"type": "string"}]),
                        "params": json.dumps(params)})
            continue
        schema = copy.deepcopy(rng.choice(VALID))
        target = rng.choice(schema)
        nested = [target]
        for key in ("items", "values"):
            if isinstance(target.get(key), dict):
                nested.append(target[key])
        if isinstance(target.get("properties"), dict):
            nested.extend(v for v in target["properties"].values() if isinstance(v, dict))
        if isinstance(target.get("tensor-spec"), dict):
            nested.append(target["tensor-spec"])
        obj = rng.choice(nested)
        key = rng.choice(COL_KEYS + (["dtype", "shape"] if obj is target.get("tensor-spec")
                                     else []))
        obj[key] = copy.deepcopy(rng.choice(POOL))
        if rng.random() < 0.2 and obj:
            del obj[rng.choice(list(obj))]
        out.append({"inputs": json.dumps(schema)})
    return out


DTYPES = ["float16", "float32", "float64", "float128", "int8", "int16", "int32", "int64",
          "uint8", "uint64", "bool", "bool_", "str", "str_", "bytes", "bytes_", "object",
          "object_", "datetime64", "datetime64[ns]", "datetime64[D]", "timedelta64[s]",
          "<M8[ns]", "M8", "m8[us]", "<f4", ">f8", "=i4", "|b1", "|u1", "f2", "f16", "c8",
          "c16", "complex64", "complex128", "complex256", "U", "S", "U0", "S0", "U10", "<U7",
          "S5", "|S1", "c", "a", "a5", "V", "V8", "O", "O8", "?", "b", "B", "h", "H", "i", "I",
          "l", "L", "q", "Q", "e", "f", "d", "g", "F", "D", "G", "p", "P", "int", "float",
          "complex", "uint", "long", "ulong", "longlong", "half", "single", "double",
          "longdouble", "intp", "uintp", "intc", "byte", "ubyte", "short", "void", "unicode",
          "float_", "complex_", "unicode_", "string_", "int0", "bool8", "float33", "int128",
          "Float32", "FLOAT32", " float32", "float32 ", "", "i3", "u", "<float32", "<int64",
          "datetime64[xx]", "M8[ns/2]", "datetime64[10ns]", "m", "M", "T", "<T", "n", "N",
          "i1", "u8", "b2", "f3", "c4", "<a", "<a5", "string", "text", "list"]
DATETIMES = ["2024-01-01", "2024-01-01T00:00:00", "2024-01-01 00:00:00", "1", "2024", "2024-1-1",
             "2024-01-01T00:00:00.123456789", "2024-01-01T00:00:00.123456", "today", "now",
             "NaT", "", "x", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00+01:00", "+2024-01-01",
             "-0001-01-01", "0000-01-01", "10000-01-01", "2024-13-01", "2024-02-30",
             "2024-02-29", "2023-02-29", "2024-01-01T24:00:00", "2024-01-01T00",
             "2024-01-01T00:00", "2024-01", " 2024-01-01", "2024-01-01T00:00:00.",
             "2024W01", "2024-01-01T23:59:60", "yesterday"]


def main() -> None:
    import mlflow
    import numpy as np
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import TensorInfo

    warnings.simplefilter("ignore")
    cases = HAND + mutations(random.Random(1234), 400)
    seen, sigs = set(), []
    for c in cases:
        key = json.dumps(c, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        try:
            ModelSignature.from_dict(copy.deepcopy(c))
            sigs.append({"sig": c, "ok": True})
        except Exception as exc:  # noqa: BLE001 - recording MLflow's verdict
            sigs.append({"sig": c, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]})
    dtypes = {}
    for d in DTYPES:
        try:
            TensorInfo(np.dtype(d), [-1])
            dtypes[d] = True
        except Exception:  # noqa: BLE001
            dtypes[d] = False
    datetimes = {}
    for s in DATETIMES:
        try:
            datetimes[s] = not isinstance(np.datetime64(s).item(), int)
        except Exception:  # noqa: BLE001
            datetimes[s] = False
    DATA.mkdir(exist_ok=True)
    out = DATA / f"signature_cases_{mlflow.__version__}.json"
    out.write_text(json.dumps({"mlflow": mlflow.__version__, "numpy": np.__version__,
                               "signatures": sigs, "dtypes": dtypes,
                               "datetimes": datetimes}, indent=1) + "\n")
    print(f"{len(sigs)} signatures, {len(dtypes)} dtypes, {len(datetimes)} datetimes -> {out}")


if __name__ == "__main__":
    main()
