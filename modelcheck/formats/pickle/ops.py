"""The opcode handlers of the static pickle scanner (``scanner._Machine``).

Each handler takes the machine and the position just past its opcode byte and returns the
position past its operands; it pushes, pops and records on the machine exactly as the opcode
would change an unpickler's stack, without ever building a real object. The six commonest
opcodes are also inlined in ``_Machine._one``; everything here is reached through the table
:func:`build_table` makes.
"""

from __future__ import annotations

import struct
import sys
from typing import Any

from modelcheck.formats.pickle.values import (
    UNKNOWN,
    Blob,
    GlobalRef,
    Obj,
    _append,
    _pairs,
    _Set,
    _Stop,
)

# the scanner's ``_Machine``, which builds its table from this module: named, not imported
_Machine = Any

_I4 = struct.Struct("<i")
_U2 = struct.Struct("<H")
_U4 = struct.Struct("<I")
_F8 = struct.Struct(">d")
_U8 = struct.Struct("<Q")
# operands over this many bytes are pushed as a Blob (an offset into the data), not copied
BIG_OPERAND = 8 * 1024 * 1024


def _take(m: _Machine, pos: int, size: int) -> int:
    """End of a ``size``-byte operand at ``pos``; a short read fails at the end of the data."""
    stop = pos + size
    if stop > len(m.data):
        m.pos = len(m.data)
        raise ValueError("not enough data in stream")
    return stop


def _op_proto(m: _Machine, pos: int) -> int:
    stop = _take(m, pos, 1)
    m.proto = m.data[pos]
    m.scan.protocols.add(m.proto)
    return stop


def _op_frame(m: _Machine, pos: int) -> int:
    return _take(m, pos, 8)


def _op_nothing(m: _Machine, pos: int) -> int:  # READONLY_BUFFER
    return pos


def _op_stop(m: _Machine, pos: int) -> int:
    raise _Stop


def _need(m: _Machine, n: int) -> list[Any]:
    """The stack, once it is known to hold ``n`` items above the last MARK (what ``n``
    ``pop()`` calls check one by one; a failed pop ends the scan, so nothing is lost by
    checking all of them first)."""
    st = m.stack
    if len(st) - n < (m.marks[-1] if m.marks else 0):
        raise IndexError("stack underflow")
    return st


def _op_mark(m: _Machine, pos: int) -> int:
    m.marks.append(len(m.stack))
    return pos


def _op_pop(m: _Machine, pos: int) -> int:
    if m.marks and len(m.stack) == m.marks[-1]:
        m.marks.pop()  # POP of a MARK
    else:
        _need(m, 1)
        m.stack.pop()
    return pos


def _op_pop_mark(m: _Machine, pos: int) -> int:
    m.pop_mark()
    return pos


def _op_dup(m: _Machine, pos: int) -> int:
    m.stack.append(m.top())
    return pos


def _constant(value: Any) -> Any:
    def handler(m: _Machine, pos: int) -> int:
        m.stack.append(value)
        return pos
    return handler


def _op_empty_list(m: _Machine, pos: int) -> int:
    m.stack.append([])
    return pos


def _op_empty_dict(m: _Machine, pos: int) -> int:
    m.stack.append({})
    return pos


def _op_empty_set(m: _Machine, pos: int) -> int:
    m.stack.append(_Set())
    return pos


# The hot handlers below do their stack checks inline (no helper call): n pops are checked
# as len(stack) - n >= the last MARK (or 0), pop_mark as "marks is not empty".
def _op_tuple(m: _Machine, pos: int) -> int:
    if not m.marks:
        raise IndexError("no MARK on the stack")
    st = m.stack
    at = m.marks.pop()
    st[at:] = [tuple(st[at:])]
    return pos


def _op_tuple1(m: _Machine, pos: int) -> int:
    st = m.stack
    if len(st) <= (m.marks[-1] if m.marks else 0):
        raise IndexError("stack underflow")
    st[-1] = (st[-1],)
    return pos


def _op_tuple2(m: _Machine, pos: int) -> int:
    st = m.stack
    if len(st) - 2 < (m.marks[-1] if m.marks else 0):
        raise IndexError("stack underflow")
    st[-2:] = [(st[-2], st[-1])]
    return pos


def _op_tuple3(m: _Machine, pos: int) -> int:
    st = m.stack
    if len(st) - 3 < (m.marks[-1] if m.marks else 0):
        raise IndexError("stack underflow")
    st[-3:] = [(st[-3], st[-2], st[-1])]
    return pos


def _op_list(m: _Machine, pos: int) -> int:
    m.stack.append(list(m.pop_mark()))
    return pos


def _op_dict(m: _Machine, pos: int) -> int:
    items = m.pop_mark()
    m.stack.append(_pairs({}, items))
    return pos


def _op_frozenset(m: _Machine, pos: int) -> int:
    m.stack.append(_Set(m.pop_mark()))
    return pos


def _op_append(m: _Machine, pos: int) -> int:
    v = _need(m, 1).pop()
    _append(m.top(), [v])
    return pos


def _op_appends(m: _Machine, pos: int) -> int:
    if not m.marks:
        raise IndexError("no MARK on the stack")
    st = m.stack
    at = m.marks.pop()
    items = st[at:]
    del st[at:]
    if not st:
        raise IndexError("stack underflow")
    if isinstance(st[-1], list):
        st[-1].extend(items)
    return pos


def _op_setitem(m: _Machine, pos: int) -> int:
    st = _need(m, 2)
    v = st.pop()
    k = st.pop()
    m._setitems(m.top(), [k, v])
    return pos


def _op_setitems(m: _Machine, pos: int) -> int:
    if not m.marks:
        raise IndexError("no MARK on the stack")
    st = m.stack
    at = m.marks.pop()
    items = st[at:]
    del st[at:]
    if not st:
        raise IndexError("stack underflow")
    m._setitems(st[-1], items)
    return pos


def _op_additems(m: _Machine, pos: int) -> int:
    items = m.pop_mark()
    if isinstance(m.top(), _Set):
        m.top().items.extend(items)
    return pos


def _line(m: _Machine, pos: int) -> tuple[str, int]:
    """A GLOBAL/INST operand line (what ``readline`` would give) and the position after it."""
    data = m.data
    nl = data.find(b"\n", pos)
    if nl < 0:
        m.pos = len(data)
        raise EOFError("truncated GLOBAL/INST operand")
    m.pos = nl + 1
    return data[pos:nl].decode("utf-8"), nl + 1


def _op_global(m: _Machine, pos: int) -> int:
    module, pos = _line(m, pos)
    name, pos = _line(m, pos)
    m.stack.append(m._global(module, name, "GLOBAL"))
    return pos


def _op_stack_global(m: _Machine, pos: int) -> int:
    st = m.stack
    if len(st) - 2 < (m.marks[-1] if m.marks else 0):
        raise IndexError("stack underflow")
    st[-2:] = [m._global(st[-2], st[-1], "STACK_GLOBAL")]
    return pos


def _op_inst(m: _Machine, pos: int) -> int:
    module, pos = _line(m, pos)
    name, pos = _line(m, pos)
    args = m.pop_mark()
    ref = m._global(module, name, "INST")
    m.stack.append(m._call(ref, tuple(args)))
    return pos


def _op_obj(m: _Machine, pos: int) -> int:
    items = m.pop_mark()
    if not items:
        raise IndexError("OBJ without a class")
    m.stack.append(m._call(items[0], tuple(items[1:])))
    return pos


def _op_reduce(m: _Machine, pos: int) -> int:  # REDUCE, NEWOBJ
    st = m.stack
    if len(st) - 2 < (m.marks[-1] if m.marks else 0):
        raise IndexError("stack underflow")
    st[-2:] = [m._call(st[-2], st[-1])]
    return pos


def _op_newobj_ex(m: _Machine, pos: int) -> int:
    st = _need(m, 3)
    st[-3:] = [m._call(st[-3], st[-2])]
    return pos


def _op_build(m: _Machine, pos: int) -> int:
    st = m.stack
    if len(st) <= (m.marks[-1] if m.marks else 0):
        raise IndexError("stack underflow")
    state = st.pop()
    if not st:
        raise IndexError("stack underflow")
    obj = st[-1]
    if type(state) is tuple:
        m._build_state(state)
    if type(obj) is Obj:
        # an object that is its own state (statsmodels' Bunch: __dict__ = self) would be a
        # reference cycle, freed only by the garbage collector
        obj.state = state if state is not obj else None
        func = obj.func
        if type(func) is GlobalRef and func.name == "NumpyArrayWrapper" \
                and func.module.startswith("joblib"):
            m.pos = pos
            m._skip_joblib_array(state)  # moves m.pos past the array's raw bytes
            return m.pos
    return pos


def _put(m: _Machine, key: int, stop: int) -> int:
    m.pos = stop
    m.memo[key] = m.top()
    return stop


def _op_binput(m: _Machine, pos: int) -> int:
    return _put(m, m.data[pos] if pos < len(m.data) else _take(m, pos, 1), pos + 1)


def _op_long_binput(m: _Machine, pos: int) -> int:
    stop = _take(m, pos, 4)
    return _put(m, _U4.unpack_from(m.data, pos)[0], stop)


def _op_memoize(m: _Machine, pos: int) -> int:
    m.memo[len(m.memo)] = m.top()
    return pos


def _get(m: _Machine, key: int, stop: int) -> int:
    m.pos = stop
    if key not in m.memo:
        raise KeyError(f"memo key {key} read before it was written")
    m.stack.append(m.memo[key])
    return stop


def _op_binget(m: _Machine, pos: int) -> int:
    return _get(m, m.data[pos] if pos < len(m.data) else _take(m, pos, 1), pos + 1)


def _op_long_binget(m: _Machine, pos: int) -> int:
    stop = _take(m, pos, 4)
    return _get(m, _U4.unpack_from(m.data, pos)[0], stop)


def _op_unknown(m: _Machine, pos: int) -> int:  # NEXT_BUFFER
    m.stack.append(UNKNOWN)
    return pos


def _op_binpersid(m: _Machine, pos: int) -> int:
    _need(m, 1)[-1] = UNKNOWN
    return pos


def _op_binint(m: _Machine, pos: int) -> int:
    if pos + 4 > len(m.data):
        _take(m, pos, 4)
    m.stack.append(_I4.unpack_from(m.data, pos)[0])
    return pos + 4


def _op_binint1(m: _Machine, pos: int) -> int:
    stop = _take(m, pos, 1)
    m.stack.append(m.data[pos])
    return stop


def _op_binint2(m: _Machine, pos: int) -> int:
    stop = _take(m, pos, 2)
    m.stack.append(_U2.unpack_from(m.data, pos)[0])
    return stop


def _op_binfloat(m: _Machine, pos: int) -> int:
    if pos + 8 > len(m.data):
        _take(m, pos, 8)
    m.stack.append(_F8.unpack_from(m.data, pos)[0])
    return pos + 8


def _sized(m: _Machine, pos: int, width: int) -> tuple[int, int]:
    """Start and end of an operand prefixed by its little-endian unsigned ``width``-byte size."""
    start = _take(m, pos, width)
    data = m.data
    size = data[pos] if width == 1 else _U4.unpack_from(data, pos)[0]
    return start, _take(m, start, size)


def _op_long1(m: _Machine, pos: int) -> int:
    start, stop = _sized(m, pos, 1)
    m.stack.append(int.from_bytes(m.data[start:stop], "little", signed=True))
    return stop


def _unicode(width: int) -> Any:
    def handler(m: _Machine, pos: int) -> int:  # SHORT_BINUNICODE, BINUNICODE
        start, stop = _sized(m, pos, width)
        m.pos = stop
        if stop - start > BIG_OPERAND:
            m.stack.append(Blob(m.data, start, stop, "str"))
            return stop
        m.stack.append(str(m.data[start:stop], "utf-8", "surrogatepass"))
        return stop
    return handler


def _op_short_binbytes(m: _Machine, pos: int) -> int:
    data = m.data
    stop = pos + 1 + data[pos] if pos < len(data) else pos + 1
    if stop > len(data):
        m.pos = len(data)
        raise ValueError("truncated bytes1")
    value = data[pos + 1:stop]
    m.stack.append(value)
    if len(value) >= 8:
        m._bytes(value, stop)
    return stop


def _binbytes(width: int) -> Any:
    def handler(m: _Machine, pos: int) -> int:  # SHORT_BINBYTES, BINBYTES
        start, stop = _sized(m, pos, width)
        if stop - start <= BIG_OPERAND:
            value = m.data[start:stop]
        else:
            value = Blob(m.data, start, stop, "bytes")
        m.stack.append(value)
        m.pos = stop
        m._bytes(value, stop)
        return stop
    return handler


def _ext(name: str) -> Any:
    def action(m: _Machine, arg: Any) -> None:
        m.scan.dynamic.append(f"{m.label()}: {name} extension code {arg}")
        m.stack.append(UNKNOWN)
    return action


def _via_reader(reader: Any, action: Any) -> Any:
    """Handler of a rare or text opcode: pickletools' reader over a file view, then
    ``action(m, operand)``."""
    def handler(m: _Machine, pos: int) -> int:
        f = m.file(pos)
        try:
            arg = reader(f)
        finally:
            m.pos = f.tell()
        action(m, arg)
        return m.pos
    return handler


def _big(handler: Any, width: int, what: str, kind: str) -> Any:
    """A reader-handled sized opcode (BINBYTES8, BYTEARRAY8, BINUNICODE8, BINSTRING, LONG4)
    whose operand is over ``BIG_OPERAND`` bytes: pushed as a Blob, never read (a truncated one
    fails as pickletools' reader would, without copying the rest of the data)."""
    size_of = _U8 if width == 8 else _I4

    def guarded(m: _Machine, pos: int) -> int:
        data = m.data
        if pos + width <= len(data):
            n = size_of.unpack_from(data, pos)[0]
            if BIG_OPERAND < n <= sys.maxsize:
                start = pos + width
                stop = start + n
                if stop > len(data):
                    m.pos = len(data)
                    if what == "long4":
                        raise ValueError("not enough data in stream to read long4")
                    raise ValueError(f"expected {n} bytes in a {what}, but only "
                                     f"{len(data) - start} remain")
                m.pos = stop
                blob = Blob(data, start, stop, kind)
                m.stack.append(blob)
                if kind == "bytes":
                    m._bytes(blob, stop)
                return stop
        return handler(m, pos)
    return guarded


_BIG_READS = {
    "BINBYTES8": (8, "bytes8", "bytes"), "BYTEARRAY8": (8, "bytearray8", "bytes"),
    "BINUNICODE8": (8, "unicodestring8", "str"), "BINSTRING": (4, "string4", "str"),
    "LONG4": (4, "long4", "int"),
}


def _push_arg(m: _Machine, arg: Any) -> None:
    m.stack.append(arg)


def _push_bytes_arg(m: _Machine, arg: Any) -> None:
    m.stack.append(arg)
    m._bytes(arg, m.pos)


def _unknown_arg(m: _Machine, arg: Any) -> None:  # PERSID
    m.stack.append(UNKNOWN)


def _put_arg(m: _Machine, arg: Any) -> None:  # PUT
    m.memo[int(arg)] = m.top()


def _get_arg(m: _Machine, arg: Any) -> None:  # GET
    _get(m, int(arg), m.pos)


_HANDLERS: dict[str, Any] = {
    "PROTO": _op_proto, "FRAME": _op_frame, "READONLY_BUFFER": _op_nothing, "STOP": _op_stop,
    "MARK": _op_mark, "POP": _op_pop, "POP_MARK": _op_pop_mark, "DUP": _op_dup,
    "NONE": _constant(None), "NEWTRUE": _constant(True), "NEWFALSE": _constant(False),
    "EMPTY_LIST": _op_empty_list, "EMPTY_DICT": _op_empty_dict,
    "EMPTY_TUPLE": _constant(()), "EMPTY_SET": _op_empty_set, "TUPLE": _op_tuple,
    "TUPLE1": _op_tuple1, "TUPLE2": _op_tuple2, "TUPLE3": _op_tuple3, "LIST": _op_list,
    "DICT": _op_dict, "FROZENSET": _op_frozenset, "APPEND": _op_append,
    "APPENDS": _op_appends, "SETITEM": _op_setitem, "SETITEMS": _op_setitems,
    "ADDITEMS": _op_additems, "GLOBAL": _op_global, "STACK_GLOBAL": _op_stack_global,
    "INST": _op_inst, "OBJ": _op_obj, "REDUCE": _op_reduce, "NEWOBJ": _op_reduce,
    "NEWOBJ_EX": _op_newobj_ex, "BUILD": _op_build, "BINPUT": _op_binput,
    "LONG_BINPUT": _op_long_binput, "MEMOIZE": _op_memoize, "BINGET": _op_binget,
    "LONG_BINGET": _op_long_binget, "NEXT_BUFFER": _op_unknown, "BINPERSID": _op_binpersid,
    "BININT": _op_binint, "BININT1": _op_binint1, "BININT2": _op_binint2,
    "BINFLOAT": _op_binfloat, "LONG1": _op_long1, "SHORT_BINUNICODE": _unicode(1),
    "BINUNICODE": _unicode(4), "SHORT_BINBYTES": _op_short_binbytes, "BINBYTES": _binbytes(4),
}
# opcodes left to pickletools' readers: what is done with the operand
_ACTIONS: dict[str, Any] = {
    "INT": _push_arg, "LONG": _push_arg, "LONG4": _push_arg, "FLOAT": _push_arg,
    "STRING": _push_arg, "BINSTRING": _push_arg, "SHORT_BINSTRING": _push_arg,
    "UNICODE": _push_arg, "BINUNICODE8": _push_arg, "BINBYTES8": _push_bytes_arg,
    "BYTEARRAY8": _push_bytes_arg, "PERSID": _unknown_arg, "PUT": _put_arg, "GET": _get_arg,
    "EXT1": _ext("EXT1"), "EXT2": _ext("EXT2"), "EXT4": _ext("EXT4"),
}


def _unsupported(name: str) -> Any:
    def handler(m: _Machine, pos: int) -> int:
        raise ValueError(f"unsupported opcode {name}")
    return handler


def build_table() -> list[Any]:
    """Handler by opcode byte; None for bytes that are no opcode.

    Built on the first scan (pickletools and pickle cost ~2 ms to import; most packages hold
    no pickle)."""
    global _TABLE
    if _TABLE:
        return _TABLE
    import pickletools

    table: list[Any] = [None] * 256
    for op in pickletools.opcodes:
        name = op.name
        if name in _HANDLERS:
            handler = _HANDLERS[name]
        elif name in _ACTIONS:
            assert op.arg is not None
            handler = _via_reader(op.arg.reader, _ACTIONS[name])
            if name in _BIG_READS:
                handler = _big(handler, *_BIG_READS[name])
        else:
            handler = _unsupported(name)
        table[ord(op.code)] = handler
    _TABLE = table
    return table


_TABLE: list[Any] = []
