"""Rule discovery through the ``modelcheck.rules`` entry-point group, plus the engine's own codes.

Built-in rules are registered exactly like third-party ones: ``pyproject.toml`` declares the
entry point ``builtin = "modelcheck.rules"`` (the engine imports no rule module by name). The
engine's MC9xx codes (:mod:`.toolcodes`) are listed with them. An entry point may name a
package (every module in it is scanned), a module (every ``Rule`` in it), a single ``Rule``,
or a list of rules.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterable
from types import ModuleType

from modelcheck.results import Rule

GROUP = "modelcheck.rules"


class RegistryError(Exception):
    """Plugins could not be loaded, or two rules claim one code."""


def _rules_in_module(mod: ModuleType) -> list[Rule]:
    found = [v for v in vars(mod).values() if isinstance(v, Rule)]
    if hasattr(mod, "__path__"):
        for sub_name in sorted(_submodules(mod.__path__)):
            if sub_name.startswith("_"):
                continue
            name = f"{mod.__name__}.{sub_name}"
            try:
                sub = importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - report which module is broken
                raise RegistryError(f"cannot load rule module {name}: "
                                    f"{type(exc).__name__}: {exc}") from exc
            found.extend(_rules_in_module(sub))
    return found


def _submodules(paths: Iterable[str]) -> list[str]:
    """Names of the modules and packages found on a package's ``__path__``, as
    ``pkgutil.iter_modules`` gives them; its directory walker imports ``inspect`` (with ``ast``,
    ``dis``, ``tokenize``: some 5 ms) just for ``getmodulename``, so directories are read
    here."""
    from importlib.machinery import FileFinder

    names: dict[str, None] = {}
    for entry in paths:
        importer = pkgutil.get_importer(entry)
        if isinstance(importer, FileFinder):
            found = _dir_modules(importer.path)
        else:  # zip archives and other importers: pkgutil's own listing
            found = [info[0] for info in pkgutil.iter_importer_modules(importer)]
        names.update(dict.fromkeys(found))
    return list(names)


def _module_name(filename: str) -> str | None:
    """``inspect.getmodulename``: the file name without its module suffix, or None."""
    from importlib.machinery import all_suffixes

    for suffix in sorted(all_suffixes(), key=lambda s: (-len(s), s)):
        if filename.endswith(suffix):
            return filename[:-len(suffix)]
    return None


def _dir_modules(path: str) -> list[str]:
    """``pkgutil``'s walk of one directory: modules, and subdirectories with an ``__init__``."""
    if not os.path.isdir(path):
        return []
    try:
        filenames = sorted(os.listdir(path))
    except OSError:
        return []
    found: dict[str, None] = {}
    for fn in filenames:
        name = _module_name(fn)
        if name == "__init__" or name in found:
            continue
        if not name and "." not in fn and os.path.isdir(sub := os.path.join(path, fn)):
            try:
                contents = os.listdir(sub)
            except OSError:
                contents = []
            if not any(_module_name(c) == "__init__" for c in contents):
                continue
            name = fn
        if name and "." not in name:
            found[name] = None
    return list(found)


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


BUILTIN = ("builtin", "modelcheck.rules")


def _only_builtin() -> int | None:
    """How many distributions declare ``builtin = modelcheck.rules`` when the group holds
    nothing else (0: none, a source tree never installed).

    A cheap look at every ``*.dist-info``/``*.egg-info/entry_points.txt`` on ``sys.path`` (what
    importlib.metadata's path finder scans), which spares importing importlib.metadata (and
    email, ~10-20 ms) on every start. None when the answer is not certain: then ask
    importlib.metadata. A file naming the group with anything else, a zip or egg on sys.path,
    or another distribution finder all mean "not certain".
    """
    import sys
    from importlib.machinery import PathFinder

    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return None
    found = 0
    for entry in sys.path:
        base = entry or "."
        try:
            names = os.listdir(base)
        except NotADirectoryError:
            return None  # a zip (or other file) on sys.path
        except OSError:
            continue
        if base.lower().endswith(".egg"):
            return None
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(base, name, "entry_points.txt"), "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if GROUP.encode() in data:
                if not _names_only_builtin(data):
                    return None
                found += 1
    return found


def _names_only_builtin(data: bytes) -> bool:
    section = None
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == GROUP:
            name, sep, value = line.partition("=")
            if not sep or (name.strip(), value.strip()) != BUILTIN:
                return False
    return True


def _entry_points() -> Iterable[tuple[str, object]]:
    fast = _only_builtin()
    if fast is not None:
        label = f"{BUILTIN[0]} = {BUILTIN[1]}" if fast else "builtin (source tree)"
        yield label, importlib.import_module(BUILTIN[1])
        return
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
        from modelcheck.engine.toolcodes import ENGINE_RULES

        rules: dict[str, Rule] = {r.code: r for r in ENGINE_RULES}
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


def registered(code: str) -> Rule | None:
    """The rule registered under ``code`` when the registry is loaded already, else None."""
    return _cache.get(code) if _cache is not None else None


def rule_by_code(code: str) -> Rule:
    """The registered rule with this code (how a pickled rule is unpickled)."""
    rule = all_rules().get(code)
    if rule is None:
        raise RegistryError(f"no rule {code} is registered in this process (is the plugin that "
                            "defines it installed?)")
    return rule
