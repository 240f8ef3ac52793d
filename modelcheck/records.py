"""Value types without ``dataclasses``: equality, hash, repr and copying written once.

``@dataclass`` imports ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``), then writes the
source of each method it adds and compiles it when the class is created: some 10 ms for a
start that creates ~40 value classes. A value type here is a plain class with a hand-written
``__init__`` on top of :class:`Record` (or, frozen, :class:`FrozenRecord`) that lists its fields
in ``_fields`` (constructor order); ``_compare`` and ``_shown`` name the fields equality/hash and
repr use when not all of them (a dataclass's ``compare=False`` / ``repr=False``). ``__eq__``,
``__repr__``, ``__hash__`` and :func:`replace` behave as the dataclass's would.
"""

from __future__ import annotations

from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


class FrozenInstanceError(AttributeError):
    """Assigning to (or deleting) an attribute of a frozen record."""


class _Factory:
    """Default of a parameter whose value is made per instance (``default_factory``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"  # what inspect.signature showed for the dataclass


FACTORY: Any = _Factory()


class Record:
    """Base of a mutable value type: eq and repr over its fields; unhashable, like a mutable
    dataclass."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]
    _fields: tuple[str, ...] = ()
    _compare: tuple[str, ...] = ()
    _shown: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "_compare" not in own:
            cls._compare = cls._fields
        if "_shown" not in own:
            cls._shown = cls._fields

    def _compared(self) -> tuple:
        return tuple([getattr(self, n) for n in self._compare])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._compared() == other._compared()  # type: ignore[attr-defined]
        return NotImplemented

    def __repr__(self) -> str:
        shown = ", ".join([f"{n}={getattr(self, n)!r}" for n in self._shown])
        return f"{type(self).__qualname__}({shown})"


class FrozenRecord(Record):
    """Base of a frozen value type: read-only once built (``__init__`` sets attributes with
    ``object.__setattr__``), hashable over its compared fields."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getstate__(self) -> Any:
        """Pickling and copying: ``__dict__``, or the field values when the class has slots."""
        try:
            return self.__dict__
        except AttributeError:
            return [getattr(self, n) for n in self._fields]

    def __setstate__(self, state: Any) -> None:
        """Unpickling and copying: set the attributes past the frozen ``__setattr__``."""
        if isinstance(state, dict):
            items = state.items()
        else:
            items = zip(self._fields, state, strict=True)
        for name, value in items:
            object.__setattr__(self, name, value)


def replace(obj: R, /, **changes: Any) -> R:
    """A copy of ``obj`` with some fields changed (``dataclasses.replace``)."""
    for name in obj._fields:
        if name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)


def as_dict(obj: Record) -> dict[str, Any]:
    """The fields of ``obj`` by name, in constructor order (values not copied)."""
    return {name: getattr(obj, name) for name in obj._fields}
