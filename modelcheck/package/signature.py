"""The package's signature, parsed once per package (``signature_of(pkg)``), and the hits of
its problems for the rules that report them (``signature_hits(pkg, code)``)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from modelcheck.formats.signature.schema import Signature
from modelcheck.results import Hit, Level

if TYPE_CHECKING:
    from modelcheck.package.model_package import ModelPackage


def signature_of(pkg: ModelPackage) -> Signature:
    """The package's parsed signature (cached per package)."""
    return pkg.memo("signature", lambda: parse_signature(pkg.meta.get("signature"),
                                                         pkg.mlflow_version))


_SHARE_MAX = 64 * 1024  # characters of signature text worth remembering


def parse_signature(value: Any, mlflow_version: Any = None) -> Signature:
    """Parse MLmodel's ``signature`` value; never raises for bad input.

    The models of a fleet often share a signature (each retrain of one model): a signature
    of plain JSON strings is parsed once per process and MLflow version, and the parsed
    :class:`Signature` is shared, read-only like every parsed document given to rules."""
    if _shareable(value):
        return _parse_shared(tuple(value.items()), mlflow_version)
    from modelcheck.formats.signature.parse import parse

    return parse(value, mlflow_version)


def _shareable(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    size = 0
    for k, v in value.items():
        if not isinstance(k, str) or not (v is None or isinstance(v, str)):
            return False
        size += len(v or "")
    return size <= _SHARE_MAX


@functools.lru_cache(maxsize=256)
def _parse_shared(items: tuple[tuple[str, str | None], ...], mlflow_version: Any) -> Signature:
    from modelcheck.formats.signature.parse import parse

    return parse(dict(items), mlflow_version)


def signature_hits(pkg: Any, code: str) -> Iterator[Hit]:
    """Hits for the signature problems carrying ``code`` (used by the MC3xx rules)."""
    for p in signature_of(pkg).problems:
        if p.code != code:
            continue
        line = pkg.line(p.pointer) or pkg.line("/signature")
        level = Level.parse(p.level) if p.level else None
        yield Hit(p.message, file="MLmodel", pointer=p.pointer, line=line, level=level,
                  fix=p.fix, key=f"{p.key}|{p.message}")
