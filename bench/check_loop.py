"""Check every package under a folder, in this process, start-up paid once.

    python bench/check_loop.py ROOT REPEATS

The warm per-package figures of bench/run.py come from here: CPU time (``per_package_cpu``,
in its own process) and instructions (this file run under valgrind, twice minus once).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def checker():
    """A function checking one package directory with every default rule."""
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import check_package_obj, select_rules
    from modelcheck.engine.settings import Settings
    from modelcheck.scan.local import local_package

    settings = Settings()
    rules = select_rules(all_rules(), settings)
    return lambda p: check_package_obj(local_package(str(p), p.name, settings), rules,
                                       settings)


def packages(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir())


def per_package_cpu(root: Path, repeats: int) -> float:
    """CPU seconds per package for checking every package under ``root`` (warm: start-up and
    a first package excluded), best of ``repeats``."""
    check = checker()
    pkgs = packages(root)
    check(pkgs[0])
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        for p in pkgs:
            check(p)
        best = min(best, (time.process_time() - t) / len(pkgs))
    return best


def main() -> None:
    root, repeats = Path(sys.argv[1]), int(sys.argv[2])
    check = checker()
    pkgs = packages(root)
    for _ in range(repeats):
        for p in pkgs:
            check(p)


if __name__ == "__main__":
    main()
