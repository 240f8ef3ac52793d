"""The opcodes ``_Machine._one`` runs inline do exactly what their handlers in ``ops`` do.

``_one`` runs the common opcodes inline (found by a tree of comparisons, with a MEMOIZE that
follows a push run by the opcode that pushed) and hands the rest to the handler table;
``_careful`` (what runs past MAX_STACK opcodes) runs every opcode through the table. The same
opcode stream is run from a fresh machine both ways and everything is compared: the
exception (type and message), the position and opcode count left on the machine, the
symbolic stack, marks and memo, and all the scan recorded (globals, calls with their
arguments, qualnames, computed globals, nested problems and limits, protocols).

One pre-existing difference is accepted and nothing else: on a short read at the very end of
the data, the inline BINGET, BININT1 and SHORT_BINUNICODE say "not enough data in stream to
read uint1" / "truncated unicodestring1" where the handlers say "not enough data in stream".
The position is the end of the data either way, where ``run`` reports "truncated" instead of
the message.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from helpers import CORPUS, CORPUS2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelcheck.formats.pickle.scanner import PickleScan, _Machine
from modelcheck.formats.pickle.values import Blob, Call, GlobalRef, Obj, _Set

HERE = Path(__file__).parent

NAMES = [b"builtins", b"getattr", b"joblib.numpy_pickle", b"NumpyArrayWrapper", b"pickle",
         b"loads", b"cloudpickle.cloudpickle", b"_make_skeleton_class", b"numpy", b"dtype",
         b"__qualname__", b"dtype", b"shape", b"<f8", b"O8", b"os", b"system", b"__builtin__"]
PAYLOADS = [b"", b"abc", b"\xed\xa0\x80", b"\xff\xfe", b"\x80\x04N.", b"\x80\x04\x95\x00",
            b"\x80\x02]q\x00(K\x01K\x02e.", b"PK\x03\x04" + b"\x00" * 8,
            b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94.", b"x" * 20]


# the inline messages of a short read that differ from their handlers' (see the docstring)
KNOWN = {"not enough data in stream to read uint1", "truncated unicodestring1"}


def _u(n: int, width: int) -> bytes:
    return (n % (1 << 8 * width)).to_bytes(width, "little")


# one opcode with an operand built from a drawn integer and payload
TOKENS: dict[str, Any] = {
    "MEMOIZE": lambda n, p: b"\x94", "MARK": lambda n, p: b"(", "NONE": lambda n, p: b"N",
    "NEWTRUE": lambda n, p: b"\x88", "NEWFALSE": lambda n, p: b"\x89",
    "EMPTY_LIST": lambda n, p: b"]", "EMPTY_DICT": lambda n, p: b"}",
    "EMPTY_TUPLE": lambda n, p: b")", "EMPTY_SET": lambda n, p: b"\x8f",
    "TUPLE": lambda n, p: b"t", "TUPLE1": lambda n, p: b"\x85", "TUPLE2": lambda n, p: b"\x86",
    "TUPLE3": lambda n, p: b"\x87", "LIST": lambda n, p: b"l", "DICT": lambda n, p: b"d",
    "APPEND": lambda n, p: b"a", "APPENDS": lambda n, p: b"e", "SETITEM": lambda n, p: b"s",
    "SETITEMS": lambda n, p: b"u", "ADDITEMS": lambda n, p: b"\x90", "POP": lambda n, p: b"0",
    "POP_MARK": lambda n, p: b"1", "DUP": lambda n, p: b"2", "REDUCE": lambda n, p: b"R",
    "NEWOBJ": lambda n, p: b"\x81", "NEWOBJ_EX": lambda n, p: b"\x92", "OBJ": lambda n, p: b"o",
    "BUILD": lambda n, p: b"b", "STACK_GLOBAL": lambda n, p: b"\x93", "STOP": lambda n, p: b".",
    "BINGET": lambda n, p: b"h" + _u(n % 12, 1), "BINPUT": lambda n, p: b"q" + _u(n % 12, 1),
    "LONG_BINGET": lambda n, p: b"j" + _u(n % 12, 4),
    "LONG_BINPUT": lambda n, p: b"r" + _u(n % 12, 4),
    "BININT1": lambda n, p: b"K" + _u(n % 256, 1), "BININT2": lambda n, p: b"M" + _u(n, 2),
    "BININT": lambda n, p: b"J" + struct.pack("<i", n - 32768),
    "BINFLOAT": lambda n, p: b"G" + struct.pack(">d", n / 7),
    "SHORT_BINUNICODE": lambda n, p: b"\x8c" + _u(len(p), 1) + p,
    "SHORT_BINUNICODE_NAME": lambda n, p: b"\x8c" + _u(len(NAMES[n % len(NAMES)]), 1)
    + NAMES[n % len(NAMES)],
    "BINUNICODE": lambda n, p: b"X" + _u(len(p), 4) + p,
    "SHORT_BINBYTES": lambda n, p: b"C" + _u(len(p), 1) + p,
    "BINBYTES": lambda n, p: b"B" + _u(len(p), 4) + p,
    "GLOBAL": lambda n, p: b"c" + NAMES[n % len(NAMES)] + b"\n" + NAMES[(n // 7) % len(NAMES)]
    + b"\n",
    "PROTO": lambda n, p: b"\x80" + _u(2 + n % 4, 1), "FRAME": lambda n, p: b"\x95" + _u(n, 8),
    "BAD": lambda n, p: bytes([0xFF if n % 2 else 0x00]),
}


def _shape(v: Any, depth: int = 0) -> Any:
    """A comparable picture of a symbolic value (cycles and depth cut off)."""
    if depth > 5:
        return "..."
    d = depth + 1
    if isinstance(v, GlobalRef):
        return ("ref", v.module, v.name, v.opcode, v.where)
    if type(v) is Obj:
        return ("obj", _shape(v.func, d), _shape(v.args, d), _shape(v.state, d))
    if type(v) is Call:
        return ("call", _shape(v.ref, d), _shape(v.args, d))
    if type(v) is _Set:
        return ("set", [_shape(x, d) for x in v.items])
    if type(v) is Blob:
        return ("blob", v.start, v.stop, v.kind)
    if isinstance(v, list):
        return ("list", [_shape(x, d) for x in v])
    if isinstance(v, tuple):
        return ("tuple", [_shape(x, d) for x in v])
    if isinstance(v, dict):
        return ("dict", [(_shape(k, d), _shape(x, d)) for k, x in v.items()])
    if isinstance(v, float) and v != v:
        return ("nan",)
    return (type(v).__name__, v)


def _run(data: bytes, careful: bool) -> tuple:
    scan = PickleScan()
    m = _Machine(data, scan, "", 0, None)
    try:
        m._careful() if careful else m._one()
        exc: Any = None
    except Exception as e:  # noqa: BLE001 - the outcome compared, whatever it is
        exc = e
    why = str(exc) if exc is not None else ""
    if why in KNOWN and m.pos >= len(data):
        why = "not enough data in stream"
    return (type(exc).__name__, why, m.pos, m.count, _shape(m.stack), list(m.marks),
            _shape(m.memo), [_shape(g) for g in scan.globals], [_shape(c) for c in scan.calls],
            scan.qualnames, scan.dynamic, scan.problems, scan.limits, sorted(scan.protocols),
            scan.pickles, [_shape(o) for o in scan.called])


def _same(data: bytes) -> None:
    assert _run(data, careful=False) == _run(data, careful=True), data


token = st.tuples(st.sampled_from(sorted(TOKENS)), st.integers(0, 70000),
                  st.sampled_from(PAYLOADS))


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.booleans(), st.lists(token, max_size=40), st.integers(0, 10**6), st.integers(0, 255))
def test_inline_opcodes_match_their_handlers(proto4: bool, tokens: list, cut: int,
                                             flip: int) -> None:
    data = (b"\x80\x04" if proto4 else b"") + b"".join(TOKENS[k](n, p) for k, n, p in tokens)
    _same(data)
    _same(data + b".")
    if data:
        _same(data[:cut % len(data)])  # truncated anywhere
        i = cut % len(data)
        _same(data[:i] + bytes([flip]) + data[i + 1:])  # one byte changed


def test_streams_that_exercise_every_inline_opcode() -> None:
    """Hand-written streams: each inline opcode with a MEMOIZE after it, without one, at the
    end of the data, and with too few items on the stack."""
    values = (b"\x8c\x01a\x94K\x01N\x88\x89G" + struct.pack(">d", 1.5)
              + b"M\x01\x00J\x01\x00\x00\x00")
    ops = [b"\x85", b"\x86", b"\x87", b"t", b"R", b"\x81", b"\x93", b"]", b"}", b")", b"(",
           b"e", b"a", b"u", b"b", b"h\x00", b"j\x00\x00\x00\x00", b"q\x05", b"r\x05\x00\x00\x00",
           b"X\x02\x00\x00\x00hi", b"C\x03abc", b"C\x09\x80\x04N.xxxxx", b"\x94"]
    for op in ops:
        for before in (b"", b"(", values, b"(" + values, b"]" + values, b"}(" + values):
            for after in (b"", b"\x94", b"\x94.", b".", b"\x94\x94."):
                _same(b"\x80\x04" + before + op + after)
                _same(b"\x80\x04" + before + op[:1])


def test_real_pickles_both_ways() -> None:
    """Every real pickle of the fixtures and the corpus, whole and cut short."""
    paths = sorted(p for p in [*HERE.joinpath("rules").rglob("*"), *CORPUS.rglob("*"),
                                     *CORPUS2.rglob("*")]
                   if p.suffix in {".pkl", ".pickle", ".joblib"} and p.is_file())
    seen = 0
    for p in paths:
        data = p.read_bytes()
        if len(data) > 4_000_000 or data[:1] != b"\x80":
            continue
        seen += 1
        _same(data)
        for cut in (len(data) // 3, len(data) // 2, len(data) - 2):
            _same(data[:cut])
    assert seen >= 20
