"""Static check of numpy dtype strings, as ``numpy.dtype(str)`` (numpy 2.x) accepts them.

MLflow builds a TensorSpec's dtype with ``np.dtype(value)``; we may not import numpy, so this
module reproduces the string grammar: type names (``float32``, ``str``, ``object``...), type
codes with an optional byte-order prefix and size (``<f4``, ``i8``, ``U10``), and
``datetime64``/``timedelta64`` with an optional ``[unit]``. ``tests/data/dtype_cases.json``
(generated with real numpy by ``tests/gen_signature_cases.py``) proves the verdicts.
"""

from __future__ import annotations

import re

# Names numpy 2 accepts (no byte-order prefix allowed on these).
NAMES = frozenset("""
bool bool_ byte ubyte short ushort intc uintc int uint long ulong longlong ulonglong intp uintp
int_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 half single double longdouble float
float16 float32 float64 float128 csingle cdouble clongdouble complex complex64 complex128
complex256 object object_ str str_ unicode bytes bytes_ void
""".split())

# Names only numpy 1.x accepts (removed in numpy 2.0).
NUMPY1_NAMES = frozenset("""
float_ complex_ unicode_ string_ int0 uint0 bool8 object0 str0 bytes0 void0 longfloat
singlecomplex cfloat clongfloat longcomplex string Bytes0 Str0
""".split())

_UNIT = r"(?:\d+)?(?:Y|M|W|D|h|m|s|ms|us|μs|ns|ps|fs|as|generic)(?:/\d+)?"
_DATETIME = re.compile(r"^[<>=|]?(?:datetime64|timedelta64|M8|m8|M|m)(?:\[" + _UNIT + r"\])?$")
_CODE = re.compile(r"^([<>=|]?)([?bBhHiIlLqQpPefdgFDGSUVOTNncau])(\d*)$")
_SIZES = {
    "i": {"1", "2", "4", "8"}, "u": {"1", "2", "4", "8"}, "f": {"2", "4", "8", "16"},
    "c": {"8", "16", "32"}, "b": {"1"}, "O": {"4", "8"},
}
_FLEXIBLE = set("SUVa")


def check_dtype(text: str) -> tuple[str, str | None]:
    """Classify a dtype string: ("ok"|"numpy1"|"sized"|"unknown", explanation or None).

    "sized" is a string dtype numpy accepts but MLflow rejects (``U10``, ``<S5``, ``a5``);
    "numpy1" a name that only numpy < 2 accepts.
    """
    if text in NAMES:
        return "ok", None
    if text in NUMPY1_NAMES:
        return "numpy1", f'"{text}" was removed in numpy 2.0'
    if _DATETIME.match(text):
        return "ok", None
    m = _CODE.match(text)
    if not m:
        return "unknown", None
    order, code, size = m.groups()
    if code == "a" and order and not size:
        return "unknown", None
    if code == "u" and not size:
        return "unknown", None
    if size:
        if code in _FLEXIBLE:
            if code in "SUa" and int(size) > 0:
                base = "str" if code == "U" else "bytes"
                return "sized", f'sized string dtype "{text}"; use "{base}"'
            return "ok", None
        if code == "c" or code in _SIZES:
            return ("ok", None) if size in _SIZES.get(code, set()) else ("unknown", None)
        return "unknown", None
    if code == "u":
        return "unknown", None
    return "ok", None
