"""Hypothesis fuzzing: mutated real packages never crash a rule, never hang.

Every example copies a real package (MLflow-written fixtures and corpus packages) into a tmp
dir, applies one mutation (byte flips, truncation, swapped YAML types, deep nesting, huge
numbers, invalid UTF-8, symlink loops, hostile pickles), and runs ALL registered rules through
``modelcheck.api.check_package``. It asserts: no exception escapes, no MC9xx (rule crash)
finding, and the package is checked within a time bound. The normal run uses a modest number
of examples; set MODELCHECK_FUZZ_EXAMPLES=2000 (bench/ does) for a long run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelcheck.api import check_package

HERE = Path(__file__).parent
EXAMPLES = int(os.environ.get("MODELCHECK_FUZZ_EXAMPLES", "50"))
TIME_BOUND_S = float(os.environ.get("MODELCHECK_FUZZ_SECONDS", "30"))
CANDIDATES = [
    HERE / "fixtures/mlflow/3.18.0/sklearn_sig_example",
    HERE / "fixtures/mlflow/3.18.0/pyfunc_code_paths_params",
    HERE / "fixtures/mlflow/3.18.0/sklearn_skops",
    HERE / "fixtures/mlflow/3.18.0/env_pip_constraints",
    HERE / "fixtures/mlflow/3.18.0/models_from_code",
    HERE / "fixtures/mlflow/2.17.2/example_df_mixed",
    HERE / "fixtures/mlflow/1.30.1/sklearn_pickle",
    HERE / "rules/MC620/pass/sklearn_cloudpickle",
    HERE / "rules/MC601/fail/pickle_references_unshipped_module",
]
BASES = [p for p in CANDIDATES if (p / "MLmodel").is_file()]
TARGETS = ["MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt",
           "input_example.json", "serving_input_example.json", "model.pkl",
           "python_model.pkl", "model.skops", "constraints.txt"]

pytestmark = pytest.mark.skipif(not BASES, reason="no base packages")


def _target(pkg: Path, name: str) -> Path:
    p = pkg / name
    if p.is_file():
        return p
    return pkg / "MLmodel"


def _mutate(pkg: Path, kind: str, name: str, a: int, b: int, blob: bytes) -> None:
    f = _target(pkg, name)
    data = f.read_bytes()
    n = max(len(data), 1)
    if kind == "flip":
        buf = bytearray(data or b"\0")
        for i in range(1 + b % 8):
            buf[(a + i * 7919) % n] ^= 1 << (b + i) % 8
        f.write_bytes(bytes(buf))
    elif kind == "truncate":
        f.write_bytes(data[: a % n])
    elif kind == "splice":
        f.write_bytes(data[: a % n] + blob + data[a % n:])
    elif kind == "invalid_utf8":
        f.write_bytes(data[: a % n] + b"\xff\xfe\xc3\x28" + data[a % n:])
    elif kind == "yaml_swap":
        text = data.decode("utf-8", "replace").splitlines()
        repl = ["[1, 2]", "{a: b}", "null", "12345678901234567890123",
                "!!python/object:os.system {}", "&a [*a]", "'x'", "-1e999", "true", "~"][b % 10]
        keyed = [i for i, line in enumerate(text)
                 if ":" in line and not line.rstrip().endswith(":")]
        if keyed:
            i = keyed[a % len(keyed)]
            text[i] = text[i].split(":", 1)[0] + ": " + repl
        f.write_text("\n".join(text) + "\n")
    elif kind == "deep":
        depth = 50 + a % 5000
        if f.suffix == ".json":
            f.write_text("[" * depth + "1" + "]" * depth)
        else:
            f.write_text("flavors: " + "[" * depth + "1" + "]" * depth + "\n")
    elif kind == "huge_number":
        f.write_text(data.decode("utf-8", "replace").replace("1", "9" * (10 + a % 5000), 3))
    elif kind == "yaml_bomb":
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in range(1, 12):
            lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]")
        (pkg / "MLmodel").write_text("\n".join(lines) + "\n")
    elif kind == "symlink_loop":
        os.symlink("loop2", pkg / "loop1")
        os.symlink("loop1", pkg / "loop2")
        if (pkg / name).exists():
            (pkg / name).unlink()
        os.symlink(name, pkg / name)  # self loop in place of a real file
    elif kind == "hostile_pickle":
        from gen_hostile_fixtures import HOSTILE
        names = sorted(HOSTILE)
        (pkg / name).write_bytes(HOSTILE[names[a % len(names)]]()[: max(4, b * 97)])
    elif kind == "empty":
        f.write_bytes(b"")


MUTATIONS = st.sampled_from(["flip", "truncate", "splice", "invalid_utf8", "yaml_swap", "deep",
                             "huge_number", "yaml_bomb", "symlink_loop", "hostile_pickle",
                             "empty"])


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(base=st.sampled_from(BASES), kind=MUTATIONS, name=st.sampled_from(TARGETS),
       a=st.integers(0, 1 << 20), b=st.integers(0, 255), blob=st.binary(max_size=64))
def test_mutated_package_is_checked_safely(base, kind, name, a, b, blob) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / "pkg"
        shutil.copytree(base, pkg, symlinks=True)
        for p in pkg.rglob("*"):
            if not p.is_symlink():
                p.chmod(0o755 if p.is_dir() else 0o644)
        _mutate(pkg, kind, name, a, b, blob)
        start = time.monotonic()
        result = check_package(str(pkg))
        elapsed = time.monotonic() - start
    crashes = [f"{f.code}: {f.message}" for f in result.findings if f.code.startswith("MC9")]
    assert not crashes, (base.name, kind, name, a, b, blob, crashes)
    assert elapsed < TIME_BOUND_S, (base.name, kind, name, a, b, f"{elapsed:.1f}s")


# Reproducers the fuzzer found (kept as regression tests once fixed).
# MC504 did int() of a >4300-digit number in MLmodel and raised ValueError (kind='huge_number').
def test_reproducer_mc504_huge_python_version(tmp_path: Path) -> None:
    base = HERE / "rules/MC620/pass/sklearn_cloudpickle"
    pkg = tmp_path / "pkg"
    shutil.copytree(base, pkg)
    for p in pkg.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    _mutate(pkg, "huge_number", "MLmodel", 454290, 0, b"")
    result = check_package(str(pkg))
    assert not [f for f in result.findings if f.code.startswith("MC9")]


@pytest.mark.parametrize(("base", "kind", "name", "a"), [
    # a 2,195-deep flow list in MLmodel: 2.3 s and the recursion limit before the depth guard
    ("tests/fixtures/mlflow/3.18.0/sklearn_sig_example", "deep", "MLmodel", 2145),
    # 4,300-digit numbers: packaging's Version raised a plain ValueError in MC216/MC505/MC506
    ("tests/fixtures/mlflow/3.18.0/pyfunc_code_paths_params", "huge_number", "MLmodel", 4291),
    ("tests/fixtures/mlflow/3.18.0/pyfunc_code_paths_params", "huge_number",
     "requirements.txt", 4400),
])
def test_long_run_reproducers(tmp_path: Path, base: str, kind: str, name: str, a: int) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(HERE.parent / base, pkg)
    for p in pkg.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    _mutate(pkg, kind, name, a, 0, b"")
    start = time.monotonic()
    result = check_package(str(pkg))
    assert time.monotonic() - start < 5
    assert not [f for f in result.findings if f.code.startswith("MC9")]
