"""What a fixer proposes: a :class:`Change` (edits of one file, or the deletion of a junk file
or folder), marked safe or unsafe, for one rule code.

A fixer is a function ``fix(pkg, findings) -> Iterable[Change]`` declared with
:func:`fixer` for a rule code. It is called only by ``--fix``/``--diff`` and only for a package
where that rule reported something; it reads the package through ``pkg`` (the same documents
the rules read) and returns what it is certain of. It never writes: the plan
(:mod:`modelcheck.fixes.plan`) applies changes in memory, checks the package again, and
:mod:`modelcheck.fixes.apply` writes the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from modelcheck.fixes.edits import Edit
from modelcheck.records import FrozenRecord

if TYPE_CHECKING:
    from modelcheck.package.model_package import ModelPackage
    from modelcheck.results import Finding

SAFE, UNSAFE = "safe", "unsafe"


class Change(FrozenRecord):
    """Edits of one file (``edits``), or the deletion of ``file`` (``delete=True``; a folder
    when ``folder``). ``title`` says what it does, for the diff and the summary."""

    _fields = ("code", "safety", "file", "edits", "title", "delete", "folder")

    def __init__(self, code: str, safety: str, file: str, edits: tuple[Edit, ...] = (),
                 title: str = "", delete: bool = False, folder: bool = False) -> None:
        if safety not in (SAFE, UNSAFE):
            raise ValueError(f"safety must be {SAFE!r} or {UNSAFE!r}, not {safety!r}")
        init = object.__setattr__
        init(self, "code", code)
        init(self, "safety", safety)
        init(self, "file", file)
        init(self, "edits", tuple(edits))
        init(self, "title", title)
        init(self, "delete", delete)
        init(self, "folder", folder)


FixFunc = Callable[["ModelPackage", "list[Finding]"], Iterable[Change]]


class Fixer(FrozenRecord):
    _fields = ("code", "func")

    def __init__(self, code: str, func: FixFunc) -> None:
        init = object.__setattr__
        init(self, "code", code)
        init(self, "func", func)


_DECLARED: list[Fixer] = []


def fixer(code: str) -> Callable[[FixFunc], FixFunc]:
    """Declare ``func`` as the fixer of rule ``code`` (one fixer per code)."""

    def wrap(func: FixFunc) -> FixFunc:
        if any(f.code == code for f in _DECLARED):
            raise ValueError(f"a fixer for {code} is declared twice")
        _DECLARED.append(Fixer(code, func))
        return func

    return wrap


def declared() -> list[Fixer]:
    return sorted(_DECLARED, key=lambda f: f.code)
