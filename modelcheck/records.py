"""Equality, hash and repr for dataclasses, written once instead of generated per class.

``@dataclass`` writes the source of each method it adds and compiles it when the class is
created: ~0.07 ms a method, and some 35 dataclasses are created on every start. Value types
declared ``@dataclass(repr=False, eq=False)`` on top of :class:`Record` (or, frozen,
:class:`FrozenRecord`) keep the generated ``__init__`` and get from here the ``__eq__``,
``__repr__`` (and ``__hash__``) the dataclass would have generated: same fields (``compare``,
``repr``), same results.
"""

from __future__ import annotations

from dataclasses import fields

_COMPARED: dict[type, tuple[str, ...]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}


class Record:
    """Base of a mutable dataclass: eq and repr over its fields; unhashable, like the
    dataclass."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]

    def _compared(self) -> tuple:
        cls = type(self)
        names = _COMPARED.get(cls)
        if names is None:
            names = _COMPARED[cls] = tuple(f.name for f in fields(cls) if f.compare)
        return tuple(getattr(self, n) for n in names)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._compared() == other._compared()  # type: ignore[attr-defined]
        return NotImplemented

    def __repr__(self) -> str:
        cls = type(self)
        names = _SHOWN.get(cls)
        if names is None:
            names = _SHOWN[cls] = tuple(f.name for f in fields(cls) if f.repr)
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{cls.__qualname__}({shown})"


class FrozenRecord(Record):
    """Base of a frozen dataclass: also hashable over its compared fields."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._compared())
