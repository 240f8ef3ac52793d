"""``modelcheck.check(targets, executor=...)`` on a plain ``ProcessPoolExecutor`` (spawned
workers, plain pickle: nothing of the scan may need more), compared with a run in one
process; a pool whose worker is killed mid-scan (no retry there) makes each package of the
lost tasks an MC902, in its place, never a package dropped."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402
from helpers import REPO  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402
from modelcheck.scan.executor import check_local_on, split  # noqa: E402

TARGETS = [str(REPO / "tests" / "fixtures" / "mlflow"), str(REPO / "examples"),
           "/no/such/tree", f"file://{REPO / 'tests' / 'rules' / 'MC101' / 'pass'}"]


def _pool(n: int = 2) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"))


def test_process_pool_gives_the_serial_report():
    serial = check(TARGETS, Settings())
    with _pool() as pool:
        got = check(TARGETS, Settings(), executor=pool)
    assert [p.display for p in got.packages] == [p.display for p in serial.packages]
    assert got == serial and got.exit_code() == serial.exit_code() == 2
    assert any(p.display.startswith("file://") for p in got.packages)


def test_killed_pool_worker_makes_mc902_for_its_packages(tmp_path):
    s3server.make_tree(tmp_path, 60)
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import select_rules

    rules = select_rules(all_rules(), Settings())
    serial = check([str(tmp_path)], Settings())
    notifications: list[str] = []
    pool = _pool()
    killed: list[int] = []

    def kill(i: int, n: int) -> None:
        if not killed:
            pid = next(iter(pool._processes))  # a worker of the pool started here
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    try:
        results, errors = check_local_on(pool, [str(tmp_path)], rules, Settings(), kill,
                                         batch=1, notifications=notifications)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert killed and not errors
    assert [r.display for r in results] == [p.display for p in serial.packages]
    lost = [r for r in results if any(f.code == "MC902" for f in r.findings)]
    assert lost and len(lost) < len(results)  # the first package finished before the kill
    for r in lost:
        (f,) = r.findings
        assert "cannot be checked: the worker failed: BrokenProcessPool" in f.message
    assert notifications == [r.findings[0].message for r in lost]
    kept = [r for r in results if r not in lost]
    assert all(r in serial.packages for r in kept)


def test_a_single_package_folder_is_not_split(tmp_path):
    """``split`` on a local fsspec root (file://): a package, or a folder of packages."""
    pytest.importorskip("fsspec")
    pkg = REPO / "examples" / "iris-sklearn"
    assert split(f"file://{pkg}", {}) is None
    prefixes = split(f"file://{REPO / 'tests' / 'fixtures' / 'mlflow'}", {})
    assert prefixes and all("/" in p for p in prefixes)  # versions split into packages
