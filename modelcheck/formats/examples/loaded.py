"""The stored example as MLflow loads it back and passes it to ``predict`` (the in-process path).

MLflow judges a stored example on two paths, and an example must pass both:

- **served**: ``log_model`` validates ``serving_input_example.json`` with
  ``mlflow.models.utils._validate_serving_input`` (``_parse_json_data`` then ``predict``), the
  scoring server's parser, which casts to the signature's types (modelled in
  :mod:`modelcheck.formats.examples.values` and ``conformance``);
- **loaded**: ``Model.load_input_example`` (``mlflow.models.utils._read_example``) and then
  ``PyFuncModel.predict``. MLflow runs this itself when saving a model, to capture the modules
  ``predict`` imports (``mlflow/utils/_capture_modules.py``, ``store_imported_modules``:
  ``model.predict(input_example, params=params)``), and ``pyfunc.load_model`` keeps the
  loaded example as ``PyFuncModel.input_example``.

Facts from MLflow's source (3.18.0 and 2.17.2, identical unless noted):

- ``_read_example`` (mlflow/models/utils.py): a ``json_object`` example is returned AS PARSED
  (``if example_type == "json_object": return input_example``), with no signature; a
  ``dataframe`` one goes through ``dataframe_from_parsed_json(..., schema=input_schema)`` and an
  ``ndarray`` one through ``parse_inputs_data(..., schema=input_schema)`` (both cast to the
  signature, like the served path); a sparse one becomes ``csr_matrix``/``csc_matrix((data,
  indices, indptr), shape=shape)`` (``_read_sparse_matrix_from_json``).
- ``PyFuncModel._predict`` (mlflow/pyfunc/__init__.py) calls ``_validate_prediction_input`` ->
  ``_enforce_schema(data, input_schema)`` (mlflow/models/utils.py). For a column signature
  it first builds a DataFrame with pandas' own dtype inference, NOT the signature's types:

  - ``np.isscalar(x)`` (str, int, float, bool) -> ``pd.DataFrame([x])`` (one column ``0``);
  - a dict -> ``pd.DataFrame([d])`` (ONE row, lists kept as cells) when any column spec is an
    ``Array`` or ``Object`` (not ``Map``) or every value is a scalar/None or a list of str;
    otherwise ``pd.DataFrame(d)`` (lists are columns, scalars broadcast; pandas raises "All
    arrays must be of the same length" and "Mixing dicts with non-Series may lead to ambiguous
    ordering"), any exception re-raised as "There was an error casting the input data to a
    DataFrame";
  - a list -> ``pd.DataFrame(list)`` (records, one column ``0`` of scalars, or rows);
  - anything else (``null``) -> "Expected input to be DataFrame. Found: NoneType".

  Then named signatures need every required name among the columns ("Model is missing
  inputs"), unnamed ones at least as many columns; each scalar column goes through
  ``_enforce_mlflow_datatype`` (safe widening only: int64 is refused for ``integer``,
  ``float`` and ``double`` unless every value is 0/1, float64 for ``float``/``integer``/
  ``long``, text for numbers/booleans; an object column passes for ``boolean``, ``string``
  and ``binary``; pandas 3 infers text as ``str`` dtype, which fails ``boolean`` and
  ``datetime``) -- :func:`modelcheck.formats.examples.values.strict_series`; array/object/map
  columns through ``_enforce_type`` per value, as on the DataFrame path.
- ``_enforce_tensor_schema``: a named tensor signature needs a dict of ndarrays or a
  DataFrame (a sparse matrix is neither); an unnamed one takes a sparse matrix and runs
  ``_enforce_tensor_spec``: rank and fixed dims of ``values.shape``, and the dtype of
  ``values.data`` exactly (``clean_tensor_type(actual_type) != expected_type``; no casting).
  scipy gives ``values.data`` numpy's dtype for the JSON ``data`` list: int64 for ints,
  float64 once a float is present or when empty, bool for booleans, object with a null.
"""

from __future__ import annotations

from typing import Any

from modelcheck.formats.examples.conformance import ROW, Frame, Issue
from modelcheck.formats.signature.schema import Schema, TensorSpec

NAN = float("nan")
CAST_ERROR = ("MLflow cannot build the DataFrame it checks (_enforce_schema: 'There was an error "
              "casting the input data to a DataFrame: {}')")
WHEN = "when the example is loaded and passed to predict (json_object examples are not " \
       "converted to the signature's types)"


def _scalar(v: Any) -> bool:
    """``np.isscalar(v) or v is None`` for a JSON value."""
    return not isinstance(v, (list, dict))


def _one_row(body: dict[str, Any], schema: Schema, served: bool) -> bool:
    """``_enforce_schema``'s test for ``pd.DataFrame([d])``. On the served path
    ``convert_data_type`` has made every list an ndarray first (not a list of str any more),
    except in an ``any`` column (returned as it is) -- mlflow/utils/proto_json_utils.py."""
    kinds = {s.name: getattr(s.type, "kind", "") for s in schema.specs}
    if any(k in ("array", "object") for k in kinds.values()):
        return True
    return all(_scalar(v) or (type(v) is list and all(type(x) is str for x in v)
                              and (not served or kinds.get(k) == "any"))
               for k, v in body.items())


def loaded_frame(body: Any, schema: Schema, base: str, b: tuple[Any, ...]) -> Frame | Issue:
    """The DataFrame ``_enforce_schema`` builds from a json_object example, as a strict
    :class:`Frame` (its columns are checked with ``_enforce_mlflow_datatype``), or the
    :class:`Issue` MLflow raises while building it."""
    if body is None:
        return Issue("MC412", "error", f"{WHEN}: a null example is not a DataFrame "
                     "('Expected input to be DataFrame. Found: NoneType')", base, at=b)
    if _scalar(body):
        frame: Frame | Issue = Frame([0], [[body]], False, [base], strict=True, cells=[b],
                                     root=b)
    elif isinstance(body, dict):
        frame = dict_frame(body, schema, base, b, served=False)
    else:
        frame = _list_frame(body, base, b)
    if isinstance(frame, Frame):
        frame.when = WHEN
    return frame


def dict_frame(body: dict[str, Any], schema: Schema, base: str, b: tuple[Any, ...],
               served: bool) -> Frame | Issue:
    """The DataFrame ``_enforce_schema`` builds from a dict: loaded (the JSON itself, strict
    columns) or served (after ``convert_data_type``: columns go through ``np.array(v, dtype)``,
    ``via_numpy``). A scalar repeated over several rows, or an object spread over one row per
    key, is a change the model sees (``Frame.reshaped``)."""
    keys = list(body)
    ptrs = [f"{base}/{k}" for k in keys]
    heads = [(*b, k) for k in keys]
    mode = {"via_numpy": True} if served else {"strict": True}
    if _one_row(body, schema, served):
        return Frame(keys, [[body[k]] for k in keys], True, ptrs, **mode,
                     cells=heads, heads=heads, heads_are_keys=True, root=b)
    lists = [k for k in keys if type(body[k]) is list]
    dicts = [k for k in keys if type(body[k]) is dict]
    pre = "" if served else f"{WHEN}: "
    if lists and dicts:
        why = "Mixing dicts with non-Series may lead to ambiguous ordering."
        return Issue("MC412", "error", pre + CAST_ERROR.format(why), base, at=b)
    if lists:
        n = {len(body[k]) for k in lists}
        if len(n) > 1:
            return Issue("MC412", "error", f"{pre}the example's columns have different "
                         "lengths; " + CAST_ERROR.format("All arrays must be of the same "
                                                         "length"), base, at=b)
        rows = n.pop()
        cols = [body[k] if type(body[k]) is list else [body[k]] * rows for k in keys]
        cells = [(*b, k, ROW) if type(body[k]) is list else (*b, k) for k in keys]
        single = [k for k in keys if type(body[k]) is not list]
        reshaped = (f"pandas makes one row per list item ({rows} rows), and repeats the "
                    f"single value of {', '.join(map(repr, single))} on each"
                    if single and rows != 1 else "")
    else:  # dicts and scalars: the dicts' keys are the index, scalars are broadcast
        index = list(dict.fromkeys(x for k in dicts for x in body[k]))
        cols = [[body[k].get(i) for i in index] if type(body[k]) is dict
                else [body[k]] * len(index) for k in keys]
        cells = heads
        reshaped = (f"pandas spreads the object in {dicts[0]!r} over one row per key "
                    f"({len(index)} rows): each row holds one of its values")
    frame = Frame(keys, cols, True, ptrs, **mode, cells=cells, heads=heads,
                  heads_are_keys=True, root=b)
    frame.reshaped = reshaped
    return frame


def _list_frame(body: list[Any], base: str, b: tuple[Any, ...]) -> Frame | Issue:
    if not body:
        return Frame([], [], False, [], strict=True, cells=[], root=b)
    dicts = [isinstance(r, dict) for r in body]
    if all(dicts):  # records: pandas fills a missing key with NaN (all-NaN: float64)
        first: dict[Any, int] = {}
        for i, r in enumerate(body):
            for k in r:
                first.setdefault(k, i)
        names = list(first)
        return Frame(names, [[r.get(n, NAN) for r in body] for n in names], True,
                     [f"{base}/*/{n}" for n in names], strict=True,
                     cells=[(*b, ROW, n) for n in names],
                     heads=[(*b, first[n], n) for n in names], heads_are_keys=True, root=b)
    lists = [isinstance(r, list) for r in body]
    if any(dicts) or (any(lists) and not all(lists)):
        return Issue("MC412", "error", f"{WHEN}: " + CAST_ERROR.format(
            "a list mixing objects, lists and values"), base, at=b)
    if all(lists):  # rows: columns 0..width-1, short rows padded with NaN
        width = max(map(len, body))
        cols = [[r[j] if j < len(r) else None for r in body] for j in range(width)]
        return Frame(list(range(width)), cols, False, [f"{base}/*/{j}" for j in range(width)],
                     strict=True, cells=[(*b, ROW, j) for j in range(width)], root=b)
    return Frame([0], [body], False, [base], strict=True, cells=[(*b, ROW)], root=b)


# ---- sparse examples: a scipy matrix ----------------------------------------------------------

def _data_dtype(data: list[Any]) -> str:
    """numpy's dtype for the ``data`` list of a sparse example (scipy keeps it)."""
    types = set(map(type, data))
    if not types or float in types and types <= {int, float, bool}:
        return "float64"
    if types == {bool}:
        return "bool"
    if types <= {int, bool}:
        return "int64" if all(-(2**63) <= v < 2**63 for v in data) else "float64"
    return "object"


_SAME = {"float": "float64", "double": "float64", "int": "int64", "long": "int64",
         "bool_": "bool", "str_": "str", "bytes_": "bytes"}


def sparse_error(body: dict[str, Any], schema: Schema) -> str | None:
    """Why ``predict`` rejects the scipy matrix a sparse example loads as (None: it takes it)."""
    if not schema.is_tensor:
        return ("a sparse example loads as a scipy matrix, which a column-based signature "
                "rejects ('Expected input to be DataFrame')")
    specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
    if schema.has_names:
        return ("a sparse example loads as one scipy matrix; a signature of named tensors "
                "needs a dict of arrays or a DataFrame")
    s = specs[0]
    want = _SAME.get(s.dtype, s.dtype)
    shape = tuple(body["shape"])
    if want == "object" and tuple(s.shape) == (-1,):
        return None
    if len(s.shape) != len(shape) or any(e != -1 and e != a for e, a in
                                         zip(s.shape, shape, strict=False)):
        return (f"the matrix has shape {list(shape)}, the signature expects "
                f"{list(s.shape)}")
    got = _data_dtype(body["data"])
    if got != want:
        return (f"the matrix holds {got} values and MLflow requires the tensor's dtype "
                f"{s.dtype} exactly (no conversion for a sparse matrix)")
    return None
