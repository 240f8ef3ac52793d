"""Static pickle scanner: walks opcodes over bytes, never unpickles.

``scan_bytes(data)`` runs a small symbolic stack machine over the opcode stream (the opcode
table comes from :mod:`pickletools`, which only parses) and returns every global the pickle
would import (``GLOBAL``, ``STACK_GLOBAL`` with names built from strings or the memo, ``INST``,
``OBJ``), every call made on a global with constant arguments (``REDUCE``, ``NEWOBJ``...), the
qualified names of serialized functions/classes (cloudpickle, dill), and any structural problem
(truncation, unknown opcode, stack misuse). Nested pickles (bytes that hold a pickle or a zip,
pickles concatenated after ``STOP``, joblib inline arrays, compressed joblib files and zip
checkpoints such as PyTorch's ``archive/data.pkl``) are scanned recursively, within limits.

Bytes that only *look* like a pickle (a raw numpy scalar that starts with ``\x80\x02``, a
tensor zip member) are scanned speculatively: when they do not parse as a complete pickle they
are plain bytes, not a corrupt pickle, unless the outer pickle hands them to a loader
(``pickle.loads``, ``torch.storage._load_from_bytes``...), where their corruption matters. What
such a parse found before it failed (globals, calls) is kept: a loader runs those opcodes.

The data can be ``bytes`` or a read-only ``mmap`` of the file (a ``memoryview`` or
``bytearray`` is taken as the buffer it views, or copied): opcodes are read at an index, and
operands over ``ops.BIG_OPERAND`` bytes stay in the buffer as :class:`Blob` offsets, so a
memory-mapped file of any size is scanned with bounded memory and the same results as its
bytes.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

from modelcheck.formats.pickle.values import (
    UNKNOWN,
    Blob,
    Call,
    GlobalRef,
    Obj,
    _pairs,
    _Stop,
)
from modelcheck.records import FACTORY, Record

if TYPE_CHECKING:
    import zipfile

MAX_OPCODES = 5_000_000
MAX_STACK = 1_000_000
MAX_NESTING = 4
MAX_ZIP_MEMBER = 256 * 1024 * 1024
MAX_DECOMPRESSED = 512 * 1024 * 1024
# how much of a too-large candidate (zip member, operand) is parsed to tell a pickle from data
SNIFF_PREFIX = 1024 * 1024
LZ4_MAGIC = b"\x04\x22\x4d\x18"
ZIP_MAGIC = b"PK\x03\x04"
# file names that hold pickles (a package's other files are sniffed for a pickle header)
PICKLE_EXTS = (".pkl", ".pickle", ".joblib", ".jbl", ".pt", ".pth", ".ckpt", ".dill",
               ".cloudpickle", ".sav", ".pck", ".pcl", ".p", ".statsmodels", ".pkl.gz",
               ".pkl.bz2", ".pkl.xz", ".pkl.lzma", ".joblib.gz", ".joblib.z", ".joblib.xz",
               ".joblib.bz2", ".bin")


class PickleScan(Record):
    """Everything a static scan found in a pickle (and its nested pickles)."""

    _fields = ("globals", "calls", "qualnames", "dynamic", "problems", "limits", "protocols",
               "pickles", "is_pickle", "called")

    def __init__(self, globals: list[GlobalRef] = FACTORY, calls: list[Call] = FACTORY,
                 qualnames: list[str] = FACTORY, dynamic: list[str] = FACTORY,
                 problems: list[str] = FACTORY, limits: list[str] = FACTORY,
                 protocols: set[int] = FACTORY, pickles: int = 0, is_pickle: bool = False,
                 called: list[Obj] = FACTORY) -> None:
        self.globals = [] if globals is FACTORY else globals
        self.calls = [] if calls is FACTORY else calls
        self.qualnames = [] if qualnames is FACTORY else qualnames  # serialized functions/classes
        self.dynamic = [] if dynamic is FACTORY else dynamic  # STACK_GLOBAL operands not constant
        self.problems = [] if problems is FACTORY else problems  # corrupt / truncated
        self.limits = [] if limits is FACTORY else limits  # not fully scanned (caps, time)
        self.protocols = set() if protocols is FACTORY else protocols
        self.pickles = pickles
        self.is_pickle = is_pickle
        # results of calls that are themselves called (``getattr(x, "m")(...)``)
        self.called = [] if called is FACTORY else called
        # not a field: each distinct global by (module, name, opcode, where), GlobalRef's
        # equality; a tuple of strings hashes far faster than a record
        self._refs: dict[tuple[str, str, str, str], GlobalRef] = {}

    def add_global(self, ref: GlobalRef) -> None:
        key = (ref.module, ref.name, ref.opcode, ref.where)
        if key not in self._refs:
            self._refs[key] = ref
            self.globals.append(ref)

    def ref(self, module: str, name: str, opcode: str, where: str) -> GlobalRef:
        """The global, added on first sight. Equal refs share one (frozen) object."""
        ref = self._refs.get((module, name, opcode, where))
        if ref is None:
            ref = GlobalRef(module, name, opcode, where)
            self._refs[(module, name, opcode, where)] = ref
            self.globals.append(ref)
        return ref

    def merge(self, other: PickleScan) -> None:
        """Add a nested scan's findings. A scan that failed (``problems``) was of bytes that
        only looked like a pickle: its problems, protocols and pickle count are dropped, what
        it met before failing is kept."""
        for ref in other.globals:
            self.add_global(ref)
        self.calls += other.calls
        self.qualnames += other.qualnames
        self.dynamic += other.dynamic
        self.limits += other.limits
        self.called += other.called
        if not other.problems:
            self.protocols |= other.protocols
            self.pickles += other.pickles
            self.is_pickle = self.is_pickle or other.is_pickle


_new = object.__new__


def looks_like_pickle(head: bytes) -> bool:
    """Protocol 2+ pickles start with PROTO; 0/1 are sniffed by a plausible first opcode."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    return head[:1] in (b"c", b"(", b"]", b"}", b"i") and b"\n" in head[:256] and (
        head[:1] != b"c" or head.split(b"\n", 1)[0].replace(b".", b"").replace(b"_", b"")
        .isalnum())


def _buffer(data: Any) -> Any:
    """What the machine reads: ``bytes`` or an ``mmap`` as they are; a ``memoryview`` of
    either (whole) as the object it views; anything else (bytearray, a partial view) copied
    to ``bytes``."""
    if type(data) is bytes:
        return data
    if isinstance(data, memoryview):
        obj = data.obj
        if data.contiguous and data.nbytes == len(obj) and (
                type(obj) is bytes or _is_map(obj)):
            return obj
        return data.tobytes()
    if _is_map(data):
        return data
    return bytes(data)


def _is_map(data: Any) -> bool:
    return type(data).__name__ == "mmap" and type(data).__module__ == "mmap"


class MapFile(io.RawIOBase):
    """A read-only file over an mmap (what ``zipfile`` needs: mmap has no ``seekable`` before
    Python 3.13), reading in place: a zip member is read, not the whole archive."""

    def __init__(self, data: Any) -> None:
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._data))[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def readinto(self, b: Any) -> int:
        chunk = self._data[self._pos:self._pos + len(b)]
        b[:len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def read(self, n: int = -1) -> bytes:
        stop = len(self._data) if n is None or n < 0 else self._pos + n
        chunk = self._data[self._pos:stop]
        self._pos += len(chunk)
        return chunk


# the first byte of each compressed format ``_decompress`` recognises
_PACKED_FIRST = frozenset({b"\x1f", b"\x78", b"B", b"\xfd", b"\x5d", LZ4_MAGIC[:1]})


def _decompress(data: Any) -> tuple[bytes | None, str, str]:
    """joblib compressed formats (zlib, gzip, bz2, xz/lzma), capped: (data, problem, limit)."""
    if data[:1] not in _PACKED_FIRST:
        return None, "", ""  # (what the tests below find for any other first byte)
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
        elif data[:4] == LZ4_MAGIC:
            return None, "", ("lz4-compressed data (joblib compress='lz4'): the standard "
                              "library cannot decompress it, so it was not scanned")
        else:
            return None, "", ""
        out = d.decompress(data, MAX_DECOMPRESSED)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        return None, f"compressed data is corrupt ({exc})", ""
    if len(out) >= MAX_DECOMPRESSED:
        return None, "", f"decompressed data exceeds {MAX_DECOMPRESSED} bytes: not scanned"
    return out, "", ""


def scan_bytes(data: Any, *, deadline: float | None = None, where: str = "") -> PickleScan:
    """Scan a file's bytes: a pickle, a compressed joblib pickle, or a zip of pickles.

    ``data`` is ``bytes`` or a read-only ``mmap`` (or a memoryview of one): the results are the
    same; an mmap is read in place."""
    scan = PickleScan()
    _scan_any(_buffer(data), scan, where, 0, deadline)
    return scan


def _speculate(data: Any, scan: PickleScan, where: str, depth: int,
               deadline: float | None) -> list[str]:
    """Scan bytes that only look like a pickle or a zip; merge what was found and return the
    problems (bytes that do not parse are data, not a corrupt pickle, wherever nothing
    loads them)."""
    sub = PickleScan()
    _scan_any(data, sub, where, depth, deadline)
    scan.merge(sub)
    return sub.problems


def _speculate_prefix(head: bytes, scan: PickleScan, where: str, size: int, depth: int,
                      deadline: float | None) -> None:
    """A candidate too large to copy: its first bytes are parsed. When they fail as a pickle
    before their end, the candidate is data; otherwise (a pickle, or one that runs on) it was
    not scanned whole, which is a limit."""
    sub = PickleScan()
    if head[:4] != ZIP_MAGIC:
        _scan_any(head, sub, where, depth, deadline)
        if sub.problems and not any("truncated" in p for p in sub.problems):
            scan.merge(sub)
            return
    scan.merge(sub)
    scan.limits.append(f"{where}: {size} bytes that hold a pickle or zip, over the "
                       f"{MAX_ZIP_MEMBER}-byte nested-data cap: not scanned")


def _speculate_blob(blob: Blob, scan: PickleScan, where: str, depth: int,
                    deadline: float | None) -> list[str]:
    """``_speculate`` for a large operand left in the buffer: its first SNIFF_PREFIX bytes
    are parsed first, and when they fail as a pickle before their end it is data (nothing
    copied: a large array's bytes that start with ``\x80\x02`` stay on disk); otherwise it
    is copied, within the nested-data cap, and scanned whole."""
    head = blob.head(SNIFF_PREFIX)
    if head[:4] != ZIP_MAGIC and len(head) < len(blob):
        sub = PickleScan()
        _scan_any(head, sub, where, depth, deadline)
        if sub.problems and not any("truncated" in p for p in sub.problems):
            scan.merge(sub)
            return sub.problems
    if len(blob) > MAX_ZIP_MEMBER:
        _speculate_prefix(head, scan, where, len(blob), depth, deadline)
        return []
    return _speculate(blob.read(), scan, where, depth, deadline)


def _scan_any(data: Any, scan: PickleScan, where: str, depth: int,
              deadline: float | None) -> None:
    if depth > MAX_NESTING:
        scan.limits.append(f"{where or 'pickle'}: nesting deeper than {MAX_NESTING} levels "
                           "not scanned")
        return
    if data[:4] == ZIP_MAGIC:
        _scan_zip(data, scan, where, depth, deadline)
        return
    raw, problem, limit = _decompress(data)
    if problem:
        scan.problems.append(f"{where + ': ' if where else ''}{problem}")
        return
    if limit:
        scan.limits.append(f"{where or 'pickle'}: {limit}")
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
        zf = zipfile.ZipFile(io.BytesIO(data) if type(data) is bytes else MapFile(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        scan.problems.append(f"{where + ': ' if where else ''}corrupt zip archive ({exc})")
        return
    total = 0
    for info in infos:
        if info.filename.endswith("/"):  # ZipInfo.is_dir() raises on an empty name
            continue
        name = f"{where}!{info.filename}" if where else info.filename
        named = info.filename.endswith((".pkl", ".pickle"))
        if named or _member_is_pickle(zf, info):
            over = info.file_size > MAX_ZIP_MEMBER or total + info.file_size > MAX_DECOMPRESSED
            if over and named:
                scan.limits.append(f"{name}: {info.file_size} bytes, over the member cap: "
                                   "not scanned")
                continue
            try:
                if over:  # a member that only starts like a pickle: is it one?
                    with zf.open(info) as fh:
                        head = fh.read(SNIFF_PREFIX)
                    _speculate_prefix(head, scan, name, info.file_size, depth + 1, deadline)
                    continue
                total += info.file_size
                member = zf.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError,
                    NotImplementedError, RuntimeError) as exc:
                scan.problems.append(f"{name}: cannot be read from the zip ({exc})")
                continue
            if named:
                _scan_any(member, scan, name, depth + 1, deadline)
            else:  # a tensor's bytes may start like a pickle: they are data unless they parse
                _speculate(member, scan, name, depth + 1, deadline)


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
# names of the calls _call looks into (the rest only need recording)
_CALLS_LOOKED_AT = frozenset({name for _, name in NESTED_LOADERS}
                             | {"_load_from_bytes", "_make_skeleton_class",
                                "_make_skeleton_enum"})
CODE_REBUILDERS = {"_make_function", "_make_skel_func", "_make_skeleton_class",
                   "_make_skeleton_enum", "_create_function", "_create_code", "_create_type",
                   "_load_type", "_builtin_type", "_fill_function", "_function_setstate",
                   "_class_setstate", "_rehydrate_skeleton_class"}


class _Machine:
    """The symbolic stack machine over one pickle (and the pickles concatenated after it).

    Opcodes are read straight out of ``data`` at an index (``pos``): no file object, no
    per-operand reader call for the opcodes real pickles are made of. ``pos`` always ends up
    where ``io.BytesIO(data)`` driven by :mod:`pickletools`' readers would have been, so the
    byte offsets in problems are unchanged (a short read leaves it at the end of the data).
    The rare and text (protocol 0) opcodes still go through pickletools' readers, over a
    ``BytesIO`` made on demand, for their exact errors.
    """

    __slots__ = ("data", "scan", "where", "depth", "deadline", "pos", "stack", "marks", "memo",
                 "proto", "count", "_file", "_unparsed")

    def __init__(self, data: Any, scan: PickleScan, where: str, depth: int,
                 deadline: float | None) -> None:
        # bytes or an mmap (slices of both are bytes); nested values can be bytearrays
        self.data = data if type(data) is bytes else _buffer(data)
        self.scan = scan
        self.where = where
        self.depth = depth
        self.deadline = deadline
        self.pos = 0  # where the next read starts (what BytesIO.tell() was)
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.proto = 0
        self.count = 0
        self._file: Any = None
        # bytes values that looked like a pickle and did not parse: id -> (value, problems),
        # reported if the pickle hands them to a loader
        self._unparsed: dict[int, tuple[Any, list[str]]] = {}

    def label(self) -> str:
        return self.where or "pickle"

    def file(self, pos: int) -> Any:
        """The data as a file at ``pos``, for pickletools' operand readers (an mmap is one)."""
        f = self._file
        if f is None:
            f = self._file = io.BytesIO(self.data) if type(self.data) is bytes else self.data
        f.seek(pos)
        return f

    def run(self) -> None:
        first = True
        data = self.data
        while True:
            start = self.pos
            if start >= len(data):
                return
            if not first and not looks_like_pickle(data[start:start + 256]):
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
                    at = self.pos
                    why = ("truncated: the data ends before the pickle's STOP opcode"
                           if at >= len(data) else _short(exc))
                    self.scan.problems.append(
                        f"{self.label()}: not a valid pickle at byte {at}: {why}")
                # a broken pickle after a complete one is data a loader never reads as pickle
                return

    def _one(self) -> None:
        """Run opcodes until STOP (raises ``_Stop``), a cap (``_Limit``) or bad data.

        This loop is most of the cost of a package with a pickle, so it is written for speed:
        - the opcodes real pickles are made of (all but ~0.1% of the opcodes of the corpus
          pickles) run inline, each doing exactly what its handler in ``ops`` does (same
          checks, same errors, same positions; tests/test_pickle_inline_ops.py runs both on
          random opcode streams); any other is one call of its handler in ``_TABLE``;
        - they are found by a tree of comparisons on the opcode byte, shaped by how often
          each opcode occurs in real pickles (~4 comparisons per opcode instead of ~6 down a
          list);
        - a MEMOIZE right after the opcode that pushed the value (protocol 4 memoizes every
          string, tuple and call result: a third of all opcodes) is run by that opcode, with
          the same count and position, without going round the loop;
        - the local ``pos`` is always where a file reader would be, so on any exception
          ``self.pos`` becomes it (positions only grow; a handler that read an operand has
          set ``self.pos`` further), and nothing is stored per opcode;
        - the end of the data and the three caps cost one comparison per opcode: every
          opcode takes at least one byte, so no cap can trip before ``fence`` (see
          ``_at_fence``; a fused MEMOIZE is run only when it starts before ``fence``).
        """
        data = self.data
        table = _TABLE or _table()
        u4, i4, u2, f8, big = _READ
        end = len(data)
        st = self.stack
        push = st.append
        pop = st.pop
        memo = self.memo
        marks = self.marks
        call = self._call
        pos = self.pos
        count = start = self.count
        fence = -1
        try:
            while True:
                if pos >= fence:
                    fence = self._at_fence(pos, count, start)
                    if fence < 0:
                        break  # past MAX_STACK opcodes: _careful goes on from here
                code = data[pos]
                pos += 1
                count += 1
                if code < 0x85:
                    if code < 0x68:
                        if code < 0x4E:
                            if code == 0x4B:  # BININT1
                                if pos >= end:
                                    raise ValueError("not enough data in stream to read uint1")
                                push(data[pos])
                                pos += 1
                            elif code == 0x28:  # MARK
                                marks.append(len(st))
                            elif code == 0x43:  # SHORT_BINBYTES
                                stop = pos + 1 + data[pos] if pos < end else pos + 1
                                if stop > end:
                                    pos = end
                                    raise ValueError("truncated bytes1")
                                value = data[pos + 1:stop]
                                push(value)
                                # what _bytes scans (_nested_magic), tested here to spare calls
                                if stop - pos > 8 and ((value[0] == 0x80 and 2 <= value[1] <= 5)
                                                       or value[:4] == ZIP_MAGIC):
                                    self._bytes(value, stop)
                                pos = stop
                                if pos < fence and data[pos] == 0x94:  # MEMOIZE
                                    pos += 1
                                    count += 1
                                    memo[len(memo)] = value
                            elif code == 0x47:  # BINFLOAT
                                if pos + 8 > end:
                                    pos = end
                                    raise ValueError("not enough data in stream")
                                push(f8(data, pos)[0])
                                pos += 8
                            elif code == 0x29:  # EMPTY_TUPLE
                                push(())
                            elif code == 0x4A:  # BININT
                                if pos + 4 > end:
                                    pos = end
                                    raise ValueError("not enough data in stream")
                                push(i4(data, pos)[0])
                                pos += 4
                            elif code == 0x4D:  # BININT2
                                if pos + 2 > end:
                                    pos = end
                                    raise ValueError("not enough data in stream")
                                push(u2(data, pos)[0])
                                pos += 2
                            else:
                                pos = self._table_op(table, code, pos, count)
                        elif code == 0x52:  # REDUCE
                            if len(st) - 2 < (marks[-1] if marks else 0):
                                raise IndexError("stack underflow")
                            value = call(st[-2], st[-1])
                            pop()
                            st[-1] = value
                            if pos < fence and data[pos] == 0x94:  # MEMOIZE
                                pos += 1
                                count += 1
                                memo[len(memo)] = value
                        elif code == 0x4E:  # NONE
                            push(None)
                        elif code == 0x62:  # BUILD
                            if len(st) <= (marks[-1] if marks else 0):
                                raise IndexError("stack underflow")
                            state = pop()
                            if not st:
                                raise IndexError("stack underflow")
                            obj = st[-1]
                            if type(state) is tuple:
                                self._build_state(state)
                            if type(obj) is Obj:
                                obj.state = state if state is not obj else None
                                func = obj.func
                                if type(func) is GlobalRef and func.name == "NumpyArrayWrapper" \
                                        and func.module.startswith("joblib"):
                                    self.pos = pos
                                    self.count = count  # a joblib object array's pickle counts on
                                    self._skip_joblib_array(state)  # self.pos past the bytes
                                    pos = self.pos
                        elif code == 0x5D:  # EMPTY_LIST
                            value = []
                            push(value)
                            if pos < fence and data[pos] == 0x94:  # MEMOIZE
                                pos += 1
                                count += 1
                                memo[len(memo)] = value
                        elif code == 0x65:  # APPENDS
                            if not marks:
                                raise IndexError("no MARK on the stack")
                            at = marks.pop()
                            items = st[at:]
                            del st[at:]
                            if not st:
                                raise IndexError("stack underflow")
                            if isinstance(st[-1], list):
                                st[-1].extend(items)
                        elif code == 0x61:  # APPEND
                            if len(st) - 1 < (marks[-1] if marks else 0):
                                raise IndexError("stack underflow")
                            value = pop()
                            if not st:
                                raise IndexError("stack underflow")
                            if isinstance(st[-1], list):
                                st[-1].append(value)
                        elif code == 0x58:  # BINUNICODE
                            if pos + 4 > end:
                                pos = end
                                raise ValueError("not enough data in stream")
                            start_ = pos + 4
                            stop = start_ + u4(data, pos)[0]
                            if stop > end:
                                pos = end
                                raise ValueError("not enough data in stream")
                            pos = stop
                            if stop - start_ > big:
                                push(Blob(data, start_, stop, "str"))
                            else:
                                push(str(data[start_:stop], "utf-8", "surrogatepass"))
                        else:
                            pos = self._table_op(table, code, pos, count)
                    elif code == 0x68:  # BINGET
                        if pos >= end:
                            raise ValueError("not enough data in stream to read uint1")
                        key = data[pos]
                        pos += 1
                        try:
                            push(memo[key])
                        except KeyError:
                            raise KeyError(f"memo key {key} read before it was written") \
                                from None
                    elif code == 0x6A:  # LONG_BINGET
                        if pos + 4 > end:
                            pos = end
                            raise ValueError("not enough data in stream")
                        key = u4(data, pos)[0]
                        pos += 4
                        try:
                            push(memo[key])
                        except KeyError:
                            raise KeyError(f"memo key {key} read before it was written") \
                                from None
                    elif code == 0x74:  # TUPLE
                        if not marks:
                            raise IndexError("no MARK on the stack")
                        at = marks.pop()
                        value = tuple(st[at:])
                        st[at:] = [value]
                        if pos < fence and data[pos] == 0x94:  # MEMOIZE
                            pos += 1
                            count += 1
                            memo[len(memo)] = value
                    elif code == 0x7D:  # EMPTY_DICT
                        value = {}
                        push(value)
                        if pos < fence and data[pos] == 0x94:  # MEMOIZE
                            pos += 1
                            count += 1
                            memo[len(memo)] = value
                    elif code == 0x75:  # SETITEMS
                        if not marks:
                            raise IndexError("no MARK on the stack")
                        at = marks.pop()
                        items = st[at:]
                        del st[at:]
                        if not st:
                            raise IndexError("stack underflow")
                        self._setitems(st[-1], items)
                    elif code == 0x81:  # NEWOBJ
                        if len(st) - 2 < (marks[-1] if marks else 0):
                            raise IndexError("stack underflow")
                        value = call(st[-2], st[-1])
                        pop()
                        st[-1] = value
                        if pos < fence and data[pos] == 0x94:  # MEMOIZE
                            pos += 1
                            count += 1
                            memo[len(memo)] = value
                    elif code == 0x71:  # BINPUT
                        if pos >= end:
                            raise ValueError("not enough data in stream")
                        key = data[pos]
                        pos += 1
                        if not st:
                            raise IndexError("stack underflow")
                        memo[key] = st[-1]
                    elif code == 0x72:  # LONG_BINPUT
                        if pos + 4 > end:
                            pos = end
                            raise ValueError("not enough data in stream")
                        key = u4(data, pos)[0]
                        pos += 4
                        if not st:
                            raise IndexError("stack underflow")
                        memo[key] = st[-1]
                    else:
                        pos = self._table_op(table, code, pos, count)
                elif code == 0x8C:  # SHORT_BINUNICODE
                    stop = pos + 1 + data[pos] if pos < end else pos + 1
                    if stop > end:
                        pos = end
                        raise ValueError("truncated unicodestring1")
                    raw = data[pos + 1:stop]
                    pos = stop
                    try:
                        value = raw.decode()  # (what surrogatepass gives for valid UTF-8)
                    except UnicodeDecodeError:
                        value = str(raw, "utf-8", "surrogatepass")
                    push(value)
                    if pos < fence and data[pos] == 0x94:  # MEMOIZE
                        pos += 1
                        count += 1
                        memo[len(memo)] = value
                elif code == 0x89:  # NEWFALSE
                    push(False)
                elif code == 0x85:  # TUPLE1
                    if len(st) <= (marks[-1] if marks else 0):
                        raise IndexError("stack underflow")
                    value = st[-1] = (st[-1],)
                    if pos < fence and data[pos] == 0x94:  # MEMOIZE
                        pos += 1
                        count += 1
                        memo[len(memo)] = value
                elif code == 0x87:  # TUPLE3
                    if len(st) - 3 < (marks[-1] if marks else 0):
                        raise IndexError("stack underflow")
                    value = pop()
                    item = pop()
                    value = st[-1] = (st[-1], item, value)
                    if pos < fence and data[pos] == 0x94:  # MEMOIZE
                        pos += 1
                        count += 1
                        memo[len(memo)] = value
                elif code == 0x86:  # TUPLE2
                    if len(st) - 2 < (marks[-1] if marks else 0):
                        raise IndexError("stack underflow")
                    value = pop()
                    value = st[-1] = (st[-1], value)
                    if pos < fence and data[pos] == 0x94:  # MEMOIZE
                        pos += 1
                        count += 1
                        memo[len(memo)] = value
                elif code == 0x88:  # NEWTRUE
                    push(True)
                elif code == 0x93:  # STACK_GLOBAL
                    if len(st) - 2 < (marks[-1] if marks else 0):
                        raise IndexError("stack underflow")
                    value = self._global(st[-2], st[-1], "STACK_GLOBAL")
                    pop()
                    st[-1] = value
                    if pos < fence and data[pos] == 0x94:  # MEMOIZE
                        pos += 1
                        count += 1
                        memo[len(memo)] = value
                elif code == 0x94:  # MEMOIZE (after any other opcode)
                    if not st:
                        raise IndexError("stack underflow")
                    memo[len(memo)] = st[-1]
                else:
                    pos = self._table_op(table, code, pos, count)
        except BaseException:
            if self.pos < pos:
                self.pos = pos
            raise
        finally:
            self.count = count
        self.pos = pos
        self._careful()

    def _table_op(self, table: list[Any], code: int, pos: int, count: int) -> int:
        """An opcode ``_one`` does not run inline: its handler (the position after it)."""
        handler = table[code]
        if handler is None:
            raise ValueError(f"unknown opcode {bytes((code,))!r}")
        self.count = count  # a joblib object array's pickle counts on from here
        return handler(self, pos)

    def _guard(self, count: int, start: int) -> int:
        """The first opcode number after ``count`` at which a cap must be looked at."""
        guard = min(MAX_OPCODES + 1, start + MAX_STACK + 1)
        if self.deadline is not None:
            guard = min(guard, (count | 4095) + 1)  # the clock is read every 4096 opcodes
        return guard

    def _at_fence(self, pos: int, count: int, start: int) -> int:
        """Before the opcode at ``pos`` (number ``count + 1``): the end of the data, the caps
        when this opcode's number calls for them, and the next fence; -1 when the stack must
        be measured from this opcode on.

        The opcode numbered ``count + j`` starts at ``pos + j - 1`` or later, so none that
        starts before ``pos + guard - count - 1`` reaches the guard number."""
        end = len(self.data)
        if pos >= end:
            raise EOFError("truncated: no STOP opcode")
        guard = self._guard(count, start)
        if count + 1 >= guard:
            if count + 1 - start > MAX_STACK:
                return -1
            self._check(self.data[pos], pos + 1, count + 1, _TABLE or _table())
            guard = self._guard(count + 1, start)
        return min(end, pos + guard - count - 1)

    def _check(self, code: int, pos: int, count: int, table: list[Any]) -> None:
        """The per-opcode checks, in the scanner's order: unknown opcode, opcode cap, clock."""
        if table[code] is None:
            self.pos = pos
            raise ValueError(f"unknown opcode {bytes((code,))!r}")
        if count > MAX_OPCODES:
            raise _Limit(f"more than {MAX_OPCODES} opcodes: rest not scanned")
        if count & 4095 == 0 and self.deadline is not None and time.monotonic() > self.deadline:
            raise _Limit("time budget exhausted: rest not scanned")

    def _careful(self) -> None:
        """``_one`` for a pickle past MAX_STACK opcodes: the stack is measured after every
        opcode but GLOBAL and INST (as it always was)."""
        data = self.data
        table = _TABLE or _table()
        st = self.stack
        pos = self.pos
        count = self.count
        try:
            while True:
                if pos >= len(data):
                    raise EOFError("truncated: no STOP opcode")
                code = data[pos]
                pos += 1
                count += 1
                self._check(code, pos, count, table)
                self.count = count
                pos = table[code](self, pos)
                if len(st) > MAX_STACK and code not in _UNCHECKED:
                    raise _Limit("stack grows past the cap: rest not scanned")
        except BaseException:
            if self.pos < pos:
                self.pos = pos
            raise
        finally:
            self.count = count

    # -- stack helpers ----------------------------------------------------------------------
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
        if self.proto < 3:
            module, name = _compat(module, name, self.proto)
        ref = self.scan._refs.get((module, name, opcode, self.where))
        return ref if ref is not None else self.scan.ref(module, name, opcode, self.where)

    def _call(self, func: Any, args: Any) -> Any:
        # Obj and Call are built field by field: calling the class runs __init__ in a nested
        # interpreter frame, which cost more than the rest of a REDUCE
        obj = _new(Obj)
        obj.func = func
        obj.args = args
        obj.state = None
        if type(func) is GlobalRef:  # (GlobalRef has no subclass)
            call = _new(Call)
            call.ref = func
            if type(args) is tuple:
                call.args = targs = args
            else:
                call.args = targs = tuple(args) if isinstance(args, (tuple, list)) else (args,)
            self.scan.calls.append(call)
            if func.name not in _CALLS_LOOKED_AT:
                return obj
            if (func.module, func.name) in NESTED_LOADERS or func.name == "_load_from_bytes":
                self._loaded(func, targs)
            if func.name in ("_make_skeleton_class", "_make_skeleton_enum") and len(targs) > 1 \
                    and isinstance(targs[1], str):
                self.scan.qualnames.append(targs[1])
        elif type(func) is Obj:
            self.scan.called.append(func)
        return obj

    def _loaded(self, func: GlobalRef, args: tuple) -> None:
        """Bytes the pickle hands to a loader are a pickle: scanned, their corruption is a
        problem (those that looked like one were scanned when pushed)."""
        where = f"{self.label()}@{func.qualname}"
        for a in args:
            if isinstance(a, Blob) and a.kind == "bytes":
                if not _nested_magic(a.head(8)):
                    if len(a) > MAX_ZIP_MEMBER:
                        self.scan.limits.append(f"{where}: {len(a)} bytes, over the "
                                                f"{MAX_ZIP_MEMBER}-byte nested-data cap: "
                                                "not scanned")
                    else:
                        _scan_any(a.read(), self.scan, where, self.depth + 1, self.deadline)
                    continue
            elif not isinstance(a, (bytes, bytearray)):
                continue
            elif not _nested_magic(a):
                _scan_any(bytes(a), self.scan, where, self.depth + 1, self.deadline)
                continue
            seen = self._unparsed.pop(id(a), None)
            if seen is not None and seen[0] is a:
                self.scan.problems += seen[1]

    def _bytes(self, value: Any, stop: int) -> None:
        """Bytes that end at ``stop`` and look like a pickle or zip are scanned as one; when
        they do not parse they are data (see ``_loaded``)."""
        if type(value) is Blob:
            if not _nested_magic(value.head(8)):
                return
            problems = _speculate_blob(value, self.scan,
                                       f"{self.label()}#bytes@{stop - len(value)}",
                                       self.depth + 1, self.deadline)
        elif _nested_magic(value):
            problems = _speculate(value, self.scan, f"{self.label()}#bytes@{stop - len(value)}",
                                  self.depth + 1, self.deadline)
        else:
            return
        if problems:
            self._unparsed[id(value)] = (value, problems)

    def _setitems(self, target: Any, items: list[Any]) -> None:
        if len(items) % 2:
            raise IndexError("odd number of items for SETITEMS")
        if isinstance(target, dict):
            _pairs(target, items)
        if "__qualname__" in items[::2]:  # (compares each key as the loop does)
            for k, v in zip(items[::2], items[1::2], strict=True):
                if k == "__qualname__" and isinstance(v, str):
                    self.scan.qualnames.append(v)

    def _build_state(self, state: tuple) -> None:
        """BUILD with a (state, slotstate) pair: cloudpickle's classes carry __qualname__."""
        if len(state) == 2 and isinstance(state[0], dict):
            q = state[0].get("__qualname__")
            if isinstance(q, str):
                self.scan.qualnames.append(q)

    def _skip_joblib_array(self, state: Any) -> None:
        """joblib writes raw array bytes (or a nested pickle) right after the wrapper BUILD."""
        if not isinstance(state, dict):
            raise _Limit("joblib array wrapper with unknown layout: rest not scanned")
        dtype = state.get("dtype")
        shape = state.get("shape")
        code = _dtype_code(dtype)
        if code is None or not isinstance(shape, tuple):
            raise _Limit("joblib array wrapper with unknown dtype: rest not scanned")
        if _has_object(dtype, 0):
            # object arrays are a complete pickle of their own, read by pickle.load
            sub = _Machine(self.data, self.scan, f"{self.label()}#joblib-array",
                           self.depth + 1, self.deadline)
            sub.pos = self.pos
            sub.count = self.count
            try:
                sub._one()
            except _Stop:
                self.pos = sub.pos
                return
            raise ValueError("joblib object array is not a complete pickle")
        itemsize = _itemsize(code)
        n = 1
        for dim in shape:
            if not isinstance(dim, int) or dim < 0:
                raise _Limit("joblib array with unknown shape: rest not scanned")
            n *= dim
        end = len(self.data)
        pos = self.pos
        # joblib >= 1.2 writes a padding-length byte (and the padding) unless the alignment is
        # None (a file object without tell()); older versions have no such key
        if state.get("numpy_array_alignment_bytes") is not None:
            if pos >= end:
                raise EOFError("truncated joblib array padding")
            pos = self.pos = min(pos + 1 + self.data[pos], end)
        pos += n * itemsize
        if pos > end:
            raise EOFError("truncated joblib array data")
        self.pos = pos


# -- opcodes: one handler per opcode, dispatched by the opcode byte -----------------------------
# A handler gets the machine and the position after the opcode byte, reads its operand (if
# any) from m.data and returns the position after it. When it fails, the caller's position
# (after the opcode byte) is where the error is reported, unless the handler has set m.pos
# further: to the end of its operand once read, or to the end of the data on a short read (as
# a file would be).
# pushes after which the stack was never measured
_UNCHECKED = frozenset({ord("c"), ord("i")})  # GLOBAL, INST





_TABLE: list[Any] = []
# what the inline opcodes of ``_one`` read operands with (ops' struct readers and its
# BIG_OPERAND), set with the table
_READ: tuple[Any, ...] = ()


def _table() -> list[Any]:
    """The opcode handler table (modelcheck.formats.pickle.ops), built on the first scan."""
    global _TABLE, _READ
    from modelcheck.formats.pickle import ops

    _READ = (ops._U4.unpack_from, ops._I4.unpack_from, ops._U2.unpack_from,
             ops._F8.unpack_from, ops.BIG_OPERAND)
    _TABLE = ops.build_table()
    return _TABLE


def _nested_magic(value: bytes | bytearray) -> bool:
    """Bytes that may hold a nested pickle or zip: scanned as one (speculatively)."""
    return len(value) >= 8 and (value[:4] == ZIP_MAGIC or (value[0] == 0x80
                                                            and 2 <= value[1] <= 5))


class _Limit(Exception):
    pass


def _dtype_code(dtype: Any) -> str | None:
    """The type string of a pickled ``numpy.dtype(code, align, copy)``, else None."""
    if isinstance(dtype, Obj) and isinstance(dtype.args, tuple) and dtype.args \
            and isinstance(dtype.args[0], str):
        return dtype.args[0]
    return None


def _has_object(dtype: Any, depth: int) -> bool:
    """numpy's ``dtype.hasobject`` for a pickled dtype: joblib pickles such arrays instead of
    writing their bytes. An object type, or a structured / sub-array type whose pickled flags
    (state version >= 3, bit NPY_ITEM_REFCOUNT) or whose fields or base type hold objects
    (numpy recomputes it from the fields for older states; either way is taken as objects,
    so raw bytes are never assumed where a pickle may be)."""
    code = _dtype_code(dtype)
    if code is None or depth > 32:
        return False
    if code.lstrip("<>|=")[:1] == "O":
        return True
    st = dtype.state
    if not isinstance(st, tuple):
        return False
    if len(st) >= 8 and isinstance(st[0], int) and st[0] >= 3 and isinstance(st[7], int) \
            and st[7] & 1:
        return True
    sub = st[2] if len(st) > 2 else None
    if isinstance(sub, tuple) and sub and _has_object(sub[0], depth + 1):
        return True
    fields = st[4] if len(st) > 4 else None
    if isinstance(fields, dict):
        for v in fields.values():
            if isinstance(v, tuple) and v and _has_object(v[0], depth + 1):
                return True
    return False


def _itemsize(code: str) -> int:
    body = code.lstrip("<>|=")
    kind, digits = body[:1], body[1:]
    if kind in "?bB" and not digits:
        return 1
    if not digits.isdigit():
        raise _Limit(f"joblib array dtype {code!r} not understood: rest not scanned")
    size = int(digits)
    return size * 4 if kind == "U" else size


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
