"""The values of the pickle scanner's symbolic machine: what it pushes, pops and records.

Shared by the machine's loop (:mod:`.scanner`) and its opcode handlers (:mod:`.ops`), which
import them from here, not from each other.
"""

from __future__ import annotations

from typing import Any

from modelcheck.records import FrozenRecord, Record


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

    __slots__ = _fields = ("func", "args", "state")

    def __init__(self, func: Any, args: Any = None, state: Any = None) -> None:
        self.func = func
        self.args = args
        self.state = state


class Call(Record):
    """A call of a global with its (symbolic) arguments."""

    __slots__ = _fields = ("ref", "args")

    def __init__(self, ref: GlobalRef, args: tuple) -> None:
        self.ref = ref
        self.args = args


class Blob:
    """A bytes or text operand over ``ops.BIG_OPERAND`` bytes, left where it lies in the scanned
    buffer (``data[start:stop]``) instead of being copied onto the symbolic stack.

    A pickle of large arrays is mostly such operands: keeping them as offsets is what lets a
    memory-mapped multi-gigabyte file be scanned without holding it in memory. The scanner
    reads the first bytes of one to decide whether it holds a nested pickle, and copies it
    (within the nested-data cap) only to scan it as one."""

    __slots__ = ("data", "start", "stop", "kind")

    def __init__(self, data: Any, start: int, stop: int, kind: str) -> None:
        self.data = data
        self.start = start
        self.stop = stop
        self.kind = kind  # "bytes", "str" or "int": what the operand would have been

    def __len__(self) -> int:
        return self.stop - self.start

    def head(self, n: int) -> bytes:
        return bytes(self.data[self.start:min(self.stop, self.start + n)])

    def read(self) -> bytes:
        return bytes(self.data[self.start:self.stop])

    def __repr__(self) -> str:
        return f"<{self.kind} of {len(self)} bytes>"


class _Stop(Exception):
    pass


class _Set:
    def __init__(self, items: list[Any] | None = None) -> None:
        self.items = list(items or [])


def _append(target: Any, items: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(items)


def _pairs(target: dict, items: list[Any]) -> dict:
    try:
        pairs = iter(items)  # one iterator twice: (k0, v0), (k1, v1)... with no slices
        target.update(zip(pairs, pairs, strict=False))
    except TypeError:
        # an unhashable symbolic key: set the pairs one by one, skipping such keys (the pairs
        # update() set already are set again to the same values, in the same order)
        for k, v in zip(items[::2], items[1::2], strict=False):
            try:
                target[k] = v
            except TypeError:
                pass
    return target
