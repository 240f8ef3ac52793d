"""Published schemas the report tests validate against, taken from where they are published
rather than copied into this repository.

JUnit XML: the schema of Jenkins' xUnit plugin (``junit-10.xsd``), as pytest ships it in its
source distribution on PyPI (``testing/example_scripts/junit-10.xsd``, which pytest's own
``--junitxml`` tests validate against). It is fetched once with ``pip download`` into a cache
folder (``MODELCHECK_SCHEMA_CACHE``, default ``tests/.cache/schemas``) and checked against its
sha256; a test that needs it skips with the reason when PyPI cannot be reached.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

PYTEST_SDIST = "pytest==8.3.4"
JUNIT_MEMBER = "pytest-8.3.4/testing/example_scripts/junit-10.xsd"
JUNIT_SHA256 = "a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6"


def cache_dir() -> Path:
    default = Path(__file__).parent / ".cache" / "schemas"
    return Path(os.environ.get("MODELCHECK_SCHEMA_CACHE", default))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def junit_xsd() -> Path:
    """The path of Jenkins' JUnit schema (skips the calling test when it cannot be had)."""
    target = cache_dir() / "junit-10.xsd"
    if target.is_file() and _sha256(target.read_bytes()) == JUNIT_SHA256:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--no-binary", ":all:", PYTEST_SDIST, "-d", tmp]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"cannot fetch the JUnit schema ({PYTEST_SDIST} sdist): {exc}")
        sdists = list(Path(tmp).glob("pytest-*.tar.gz"))
        if done.returncode or not sdists:
            pytest.skip(f"cannot fetch the JUnit schema: pip download {PYTEST_SDIST} failed: "
                        f"{done.stderr.strip()[-300:]}")
        with tarfile.open(sdists[0]) as tar:
            member = tar.extractfile(JUNIT_MEMBER)
            data = member.read() if member is not None else b""
    if _sha256(data) != JUNIT_SHA256:
        raise AssertionError(f"{JUNIT_MEMBER} in the {PYTEST_SDIST} sdist is not the schema "
                             "this test was written against (sha256 differs)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
