"""The fast paths of modelcheck.package.examples give exactly the answers of the plain walks they
short-cut (hostile and ordinary input)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.formats.examples.conformance import ROW, Frame
from modelcheck.formats.examples.loaded import loaded_frame
from modelcheck.formats.examples.values import (
    FLOAT32_MAX,
    OK,
    cast_scalar,
    clean_cast,
    clean_strict,
    strict_series,
)
from modelcheck.formats.signature.schema import ColSpec, DataType, Schema
from modelcheck.package.examples import _form_error, _same, to_frame

_NUMBERS = (int, float)


def reference_same(a: Any, b: Any) -> bool:
    """_same as it was before the fast path: one call per value."""
    ta = type(a)
    if ta is type(b):
        if ta is list:
            return len(a) == len(b) and all(map(reference_same, a, b))
        if ta is dict:
            return a.keys() == b.keys() and all(reference_same(v, b[k]) for k, v in a.items())
        if ta is float and a != a:
            return b != b
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(reference_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(reference_same(v, b[k]) for k, v in a.items())
    return ta in _NUMBERS and type(b) in _NUMBERS and a == b


# values chosen to collide under Python's ==: True == 1 == 1.0, False == 0 == 0.0 == -0.0,
# NaN (shared object and fresh objects), big ints next to their float
_TRICKY = [True, False, 1, 0, 1.0, 0.0, -0.0, math.nan, float("nan"), 2**53 + 1,
           float(2**53), None, "", "1", "true", math.inf, -math.inf]
scalars = st.one_of(st.sampled_from(_TRICKY), st.none(), st.booleans(),
                    st.integers(-3, 3), st.floats(-2, 2), st.text(max_size=2))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=2), inner, max_size=3)),
    max_leaves=20)


def _twin(v: Any, swaps: list[bool], i: list[int]) -> Any:
    """A copy of ``v`` in which some scalars are replaced by a value ``==`` to them."""
    if isinstance(v, list):
        return [_twin(x, swaps, i) for x in v]
    if isinstance(v, dict):
        return {k: _twin(x, swaps, i) for k, x in v.items()}
    i[0] += 1
    if not swaps or not swaps[i[0] % len(swaps)]:
        return v
    for other in _TRICKY:
        if other is not v and type(other) is not type(v) and other == v:
            return other
    return float("nan") if v != v else v


@settings(max_examples=600, deadline=None)
@given(json_values, json_values)
def test_same_agrees_with_reference_on_any_pair(a, b):
    assert _same(a, b) == reference_same(a, b)


@settings(max_examples=600, deadline=None)
@given(json_values, st.lists(st.booleans(), max_size=5))
def test_same_agrees_on_near_twins(a, swaps):
    b = _twin(a, swaps, [0])
    assert _same(a, b) == reference_same(a, b)
    assert _same(b, a) == reference_same(b, a)


tables = st.integers(0, 4).flatmap(lambda w: st.lists(st.lists(scalars, min_size=w,
                                                                max_size=w), max_size=5))


@settings(max_examples=600, deadline=None)
@given(tables, st.lists(st.booleans(), max_size=5), st.booleans())
def test_same_agrees_on_tables(rows, swaps, ragged):
    other = _twin(rows, swaps, [0])
    if ragged and other:
        other[-1] = other[-1][:-1] + [other[-1][-1], 0] if other[-1] else [0]
    for a, b in ((rows, other), (other, rows), ({"columns": ["a"], "data": rows},
                                                {"columns": ["a"], "data": other})):
        assert _same(a, b) == reference_same(a, b)


def test_same_edge_cases():
    nan = math.nan
    assert _same([[1, nan]], [[1.0, nan]])
    assert _same([[nan]], [[float("nan")]])
    assert not _same([[True]], [[1]])
    assert not _same([True, 0], [1, 0])
    assert not _same([[1, [True]]], [[1, [1]]])
    assert _same([[1, [1]]], [[1.0, [1.0]]])
    assert not _same([[1, 2], [3]], [[1], [2, 3]])
    assert not _same([{"a": True}], [{"a": 1}])
    assert _same([], [])
    assert _same([[]], [[]])
    assert not _same([[]], [[0]])


# ---- conform_values.clean_cast: a proof of a clean column never contradicts cast_scalar -----

_EDGES = [2**24, 2**24 + 1, -(2**24) - 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53, 2**53 + 1,
          -(2**53) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, FLOAT32_MAX,
          math.nextafter(FLOAT32_MAX, math.inf), -FLOAT32_MAX * 2, 1e300, float(2**24 + 1),
          math.inf, -math.inf, math.nan, 0.5, -0.0, True, False, None, "1", "x"]
cells = st.one_of(st.sampled_from(_EDGES), st.integers(), st.floats(), st.booleans(),
                  st.none())
SCALAR_KINDS = ["string", "boolean", "long", "integer", "double", "float", "binary",
                "datetime"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(cells, max_size=6), st.sampled_from(SCALAR_KINDS))
def test_clean_cast_implies_cast_scalar_ok(values, t):
    if clean_cast(values, t, set(map(type, values))):
        assert cast_scalar(values, t, True) == OK
        assert cast_scalar(values, t, False) == OK


_NUMERIC_EDGES = [v for v in _EDGES if type(v) in (int, float)]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_NUMERIC_EDGES), st.integers(-3, 3)), max_size=4),
       st.sampled_from(["long", "integer", "double", "float"]))
def test_clean_cast_on_number_columns_near_the_limits(values, t):
    test_clean_cast_implies_cast_scalar_ok.hypothesis.inner_test(values, t)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-(2**24), 2**24), st.floats(-1e6, 1e6)), min_size=1,
                max_size=6), st.sampled_from(["double", "float"]))
def test_clean_cast_proves_ordinary_number_columns(values, t):
    assert clean_cast(values, t, set(map(type, values)))


def test_clean_cast_edges():
    assert clean_cast([1, 2], "integer", {int})
    assert not clean_cast([1, 2**31], "integer", {int})
    assert clean_cast([1, 2**31], "long", {int})
    assert not clean_cast([True, 1], "long", {int, bool})
    assert not clean_cast([math.nan, 2**60], "double", {int, float})
    assert clean_cast([math.nan, 1e300], "double", {float})
    assert not clean_cast([math.nan, 1e300], "float", {float})
    assert not clean_cast([None, 1.0], "double", {type(None), float})
    assert clean_cast([None, 1.0], "string", {type(None), float})
    assert clean_cast([True], "boolean", {bool})
    assert not clean_cast([True, None], "boolean", {bool, type(None)})


# ---- to_frame: per-column pointers and paths made on demand are the ones it used to list ----

@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.integers(0, 3), st.booleans(), st.booleans())
def test_split_frame_paths_made_on_demand(width, nrows, named, wrapped):
    body: dict[str, Any] = {"data": [[0] * width for _ in range(nrows)]}
    if named:
        body["columns"] = [f"c{j}" for j in range(width)]
    base = "/inputs" if wrapped else ""
    b = ("inputs",) if wrapped else ()
    schema = Schema([ColSpec(DataType("long"), f"c{j}" if named else None)
                     for j in range(max(width, 1))])
    frame = to_frame(body, "dataframe", {"type": "dataframe"}, schema, base)
    assert isinstance(frame, Frame)
    width = width if named or nrows else 0  # unnamed and empty: no columns at all
    assert list(frame.pointers) == [f"{base}/data/*/{j}" for j in range(width)]
    assert list(frame.cells) == [(*b, "data", ROW, j) for j in range(width)]
    if named:
        assert list(frame.heads) == [(*b, "columns", j) for j in range(width)]
    else:
        assert frame.heads is None
    assert [list(c) for c in frame.columns] == [[0] * nrows for _ in range(width)]
    assert bool(frame.pointers) == (width > 0)
    if width:
        assert frame.pointers[-1] == frame.pointers[width - 1]
        assert frame.pointers[1:] == [f"{base}/data/*/{j}" for j in range(1, width)]
        assert frame.cell(0, 3) == (*b, "data", 3, 0)
        assert frame.cell(0, None) == (*b, "data")
    with pytest.raises(IndexError):
        frame.pointers[width]


# ---- _form_error: the row checks run in C, with the same verdicts and messages -------------

def reference_split_rows_error(cols: Any, rows: list[Any]) -> str | None:
    if not all(isinstance(r, list) for r in rows):
        return "every row of 'data' must be a list"
    width = len(cols) if cols is not None else (len(rows[0]) if rows else 0)
    for i, r in enumerate(rows):
        if len(r) != width:
            return (f"row {i} has {len(r)} values but "
                    + (f"there are {width} columns" if cols is not None
                       else f"row 0 has {width}"))
    return None


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.none(), st.lists(st.text(max_size=1), max_size=3)),
       st.lists(st.one_of(st.lists(st.integers(0, 1), max_size=3), st.text(max_size=2),
                          st.dictionaries(st.text(max_size=1), st.none(), max_size=2)),
                max_size=4))
def test_split_form_error_agrees(cols, rows):
    data: dict[str, Any] = {"data": rows}
    if cols is not None:
        data["columns"] = cols
    assert _form_error("dataframe", {}, data) == reference_split_rows_error(cols, rows)


@given(st.lists(st.one_of(st.dictionaries(st.text(max_size=1), st.none(), max_size=2),
                          st.lists(st.none(), max_size=1), st.none()), max_size=4))
def test_records_form_error_agrees(rows):
    want = None if all(isinstance(r, dict) for r in rows) else \
        "pandas_orient records needs a list of objects"
    assert _form_error("dataframe", {"pandas_orient": "records"}, rows) == want


# ---- json_object examples: clean_strict never contradicts strict_series ---------------------

@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(cells, st.text(max_size=2)), max_size=6), st.sampled_from(SCALAR_KINDS))
def test_clean_strict_implies_strict_series_ok(values, t):
    if clean_strict(values, t, set(map(type, values))):
        assert strict_series(values, t, True, to_numpy=False) == OK
        assert strict_series(values, t, False, to_numpy=False) == OK


def test_clean_strict_edges():
    assert clean_strict([1, 2], "long", {int})
    assert not clean_strict([1, 2], "integer", {int})  # int64 never fits int32 there
    assert not clean_strict([1, 2**63], "long", {int})
    assert not clean_strict([1, 2.5], "double", {int, float})
    assert clean_strict([math.nan, 2.5], "double", {float})
    assert not clean_strict([2.5], "float", {float})
    assert clean_strict(["a"], "binary", {str})
    assert not clean_strict(["a", None], "string", {str, type(None)})
    assert not clean_strict([True, None], "boolean", {bool, type(None)})


# ---- json_object records: the loaded DataFrame is pandas' record by record construction -----

def reference_records(body: list[dict[str, Any]]) -> tuple[list[Any], list[list[Any]]]:
    """pd.DataFrame(records): columns in order of first appearance, a missing key is NaN."""
    names: list[Any] = []
    for r in body:
        for k in r:
            if k not in names:
                names.append(k)
    cols = []
    for n in names:
        col = []
        for r in body:
            col.append(r[n] if n in r else math.nan)
        cols.append(col)
    return names, cols


keys = st.sampled_from(["a", "b", "c"])
records = st.lists(st.dictionaries(keys, cells, max_size=3), min_size=1, max_size=5)


@settings(max_examples=400, deadline=None)
@given(records, st.booleans())
def test_loaded_records_frame_agrees(body, wrapped):
    b = ("inputs",) if wrapped else ()
    frame = loaded_frame(body, Schema([ColSpec(DataType("long"), "a")]), "", b)
    assert isinstance(frame, Frame) and frame.strict
    names, cols = reference_records(body)
    assert frame.names == names
    assert [[_nan_key(v) for v in c] for c in frame.columns] == \
        [[_nan_key(v) for v in c] for c in cols]
    for i, n in enumerate(names):
        assert frame.cell(i, 2) == (*b, 2, n)


def _nan_key(v: Any) -> Any:
    return ("nan",) if type(v) is float and v != v else (type(v), v)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, st.one_of(cells, st.lists(st.integers(0, 3), max_size=3),
                                       st.lists(st.text(max_size=1), max_size=2)), max_size=3),
       st.booleans())
def test_loaded_dict_frame_shapes(body, array_col):
    """One row when a column is an array or every value is a scalar or a list of str, else
    one row per list item with the scalars repeated, or pandas' length error."""
    spec = DataType("array", items=DataType("long")) if array_col else DataType("long")
    frame = loaded_frame(body, Schema([ColSpec(spec, "a")]), "", ())
    scalarish = all(not isinstance(v, list) or all(isinstance(x, str) for x in v)
                    for v in body.values())
    if array_col or scalarish:
        assert isinstance(frame, Frame)
        assert frame.columns == [[body[k]] for k in body]
        return
    lengths = {len(v) for v in body.values() if isinstance(v, list)}
    if len(lengths) > 1:
        assert not isinstance(frame, Frame) and frame.level == "error"
        return
    assert isinstance(frame, Frame)
    n = lengths.pop()
    assert frame.columns == [v if isinstance(v, list) else [v] * n for v in body.values()]
    assert bool(frame.reshaped) == (n != 1 and any(not isinstance(v, list)
                                                   for v in body.values()))
