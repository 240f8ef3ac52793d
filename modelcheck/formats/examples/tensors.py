"""Tensor-based signatures: what ``np.array(data, dtype=spec.dtype)`` then ``_enforce_tensor_spec``
do with the JSON ``inputs`` of an example (shape from the nested lists, rank, fixed dims,
ragged arrays, element types)."""

from __future__ import annotations

from typing import Any

from modelcheck.formats.examples.values import _int_value, short

_INT = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint8": 8, "uint16": 16,
        "uint32": 32, "uint64": 64}
_FLOAT = ("float16", "float32", "float64", "float", "double")


def nested_shape(data: Any) -> tuple[tuple[int, ...] | None, list[Any]]:
    """(shape, flat leaves) of a nested list; shape None when ragged."""
    if not isinstance(data, list):
        return (), [data]
    shape: list[int] = []
    level: list[Any] = [data]
    while level and all(isinstance(x, list) for x in level):
        n = len(level[0])
        if any(len(x) != n for x in level):
            return None, []
        shape.append(n)
        level = [y for x in level for y in x]
        if n == 0:
            break
    if any(isinstance(x, list) for x in level):
        return None, []
    return tuple(shape), level


def check_tensor(data: Any, dtype: str, shape: tuple[int, ...]) -> tuple[str | None, str | None]:
    """(error, lossy) for one tensor's JSON data against its spec."""
    if dtype == "object" and shape == (-1,):
        return None, None
    got, leaves = nested_shape(data)
    if got is None:
        if len(shape) > 1 and -1 in shape[1:] and dtype == "object":
            return None, None
        return f"ragged nested lists cannot form a {dtype} tensor of shape {list(shape)}", None
    err = _elements(leaves, dtype)
    if err[0]:
        return err
    if len(got) != len(shape) or any(e != -1 and e != a for e, a in zip(shape, got, strict=False)):
        return (f"shape {list(got)} does not match the expected shape {list(shape)}"), None
    return err


def _elements(leaves: list[Any], dtype: str) -> tuple[str | None, str | None]:
    lossy = None
    if dtype in _INT:
        bits = _INT[dtype]
        unsigned = dtype.startswith("u")
        lo, hi = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        for v in leaves:
            err, i, loss = _int_value(v)
            if err:
                return f"element {short(v)}: {err}", None
            if i is not None and not lo <= i <= hi:
                return f"element {i} does not fit {dtype}", None
            lossy = lossy or loss
        return None, lossy
    if dtype in _FLOAT:
        for v in leaves:
            if v is None or type(v) in (int, float):
                continue
            if type(v) is bool:
                lossy = lossy or f"boolean {v} becomes {float(v)}"
            elif type(v) is str:
                try:
                    lossy = lossy or f"string {short(v)} becomes {float(v)}"
                except ValueError:
                    return f"element {short(v)} is not a number ({dtype} tensor)", None
            else:
                return f"element {short(v)} is not a number ({dtype} tensor)", None
        return None, lossy
    if dtype == "bool":
        for v in leaves:
            if type(v) is not bool:
                lossy = lossy or f"{short(v)} becomes {bool(v)}"
        return None, lossy
    if dtype in ("str", "bytes"):
        for v in leaves:
            if type(v) is not str:
                lossy = lossy or f"{short(v)} becomes the string {str(v)!r}"
        return None, lossy
    return None, None


def offending_element(data: Any, dtype: str, error: bool) -> tuple[int, ...] | None:
    """Index path of the first element that makes ``_elements`` fail (``error``) or change a
    value (not ``error``); None when the finding is about the shape, not an element."""
    from modelcheck.formats.examples.conformance import first_row

    shape, leaves = nested_shape(data)
    if not shape or not leaves:
        return None
    k = 0 if error else 1
    flat = first_row(leaves, lambda vs: _elements(vs, dtype)[k] is not None)
    if flat is None:
        return None
    idx: list[int] = []
    for n in reversed(shape):
        flat, r = divmod(flat, n)
        idx.append(r)
    return tuple(reversed(idx))
