"""FROZEN copy of modelcheck/pickles.py as it was before the index-based opcode loop (commit
882a9e0): the oracle of tests/test_scan_speed_equivalence.py. Do not edit or "fix" it: the
fast scanner must report exactly what this one reports, on every input.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

from modelcheck.records import FACTORY, FrozenRecord, Record

if TYPE_CHECKING:
    import zipfile

MAX_OPCODES = 5_000_000
MAX_STACK = 1_000_000
MAX_NESTING = 4
MAX_ZIP_MEMBER = 256 * 1024 * 1024
MAX_DECOMPRESSED = 512 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"


class _Mark:
    __repr__ = lambda self: "MARK"  # noqa: E731


MARK = _Mark()


class Unknown:
    """A value the scanner cannot know statically (result of a call, persistent id...)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "?"


UNKNOWN = Unknown()


class GlobalRef(FrozenRecord):
    """A global (``module.name``) a pickle imports."""

    _fields = ("module", "name", "opcode", "where")

    def __init__(self, module: str, name: str, opcode: str, where: str = "") -> None:
        init = object.__setattr__
        init(self, "module", module)
        init(self, "name", name)
        init(self, "opcode", opcode)
        init(self, "where", where)  # "" for the top-level pickle, else the nested location

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


class Obj(Record):
    """Result of calling ``func`` (a GlobalRef or unknown) with ``args``."""

    _fields = ("func", "args", "state")

    def __init__(self, func: Any, args: Any = None, state: Any = None) -> None:
        self.func = func
        self.args = args
        self.state = state


class Call(Record):
    """A call of a global with its (symbolic) arguments."""

    _fields = ("ref", "args")

    def __init__(self, ref: GlobalRef, args: tuple) -> None:
        self.ref = ref
        self.args = args


class PickleScan(Record):
    """Everything a static scan found in a pickle (and its nested pickles)."""

    _fields = ("globals", "calls", "qualnames", "dynamic", "problems", "limits", "protocols",
               "pickles", "is_pickle")

    def __init__(self, globals: list[GlobalRef] = FACTORY, calls: list[Call] = FACTORY,
                 qualnames: list[str] = FACTORY, dynamic: list[str] = FACTORY,
                 problems: list[str] = FACTORY, limits: list[str] = FACTORY,
                 protocols: set[int] = FACTORY, pickles: int = 0, is_pickle: bool = False) -> None:
        self.globals = [] if globals is FACTORY else globals
        self.calls = [] if calls is FACTORY else calls
        self.qualnames = [] if qualnames is FACTORY else qualnames  # serialized functions/classes
        self.dynamic = [] if dynamic is FACTORY else dynamic  # STACK_GLOBAL operands not constant
        self.problems = [] if problems is FACTORY else problems  # corrupt / truncated
        self.limits = [] if limits is FACTORY else limits  # not fully scanned (caps, time)
        self.protocols = set() if protocols is FACTORY else protocols
        self.pickles = pickles
        self.is_pickle = is_pickle
        self._seen: set[GlobalRef] = set()  # not a field

    def add_global(self, ref: GlobalRef) -> None:
        if ref not in self._seen:
            self._seen.add(ref)
            self.globals.append(ref)


class _Stop(Exception):
    pass


def looks_like_pickle(head: bytes) -> bool:
    """Protocol 2+ pickles start with PROTO; 0/1 are sniffed by a plausible first opcode."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    return head[:1] in (b"c", b"(", b"]", b"}", b"i") and b"\n" in head[:256] and (
        head[:1] != b"c" or head.split(b"\n", 1)[0].replace(b".", b"").replace(b"_", b"")
        .isalnum())


def _decompress(data: bytes) -> tuple[bytes | None, str]:
    """joblib compressed formats (zlib, gzip, bz2, xz/lzma), capped."""
    import bz2
    import lzma
    import zlib

    try:
        if data[:2] == b"\x1f\x8b":
            d: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif data[:1] == b"\x78" and data[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
            d = zlib.decompressobj()
        elif data[:3] == b"BZh":
            d = bz2.BZ2Decompressor()
        elif data[:6] == b"\xfd7zXZ\x00" or data[:3] == b"\x5d\x00\x00":
            d = lzma.LZMADecompressor()
        else:
            return None, ""
        out = d.decompress(data, MAX_DECOMPRESSED)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        return None, f"compressed data is corrupt ({exc})"
    if len(out) >= MAX_DECOMPRESSED:
        return None, f"decompressed data exceeds {MAX_DECOMPRESSED} bytes: not scanned"
    return out, ""


def scan_bytes(data: bytes, *, deadline: float | None = None, where: str = "") -> PickleScan:
    """Scan a file's bytes: a pickle, a compressed joblib pickle, or a zip of pickles."""
    scan = PickleScan()
    _scan_any(data, scan, where, 0, deadline)
    return scan


def _scan_any(data: bytes, scan: PickleScan, where: str, depth: int,
              deadline: float | None) -> None:
    if depth > MAX_NESTING:
        scan.limits.append(f"{where or 'pickle'}: nesting deeper than {MAX_NESTING} levels "
                           "not scanned")
        return
    if data[:4] == ZIP_MAGIC:
        _scan_zip(data, scan, where, depth, deadline)
        return
    raw, problem = _decompress(data)
    if problem:
        scan.problems.append(f"{where + ': ' if where else ''}{problem}")
        return
    if raw is not None:
        data = raw
    if not data:
        scan.problems.append(f"{where + ': ' if where else ''}empty file (0 bytes)")
        return
    _Machine(data, scan, where, depth, deadline).run()


def _scan_zip(data: bytes, scan: PickleScan, where: str, depth: int,
              deadline: float | None) -> None:
    import zipfile  # only zip checkpoints need it

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        scan.problems.append(f"{where + ': ' if where else ''}corrupt zip archive ({exc})")
        return
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        name = f"{where}!{info.filename}" if where else info.filename
        if info.filename.endswith((".pkl", ".pickle")) or _member_is_pickle(zf, info):
            if info.file_size > MAX_ZIP_MEMBER or total + info.file_size > MAX_DECOMPRESSED:
                scan.limits.append(f"{name}: {info.file_size} bytes, over the member cap: "
                                   "not scanned")
                continue
            total += info.file_size
            try:
                member = zf.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError,
                    NotImplementedError, RuntimeError) as exc:
                scan.problems.append(f"{name}: cannot be read from the zip ({exc})")
                continue
            _scan_any(member, scan, name, depth + 1, deadline)


def _member_is_pickle(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    import zipfile

    try:
        with zf.open(info) as fh:
            head = fh.read(2)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
            RuntimeError):
        return False
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


# -------------------------------------------------------------------------------------------
NESTED_LOADERS = {("torch.storage", "_load_from_bytes"), ("pickle", "loads"),
                  ("_pickle", "loads"), ("dill", "loads"), ("dill._dill", "loads"),
                  ("cloudpickle", "loads"), ("joblib", "load")}
CODE_REBUILDERS = {"_make_function", "_make_skel_func", "_make_skeleton_class",
                   "_make_skeleton_enum", "_create_function", "_create_code", "_create_type",
                   "_load_type", "_builtin_type", "_fill_function", "_function_setstate",
                   "_class_setstate", "_rehydrate_skeleton_class"}


class _Machine:
    def __init__(self, data: bytes, scan: PickleScan, where: str, depth: int,
                 deadline: float | None) -> None:
        self.data = data
        self.scan = scan
        self.where = where
        self.depth = depth
        self.deadline = deadline
        self.f = io.BytesIO(data)
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.proto = 0
        self.count = 0

    def label(self) -> str:
        return self.where or "pickle"

    def run(self) -> None:
        first = True
        while True:
            start = self.f.tell()
            if start >= len(self.data):
                return
            if not first and not looks_like_pickle(self.data[start:start + 256]):
                return  # trailing non-pickle data is ignored by pickle.load
            self.stack, self.marks, self.memo, self.proto = [], [], {}, 0
            try:
                self._one()
            except _Stop:
                self.scan.pickles += 1
                self.scan.is_pickle = True
                first = False
                continue
            except _Limit as exc:
                self.scan.limits.append(f"{self.label()}: {exc}")
                return
            except (ValueError, EOFError, IndexError, KeyError, TypeError, OverflowError,
                    UnicodeDecodeError, MemoryError) as exc:
                if first:
                    at = self.f.tell()
                    why = ("truncated: the data ends before the pickle's STOP opcode"
                           if at >= len(self.data) else _short(exc))
                    self.scan.problems.append(
                        f"{self.label()}: not a valid pickle at byte {at}: {why}")
                # a broken pickle after a complete one is data a loader never reads as pickle
                return

    def _one(self) -> None:
        f = self.f
        read = f.read
        table = _TABLE or _build_table()
        st = self.stack
        deadline = self.deadline
        # the opcode count lives in a local (written back on the way out, _Stop included):
        # an attribute update per opcode was a tenth of the loop
        count, limit = self.count, MAX_OPCODES
        try:
            while True:
                c = read(1)
                if not c:
                    raise EOFError("truncated: no STOP opcode")
                entry = table[c[0]]
                if entry is None:
                    raise ValueError(f"unknown opcode {c!r}")
                count += 1
                if count > limit:
                    raise _Limit(f"more than {limit} opcodes: rest not scanned")
                if count & 4095 == 0 and deadline is not None and time.monotonic() > deadline:
                    raise _Limit("time budget exhausted: rest not scanned")
                kind, reader, handler = entry
                if kind == _PUSH:
                    st.append(reader(f))
                    if len(st) > MAX_STACK:
                        raise _Limit("stack grows past the cap: rest not scanned")
                elif kind == _CALL:
                    self.count = count
                    handler(self, reader(f) if reader is not None else None)
                    if len(st) > MAX_STACK:
                        raise _Limit("stack grows past the cap: rest not scanned")
                elif kind == _PUSH_BYTES:
                    arg = reader(f)
                    st.append(arg)
                    self._bytes(arg)
                    if len(st) > MAX_STACK:
                        raise _Limit("stack grows past the cap: rest not scanned")
                else:  # GLOBAL, INST: two text lines
                    self.count = count
                    handler(self, (self._line(), self._line()))
        finally:
            self.count = count

    def _line(self) -> str:
        raw = self.f.readline()
        if not raw.endswith(b"\n"):
            raise EOFError("truncated GLOBAL/INST operand")
        return raw[:-1].decode("utf-8")

    # -- stack helpers ----------------------------------------------------------------------
    def pop(self) -> Any:
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            raise IndexError("stack underflow")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise IndexError("no MARK on the stack")
        at = self.marks.pop()
        items = self.stack[at:]
        del self.stack[at:]
        return items

    def top(self) -> Any:
        if not self.stack:
            raise IndexError("stack underflow")
        return self.stack[-1]

    def _global(self, module: Any, name: Any, opcode: str) -> Any:
        if not isinstance(module, str) or not isinstance(name, str):
            desc = f"{_desc(module)}.{_desc(name)}"
            self.scan.dynamic.append(f"{self.label()}: {opcode} with computed operands {desc}")
            return UNKNOWN
        module, name = _compat(module, name, self.proto)
        ref = GlobalRef(module, name, opcode, self.where)
        self.scan.add_global(ref)
        return ref

    def _call(self, func: Any, args: Any) -> Any:
        if isinstance(func, GlobalRef):
            targs = tuple(args) if isinstance(args, (tuple, list)) else (args,)
            self.scan.calls.append(Call(func, targs))
            if (func.module, func.name) in NESTED_LOADERS or func.name == "_load_from_bytes":
                for a in targs:
                    if isinstance(a, (bytes, bytearray)) and not _nested_magic(a):
                        _scan_any(bytes(a), self.scan, f"{self.label()}@{func.qualname}",
                                  self.depth + 1, self.deadline)
            if func.name in ("_make_skeleton_class", "_make_skeleton_enum") and len(targs) > 1 \
                    and isinstance(targs[1], str):
                self.scan.qualnames.append(targs[1])
        return Obj(func, args)

    def _bytes(self, value: bytes) -> None:
        if _nested_magic(value):
            _scan_any(value, self.scan, f"{self.label()}#bytes@{self.f.tell() - len(value)}",
                      self.depth + 1, self.deadline)

    def _setitems(self, target: Any, items: list[Any]) -> None:
        if len(items) % 2:
            raise IndexError("odd number of items for SETITEMS")
        if isinstance(target, dict):
            _pairs(target, items)
        for k, v in zip(items[::2], items[1::2], strict=True):
            if k == "__qualname__" and isinstance(v, str):
                self.scan.qualnames.append(v)

    def _build(self, obj: Any, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict):
            q = state[0].get("__qualname__")
            if isinstance(q, str):
                self.scan.qualnames.append(q)
        if isinstance(obj, Obj):
            obj.state = state
            func = obj.func
            if isinstance(func, GlobalRef) and func.name == "NumpyArrayWrapper" \
                    and func.module.startswith("joblib"):
                self._skip_joblib_array(state)

    def _skip_joblib_array(self, state: Any) -> None:
        """joblib writes raw array bytes (or a nested pickle) right after the wrapper BUILD."""
        if not isinstance(state, dict):
            raise _Limit("joblib array wrapper with unknown layout: rest not scanned")
        dtype = state.get("dtype")
        shape = state.get("shape")
        code = dtype.args[0] if isinstance(dtype, Obj) and isinstance(dtype.args, tuple) \
            and dtype.args and isinstance(dtype.args[0], str) else None
        if code is None or not isinstance(shape, tuple):
            raise _Limit("joblib array wrapper with unknown dtype: rest not scanned")
        if code.lstrip("<>|=")[:1] == "O":
            # object arrays are a complete pickle of their own, read by pickle.load
            sub = _Machine(self.data, self.scan, f"{self.label()}#joblib-array",
                           self.depth + 1, self.deadline)
            sub.f.seek(self.f.tell())
            sub.count = self.count
            try:
                sub._one()
            except _Stop:
                self.f.seek(sub.f.tell())
                return
            raise ValueError("joblib object array is not a complete pickle")
        itemsize = _itemsize(code)
        n = 1
        for dim in shape:
            if not isinstance(dim, int) or dim < 0:
                raise _Limit("joblib array with unknown shape: rest not scanned")
            n *= dim
        if "numpy_array_alignment_bytes" in state:
            pad = self.f.read(1)
            if not pad:
                raise EOFError("truncated joblib array padding")
            self.f.read(pad[0])
        pos = self.f.tell() + n * itemsize
        if pos > len(self.data):
            raise EOFError("truncated joblib array data")
        self.f.seek(pos)


# -- opcodes: one handler per opcode, dispatched by the opcode byte -----------------------------
def _op_proto(m: _Machine, arg: Any) -> None:
    m.proto = arg
    m.scan.protocols.add(arg)


def _op_nothing(m: _Machine, arg: Any) -> None:  # FRAME, READONLY_BUFFER
    pass


def _op_stop(m: _Machine, arg: Any) -> None:
    raise _Stop


def _op_mark(m: _Machine, arg: Any) -> None:
    m.marks.append(len(m.stack))


def _op_pop(m: _Machine, arg: Any) -> None:
    if m.marks and len(m.stack) == m.marks[-1]:
        m.marks.pop()  # POP of a MARK
    else:
        m.pop()


def _op_pop_mark(m: _Machine, arg: Any) -> None:
    m.pop_mark()


def _op_dup(m: _Machine, arg: Any) -> None:
    m.stack.append(m.top())


def _op_none(m: _Machine, arg: Any) -> None:
    m.stack.append(None)


def _op_true(m: _Machine, arg: Any) -> None:
    m.stack.append(True)


def _op_false(m: _Machine, arg: Any) -> None:
    m.stack.append(False)


def _op_empty_list(m: _Machine, arg: Any) -> None:
    m.stack.append([])


def _op_empty_dict(m: _Machine, arg: Any) -> None:
    m.stack.append({})


def _op_empty_tuple(m: _Machine, arg: Any) -> None:
    m.stack.append(())


def _op_empty_set(m: _Machine, arg: Any) -> None:
    m.stack.append(_Set())


def _op_tuple(m: _Machine, arg: Any) -> None:
    m.stack.append(tuple(m.pop_mark()))


def _op_tuple1(m: _Machine, arg: Any) -> None:
    m.stack.append((m.pop(),))


def _op_tuple2(m: _Machine, arg: Any) -> None:
    b = m.pop()
    a = m.pop()
    m.stack.append((a, b))


def _op_tuple3(m: _Machine, arg: Any) -> None:
    c = m.pop()
    b = m.pop()
    a = m.pop()
    m.stack.append((a, b, c))


def _op_list(m: _Machine, arg: Any) -> None:
    m.stack.append(list(m.pop_mark()))


def _op_dict(m: _Machine, arg: Any) -> None:
    items = m.pop_mark()
    m.stack.append(_pairs({}, items))


def _op_frozenset(m: _Machine, arg: Any) -> None:
    m.stack.append(_Set(m.pop_mark()))


def _op_append(m: _Machine, arg: Any) -> None:
    v = m.pop()
    _append(m.top(), [v])


def _op_appends(m: _Machine, arg: Any) -> None:
    items = m.pop_mark()
    _append(m.top(), items)


def _op_setitem(m: _Machine, arg: Any) -> None:
    v = m.pop()
    k = m.pop()
    m._setitems(m.top(), [k, v])


def _op_setitems(m: _Machine, arg: Any) -> None:
    items = m.pop_mark()
    m._setitems(m.top(), items)


def _op_additems(m: _Machine, arg: Any) -> None:
    items = m.pop_mark()
    if isinstance(m.top(), _Set):
        m.top().items.extend(items)


def _op_global(m: _Machine, arg: Any) -> None:
    m.stack.append(m._global(arg[0], arg[1], "GLOBAL"))


def _op_stack_global(m: _Machine, arg: Any) -> None:
    nm = m.pop()
    mod = m.pop()
    m.stack.append(m._global(mod, nm, "STACK_GLOBAL"))


def _op_inst(m: _Machine, arg: Any) -> None:
    args = m.pop_mark()
    ref = m._global(arg[0], arg[1], "INST")
    m.stack.append(m._call(ref, tuple(args)))


def _op_obj(m: _Machine, arg: Any) -> None:
    items = m.pop_mark()
    if not items:
        raise IndexError("OBJ without a class")
    m.stack.append(m._call(items[0], tuple(items[1:])))


def _op_reduce(m: _Machine, arg: Any) -> None:  # REDUCE, NEWOBJ
    args = m.pop()
    func = m.pop()
    m.stack.append(m._call(func, args))


def _op_newobj_ex(m: _Machine, arg: Any) -> None:
    m.pop()
    args = m.pop()
    cls = m.pop()
    m.stack.append(m._call(cls, args))


def _op_build(m: _Machine, arg: Any) -> None:
    state = m.pop()
    obj = m.top()
    m._build(obj, state)


def _op_put(m: _Machine, arg: Any) -> None:
    m.memo[int(arg)] = m.top()


def _op_memoize(m: _Machine, arg: Any) -> None:
    m.memo[len(m.memo)] = m.top()


def _op_get(m: _Machine, arg: Any) -> None:
    key = int(arg)
    if key not in m.memo:
        raise KeyError(f"memo key {key} read before it was written")
    m.stack.append(m.memo[key])


def _op_unknown(m: _Machine, arg: Any) -> None:  # PERSID, NEXT_BUFFER
    m.stack.append(UNKNOWN)


def _op_binpersid(m: _Machine, arg: Any) -> None:
    m.pop()
    m.stack.append(UNKNOWN)


def _op_ext(name: str) -> Any:
    def handler(m: _Machine, arg: Any) -> None:
        m.scan.dynamic.append(f"{m.label()}: {name} extension code {arg}")
        m.stack.append(UNKNOWN)
    return handler


_STR_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE",
            "SHORT_BINUNICODE", "BINUNICODE8"}
_BYTES_OPS = {"BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"}
_CONST_OPS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT",
              "BINFLOAT"}
_HANDLERS: dict[str, Any] = {
    "PROTO": _op_proto, "FRAME": _op_nothing, "READONLY_BUFFER": _op_nothing, "STOP": _op_stop,
    "MARK": _op_mark, "POP": _op_pop, "POP_MARK": _op_pop_mark, "DUP": _op_dup,
    "NONE": _op_none, "NEWTRUE": _op_true, "NEWFALSE": _op_false,
    "EMPTY_LIST": _op_empty_list, "EMPTY_DICT": _op_empty_dict,
    "EMPTY_TUPLE": _op_empty_tuple, "EMPTY_SET": _op_empty_set, "TUPLE": _op_tuple,
    "TUPLE1": _op_tuple1, "TUPLE2": _op_tuple2, "TUPLE3": _op_tuple3, "LIST": _op_list,
    "DICT": _op_dict, "FROZENSET": _op_frozenset, "APPEND": _op_append,
    "APPENDS": _op_appends, "SETITEM": _op_setitem, "SETITEMS": _op_setitems,
    "ADDITEMS": _op_additems, "GLOBAL": _op_global, "STACK_GLOBAL": _op_stack_global,
    "INST": _op_inst, "OBJ": _op_obj, "REDUCE": _op_reduce, "NEWOBJ": _op_reduce,
    "NEWOBJ_EX": _op_newobj_ex, "BUILD": _op_build, "PUT": _op_put, "BINPUT": _op_put,
    "LONG_BINPUT": _op_put, "MEMOIZE": _op_memoize, "GET": _op_get, "BINGET": _op_get,
    "LONG_BINGET": _op_get, "PERSID": _op_unknown, "NEXT_BUFFER": _op_unknown,
    "BINPERSID": _op_binpersid, "EXT1": _op_ext("EXT1"), "EXT2": _op_ext("EXT2"),
    "EXT4": _op_ext("EXT4"),
}
_PUSH, _PUSH_BYTES, _CALL, _LINES = 0, 1, 2, 3


def _unsupported(name: str) -> Any:
    def handler(m: _Machine, arg: Any) -> None:
        raise ValueError(f"unsupported opcode {name}")
    return handler


def _build_table() -> list[tuple[int, Any, Any] | None]:
    """(kind, operand reader, handler) by opcode byte; None for bytes that are no opcode.

    Built on the first scan (pickletools and pickle cost ~2 ms to import; most packages hold
    no pickle)."""
    global _TABLE
    import pickletools

    table: list[tuple[int, Any, Any] | None] = [None] * 256
    for op in pickletools.opcodes:
        reader = op.arg.reader if op.arg is not None else None
        name = op.name
        if name in _STR_OPS or name in _CONST_OPS:
            entry = (_PUSH, reader, None)
        elif name in _BYTES_OPS:
            entry = (_PUSH_BYTES, reader, None)
        elif name in ("GLOBAL", "INST"):
            entry = (_LINES, None, _HANDLERS[name])
        else:
            entry = (_CALL, reader, _HANDLERS.get(name) or _unsupported(name))
        table[ord(op.code)] = entry
    _TABLE = table
    return table


_TABLE: list[tuple[int, Any, Any] | None] = []



def _nested_magic(value: bytes | bytearray) -> bool:
    """Bytes that are scanned as a nested pickle or zip wherever they appear."""
    return len(value) >= 8 and (value[:4] == ZIP_MAGIC or (value[0] == 0x80
                                                            and 2 <= value[1] <= 5))


class _Limit(Exception):
    pass


class _Set:
    def __init__(self, items: list[Any] | None = None) -> None:
        self.items = list(items or [])


def _itemsize(code: str) -> int:
    body = code.lstrip("<>|=")
    kind, digits = body[:1], body[1:]
    if kind in "?bB" and not digits:
        return 1
    if not digits.isdigit():
        raise _Limit(f"joblib array dtype {code!r} not understood: rest not scanned")
    size = int(digits)
    return size * 4 if kind == "U" else size


def _append(target: Any, items: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(items)


def _pairs(target: dict, items: list[Any]) -> dict:
    for k, v in zip(items[::2], items[1::2], strict=False):
        try:
            target[k] = v
        except TypeError:
            pass  # unhashable symbolic key
    return target


def _compat(module: str, name: str, proto: int) -> tuple[str, str]:
    """Python 2 names mapped the way ``Unpickler(fix_imports=True)`` maps them."""
    if proto < 3:
        import _compat_pickle

        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        if module in _compat_pickle.IMPORT_MAPPING:
            return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


def _desc(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, Obj) and isinstance(v.func, GlobalRef):
        return f"<result of {v.func.qualname}>"
    return f"<{type(v).__name__}>"


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."
