"""The layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) pass, no
module imports another in a circle, and both checks fail on a planted violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp", reason="import-linter (a test dependency) not installed")

REPO = Path(__file__).resolve().parent.parent
LINT = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) \
    or shutil.which("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    assert LINT, "lint-imports not found beside this Python (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([LINT, "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept() -> None:
    r = _lint(REPO)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


@pytest.mark.parametrize("where, planted, broken", [
    # a format that reaches up into the package layer
    ("modelcheck/formats/json_locate.py", "import modelcheck.package.envfiles",
     "Formats know nothing of a package"),
    # a rule that drives the engine
    ("modelcheck/rules/junk_files.py", "import modelcheck.engine.run",
     "Rules know the rule API"),
    # a reporter that asks the registry
    ("modelcheck/reporters/text.py", "import modelcheck.engine.registry",
     "Reporters read results only"),
    # a new top-level module nobody placed in a layer
    ("modelcheck/stray.py", "", "The flow"),
])
def test_a_planted_violation_breaks_a_contract(tmp_path: Path, where: str, planted: str,
                                               broken: str) -> None:
    shutil.copytree(REPO / "modelcheck", tmp_path / "modelcheck",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / where
    old = target.read_text() if target.exists() else ""
    target.write_text(old + "\n" + planted + "\n")
    r = _lint(tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"{broken}" in r.stdout and "BROKEN" in r.stdout, r.stdout


def cycles(graph) -> list[list[str]]:
    """Every group of modules that import each other in a circle (Tarjan's strongly connected
    components of more than one module, or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # iterative: no recursion limit on deep graphs
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(
                        graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    group.append(m)
                    if m == node:
                        break
                if len(group) > 1 or node in graph.find_modules_directly_imported_by(node):
                    found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_in_a_circle() -> None:
    graph = grimp.build_graph("modelcheck", cache_dir=None)
    assert len(graph.modules) > 80
    assert cycles(graph) == []


def test_the_circle_finder_finds_circles() -> None:
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"),
                 ("p.d", "p.e"), ("p.e", "p.d"), ("p.f", "p.a")]:
        graph.add_import(importer=a, imported=b)
    assert sorted(cycles(graph)) == [["p.a", "p.b", "p.c"], ["p.d", "p.e"]]
