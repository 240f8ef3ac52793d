"""Params stored with an example, checked like ``_enforce_params_schema``."""

from __future__ import annotations

from typing import Any

from modelcheck.formats.examples.values import iso_shape, short
from modelcheck.formats.signature.schema import ParamSpec

_ALLOWED = {"boolean": (bool,), "integer": (int,), "long": (int,), "float": (int, float),
            "double": (int, float), "string": (str,)}


def check_value(v: Any, p: ParamSpec) -> str | None:
    """Error message when MLflow's ParamSpec validation rejects ``v`` (None when accepted)."""
    t = p.type.kind
    if v is None:
        return f"null is not a list of {t}" if p.shape is not None else None
    if p.shape is not None:
        if not isinstance(v, list):
            return f"expected a list of {t}, found {short(v)}"
        for x in v:
            err = _scalar(x, t)
            if err:
                return err
        return None
    return _scalar(v, t)


def _scalar(v: Any, t: str) -> str | None:
    if t == "object":
        return None if isinstance(v, dict) else f"expected an object, found {short(v)}"
    if t == "datetime":
        if isinstance(v, str) and (iso_shape(v) or v.strip().lstrip("-").isdigit()):
            return None
        return f"{short(v)} is not a datetime"
    if isinstance(v, (list, dict)) or v is None:
        return f"expected a scalar {t}, found {short(v)}"
    allowed = _ALLOWED.get(t, ())
    if type(v) in allowed:
        return None
    return f"expected {t}, found {type(v).__name__} {short(v)}"


def lossy_value(v: Any, p: ParamSpec) -> str | None:
    """A value MLflow accepts but changes (a datetime param given as a bare number string)."""
    if p.type.kind != "datetime":
        return None
    for x in (v if isinstance(v, list) else [v]):
        if isinstance(x, str) and not iso_shape(x):
            return f"{short(x)} is read as the datetime {x.strip()}-01-01 (year only)"
    return None
