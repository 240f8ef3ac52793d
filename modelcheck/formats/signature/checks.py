"""Small value checks used by the signature parser: type-name hints, param defaults (§6.3)."""

from __future__ import annotations

import json
import re
from typing import Any

_HINTS = {
    "int": "long", "int64": "long", "int32": "integer", "int16": "integer", "int8": "integer",
    "bigint": "long", "smallint": "integer", "short": "integer", "uint8": "integer",
    "str": "string", "text": "string", "object": "object", "varchar": "string",
    "float64": "double", "float32": "float", "number": "double", "real": "double",
    "numeric": "double", "decimal": "double", "float16": "float",
    "bool": "boolean", "bytes": "binary", "bytearray": "binary", "blob": "binary",
    "date": "datetime", "timestamp": "datetime", "datetime64": "datetime",
    "datetime64[ns]": "datetime", "time": "datetime",
    "list": "array", "dict": "object", "struct": "object", "vector": "sparkml_vector",
    "null": "any", "none": "any", "object_": "string",
}
_VALID = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime",
          "array", "object", "map", "any", "sparkml_vector")


def suggest_type(name: Any) -> str | None:
    """The MLflow type name someone probably meant by ``name`` (None if no good guess)."""
    if not isinstance(name, str):
        return None
    low = name.strip().lower()
    if low in _VALID:
        return low
    return _HINTS.get(low)


def describe(value: Any) -> str:
    """A short description of a JSON/YAML value for messages: 'a list', 'the number 3'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {json.dumps(text)}"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# numpy.datetime64(str).item() must give a date/datetime (spec §6.3, checked against numpy 2);
# compiled on first use (re's cache)
_DT = (
    r"^\+?(\d+)(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d*))?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$")


def _month_days(year: int, month: int) -> int:
    import calendar  # only datetime parameter defaults need it

    return calendar.monthrange(year, month)[1]


def datetime_problem(text: str) -> str | None:
    """Why numpy.datetime64(text).item() is not a datetime (None when it is)."""
    s = text.strip()
    if s.lower() in ("", "nat", "today", "now"):
        return None
    m = re.match(_DT, s)
    if not m:
        return f"{json.dumps(text)} is not an ISO date/time numpy can parse"
    year, month, day, hour, minute, sec, frac = m.groups()
    y = int(year)
    if not 1 <= y <= 9999:
        return f"year {y} is outside Python's datetime range 1-9999"
    if month is not None and not 1 <= int(month) <= 12:
        return f"month {month} is out of range"
    if day is not None and not 1 <= int(day) <= _month_days(y, int(month)):
        return f"day {day} is out of range"
    if hour is not None and int(hour) > 23:
        return f"hour {hour} is out of range"
    if minute is not None and int(minute) > 59:
        return f"minute {minute} is out of range"
    if sec is not None and int(sec) > 59:
        return f"second {sec} is out of range"
    if frac is not None and len(frac) > 6:
        return "more than 6 fractional digits (nanoseconds) cannot become a Python datetime"
    return None


def scalar_problem(value: Any, ptype: str) -> str | None:
    """Why ``value`` is not accepted for a scalar param of ``ptype`` (§6.3 matrix)."""
    if value is None:
        return None
    if ptype == "datetime":
        if isinstance(value, str):
            return datetime_problem(value)
        return f"expected an ISO date/time string, found {describe(value)}"
    if isinstance(value, (list, dict)):
        return f"expected a scalar, found {describe(value)}"
    if ptype == "object":
        return None
    kind = type(value)
    accepted = {
        "boolean": (bool,), "integer": (int,), "long": (int,), "float": (int, float),
        "double": (int, float), "string": (str,),
    }.get(ptype, ())
    if kind in accepted:
        return None
    return f"MLflow cannot safely convert {describe(value)} to {ptype}"


def check_param_default(default: Any, ptype: str, shape: tuple[int, ...] | None,
                        properties: dict[str, Any] | None = None) -> str | None:
    """Why a ParamSpec default fails MLflow's load-time validation (None when it passes).

    ``properties`` maps an object param's property names to their ``required`` flag.
    """
    if ptype == "object":
        if shape is not None:
            if isinstance(default, list) and not default:
                return None
            return "object params cannot have shape [-1] (MLflow validates each element as " \
                   "a scalar)"
        if not isinstance(default, dict):
            return f"expected a JSON object, found {describe(default)}"
        if properties is not None:
            missing = sorted(k for k, req in properties.items() if req and k not in default)
            if missing:
                return f"missing required properties {missing}"
            extra = sorted(k for k in default if k not in properties)
            if extra:
                return f"properties not in the schema: {extra}"
        return None
    if shape is None:
        return scalar_problem(default, ptype)
    if not isinstance(default, list):
        return f"expected a 1-D list, found {describe(default)}"
    if any(isinstance(v, list) for v in default):
        return "expected a 1-D list, found nested lists"
    for v in default:
        why = scalar_problem(v, ptype)
        if why:
            return f"element {json.dumps(v)[:40]}: {why}"
    return None
