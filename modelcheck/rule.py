"""The rule API: the ``@rule`` decorator, with the values a rule module uses.

A rule is a function ``check(pkg) -> Iterable[Hit]`` wrapped by :func:`rule`, which attaches
its metadata. The function's docstring holds the rule's documentation under the fixed headings
*What it checks*, *Why it matters*, *Example*, *How to fix*. ``Hit`` and ``Level`` are
re-exported here, so a rule module needs one import: ``from modelcheck.rule import Hit, Level,
rule``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from modelcheck.results import DOC_HEADINGS, Finding, Hit, Level, Rule, RuleMeta, doc_sections

if TYPE_CHECKING:
    from modelcheck.package.model_package import ModelPackage

__all__ = ["DOC_HEADINGS", "Finding", "Hit", "Level", "Rule", "RuleMeta", "doc_sections", "rule"]

CODE_RE = re.compile(r"^MC\d{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


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
        meta = RuleMeta(code, name, lvl, func.__doc__ or "", tuple(tags), security_severity,
                        f"{func.__module__}.{func.__qualname__}")
        return Rule(meta, func)

    return wrap
