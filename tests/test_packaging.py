"""The wheel holds every rule module and schema, and the start-up imports stay light."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(out), str(REPO)], check=True, timeout=300)
    return next(out.glob("modelcheck-*.whl"))


def test_wheel_contains_rules_and_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (REPO / "modelcheck").rglob("*.py"):  # every layer, every rule
        rel = module.relative_to(REPO).as_posix()
        assert rel in names, rel
    assert "modelcheck/rules/mlmodel_file.py" in names
    for schema in (REPO / "schemas").rglob("*.json"):
        rel = schema.relative_to(REPO / "schemas").as_posix()
        assert f"modelcheck/schemas/{rel}" in names, rel
    assert "modelcheck/schemas/vendor/SOURCE.md" in names
    eps = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(eps).decode()
    assert "[modelcheck.rules]" in text and "builtin = modelcheck.rules" in text


HEAVY = ("mlflow", "numpy", "pandas", "jsonschema", "fsspec", "sklearn", "torch", "scipy",
         "requests", "urllib3", "boto3")


def test_check_imports_no_heavy_modules() -> None:
    code = (
        "import sys; from modelcheck.cli import main; "
        f"rc = main(['check', '-q', r'{REPO / 'tests/rules/MC101/pass/real-sklearn-2.5'}']); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded = r.stdout.strip().splitlines()[-1]
    assert loaded == "[]", loaded


# ``dataclasses`` imports ``inspect`` (with ``ast``, ``dis``, ``tokenize``: ~10 ms) and compiles
# code for every class it makes; value types on the check path are plain classes
# (modelcheck.records) so that a check never loads them.
# ruamel.yaml (a fifth of a cold check) is only for YAML outside the plain block form MLflow
# writes (modelcheck.formats.yaml.block reads that form itself).
SLOW_AT_START = ("dataclasses", "inspect", "ast", "dis", "tokenize", "ruamel.yaml")
TYPICAL = ("examples/iris-sklearn", "tests/fixtures/mlflow/3.18.0/sklearn_sig_example",
           "tests/rules/MC101/pass/real-sklearn-2.5")


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("packages", [[p] for p in TYPICAL] + [list(TYPICAL)],
                         ids=[*TYPICAL, "several"])
def test_check_does_not_import_slow_modules(packages: list[str], fmt: str) -> None:
    paths = [str(REPO / p) for p in packages]
    code = (
        "import contextlib, io, sys; from modelcheck.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['check', '--format', {fmt!r}, *{paths!r}])\n"
        f"print(rc, sorted(m for m in {SLOW_AT_START!r} if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rc, loaded = r.stdout.strip().splitlines()[-1].split(" ", 1)
    assert rc in ("0", "1"), r.stdout  # 2 would be a tool failure
    assert loaded == "[]", f"a check imported {loaded}"


# what a plain check of local packages never needs: the other reporters' helpers, --fix,
# the executor/cluster runners and every remote source
NOT_FOR_A_LOCAL_CHECK = (
    "modelcheck.reporters.registry", "modelcheck.reporters.jsonlines", "modelcheck.fixes",
    "modelcheck.cli.fixing", "modelcheck.scan.executor", "modelcheck.scan.cluster",
    "modelcheck.scan.remote", "modelcheck.sources.mlflow_uri", "modelcheck.sources.s3_http",
    "distributed", "dask",
)


def test_local_check_loads_no_remote_fix_or_cluster_code() -> None:
    paths = [str(REPO / p) for p in TYPICAL]
    code = (
        "import contextlib, io, sys; from modelcheck.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['check', *{paths!r}])\n"
        f"print(rc, sorted(m for m in sys.modules if m in {NOT_FOR_A_LOCAL_CHECK!r}))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rc, loaded = r.stdout.strip().split(" ", 1)
    assert rc in ("0", "1") and loaded == "[]", r.stdout
