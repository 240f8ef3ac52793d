"""Rule discovery through the ``modelcheck.rules`` entry-point group.

Built-in rules are registered exactly like third-party ones: ``pyproject.toml`` declares the
entry point ``builtin = "modelcheck.rules"``. An entry point may name a package (every module
in it is scanned), a module (every ``Rule`` in it), a single ``Rule``, or a list of rules.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from types import ModuleType

from modelcheck.model import Rule

GROUP = "modelcheck.rules"


class RegistryError(Exception):
    """Plugins could not be loaded, or two rules claim one code."""


def _rules_in_module(mod: ModuleType) -> list[Rule]:
    found = [v for v in vars(mod).values() if isinstance(v, Rule)]
    if hasattr(mod, "__path__"):
        for info in sorted(pkgutil.iter_modules(mod.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            name = f"{mod.__name__}.{info.name}"
            try:
                sub = importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - report which module is broken
                raise RegistryError(f"cannot load rule module {name}: "
                                    f"{type(exc).__name__}: {exc}") from exc
            found.extend(_rules_in_module(sub))
    return found


def _expand(obj: object, origin: str) -> list[Rule]:
    if isinstance(obj, Rule):
        return [obj]
    if isinstance(obj, ModuleType):
        return _rules_in_module(obj)
    if isinstance(obj, (list, tuple)):
        out: list[Rule] = []
        for item in obj:
            out.extend(_expand(item, origin))
        return out
    raise RegistryError(f"entry point {origin} gives {type(obj).__name__}, not rules")


def _entry_points() -> Iterable[tuple[str, object]]:
    from importlib.metadata import entry_points

    eps = list(entry_points(group=GROUP))
    if not any(ep.value == "modelcheck.rules" for ep in eps):
        # Running from a source tree that was never installed: still find the built-ins.
        yield "builtin (source tree)", importlib.import_module("modelcheck.rules")
    for ep in sorted(eps, key=lambda e: (e.value != "modelcheck.rules", e.name)):
        try:
            yield f"{ep.name} = {ep.value}", ep.load()
        except Exception as exc:  # a broken plugin must not hide the others
            raise RegistryError(f"cannot load rule plugin {ep.name} = {ep.value}: {exc}") from exc


_cache: dict[str, Rule] | None = None


def all_rules() -> dict[str, Rule]:
    """Every registered rule by code, sorted; raises RegistryError on duplicate codes."""
    global _cache
    if _cache is None:
        rules: dict[str, Rule] = {}
        for origin, obj in _entry_points():
            for r in _expand(obj, origin):
                other = rules.get(r.code)
                if other is not None and other is not r:
                    raise RegistryError(
                        f"rule code {r.code} is defined twice: by {other.meta.origin} and by "
                        f"{r.meta.origin} (from entry point {origin}); codes must be unique")
                rules[r.code] = r
        _cache = dict(sorted(rules.items()))
    return _cache


def reset_cache() -> None:
    global _cache
    _cache = None
