"""Checking a package leaves no reference cycle behind.

Everything a check builds (the package, its parsed documents, the pickle scanner's values) must
be freed by reference counting the moment the result is made. One cycle that reaches the
package (a nested function that calls itself and captures it, a loader that refers to itself)
keeps its whole object graph alive until the garbage collector walks it: in a bucket scan that
was most of the 0.5-0.9 ms per package the collector cost. This runs every rule fixture, pass
and fail, and the real corpus when it is there, with the collector saving what it finds.
"""

from __future__ import annotations

import collections
import gc
from pathlib import Path

import pytest

from modelcheck.engine.registry import all_rules
from modelcheck.engine.run import check_package_obj
from modelcheck.engine.settings import Settings
from modelcheck.scan.local import local_package

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT.parent.parent / "shared" / "corpus"


def _packages(base: Path, depth: int) -> list[Path]:
    return sorted(p for p in base.glob("/".join(["*"] * depth)) if p.is_dir())


def _left_behind(paths: list[Path]) -> dict[str, str]:
    """Package -> what the collector found after checking it (types, self-calling functions)."""
    settings = Settings(jobs=1)
    rules = all_rules()
    for p in paths:  # first use: imports, tables and caches are made, not garbage
        check_package_obj(local_package(str(p), str(p), settings), rules, settings)
    was_enabled, flags = gc.isenabled(), gc.get_debug()
    gc.disable()
    gc.collect()
    gc.freeze()  # the rest of the test process is not walked by each collection below
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: dict[str, str] = {}
    try:
        for p in paths:
            gc.garbage.clear()
            check_package_obj(local_package(str(p), str(p), settings), rules, settings)
            gc.collect()
            if gc.garbage:
                kinds = collections.Counter(type(o).__name__ for o in gc.garbage)
                funcs = sorted({o.__qualname__ for o in gc.garbage
                                if type(o).__name__ == "function"})
                found[str(p)] = f"{dict(kinds.most_common(6))} functions {funcs}"
    finally:
        gc.garbage.clear()
        gc.set_debug(flags)
        gc.unfreeze()
        if was_enabled:
            gc.enable()
    return found


def test_rule_fixtures_leave_no_cycles() -> None:
    paths = _packages(ROOT / "rules", 3)
    assert len(paths) > 300  # every MCxxx/{pass,fail}/<case>
    assert _left_behind(paths) == {}


def test_corpus_leaves_no_cycles() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent (../shared is not beside this clone)")
    paths = _packages(CORPUS / "realworld", 1) + _packages(CORPUS / "realworld2", 1)
    assert len(paths) > 50
    assert _left_behind(paths) == {}


def test_a_cycle_is_found() -> None:
    """The probe itself finds what it is for: a package kept alive by a self-calling closure."""
    from modelcheck.package import pickle_files

    real = pickle_files.references

    def leaky(pkg):  # a cycle through the package, as references() once made
        def walk(n: int) -> None:
            if n and pkg is not None:
                walk(n - 1)
        walk(1)
        return real(pkg)

    pickle_files.references = leaky
    try:
        found = _left_behind([ROOT / "rules" / "MC101" / "pass" / "real-sklearn-2.5"])
    finally:
        pickle_files.references = real
    assert len(found) == 1 and "leaky.<locals>.walk" in next(iter(found.values()))
