"""Read a ``.skops`` file's ``schema.json`` statically: the types and functions it builds.

A skops file is a zip holding ``schema.json`` (a tree of nodes, each naming ``__module__`` and
``__class__``; function nodes name ``module_path``/``function``; type nodes name the type in
``content``) plus ``.npy`` array files. Nothing is imported or loaded here.
"""

from __future__ import annotations

import io
import json
from typing import Any

from modelcheck.records import FACTORY, Record

MAX_SCHEMA_BYTES = 64 * 1024 * 1024
MAX_NODES = 2_000_000
DEFAULT_TRUSTED_TOPS = ("builtins", "numpy", "scipy", "sklearn")
# skops' DictNode trusts OrderedDict and DefaultDictNode always trusts defaultdict (skops 0.16)
DEFAULT_TRUSTED_TYPES = frozenset({"collections.OrderedDict", "collections.defaultdict"})


class SkopsScan(Record):
    """The types a ``.skops`` file's schema builds."""

    _fields = ("types", "problem", "protocol")

    def __init__(self, types: list[str] = FACTORY, problem: str | None = None,
                 protocol: Any = None) -> None:
        self.types = [] if types is FACTORY else types  # "module.name", first-seen order
        self.problem = problem
        self.protocol = protocol


def scan_skops(data: Any) -> SkopsScan:
    """Scan a ``.skops`` file's bytes, or a read-only ``mmap`` of it (read in place)."""
    import zipfile  # only packages with a .skops file need it

    out = SkopsScan()
    if type(data) is bytes:
        fh: Any = io.BytesIO(data)
    else:
        from modelcheck.formats.pickle.scanner import MapFile

        fh = MapFile(data)
    try:
        zf = zipfile.ZipFile(fh)
        info = zf.getinfo("schema.json")
    except KeyError:
        out.problem = "the zip has no schema.json, so skops cannot load it"
        return out
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        out.problem = f"not a valid skops zip ({exc})"
        return out
    if info.file_size > MAX_SCHEMA_BYTES:
        out.problem = f"schema.json is {info.file_size} bytes, over the scan cap"
        return out
    try:
        schema = json.loads(zf.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError,
            NotImplementedError, RuntimeError, RecursionError) as exc:
        out.problem = f"schema.json is not valid JSON ({str(exc)[:120]})"
        return out
    if not isinstance(schema, dict):
        out.problem = "schema.json is not a JSON object"
        return out
    out.protocol = schema.get("protocol")
    types, count = _walk(schema)
    if count > MAX_NODES:
        out.problem = f"schema.json has more than {MAX_NODES} nodes: rest not scanned"
        types = _walk_capped(schema)
    out.types = list(types)
    return out


def _walk(node: Any) -> tuple[dict[str, None], int]:
    """The types the tree's objects name, in pre-order, and the tree's node count (scalars
    included).

    Written for speed (a skops model's schema has ~50 objects, each with ~5 scalars): only
    objects and arrays are pushed, a scalar being counted with its parent (``len``), so
    scalars cost no push, pop or type test; the objects are met in the full walk's order.
    (json.loads makes exact dicts and lists, so ``type(...) is`` tests suffice.)"""
    seen: dict[str, None] = {}
    count = 1
    stack: list[Any] = [node]
    pop = stack.pop
    more = stack.extend
    while stack:
        node = pop()
        count += len(node)
        if type(node) is list:
            more([v for v in reversed(node) if type(v) is dict or type(v) is list])
            continue
        _names(node, seen)
        more([v for v in reversed(node.values()) if type(v) is dict or type(v) is list])
    return seen, count


def _names(node: dict, seen: dict[str, None]) -> None:
    """What one schema node builds: its ``__module__.__class__`` (not for function nodes,
    named by ``module_path.function`` in their content) and a function it names."""
    mod, cls = node.get("__module__"), node.get("__class__")
    inner = node.get("content")
    is_function = isinstance(inner, dict) and "module_path" in inner
    if isinstance(mod, str) and isinstance(cls, str) and not is_function:
        seen.setdefault(f"{mod}.{cls}")
    mp, fn = node.get("module_path"), node.get("function")
    if isinstance(mp, str) and isinstance(fn, str):
        seen.setdefault(f"{mp}.{fn}")


def _walk_capped(schema: Any) -> dict[str, None]:
    """The walk node by node, for a tree over MAX_NODES: the types met before the cap."""
    seen: dict[str, None] = {}
    stack: list[Any] = [schema]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            break
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        _names(node, seen)
        stack.extend(reversed(list(node.values())))
    return seen


def default_trusted(qualname: str) -> bool:
    """Approximation of skops' default trust: builtins, numpy, scipy, sklearn, dict types."""
    return (qualname in DEFAULT_TRUSTED_TYPES
            or qualname.split(".", 1)[0] in DEFAULT_TRUSTED_TOPS)
