"""The signature parser: valid MLflow-written forms parse cleanly; defects carry their codes."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from modelcheck.formats.signature.parse import parse
from modelcheck.formats.signature.schema import ColSpec, TensorSpec

V3 = Version("3.18.0")


def sig(inputs=None, outputs=None, params=None) -> dict:
    dump = lambda x: None if x is None else json.dumps(x)  # noqa: E731
    return {"inputs": dump(inputs), "outputs": dump(outputs), "params": dump(params)}


def codes(result) -> list[str]:
    return sorted(p.code for p in result.problems)


# -- valid forms (spec §11 signatures inferred by MLflow 3.18) --------------------------------

SPEC_SIGS = [
    [{"type": "long", "name": "i", "required": True},
     {"type": "integer", "name": "i32", "required": True},
     {"type": "float", "name": "f32", "required": True},
     {"type": "double", "name": "f", "required": False},
     {"type": "string", "name": "s", "required": False},
     {"type": "boolean", "name": "b", "required": True},
     {"type": "datetime", "name": "t", "required": True},
     {"type": "binary", "name": "by", "required": True}],
    [{"type": "array", "items": {"type": "long"}, "name": "a", "required": True},
     {"type": "object", "properties": {"c": {"type": "long", "required": True},
                                       "d": {"type": "string", "required": True}},
      "name": "b", "required": True},
     {"type": "any", "name": "e", "required": False},
     {"type": "array", "items": {"type": "object", "properties": {
         "k": {"type": "double", "required": True}}}, "name": "m", "required": True}],
    [{"type": "string", "required": True}],
    [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}}],
    [{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}],
    [{"type": "long", "name": 0, "required": True}, {"type": "double", "name": 1,
                                                     "required": False}],
    [{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [1, 3]}},
     {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [1, 2, 2]}}],
    [{"type": "map", "values": {"type": "array", "items": {"type": "string"}}, "name": "m",
      "required": True},
     {"type": "sparkml_vector", "name": "v", "required": True}],
]

SPEC_PARAMS = [
    {"name": "i", "default": 1, "shape": None, "type": "long"},
    {"name": "f", "default": 1.5, "shape": None, "type": "double"},
    {"name": "s", "default": "a", "shape": None, "type": "string"},
    {"name": "b", "default": True, "shape": None, "type": "boolean"},
    {"name": "l", "default": [1, 2], "shape": [-1], "type": "long"},
    {"name": "t", "default": "2024-01-01T00:00:00", "shape": None, "type": "datetime"},
    {"name": "o", "default": {"x": 1}, "shape": None, "type": "object",
     "properties": {"x": {"type": "long", "required": True}}},
]


@pytest.mark.parametrize("schema", SPEC_SIGS)
def test_mlflow_written_schemas_parse_cleanly(schema) -> None:
    r = parse(sig(inputs=schema, outputs=schema), V3)
    assert r.problems == []
    assert r.inputs is not None and len(r.inputs.specs) == len(schema)
    assert [s.name for s in r.inputs.specs] == [e.get("name") for e in schema]


def test_params_parse_cleanly() -> None:
    r = parse(sig(inputs=[{"type": "string", "required": True}], params=SPEC_PARAMS), V3)
    assert r.problems == []
    assert [p.name for p in r.params] == [p["name"] for p in SPEC_PARAMS]
    assert r.params[4].shape == (-1,)
    assert r.params[6].type.kind == "object" and "x" in r.params[6].type.properties


def test_structures() -> None:
    r = parse(sig(inputs=SPEC_SIGS[1]), V3)
    a, b, e, m = r.inputs.specs
    assert isinstance(a, ColSpec) and a.type.kind == "array" and a.type.items.kind == "long"
    assert b.type.properties["d"].type.kind == "string"
    assert e.is_required() is False
    assert m.type.items.properties["k"].required is True
    t = parse(sig(inputs=SPEC_SIGS[3]), V3).inputs.specs[0]
    assert isinstance(t, TensorSpec) and t.dtype == "int64" and t.shape == (-1, 2)


def test_legacy_forms() -> None:
    r = parse({"inputs": json.dumps([{"name": "a", "type": "long", "optional": True},
                                     {"name": "b", "type": "long"}]), "outputs": None},
              Version("2.5.0"))
    assert codes(r) == ["MC307"]
    assert r.inputs.specs[0].is_required() is False and r.inputs.specs[1].is_required()
    r = parse({"inputs": json.dumps([{"type": "string"}]),
               "params": json.dumps([{"name": "p", "dtype": "long", "default": 1}])},
              Version("2.6.0"))
    assert r.problems == [] and r.params[0].type.kind == "long"
    r = parse({"inputs": json.dumps([{"type": "string"}]),
               "params": json.dumps([{"name": "p", "dtype": "long", "default": 1}])}, V3)
    assert [(p.code, p.level) for p in r.problems] == [("MC311", "note")]


def test_absent_and_null() -> None:
    assert parse(None).present is False
    assert codes(parse({"inputs": None, "outputs": None, "params": None})) == ["MC304"]
    assert codes(parse({"inputs": "", "outputs": '[{"type": "long"}]'}, V3)) == []
    assert codes(parse({"inputs": None, "outputs": '[{"type": "long"}]'},
                       Version("2.5.0"))) == ["MC304"]


# -- defects --------------------------------------------------------------------------------

DEFECTS = [
    ({"inputs": [{"type": "long", "name": "a"}]}, "MC302"),
    ({"inputs": "[{'type': 'long'}]"}, "MC303"),
    ({"inputs": '{"type": "long"}'}, "MC303"),
    ({"inputs": "[]"}, "MC303"),
    ({"inputs": '["long"]'}, "MC303"),
    ({"inputs": '[{"name": "a"}]'}, "MC305"),
    ({"inputs": '[{"type": "int", "name": "a"}]'}, "MC305"),
    ({"inputs": '[{"type": "long", "name": "a", "nullable": true}]'}, "MC305"),
    ({"inputs": '[{"type": "array", "name": "a", "required": true}]'}, "MC305"),
    ({"inputs": '[{"type": "array", "items": "long", "name": "a", "required": true}]'}, "MC305"),
    ({"inputs": '[{"type": "array", "items": {"type": "tensor"}, "name": "a", '
                '"required": true}]'}, "MC305"),
    ({"inputs": '[{"type": "map", "name": "a", "required": true}]'}, "MC305"),
    ({"inputs": '[{"type": "object", "properties": {}, "name": "a", "required": true}]'},
     "MC305"),
    ({"inputs": '[{"type": "object", "properties": {"x": {}}, "name": "a", '
                '"required": true}]'}, "MC305"),
    ({"inputs": '[{"type": "array", "items": {"type": "long"}, "name": "a"}]'}, "MC306"),
    ({"inputs": '[{"type": "long", "name": "a", "optional": true, "required": true}]'},
     "MC307"),
    ({"inputs": '[{"type": "tensor", "name": "a"}]'}, "MC308"),
    ({"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]'}, "MC308"),
    ({"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": null}}]'},
     "MC308"),
    ({"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float33", "shape": [-1]}}]'},
     "MC308"),
    ({"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "<U7", "shape": [-1]}}]'},
     "MC308"),
    ({"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "int8", "shape": [-5, "a"]}}]'},
     "MC308"),
    ({"inputs": '[{"type": "long", "name": "a"}, {"type": "long"}]'}, "MC309"),
    ({"inputs": '[{"type": "long"}, {"type": "tensor", "tensor-spec": '
                '{"dtype": "int8", "shape": [-1]}}]'}, "MC309"),
    ({"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "int8", "shape": [-1]}}, '
                '{"type": "tensor", "tensor-spec": {"dtype": "int8", "shape": [-1]}}]'},
     "MC309"),
    ({"inputs": '[{"type": "long", "required": false}]'}, "MC309"),
    ({"inputs": '[{"type": "long", "name": "a"}, {"type": "long", "name": "a"}]'}, "MC310"),
    ({"inputs": '[{"type": "long", "name": ""}]'}, "MC310"),
    ({"params": '[{"name": "p", "type": "long"}]'}, "MC311"),
    ({"params": '[{"name": "p", "type": "binary", "default": null}]'}, "MC311"),
    ({"params": '[{"name": "p", "type": "int", "default": 1}]'}, "MC311"),
    ({"params": '[{"name": "p", "type": "long", "default": [1], "shape": [2]}]'}, "MC311"),
    ({"params": '[{"name": "p", "type": "long", "default": 1}, '
                '{"name": "p", "type": "long", "default": 2}]'}, "MC311"),
    ({"params": '[{"name": "p", "type": "long", "default": 1.5}]'}, "MC312"),
    ({"params": '[{"name": "p", "type": "double", "default": true}]'}, "MC312"),
    ({"params": '[{"name": "p", "type": "long", "default": null, "shape": [-1]}]'}, "MC312"),
    ({"params": '[{"name": "p", "type": "long", "default": [[1]], "shape": [-1]}]'}, "MC312"),
    ({"params": '[{"name": "p", "type": "datetime", "default": "yesterday"}]'}, "MC312"),
    ({"params": '[{"name": "p", "type": "string", "default": 5}]'}, "MC312"),
]


@pytest.mark.parametrize(("value", "code"), DEFECTS)
def test_defect_codes(value, code) -> None:
    r = parse(value, V3)
    assert code in codes(r), (value, [p.message for p in r.problems])


def test_good_columns_survive_a_bad_one() -> None:
    r = parse({"inputs": json.dumps([{"type": "long", "name": "a", "required": True},
                                     {"type": "int", "name": "b", "required": True},
                                     {"type": "string", "name": "c", "required": True}])}, V3)
    assert [s.name for s in r.inputs.specs] == ["a", "c"]
    (p,) = r.problems
    assert p.pointer == "/signature/inputs"
    assert 'inputs[1] ("b"): unknown type "int"' in p.message and "long" in p.message


@pytest.mark.parametrize(("version", "feature", "expect"), [
    ("2.9.0", {"type": "array", "items": {"type": "long"}, "name": "a", "required": True},
     True),
    ("2.11.0", {"type": "map", "values": {"type": "long"}, "name": "a", "required": True},
     True),
    ("2.12.1", {"type": "map", "values": {"type": "long"}, "name": "a", "required": True},
     False),
    ("2.18.0", {"type": "any", "name": "a", "required": True}, True),
    ("2.15.0", {"type": "sparkml_vector", "name": "a", "required": True}, True),
    ("2.5.0", {"type": "long", "name": "a", "required": True}, True),
    ("2.10.0", {"type": "long", "name": "a", "required": True}, False),
])
def test_features_newer_than_writer(version, feature, expect) -> None:
    r = parse(sig(inputs=[feature]), Version(version))
    assert ("MC313" in codes(r)) is expect, [p.message for p in r.problems]


def test_object_and_plain_params_versions() -> None:
    p = [{"name": "o", "type": "object", "default": {"x": 1},
          "properties": {"x": {"type": "long", "required": True}}}]
    assert "MC313" in codes(parse(sig(inputs=[{"type": "string"}], params=p),
                                  Version("2.17.2")))
    assert codes(parse(sig(inputs=[{"type": "string"}], params=p), Version("2.20.0"))) == []
    q = [{"name": "x", "type": "long", "default": 1}]
    assert "MC313" in codes(parse(sig(inputs=[{"type": "string"}], params=q),
                                  Version("2.5.0")))


# -- property tests ---------------------------------------------------------------------------

SCALARS = ["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"]
names = st.text(min_size=1, max_size=8)


def _types(depth: int):
    scalar = st.sampled_from(SCALARS).map(lambda t: {"type": t})
    if depth == 0:
        return scalar
    inner = _types(depth - 1)
    return st.one_of(
        scalar,
        st.just({"type": "any"}),
        inner.map(lambda t: {"type": "array", "items": t}),
        inner.map(lambda t: {"type": "map", "values": t}),
        st.dictionaries(names, st.tuples(inner, st.booleans()), min_size=1, max_size=3).map(
            lambda d: {"type": "object", "properties": {
                k: {**t, "required": r} for k, (t, r) in d.items()}}),
    )


colspecs = st.lists(st.tuples(_types(2), st.booleans()), min_size=1, max_size=5)
tensors = st.lists(st.tuples(
    st.sampled_from(["float32", "float64", "int64", "int8", "uint8", "bool", "str", "bytes",
                     "object", "datetime64[ns]", "<f4", "complex128"]),
    st.lists(st.integers(-1, 50), max_size=4)), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(cols=colspecs, named=st.booleans())
def test_generated_colspecs_roundtrip(cols, named) -> None:
    schema = []
    for i, (t, req) in enumerate(cols):
        spec = {**t, "required": req or not named}
        if named:
            spec["name"] = f"c{i}"
        schema.append(spec)
    r = parse(sig(inputs=schema), V3)
    assert r.problems == [], [p.message for p in r.problems]
    assert [s.type.kind for s in r.inputs.specs] == [c["type"] for c in schema]
    assert [s.name for s in r.inputs.specs] == [c.get("name") for c in schema]


@settings(max_examples=100, deadline=None)
@given(ts=tensors)
def test_generated_tensors_roundtrip(ts) -> None:
    schema = [{"type": "tensor", "name": f"t{i}", "tensor-spec": {"dtype": d, "shape": s}}
              for i, (d, s) in enumerate(ts)]
    r = parse(sig(outputs=schema), V3)
    assert r.problems == []
    assert [(t.dtype, list(t.shape)) for t in r.outputs.specs] == [tuple(x) for x in ts]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    | st.sampled_from(["tensor", "array", "object", "map", "long", "type", "items", "name"]),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "name", "items", "values", "properties", "required",
                         "optional", "tensor-spec", "dtype", "shape", "default"]) | st.text(
            max_size=3), c, max_size=5),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(inputs=json_values, params=json_values, raw=st.booleans())
@example(inputs=None, params=[{"dtype": "object"}], raw=False)  # found by hypothesis
def test_arbitrary_input_never_raises(inputs, params, raw) -> None:
    value = {"inputs": inputs if raw else json.dumps(inputs), "params": json.dumps(params)}
    r = parse(value, V3)
    for p in r.problems:
        assert p.code.startswith("MC3") and p.message


@settings(max_examples=150, deadline=None)
@given(cols=colspecs, data=st.data())
def test_mutated_signatures_never_raise(cols, data) -> None:
    schema = [{**t, "name": f"c{i}", "required": True} for i, (t, _) in enumerate(cols)]
    target = data.draw(st.sampled_from(schema))
    key = data.draw(st.sampled_from(["type", "items", "values", "properties", "name",
                                     "required", "optional", "extra"]))
    target[key] = data.draw(json_values)
    parse(sig(inputs=schema), data.draw(st.sampled_from([None, V3, Version("2.5.0")])))


def test_object_param_with_legacy_dtype_key_is_what_mlflow_rejects() -> None:
    # ParamSpec.from_json_dict passes the spec to Object.from_json_dict, which needs 'type'
    params = [{"name": "p", "dtype": "object", "default": None,
               "properties": {"a": {"type": "long"}}}]
    r = parse({"inputs": json.dumps([{"type": "long", "name": "x"}]),
               "params": json.dumps(params)}, V3)
    hits = [p for p in r.problems if "Missing keys in Object JSON" in p.message]
    assert len(hits) == 1 and hits[0].code == "MC311" and hits[0].level is None  # its error
    fine = [{"name": "p", "type": "object", "default": None,
             "properties": {"a": {"type": "long"}}}]
    r = parse({"inputs": json.dumps([{"type": "long", "name": "x"}]),
               "params": json.dumps(fine)}, V3)
    assert not [p for p in r.problems if "Object JSON" in p.message]
