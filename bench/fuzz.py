"""Long fuzz run: the hypothesis fuzz suite (tests/test_fuzz.py) with many more examples.

    python bench/fuzz.py [--examples 2000] [--seconds 30]

The suite mutates real fixture packages (byte flips, truncation, swapped YAML types, deep
nesting, huge numbers, invalid UTF-8, symlink loops) and runs every registered rule on each,
asserting no uncaught exception, no MC9xx finding and a bounded time per package. CI runs the
same suite with a modest example count; this runs it long and prints the count and the result.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30.0, help="time bound per package")
    args = ap.parse_args()
    env = {**os.environ, "MODELCHECK_FUZZ_EXAMPLES": str(args.examples),
           "MODELCHECK_FUZZ_SECONDS": str(args.seconds)}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(REPO / "tests" / "test_fuzz.py")], cwd=REPO, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    tail = [ln for ln in proc.stdout.splitlines() if ln.strip()][-1:] or ["(no output)"]
    print(f"fuzz: {args.examples} examples per fuzz test, time bound {args.seconds:.0f} s "
          f"per package, {wall:.0f} s wall: {tail[0]}")
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
