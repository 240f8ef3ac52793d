"""Specifier sets of plain clauses, without importing ``packaging.specifiers``.

Nearly every requirement MLflow writes is ``name==1.2.3`` (sometimes ``>=1,<2``): operators
``== != >= <= < >`` on numeric releases. ``packaging.specifiers`` pulls in ``packaging.tags``
(logging, platform, sysconfig, subprocess) and compiles its large grammar: about a quarter of
a cold ``modelcheck check``. :class:`PlainSpecifierSet` answers what the rules ask of such sets
(iteration, operators, versions, text, truthiness, ``contains`` for ``== != >= <=``) with
``packaging.version`` alone, exactly as packaging would; anything else (``<``/``>`` near the
bound's own pre/post releases, versions with a local part, prerelease policy, comparison with
a real ``SpecifierSet``, any other attribute) is handed to a real ``SpecifierSet`` built on
first need, so answers never differ from packaging's.
"""

from __future__ import annotations

import operator
from typing import Any

_COMPARE = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le}


class _Standin:
    """Answers as the packaging object it stands for (built from its text on first need):
    equality, hash, and any attribute not answered here."""

    __slots__ = ()
    _real: Any

    def _build(self) -> Any:
        raise NotImplementedError

    def real(self) -> Any:
        if self._real is None:
            self._real = self._build()
        return self._real

    def __eq__(self, other: object) -> bool:
        return self.real() == (other.real() if isinstance(other, _Standin) else other)

    def __hash__(self) -> int:
        return hash(self.real())

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), self._args()

    def _args(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy/pickle probe objects made without __init__
            raise AttributeError(name)
        return getattr(self.real(), name)


class PlainSpecifier(_Standin):
    """One ``<op><numeric release>`` clause; ``operator``/``version`` as packaging's."""

    __slots__ = ("operator", "version", "_real")

    def __init__(self, op: str, version: str) -> None:
        self.operator = op
        self.version = version
        self._real: Any = None

    def __str__(self) -> str:
        return f"{self.operator}{self.version}"

    def __repr__(self) -> str:
        return f"<Specifier({str(self)!r})>"

    def _build(self) -> Any:
        from packaging.specifiers import Specifier

        return Specifier(str(self))

    def _args(self) -> tuple[Any, ...]:
        return (self.operator, self.version)


def specifier_set(text: str = "") -> Any:
    """``SpecifierSet(text)`` for a comma-separated list of plain clauses: a
    :class:`PlainSpecifierSet`, or packaging's own when an operator repeats (packaging folds
    equal clauses, e.g. ``==1.0,==1``, in ways not worth copying)."""
    ops = [part[:2] if part[:2] in _COMPARE else part[:1] for part in text.split(",")]
    if text and len(set(ops)) != len(ops):
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(text)
    return PlainSpecifierSet(text)


class PlainSpecifierSet(_Standin):
    """A comma-separated set of plain clauses with distinct operators (may be empty), as
    ``SpecifierSet(text)``; build it with :func:`specifier_set`."""

    __slots__ = ("_specs", "_real", "_versions")

    def __init__(self, text: str = "") -> None:
        specs = []
        for part in text.split(",") if text else ():
            op = part[:2] if part[:2] in _COMPARE else part[:1]
            specs.append(PlainSpecifier(op, part[len(op):]))
        self._specs = tuple(specs)
        self._real: Any = None
        self._versions: tuple[Any, ...] | None = None

    def __iter__(self) -> Any:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __bool__(self) -> bool:
        return bool(self._specs)

    def __str__(self) -> str:
        return ",".join(sorted(str(s) for s in self._specs))

    def __repr__(self) -> str:
        return f"<SpecifierSet({str(self)!r})>"

    def _build(self) -> Any:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(str(self))

    def _args(self) -> tuple[Any, ...]:
        return (",".join(str(s) for s in self._specs),)

    def contains(self, item: Any, prereleases: bool | None = None,
                 installed: bool | None = None) -> bool:
        """``SpecifierSet.contains``: decided here for a local-free version against
        ``== != >= <=`` clauses (a direct comparison, in every packaging release since 22),
        by packaging otherwise."""
        from packaging.version import InvalidVersion, Version

        if self._specs and all(s.operator in _COMPARE for s in self._specs):
            try:
                v = item if isinstance(item, Version) else Version(str(item))
            except InvalidVersion:
                v = None
            if v is not None and v.local is None and (prereleases or not v.is_prerelease):
                if self._versions is None:
                    self._versions = tuple(Version(s.version) for s in self._specs)
                return all(_COMPARE[s.operator](v, w)
                           for s, w in zip(self._specs, self._versions, strict=True))
        return self.real().contains(item, prereleases=prereleases, installed=installed)
