"""Array / Object / Map / Any values: ``_enforce_array``, ``_enforce_object``, ``_enforce_map``.

Each function takes one cell value and returns ``(error, lossy)`` like
:mod:`modelcheck.formats.examples.values`. ``v3`` selects MLflow 3.x (series-based array items,
``required`` passed down) versus 2.x (element-by-element, ``required`` only at the top).
"""

from __future__ import annotations

from typing import Any

from modelcheck.formats.examples.values import OK, Verdict, short, strict_scalar, strict_series
from modelcheck.formats.signature.schema import SCALAR_TYPES, DataType


def enforce_type(v: Any, t: DataType, required: bool, v3: bool) -> Verdict:
    if t.kind in SCALAR_TYPES:
        return strict_scalar(v, t.kind, required, v3)
    if t.kind == "array":
        return enforce_array(v, t, required, v3)
    if t.kind == "object":
        return enforce_object(v, t, required, v3)
    if t.kind == "map":
        return enforce_map(v, t, required, v3)
    return OK  # any / sparkml_vector


def enforce_array(v: Any, t: DataType, required: bool, v3: bool) -> Verdict:
    items = t.items or DataType("any")
    if v3:
        if (not required or items.kind == "any") and (v is None or v == []):
            return OK
    elif not required and v is None:
        return OK
    if not isinstance(v, list):
        return f"expected a list for {t}, found {short(v)}", None
    if not v:
        return OK
    if v3 and items.kind in SCALAR_TYPES:
        err, lossy = strict_series(v, items.kind, v3)
        return (f"items of {t}: {err}" if err else None), lossy
    lossy = None
    for x in v:
        err, loss = enforce_type(x, items, required if v3 else True, v3)
        if err:
            return f"item {short(x)} of {t}: {err}", None
        lossy = lossy or loss
    return None, lossy


def enforce_object(v: Any, t: DataType, required: bool, v3: bool) -> Verdict:
    if not required and (v is None or (v3 and v == {})):
        return OK
    if not isinstance(v, dict):
        return f"expected an object for {t}, found {short(v)}", None
    props = t.properties
    missing = sorted(n for n, p in props.items() if p.required and n not in v)
    if missing:
        return f"missing required properties {missing}", None
    extra = sorted(str(k) for k in v if k not in props)
    if extra:
        return f"properties not in the schema: {extra}", None
    lossy = None
    for k, x in v.items():
        p = props[k]
        err, loss = enforce_type(x, p.type, p.required if v3 else True, v3)
        if err:
            return f"property {k!r}: {err}", None
        lossy = lossy or loss
    return None, lossy


def enforce_map(v: Any, t: DataType, required: bool, v3: bool) -> Verdict:
    vt = t.values or DataType("any")
    if v3:
        if (not required or vt.kind == "any") and (v is None or v == {}):
            return OK
    elif not required and v is None:
        return OK
    if not isinstance(v, dict):
        return f"expected a mapping for {t}, found {short(v)}", None
    lossy = None
    for k, x in v.items():
        err, loss = enforce_type(x, vt, required if v3 else True, v3)
        if err:
            return f"value of key {k!r}: {err}", None
        lossy = lossy or loss
    return None, lossy


def enforce_column(values: list[Any], t: DataType, required: bool, v3: bool) -> Verdict:
    """A whole array/object/map/any column (the cast step, then the enforcement step)."""
    if t.kind in ("any", "sparkml_vector"):
        return OK
    lossy = None
    for i, v in enumerate(values):
        err, loss = enforce_type(v, t, required if v3 else True, v3)
        if err:
            return f"row {i}: {err}", None
        lossy = lossy or loss
    return None, lossy
