"""Import name <-> distribution, for "is this module provided by a requirement?".

What a distribution installs (its import names) and what installing it brings along (its
dependencies, its exact pins) come from ``dist_table``, generated from real package metadata by
tools/gen_distribution_table.py; it is imported on first use. Distribution names are canonical
(PEP 503: lower case, runs of ``-_.`` as one ``-``). Several distributions may provide one
import name (``cv2``: any OpenCV build; ``tensorflow``: tensorflow, tensorflow-cpu, ...). A
distribution the table does not know is taken to install a module of its own name.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

# Modules that pickles name although no wheel installs them under that name (kept by hand,
# each with its reason).
PICKLE_ALIASES: dict[str, tuple[str, ...]] = {
    # scikit-learn's Cython loss classes pickle as `_loss.<Class>` (their __module__)
    "_loss": ("scikit-learn",),
}

# Conda package names whose pip distribution has another name (conda-forge / pytorch channel
# feedstock names). Any other conda name is its pip name.
CONDA_TO_PIP: dict[str, str] = {
    "pytorch": "torch", "pytorch-cpu": "torch", "pytorch-gpu": "torch",
    "py-xgboost": "xgboost", "py-xgboost-cpu": "xgboost", "py-xgboost-gpu": "xgboost",
    "py-opencv": "opencv-python", "py-lightgbm": "lightgbm", "py-catboost": "catboost",
    "tensorflow-base": "tensorflow", "keras-base": "keras",
}

_CANON = re.compile(r"[-_.]+")


def canonical(dist: str) -> str:
    got = _CANONICAL.get(dist)
    if got is None:
        if len(_CANONICAL) >= 8192:
            _CANONICAL.clear()
        got = _CANONICAL[dist] = _CANON.sub("-", dist).lower()
    return got


_CANONICAL: dict[str, str] = {}  # a pure function of the name, asked again for every package


def pip_name(conda: str) -> str:
    """The pip distribution of a conda package name."""
    c = canonical(conda)
    return CONDA_TO_PIP.get(c, c)


def is_stdlib(module: str) -> bool:
    top = module.split(".", 1)[0]
    names = getattr(sys, "stdlib_module_names", None) or _FALLBACK_STDLIB
    return top in names or top in ("__builtin__", "copy_reg", "__main__")


class _Tables:
    """The generated table, with the lookups the rules ask (derived by :func:`derive` when
    the table is generated, so a check only loads them)."""

    def __init__(self) -> None:
        from modelcheck.formats.requirements import dist_table as t

        self.recorded: frozenset[str] = t.RECORDED
        self.requires: dict[str, tuple[str, ...]] = t.REQUIRES
        self.exact_pins: dict[str, dict[str, dict[str, str]]] = t.EXACT_PINS
        self.import_to_dists: dict[str, tuple[str, ...]] = t.IMPORT_TO_DISTS
        self.namespace_prefix: dict[str, str] = t.NAMESPACE_PREFIX
        self.brought_by: dict[str, tuple[str, ...]] = t.BROUGHT_BY


def derive(import_names: dict[str, tuple[str, ...]], recorded: frozenset[str],
           requires: dict[str, tuple[str, ...]]
           ) -> tuple[dict[str, tuple[str, ...]], dict[str, str], dict[str, tuple[str, ...]]]:
    """The lookups of the table: import name -> distributions installing it; namespace
    directory -> the name prefix of the distributions providing its parts; distribution ->
    the distributions whose installation brings it along (transitively). Run by
    tools/gen_distribution_table.py; tests/test_dist_table.py proves the stored ones equal."""
    inverse: dict[str, list[str]] = {}
    for dist in sorted(recorded | set(import_names)):
        for name in import_names.get(dist, (dist.replace("-", "_"),)):
            inverse.setdefault(name, []).append(dist)
    for name, dists in PICKLE_ALIASES.items():
        inverse.setdefault(name, []).extend(dists)
    import_to_dists = {k: tuple(dict.fromkeys(v)) for k, v in sorted(inverse.items())}
    # namespace directories (`azureml`, `google`): provided in parts by several
    # distributions; where those all share a name prefix (`azureml-`), a distribution of
    # that prefix the table has not read may provide any part
    parts: dict[str, set[str]] = {}
    for name, dists in import_to_dists.items():
        if "." in name:
            parts.setdefault(name.split(".", 1)[0], set()).update(dists)
    namespace_prefix: dict[str, str] = {}
    for top, dists in sorted(parts.items()):
        if top in import_to_dists:
            continue
        prefix = top.lower() + "-"
        if all(d.startswith(prefix) for d in dists):
            namespace_prefix[top] = prefix
    # a top-level name only its own-named distribution installs is what distributions_for
    # answers without the table: not stored
    stored = {k: v for k, v in import_to_dists.items() if "." in k or v != (canonical(k),)}
    return stored, namespace_prefix, _inverse_closure(requires)


def _inverse_closure(requires: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """dist -> every distribution whose installation brings it along (transitively)."""
    inverse: dict[str, set[str]] = {}
    for key in requires:
        seen: set[str] = set()
        frontier = [key]
        while frontier:
            for extra in requires.get(frontier.pop(), ()):
                if extra not in seen:
                    seen.add(extra)
                    frontier.append(extra)
        for extra in seen:
            inverse.setdefault(extra, set()).add(key)
    return {k: tuple(sorted(v)) for k, v in sorted(inverse.items())}


_TABLES: list[_Tables] = []


def tables() -> _Tables:
    if not _TABLES:
        _TABLES.append(_Tables())
    return _TABLES[0]


def __getattr__(name: str) -> Any:
    # the public tables of earlier versions, built from the generated data on first access
    if name == "IMPORT_TO_DISTS":
        return tables().import_to_dists
    if name == "BRINGS_ALONG":
        return tables().requires
    raise AttributeError(name)


@functools.lru_cache(maxsize=4096)
def distributions_for(module: str) -> tuple[str, ...]:
    """Distribution names (canonical) that may provide ``module``: those installing its longest
    known dotted prefix, and the distribution named like its top-level name."""
    table = tables().import_to_dists
    known: tuple[str, ...] = ()
    name = module
    while True:
        known = table.get(name, ())
        if known or "." not in name:
            break
        name = name.rsplit(".", 1)[0]
    top = module.split(".", 1)[0]
    return tuple(dict.fromkeys([*known, canonical(top)]))


def provided(module: str, dists: set[str]) -> bool:
    """True when one of ``dists`` (canonical names) provides ``module``, directly or along."""
    brought_by = tables().brought_by
    return any(d in dists or not dists.isdisjoint(brought_by.get(d, ()))
               for d in distributions_for(module))


def provides(module: str, dists: set[str]) -> bool:
    """``provided``, or ``module`` lies in a namespace (``azureml.*``) that a required
    distribution of the namespace's name prefix (``azureml-...``), whose files the table has
    not read, may provide."""
    if provided(module, dists):
        return True
    t = tables()
    prefix = t.namespace_prefix.get(module.split(".", 1)[0])
    if prefix is None:
        return False
    return any(d.startswith(prefix) and d not in t.recorded for d in closure(dists))


def closure(dists: set[str]) -> set[str]:
    """``dists`` and every distribution they bring along."""
    requires = tables().requires
    seen = set(dists)
    frontier = list(dists)
    while frontier:
        for extra in requires.get(frontier.pop(), ()):
            if extra not in seen:
                seen.add(extra)
                frontier.append(extra)
    return seen


def carriers(dist: str, dists: set[str]) -> list[str]:
    """The distributions of ``dists`` that bring ``dist`` along (sorted)."""
    return sorted(d for d in tables().brought_by.get(dist, ()) if d in dists)


def exact_pin(carrier: str, version: str, dist: str) -> str | None:
    """The version of ``dist`` that release ``version`` of ``carrier`` pins with ``==``, when
    the table has read that release (None: not read, or no exact pin)."""
    return tables().exact_pins.get(carrier, {}).get(version, {}).get(dist)




_FALLBACK_STDLIB = frozenset("""
abc argparse array ast asyncio base64 bisect builtins bz2 calendar collections concurrent
contextlib copy copyreg csv ctypes dataclasses datetime decimal difflib enum functools gc glob
gzip hashlib heapq hmac html http importlib inspect io itertools json logging lzma math
multiprocessing numbers operator os pathlib pickle platform posix pprint queue random re
shutil signal socket sqlite3 ssl statistics string struct subprocess sys tempfile textwrap
threading time timeit traceback types typing unittest urllib uuid warnings weakref zipfile
zlib _codecs _pickle marshal codecs fractions posixpath ntpath nt site runpy pty code
""".split())
