"""Edits that real MLflow still loads must not change what modelcheck reports.

Each case copies clean packages written by real MLflow (tests/fixtures/mlflow/) and applies
one edit people make by hand or by tooling: Windows line endings, a UTF-8 byte-order mark on
the YAML files, trailing spaces, YAML comments, reordered keys, quoted scalars, an empty
``code/`` directory. MLflow 3.18 and 2.17 load each edited package (checked by hand with the
real libraries: PyYAML strips the BOM, YAML ignores comments, order and quoting). The findings
must be the same as for the unedited package.

A BOM is not benign everywhere. In ``input_example.json`` MLflow chokes on it (``json.load``
raises "Unexpected UTF-8 BOM": MC402's failing fixture tests/rules/MC402/fail/utf8-bom). In
``requirements.txt`` pip strips it, but MLflow's own reader keeps it: with MLflow 3.18,
``_parse_requirements`` gives ``'\ufeffmlflow==3.18.0'`` for the first line, which its
dependency check at load time then never matches. That is an MC501 warning, pinned below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import copy_package

from modelcheck.api import check_package

FIXTURES = Path(__file__).parent / "fixtures" / "mlflow"
BASES = [FIXTURES / "3.18.0" / "sklearn_sig_example",
         FIXTURES / "2.17.2" / "pyfunc_code_paths_params",
         FIXTURES / "3.18.0" / "models_from_code"]
TEXT_FILES = ("MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt")


def _each(pkg: Path, edit: Callable[[bytes], bytes], names=TEXT_FILES) -> None:
    for name in names:
        p = pkg / name
        if p.is_file():
            p.write_bytes(edit(p.read_bytes()))


def _crlf(pkg: Path) -> None:
    _each(pkg, lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


YAML_FILES = ("MLmodel", "conda.yaml", "python_env.yaml")


def _bom(pkg: Path) -> None:
    _each(pkg, lambda b: b"\xef\xbb\xbf" + b, YAML_FILES)


def _trailing_spaces(pkg: Path) -> None:
    _each(pkg, lambda b: b.replace(b"\n", b"   \n"), ("MLmodel", "conda.yaml", "python_env.yaml"))


def _comments(pkg: Path) -> None:
    _each(pkg, lambda b: b"# edited by hand\n" + b.replace(b"flavors:\n", b"flavors:  # x\n"),
          ("MLmodel", "conda.yaml", "python_env.yaml"))


def _reorder(pkg: Path) -> None:
    """Move the first top-level block of MLmodel (``artifact_path`` or ``flavors``) to the end."""
    text = (pkg / "MLmodel").read_text()
    blocks = re.split(r"(?m)^(?=\S)", text)
    blocks = [b for b in blocks if b]
    (pkg / "MLmodel").write_text("".join(blocks[1:] + blocks[:1]))


def _quote(pkg: Path) -> None:
    text = (pkg / "MLmodel").read_text()
    text = re.sub(r"(?m)^mlflow_version: (\S+)$", r'mlflow_version: "\1"', text)
    text = re.sub(r"(?m)^(\s+loader_module: )(\S+)$", r"\1'\2'", text)
    (pkg / "MLmodel").write_text(text)


def _empty_code_dir(pkg: Path) -> None:
    (pkg / "code").mkdir(exist_ok=True)


EDITS = {"crlf": _crlf, "bom": _bom, "trailing-spaces": _trailing_spaces,
         "yaml-comments": _comments, "key-order": _reorder, "quoting": _quote,
         "empty-code-dir": _empty_code_dir}


def _findings(path: Path) -> list[tuple[str, str, str | None]]:
    return sorted((f.code, f.level.value if hasattr(f.level, "value") else str(f.level), f.file)
                  for f in check_package(str(path)).findings)


@pytest.mark.parametrize("base", BASES, ids=lambda p: f"{p.parent.name}-{p.name}")
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_benign_edit_changes_nothing(tmp_path: Path, base: Path, edit: str) -> None:
    if not base.is_dir():
        pytest.skip(f"no fixture {base}")
    if edit == "empty-code-dir" and (base / "code").exists():
        pytest.skip("the package already has code/")
    pkg = copy_package(base, tmp_path / base.name)
    EDITS[edit](pkg)
    assert _findings(pkg) == _findings(base)


@pytest.mark.parametrize("base", BASES, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_bom_on_requirements_is_one_warning(tmp_path: Path, base: Path) -> None:
    pkg = copy_package(base, tmp_path / base.name)
    _each(pkg, lambda b: b"\xef\xbb\xbf" + b, ("requirements.txt",))
    got = check_package(str(pkg)).findings
    added = [f for f in got if (f.code, f.file) not in
             {(b.code, b.file) for b in check_package(str(base)).findings}]
    assert [(f.code, str(f.level), f.file, f.line) for f in added] == \
        [("MC501", "warning", "requirements.txt", 1)]
    assert "byte-order mark" in added[0].message and "without a byte-order mark" in added[0].fix
