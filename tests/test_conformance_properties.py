"""Property tests: examples generated to fit a signature are accepted; single mutations that
MLflow rejects (see tests/data/differential for MLflow's verdicts) are reported as errors."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.formats.examples.conformance import Frame, conform_frame
from modelcheck.formats.examples.params import check_value
from modelcheck.formats.examples.tensors import check_tensor
from modelcheck.formats.signature.schema import ColSpec, DataType, ParamSpec, Schema

TYPES = ["boolean", "long", "double", "string", "datetime", "binary"]
VALUE = {
    "boolean": st.booleans(),
    "long": st.integers(-(2**62), 2**62),
    "double": st.floats(allow_nan=False, allow_infinity=False, width=64),
    "string": st.text(max_size=5),
    "datetime": st.dates(min_value=date(1700, 1, 1), max_value=date(2200, 1, 1))
    .map(lambda d: d.isoformat() + "T00:00:00"),
    "binary": st.binary(max_size=6).map(lambda b: __import__("base64").encodebytes(b).decode()),
}


@st.composite
def fitting(draw):
    types = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=5))
    n = draw(st.integers(1, 6))
    cols = [draw(st.lists(VALUE[t], min_size=n, max_size=n)) for t in types]
    names = [f"c{i}" for i in range(len(types))]
    schema = Schema([ColSpec(DataType(t), n_, True) for t, n_ in zip(types, names, strict=True)])
    return schema, Frame(names, cols, True, [f"/data/*/{i}" for i in range(len(types))])


def errors(schema, frame, v3=True):
    return [i for i in conform_frame(frame, schema, v3) if i.level in ("error", "warning")]


@settings(max_examples=150, deadline=None)
@given(fitting(), st.booleans())
def test_fitting_example_is_accepted(sf, v3):
    schema, frame = sf
    assert errors(schema, frame, v3) == []


@settings(max_examples=100, deadline=None)
@given(fitting(), st.data())
def test_dropping_a_required_column_is_an_error(sf, data):
    schema, frame = sf
    j = data.draw(st.integers(0, len(frame.names) - 1))
    dropped = Frame(frame.names[:j] + frame.names[j + 1:],
                    frame.columns[:j] + frame.columns[j + 1:], True,
                    frame.pointers[:j] + frame.pointers[j + 1:])
    found = [i for i in conform_frame(dropped, schema, True) if i.level == "error"]
    assert found and found[0].code == "MC411"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5),
       st.text(min_size=1, max_size=4).filter(lambda s: not _num(s)))
def test_text_in_double_column_is_an_error(values, text):
    schema = Schema([ColSpec(DataType("double"), "x", True)])
    frame = Frame(["x"], [[text, *values]], True, ["/data/*/0"])
    found = conform_frame(frame, schema, True)
    assert [i.code for i in found if i.level == "error"] == ["MC412"]


def _num(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3))
def test_wrong_tensor_rank_is_an_error(rows, width, extra):
    data = [[0.5] * width for _ in range(rows)]
    assert check_tensor(data, "float32", (-1, width)) == (None, None)
    assert check_tensor(data, "float32", (-1, width) + (-1,) * extra)[0]
    assert check_tensor([row[0] for row in data], "float32", (-1, width))[0]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["long", "integer", "double", "float", "boolean", "string"]),
       st.one_of(st.booleans(), st.integers(), st.text(max_size=3), st.floats(allow_nan=False)))
def test_param_of_wrong_type(t, v):
    ok_types = {"long": (int,), "integer": (int,), "double": (int, float),
                "float": (int, float), "boolean": (bool,), "string": (str,)}[t]
    err = check_value(v, ParamSpec("p", DataType(t), None, None))
    assert (err is None) == (type(v) in ok_types)
