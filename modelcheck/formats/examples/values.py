"""Value-level building blocks of MLflow's schema enforcement, re-implemented statically.

A column of JSON values is classified the way ``pandas.DataFrame`` would type it (``int64``,
``float64``, ``bool``, ``str``, ``object``...), then cast to the signature type as
``cast_df_types_according_to_schema`` does and checked like ``_enforce_mlflow_datatype``.
Every function returns ``(error, lossy)``: an error message when MLflow raises, otherwise a
message when a value the model receives differs from the value in the example (or None).

``v3`` selects MLflow 3.x semantics (pandas 3: ``pd.to_datetime`` for datetime columns, nulls
kept in boolean columns); ``v3=False`` follows MLflow 2.x (``astype`` for every scalar column).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Sequence
from typing import Any

Verdict = tuple[str | None, str | None]
NOTE = "NOTE:"  # prefix of a "lossy" message that is MLflow's normal handling (a note)
OK: Verdict = (None, None)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FLOAT32_MAX = 3.4028234663852886e38

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?$")
_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")  # "2024", "2024-01"
_ISO_TZ = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                     r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)$")
_NUMBERISH = re.compile(r"^[+-]?(\d{1,3}|\d*\.\d+|\d+\.\d*)$")
_TOKENS = re.compile(r"\d+|[A-Za-z]+|\s+|.")
_MONTHS = {m[:3] for m in ("january february march april may june july august september "
                           "october november december").split()}
_NAT = ("", "NaT")
_INT_STR = re.compile(r"^\s*[+-]?\d+\s*$")


def is_missing(v: Any) -> bool:
    return v is None or (type(v) is float and v != v)


def short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def kind_of(values: Sequence[Any]) -> str:
    """The dtype pandas gives a DataFrame column built from these JSON values."""
    types = set(map(type, values))
    has_none = type(None) in types
    types.discard(type(None))
    if not types:
        return "none"  # object column of None
    if types == {bool}:
        return "object" if has_none else "bool"
    if types <= {int, float}:
        if int in types and float not in types and not has_none:
            lo, hi = min(values), max(values)
            if lo >= INT64_MIN and hi <= INT64_MAX:
                return "int64"
            return "uint64" if lo >= 0 and hi < 2**64 else "object"
        return "float64"
    if types == {str}:
        return "str"
    if types == {str, float} and all(is_missing(v) for v in values if type(v) is float):
        return "str"  # strings with NaN: str (pandas 3) / object of str (pandas 2)
    return "object"


# ---- fast proof that a column casts cleanly --------------------------------------------------

_BOOL = frozenset({bool})
_INT = frozenset({int})
_NUMBER = frozenset({int, float})
_FLOAT = frozenset({float})
# exact limits below which a number survives the cast unchanged: float64 holds every int up
# to 2**53, float32 every int up to 2**24 and every finite float up to FLOAT32_MAX
_FLOAT_LIMIT = {("double", True): 2**53, ("float", True): 2**24, ("float", False): FLOAT32_MAX}


def clean_cast(values: Sequence[Any], t: str, types: set[type]) -> bool:
    """True only when ``cast_scalar(values, t, v3)`` is surely ``OK`` (for 2.x and 3.x alike);
    False means "not proven", and the caller runs cast_scalar.

    For speed: most columns are a clean numeric, boolean or string column, and proving that
    with the set of the column's value types (``types``) and one min/max (both in C) skips
    cast_scalar's Python call per value. A NaN makes min/max unreliable (every comparison
    with it is False), but also makes the bounds test below fail, so it is never proven."""
    if t == "string":
        return True  # cast_string keeps every value
    if t == "boolean":
        return types == _BOOL  # a bool column: cast_boolean is OK
    if t == "long" or t == "integer":
        if types != _INT:
            return False
        lo, hi = (INT32_MIN, INT32_MAX) if t == "integer" else (INT64_MIN, INT64_MAX)
        return lo <= min(values) and max(values) <= hi  # int64 column within range: OK
    if t == "double" or t == "float":
        if not types or not types <= _NUMBER:
            return False  # nulls, text, bools: cast_float's per-value loop decides
        has_int = int in types
        if t == "double" and not has_int:
            return True  # a float64 column is already double
        limit = _FLOAT_LIMIT[t, has_int]
        return -limit <= min(values) and max(values) <= limit
    return False


_STR = frozenset({str})


def clean_strict(values: Sequence[Any], t: str, types: set[type]) -> bool:
    """True only when ``strict_series(values, t, v3, to_numpy=False)`` is surely ``OK`` (2.x
    and 3.x alike): a json_object column whose values all have the type the signature names
    (text for string/binary, booleans, int64 ints for long, floats for double), proven from
    the set of value types and one min/max instead of strict_series's walk."""
    if t == "string" or t == "binary":
        return types == _STR
    if t == "boolean":
        return types == _BOOL
    if t == "long":
        return types == _INT and INT64_MIN <= min(values) and max(values) <= INT64_MAX
    if t == "double":
        return types == _FLOAT
    return False


# ---- scalar column casts (cast_df_types_according_to_schema), one column at a time ---------

def _first_bad(values: Sequence[Any], pred) -> Any:
    for v in values:
        if pred(v):
            return v
    return None


def _f32(v: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", v))[0]
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def cast_boolean(values: Sequence[Any], kind: str, v3: bool) -> Verdict:
    if kind == "bool":
        return OK
    if v3:
        bad = _first_bad(values, lambda v: not is_missing(v) and type(v) is not bool)
        return (None, f"value {short(bad)} becomes {bool(bad)} (truthiness)") \
            if bad is not None else OK
    bad = _first_bad(values, lambda v: type(v) is not bool)
    if bad is None and any(v is None for v in values):
        return None, NOTE + "null becomes False (MLflow 2.x fills missing booleans with False)"
    if bad is None:
        return OK
    return None, f"value {short(bad)} becomes {bool(bad) if bad == bad else True} (truthiness)"


def _int_value(v: Any) -> tuple[str | None, int | None, str | None]:
    """One element of an object column cast with ``astype(int)``: (error, int value, lossy)."""
    t = type(v)
    if t is bool:
        return None, int(v), f"boolean {v} becomes {int(v)}"
    if t is int:
        return None, v, None
    if t is float:
        if v != v or v in (math.inf, -math.inf):
            return f"{short(v)} cannot be an integer (missing or infinite)", None, None
        i = int(v)
        return None, i, (f"{short(v)} is truncated to {i}" if i != v else None)
    if t is str:
        if _INT_STR.match(v):
            return None, int(v), f"string {short(v)} becomes the number {int(v)}"
        return f"string {short(v)} is not an integer", None, None
    if v is None:
        return "null in a column that cannot hold missing values", None, None
    return f"{type(v).__name__} value {short(v)} is not an integer", None, None


def cast_int(values: Sequence[Any], kind: str, bits: int) -> Verdict:
    lo, hi = (INT32_MIN, INT32_MAX) if bits == 32 else (INT64_MIN, INT64_MAX)
    lossy = None
    if kind == "int64":
        if bits == 64:
            return OK
        bad = _first_bad(values, lambda v: v < lo or v > hi)
        return (None, f"{bad} overflows int32") if bad is not None else OK
    if kind == "none":
        return "null in a column that cannot hold missing values (use double)", None
    if kind == "float64":
        bad = _first_bad(values, lambda v: v is None or v != v or v in (math.inf, -math.inf))
        if bad is not None or any(v is None for v in values):
            return ("null/NaN in an integer column: MLflow cannot convert it "
                    "(declare the column double)"), None
        bad = _first_bad(values, lambda v: int(v) != v)
        if bad is not None:
            lossy = f"{short(bad)} is truncated to {int(bad)}"
        ints = [int(v) for v in values]
    else:
        ints = []
        for v in values:
            err, i, loss = _int_value(v)
            if err:
                return err, None
            lossy = lossy or loss
            ints.append(i)
    bad = _first_bad(ints, lambda v: v < lo or v > hi)
    if bad is not None:
        lossy = lossy or f"{bad} overflows int{bits}"
    return None, lossy


def cast_float(values: Sequence[Any], kind: str, bits: int) -> Verdict:
    def changed(v: float | int) -> bool:
        if type(v) is int:
            try:
                f = float(v)
            except OverflowError:
                return True
            return (_f32(f) if bits == 32 else f) != v
        return bits == 32 and v == v and abs(v) > FLOAT32_MAX and abs(v) != math.inf

    if kind in ("float64", "int64", "uint64"):
        bad = _first_bad(values, lambda v: v is not None and changed(v))
        return (None, f"{short(bad)} is not representable as float{bits}") \
            if bad is not None else OK
    if kind in ("none",):
        return OK
    lossy = None
    for v in values:
        t = type(v)
        if v is None or t is float or t is int:
            if v is not None and changed(v):
                lossy = lossy or f"{short(v)} is not representable as float{bits}"
            continue
        if t is bool:
            lossy = lossy or f"boolean {v} becomes {float(v)}"
            continue
        if t is str:
            try:
                f = float(v)
            except ValueError:
                return f"string {short(v)} is not a number", None
            lossy = lossy or f"string {short(v)} becomes the number {f}"
            continue
        return f"{t.__name__} value {short(v)} is not a number", None
    return None, lossy


def cast_string(values: Sequence[Any], kind: str) -> Verdict:
    return OK  # astype(object) keeps every value as it is


def b64_ok(v: str) -> bool:
    try:
        base64.decodebytes(v.encode("utf8"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return True


def cast_binary(values: Sequence[Any], kind: str) -> Verdict:
    for v in values:
        if type(v) is not str:
            what = "null" if is_missing(v) else f"{type(v).__name__} value {short(v)}"
            return f"{what} in a binary column: binary values must be base64 strings", None
        if not b64_ok(v):
            return f"{short(v)} is not valid base64", None
    return OK


def iso_shape(v: str) -> tuple[Any, ...] | None:
    """The ISO-8601 'format' pandas would infer for ``v`` (None when not a valid ISO datetime)."""
    m = _ISO.match(v)
    if not m:
        p = _ISO_PARTIAL.match(v)
        if p and (p[2] is None or 1 <= int(p[2]) <= 12) and 1678 <= int(p[1]) <= 2261:
            return ("partial", p[2] is not None)
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if not (1 <= mo <= 12 and 1 <= d <= _days(y, mo)) or not 1678 <= y <= 2261:
        return None  # invalid, or outside pandas' datetime64[ns] range (OutOfBoundsDatetime)
    if m[4] and (int(m[5]) > 23 or int(m[6]) > 59 or (m[7] and int(m[7]) > 59)):
        return None
    return (m[4], m[7] is not None, m[8] is not None)


def _days(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def cast_datetime(values: Sequence[Any], kind: str, v3: bool) -> Verdict:
    if kind == "none":
        return OK
    if kind in ("int64", "float64", "uint64"):
        bad = _first_bad(values, lambda v: not is_missing(v))
        return (None, f"number {short(bad)} is read as nanoseconds since the epoch") \
            if bad is not None else OK
    if kind == "bool":
        if v3:
            return f"boolean {values[0]} is not a datetime", None
        return None, "booleans are read as nanoseconds since the epoch"
    if kind == "str":
        return _datetime_strings(values, v3)
    bad = _first_bad(values, lambda v: not is_missing(v))
    return f"{type(bad).__name__} value {short(bad)} is not a datetime", None


def frame_datetime(v: str) -> tuple[str | None, Any]:
    """(error, format key) for one string ``pd.to_datetime`` / ``astype`` reads on the DataFrame
    path. Non-ISO text goes to pandas' dateutil fallback: only what it surely refuses is an error
    (text without digits, bare small numbers, blanks, ISO-shaped but invalid dates, timezones);
    other text is accepted, with a None key when its format is not one pandas surely infers."""
    if v in _NAT:
        return None, "nat"  # a value change: reported by _datetime_strings
    shape = iso_shape(v)
    if shape is not None:
        return None, ("iso", shape)
    if v in ("now", "today"):
        return None, None
    if _ISO_TZ.match(v):
        return (f"{short(v)} has a timezone; MLflow's datetime is timezone-naive "
                "datetime64[ns]"), None
    if _ISO.match(v) or _ISO_PARTIAL.match(v):
        return f"{short(v)} is not a valid date (or is outside 1678-2261)", None
    if not v.strip() or not any(c.isdigit() for c in v) or _NUMBERISH.match(v):
        return f"string {short(v)} is not a datetime", None
    return None, _format_key(v)


def _format_key(v: str) -> tuple[str, ...] | None:
    """The strptime-like shape of a common non-ISO date ("01/02/2024" -> D/D/Y), or None."""
    key: list[str] = []
    for t in _TOKENS.findall(v):
        if t.isdigit():
            key.append("Y" if len(t) == 4 else "D" if len(t) <= 2 else "?")
        elif t.isalpha():
            low = t.lower()
            key.append("Mon" if low[:3] in _MONTHS and len(t) == 3 else
                       "Month" if low[:3] in _MONTHS else "?")
        else:
            key.append(t)
    dates = (("D", "/", "D", "/", "Y"), ("Y", "/", "D", "/", "D"), ("D", ".", "D", ".", "Y"),
             ("Y", ".", "D", ".", "D"), ("Mon", " ", "D", " ", "Y"),
             ("Month", " ", "D", ",", " ", "Y"), ("D", " ", "Mon", " ", "Y"))
    for d in dates:
        rest = tuple(key[len(d):])
        if tuple(key[:len(d)]) == d and rest in ((), (" ", "D", ":", "D"),
                                                 (" ", "D", ":", "D", ":", "D")):
            return tuple(key)
    return None


def _datetime_strings(values: Sequence[Any], v3: bool) -> Verdict:
    keys: dict[str, Any] = {}
    lossy = None
    for v in dict.fromkeys(values):  # each distinct string parsed once, in order
        if is_missing(v):
            continue
        err, key = frame_datetime(v)
        if err:
            return err, None
        keys[v] = key
        if v in ("now", "today"):
            lossy = lossy or f"{v!r} becomes the time the model is called"
        elif v in _NAT:
            lossy = lossy or f"{v!r} becomes NaT (a missing datetime)"
    if v3:  # pandas 3 infers one format from the first value and holds every value to it
        present = [v for v in keys if keys[v] != "nat"]  # distinct values, in order
        if present and keys[present[0]] is not None:
            first = present[0]
            for v in present:
                if keys[v] is not None and keys[v] != keys[first] or (
                        keys[v] is None and keys[first][0] == "iso"):
                    return (f"{short(v)} does not have the format of the first value "
                            f"{short(first)} (pandas infers one format per column)"), None
            err = _month_day_order(present)
            if err:
                return err, None
    return None, lossy


def _month_day_order(values: list[str]) -> str | None:
    """pandas 3 reads D/D/Y as month first unless the first value's first field exceeds 12."""
    parts = [re.split(r"[/.]", v) for v in values]
    if len(parts[0]) != 3 or len(parts[0][2]) != 4 or not all(p.isdigit() for p in parts[0]):
        return None
    month = 0 if int(parts[0][0]) <= 12 else 1
    for v, p in zip(values, parts, strict=True):
        if len(p) == 3 and p[month].isdigit() and not 1 <= int(p[month]) <= 12:
            return (f"{short(v)}: field {month + 1} is read as the month (format inferred from "
                    f"{short(values[0])})")
    return None


def np_datetime(v: str) -> Verdict:
    """``np.array(v, "datetime64[ns]")``: numpy's ISO-8601 reader, no dateutil fallback."""
    if iso_shape(v) is not None:
        return OK
    if v in _NAT:
        return None, f"{v!r} becomes NaT (a missing datetime)"
    if v in ("now", "today"):
        return None, f"{v!r} becomes the time the model is called"
    if _ISO_TZ.match(v) and not v.endswith(("UTC", "GMT")):
        return None, f"{short(v)}: the timezone is dropped after converting to UTC"
    if v.isdigit():
        return None, f"string {short(v)} is read as a number of years, not a date"
    if v[:1].isspace() and not v[-1:].isspace() and np_datetime(v.lstrip()) == OK:
        return OK
    return (f"string {short(v)} is not an ISO-8601 datetime (numpy reads only ISO-8601 on "
            "this path)"), None


def cast_scalar(values: Sequence[Any], t: str, v3: bool, kind: str | None = None) -> Verdict:
    kind = kind or kind_of(values)
    if t == "boolean":
        return cast_boolean(values, kind, v3)
    if t in ("integer", "long"):
        return cast_int(values, kind, 32 if t == "integer" else 64)
    if t in ("float", "double"):
        return cast_float(values, kind, 32 if t == "float" else 64)
    if t == "string":
        return cast_string(values, kind)
    if t == "binary":
        return cast_binary(values, kind)
    if t == "datetime":
        return cast_datetime(values, kind, v3)
    return OK


# ---- strict in-process checks (_enforce_mlflow_datatype on a pd.Series) --------------------

def strict_series(values: Sequence[Any], t: str, v3: bool, to_numpy: bool = True) -> Verdict:
    """``_enforce_mlflow_datatype(pd.Series(values), t)`` then ``to_numpy(t)`` (array items)."""
    kind = kind_of(values)
    if kind == "str" and any(is_missing(v) for v in values) and not v3:
        kind = "object"
    if t == "string":
        if kind in ("str", "object", "none"):
            bad = _first_bad(values, lambda v: type(v) is not str) if to_numpy else None
            return (None, f"{short(bad)} becomes the string {str(bad)!r}") \
                if bad is not None else OK
        return f"{kind} values are not strings", None
    if t == "binary":
        return OK if kind in ("str", "object", "none") else (f"{kind} values are not binary",
                                                             None)
    if t == "boolean":
        if kind == "bool":
            return OK
        if kind in ("object", "none") or (kind == "str" and not v3):
            if to_numpy:
                bad = _first_bad(values, lambda v: type(v) is not bool)
                if bad is not None:
                    return None, f"{short(bad)} becomes {bool(bad) if bad is not None else False}"
            return OK
        return f"{kind} values are not booleans", None
    if t == "long":
        return OK if kind == "int64" else (f"{kind} values are not long", None)
    if t == "double":
        if kind == "float64":
            return OK
        if kind == "int64" and all(v in (0, 1) for v in values):
            return OK
        if kind in ("object", "none") or (kind == "str" and not v3):
            # ``values.dtype == decimal.Decimal`` is True for EVERY object dtype (numpy reads
            # the class as dtype object), so an object column takes _enforce_mlflow_datatype's
            # Decimal branch: ``pd.to_numeric(values, errors="raise")`` (mlflow/models/utils.py,
            # 3.18 and 2.17). pandas 2 keeps text as object; pandas 3 makes it ``str``, refused.
            return _to_numeric(values)
        return f"{kind} values cannot be safely converted to double", None
    if t == "float":
        if kind == "int64" and all(v in (0, 1) for v in values):
            return OK
        return f"{kind} values cannot be safely converted to float", None
    if t == "datetime":
        if kind == "none":
            return OK  # an object column of nulls: astype("datetime64[ns]") gives NaT
        if not v3 and kind in ("str", "object"):
            # pandas 2 keeps text as object: ``values.astype(np.dtype("datetime64[ns]"),
            # errors="raise")`` parses each string on its own (no format inferred from the first)
            bad = _first_bad(values, lambda v: type(v) is not str and not is_missing(v))
            if bad is not None:
                return f"{type(bad).__name__} value {short(bad)} is not a datetime", None
            return _datetime_strings(values, False)
        return f"{kind} values are not datetimes", None
    return (f"pandas reads these values as {kind}, which MLflow does not convert to {t} "
            "(it only widens types: 'Incompatible input types')"), None


def _to_numeric(values: Sequence[Any]) -> Verdict:
    """``pd.to_numeric(values, errors="raise")`` on an object column."""
    lossy = None
    for v in values:
        t = type(v)
        if v is None or t is float or t is int:
            continue
        if t is bool:
            lossy = lossy or f"boolean {v} becomes {float(v)}"
            continue
        if t is str:
            try:
                f = float(v)
            except ValueError:
                return f"string {short(v)} is not a number (pd.to_numeric fails)", None
            lossy = lossy or f"string {short(v)} becomes the number {f:g}"
            continue
        return f"{t.__name__} value {short(v)} is not a number", None
    return None, lossy


def strict_scalar(v: Any, t: str, required: bool, v3: bool) -> Verdict:
    """``_enforce_datatype``: one scalar value (object property, map value, nested item)."""
    if not required and (v is None or (v3 and is_missing(v))):
        return OK
    if v is None or isinstance(v, (list, dict)):
        return f"expected a scalar {t}, found {short(v)}", None
    return strict_series([v], t, v3, to_numpy=False)


# ---- json_object "inputs": convert_data_type = np.array(values, dtype) --------------------

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "<absent>"})()
"""A record's missing key on the inputs path: never converted; pandas puts NaN there when it
builds the DataFrame, so it counts as a null only for numeric and datetime columns."""


def json_cast(values: Sequence[Any], t: str, v3: bool) -> Verdict:
    lossy = None
    for v in values:
        if v is ABSENT:
            if t in ("string", "binary", "boolean"):
                continue
            v = None
        err, loss = _np_cast(v, t, v3)
        if err:
            return err, None
        lossy = lossy or loss
    return None, lossy


def _np_cast(v: Any, t: str, v3: bool = True) -> Verdict:
    if t in ("integer", "long"):
        err, i, loss = _int_value(v)
        if err:
            return err, None
        lo, hi = (INT32_MIN, INT32_MAX) if t == "integer" else (INT64_MIN, INT64_MAX)
        if i is not None and not lo <= i <= hi:
            return f"{i} does not fit {t}", None
        return None, loss
    if t in ("float", "double"):
        if v is None or type(v) in (int, float):
            return OK
        if type(v) is bool:
            return None, f"boolean {v} becomes {float(v)}"
        if type(v) is str:
            try:
                return None, f"string {short(v)} becomes the number {float(v)}"
            except ValueError:
                return f"string {short(v)} is not a number", None
        return f"{type(v).__name__} value {short(v)} is not a number", None
    if v is None and (v3 or t not in ("string", "binary")):
        # convert_data_type (mlflow/utils/proto_json_utils.py): 3.x keeps None for boolean,
        # string and binary columns; 2.x runs np.array(values, dtype), where None becomes the
        # text 'None' (string), b'None' (binary), False (boolean: a note, MLflow's handling)
        return OK
    if t == "string":
        return OK if type(v) is str else (None, f"{short(v)} becomes the string {str(v)!r}")
    if t == "binary":
        # np.array(values, dtype=bytes): the text itself, NOT base64-decoded (the DataFrame
        # path decodes it)
        if v == "":
            return OK
        if type(v) is str and not v.isascii():
            return f"{short(v)} is not ASCII: numpy cannot make bytes of it", None
        return None, (f"{short(v)} is passed as the bytes {str(v).encode()!r}, not "
                      "base64-decoded" if type(v) is str else f"{short(v)} becomes bytes")
    if t == "boolean":
        return OK if type(v) is bool else (None, f"{short(v)} becomes {bool(v)}")
    if t == "datetime":
        if type(v) is str:
            return np_datetime(v)
        if type(v) is int:
            return None, f"number {v} is read as nanoseconds since the epoch"
        if type(v) is bool:  # numpy reads a boolean as 1 or 0 nanoseconds
            return None, f"boolean {v} is read as {int(v)} nanoseconds since the epoch"
        return f"{short(v)} is not a datetime", None
    return OK
