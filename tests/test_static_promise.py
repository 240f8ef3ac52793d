"""The runtime never unpickles, never imports mlflow, never exec/evals, and rules never open files.

The check is on the AST of every module in modelcheck/ (the built-in rules too), so names inside
strings and docstrings (the pickle policy lists "torch.load" as a dangerous global) do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = sorted(ROOT.glob("modelcheck/**/*.py"))
RULES_DIR = "modelcheck/rules/"
LOADERS = {
    "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads",
    "_pickle.Unpickler", "joblib.load", "torch.load", "cloudpickle.load", "cloudpickle.loads",
    "dill.load", "dill.loads", "marshal.load", "marshal.loads", "numpy.load", "np.load",
    "yaml.load", "yaml.unsafe_load", "shelve.open", "Unpickler",
}
FORBIDDEN_IMPORTS = {"mlflow", "pickle", "_pickle", "cloudpickle", "dill", "joblib", "torch",
                     "marshal", "shelve", "skops"}
EXEC = {"exec", "eval", "compile", "__import__", "execfile"}
# files that import rule plugins or our own modules by fixed names (never package content)
IMPORT_MODULE_OK = {"modelcheck/engine/registry.py", "modelcheck/__init__.py",
                    "modelcheck/reporters/__init__.py"}  # lazy imports of our own modules
# only the sources read package files; these others read user config or write reports
OPEN_OK_DIRS = ("modelcheck/sources/",)
OPEN_OK_FILES = {"modelcheck/cli/__init__.py", "modelcheck/cli/outputs.py",
                 "modelcheck/engine/settings.py",
                 "modelcheck/engine/baseline.py", "modelcheck/integrations/action.py",
                 "modelcheck/integrations/precommit.py", "modelcheck/engine/ruledocs.py",
                 "modelcheck/engine/registry.py"}  # installed distributions' entry_points.txt


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _violations(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    return _violations_in(rel, path.read_text(encoding="utf-8"))


def _violations_in(rel: str, source: str) -> list[str]:
    tree = ast.parse(source, filename=rel)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in FORBIDDEN_IMPORTS:
                    out.append(f"{rel}:{node.lineno} imports {a.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_IMPORTS:
                out.append(f"{rel}:{node.lineno} imports from {node.module}")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            last2 = ".".join(name.split(".")[-2:])
            if name in LOADERS or last2 in LOADERS:
                out.append(f"{rel}:{node.lineno} calls {name}")
            if name in EXEC or name in ("builtins.exec", "builtins.eval"):
                out.append(f"{rel}:{node.lineno} calls {name}")
            if name in ("importlib.import_module", "import_module") \
                    and rel not in IMPORT_MODULE_OK:
                out.append(f"{rel}:{node.lineno} imports code dynamically")
            is_open = name in ("open", "io.open", "os.open", "builtins.open", "os.fdopen",
                               "codecs.open") or name.endswith((".read_text", ".read_bytes",
                                                                 ".open_text"))
            if is_open and rel.startswith(RULES_DIR):
                out.append(f"{rel}:{node.lineno} opens a file directly ({name})")
            elif is_open and name != "os.fdopen" and not rel.startswith(OPEN_OK_DIRS) \
                    and rel not in OPEN_OK_FILES:
                out.append(f"{rel}:{node.lineno} opens a file outside modelcheck/sources")
    return out


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_runtime_module_keeps_the_static_promise(path: Path) -> None:
    assert _violations(path) == []


PROBE = """
import pickle
from mlflow import pyfunc
def f(b, p):
    pickle.loads(b)
    eval("1")
    open(p)
    joblib.load(p)
    print("torch.load(p) inside a string is fine")
"""


def test_the_checker_catches_violations() -> None:
    found = _violations_in(RULES_DIR + "probe.py", PROBE)
    assert len(found) == 6, found
    assert _violations_in("modelcheck/probe.py", "open('x')\n")
