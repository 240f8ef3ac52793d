"""The garbage collector during a scan (modelcheck/scan/collector.py): tuned while a scan runs,
put back exactly as it was after, and left alone in a process that manages it itself."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from modelcheck.api import check
from modelcheck.engine.settings import Settings
from modelcheck.scan.collector import YOUNG_THRESHOLD, scan_collector

SKLEARN = Path(__file__).resolve().parent / "rules" / "MC101" / "pass" / "real-sklearn-2.5"


def test_tuned_during_and_restored_after() -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    seen = {}

    def progress(done: int, total: int) -> None:
        seen["threshold"] = gc.get_threshold()
        seen["frozen"] = gc.get_freeze_count()

    rep = check([str(SKLEARN)], Settings(jobs=1), progress=progress)
    assert len(rep.packages) == 1
    assert seen["threshold"][0] == max(before[0], YOUNG_THRESHOLD)
    assert seen["frozen"] > 0  # what existed when the scan started is not walked again
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0  # returned to the collector: still collectable


def test_restored_when_the_scan_fails() -> None:
    before = gc.get_threshold()
    try:
        with scan_collector() as c:
            assert c.active
            c.settle()
            raise RuntimeError("a scan that breaks")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


class _Node:
    """A container in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_settle_freezes_once() -> None:
    import weakref

    with scan_collector() as c:
        c.settle()
        later = _Node()  # made after the first settle: a second settle must not freeze it
        gone = weakref.ref(later)
        del later
        c.settle()
        gc.collect()
        assert gone() is None  # collected: not frozen by the second settle
    assert gc.get_freeze_count() == 0


def _in_child(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.strip()


def test_a_process_that_froze_objects_is_left_alone() -> None:
    # a pre-fork server freezes its heap before forking: a scan must not unfreeze it
    got = _in_child(f"""
import gc
start = gc.get_threshold()
gc.freeze()
from modelcheck.api import check
from modelcheck.engine.settings import Settings
check([{str(SKLEARN)!r}], Settings(jobs=1))
print(gc.get_freeze_count() > 0, gc.get_threshold() == start)  # not unfrozen
""")
    assert got == "True True"


def test_a_disabled_collector_stays_disabled() -> None:
    got = _in_child(f"""
import gc
start = gc.get_threshold()
gc.disable()
from modelcheck.api import check
from modelcheck.engine.settings import Settings
check([{str(SKLEARN)!r}], Settings(jobs=1))
print(gc.isenabled(), gc.get_freeze_count(), gc.get_threshold() == start)
""")
    assert got == "False 0 True"
