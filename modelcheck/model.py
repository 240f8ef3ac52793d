"""Core value types: levels, findings, rule metadata and the ``@rule`` decorator.

A rule is a function ``check(pkg) -> Iterable[Hit]`` wrapped by :func:`rule`, which attaches
its metadata. The function's docstring holds the rule's documentation under the fixed headings
*What it checks*, *Why it matters*, *Example*, *How to fix*.
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelcheck.package import ModelPackage

CODE_RE = re.compile(r"^MC\d{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DOC_HEADINGS = ("What it checks", "Why it matters", "Example", "How to fix")


class Level(enum.IntEnum):
    """Severity of a finding; higher is worse. Names match SARIF levels."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Level:
        key = text.strip().lower()
        aliases = {"info": "note", "warn": "warning", "err": "error"}
        key = aliases.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown level {text!r} (use error, warning or note)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule yields: a defect at one place in the package.

    ``file`` is relative to the package root (None for the package as a whole); ``pointer`` is a
    logical location (a JSON pointer such as ``/flavors/python_function/env``) used for stable
    fingerprints; ``line``/``col`` are 1-based where known. ``level`` overrides the rule's default
    for this one hit (e.g. the same defect is an error for one MLflow version, a warning for
    another). ``key`` disambiguates several hits at one pointer for fingerprints.
    """

    message: str
    file: str | None = None
    pointer: str = ""
    line: int | None = None
    col: int | None = None
    level: Level | None = None
    fix: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    level: Level
    message: str
    package: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    pointer: str = ""
    fix: str | None = None
    tags: tuple[str, ...] = ()
    key: str | None = None
    security_severity: float | None = None

    @property
    def path(self) -> str:
        """Display path of the file (package path joined with the package-relative file)."""
        if not self.file:
            return self.package
        if self.package in ("", "."):
            return self.file
        sep = "" if self.package.endswith("/") else "/"
        return f"{self.package}{sep}{self.file}"

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line moves: code, file, logical location and key."""
        import hashlib  # only reports that carry fingerprints need it

        basis = "\x1f".join(
            (self.code, self.file or "", self.pointer, self.key if self.key is not None
             else _digits.sub("#", self.message))
        )
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]

    def with_level(self, level: Level) -> Finding:
        return replace(self, level=level)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": str(self.level),
            "message": self.message,
            "package": self.package,
            "file": self.file,
            "path": self.path,
            "line": self.line,
            "column": self.col,
            "pointer": self.pointer,
            "fix": self.fix,
            "tags": list(self.tags),
            "fingerprint": self.fingerprint,
        }


_digits = re.compile(r"\d+")


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str
    level: Level
    summary: str
    doc: str
    tags: tuple[str, ...] = ()
    security_severity: float | None = None
    origin: str = ""

    def section(self, heading: str) -> str:
        """Return the text under ``heading`` in the rule's docs ("" when absent)."""
        return doc_sections(self.doc).get(heading, "")


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    func: Callable[[ModelPackage], Iterable[Hit]] = field(repr=False)

    @property
    def code(self) -> str:
        return self.meta.code

    def check(self, pkg: ModelPackage) -> Iterator[Hit]:
        yield from self.func(pkg) or ()


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into {heading: body}; the first paragraph is ``summary``."""
    sections: dict[str, str] = {}
    current = "summary"
    buf: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip().rstrip(":")
        if stripped in DOC_HEADINGS:
            sections[current] = "\n".join(buf).strip()
            current, buf = stripped, []
        else:
            buf.append(line)
    sections[current] = "\n".join(buf).strip()
    return sections


def rule(
    code: str,
    name: str,
    level: Level | str,
    *,
    tags: Iterable[str] = (),
    security_severity: float | None = None,
) -> Callable[[Callable[[ModelPackage], Iterable[Hit]]], Rule]:
    """Declare a rule. The decorated function's docstring is its documentation."""
    if not CODE_RE.match(code):
        raise ValueError(f"rule code {code!r} must look like MC123")
    if not NAME_RE.match(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")
    lvl = Level.parse(level) if isinstance(level, str) else level

    def wrap(func: Callable[[ModelPackage], Iterable[Hit]]) -> Rule:
        doc = inspect.cleandoc(func.__doc__ or "")
        summary = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
        meta = RuleMeta(
            code=code,
            name=name,
            level=lvl,
            summary=summary,
            doc=doc,
            tags=tuple(tags),
            security_severity=security_severity,
            origin=f"{func.__module__}.{func.__qualname__}",
        )
        return Rule(meta=meta, func=func)

    return wrap
