"""Instructions per static pickle scan (and the policy's per-package work), for callgrind.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/pickle_scan_cost.py \
        PICKLE N [--policy]

Scans PICKLE N times (after one warm-up scan that builds the tables); with ``--policy`` each
round also runs what the MC62x rules run on a scan (dangerous, serialized_code,
imported_modules, classify of every global). The difference of two runs with different N,
divided by the difference of N, is the cost of one scan (start-up cancels out).
"""

from __future__ import annotations

import sys
from pathlib import Path

from modelcheck.formats.pickle import policy
from modelcheck.formats.pickle.scanner import scan_bytes


def main() -> None:
    path, n = Path(sys.argv[1]), int(sys.argv[2])
    with_policy = "--policy" in sys.argv[3:]
    if "--nogc" in sys.argv[3:]:
        import gc

        gc.disable()
    data = path.read_bytes()
    scan_bytes(data)  # tables built, modules imported
    for _ in range(n):
        scan = scan_bytes(data)
        if with_policy:
            policy.dangerous(scan)
            policy.serialized_code(scan)
            policy.imported_modules(scan)
            for ref in scan.globals:
                policy.classify(ref)


if __name__ == "__main__":
    main()
