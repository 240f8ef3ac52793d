"""Scans on a local Dask cluster with 1, 2 and 4 worker processes, beside the single-process
figure measured in the same run, and a projection for N machines from the measured costs.

    python bench/dask_scan.py [--packages 2000] [--workers 1,2,4] [--repeat 2]

A corpus of generated packages (bench/corpus.py) is checked: once in this process
(``jobs=1``: the single-process figure) and once with modelcheck's own local pool, then on a
cluster of W worker processes of one thread each (scheduler and workers on 127.0.0.1, started
here; a warm-up scan first, so that the workers have imported modelcheck). Every cluster
report must equal the single-process one. The engine's cost is measured with tasks that do
no work, shaped like the scan's (same batches, same arguments): the scheduler overhead per
package. Figures: packages per second, efficiency per worker (cluster pkg/s / W / the
single-process pkg/s), overhead per package.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402
from modelcheck.scan import tasks  # noqa: E402
from modelcheck.scan.cluster import executor_of  # noqa: E402
from modelcheck.scan.executor import batch_size  # noqa: E402


def _timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _empty_tasks(executor, items: list[tuple[str, str]], batch: int) -> float:
    """Seconds to run the scan's batches as tasks that do nothing (same arguments shipped)."""
    t0 = time.perf_counter()
    futs = {executor.submit(tasks.nothing, items[i:i + batch])
            for i in range(0, len(items), batch)}
    while futs:
        done, futs = wait(futs, return_when=FIRST_COMPLETED)
        for f in done:
            f.result()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packages", type=int, default=2000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    import corpus
    import daskcluster

    from modelcheck.sources.discovery import discover

    tmp = Path(tempfile.mkdtemp(prefix="modelcheck-dask-bench-"))
    t0 = time.perf_counter()
    corpus.generate(tmp / "tree", args.packages)
    print(f"corpus: {args.packages} packages in {time.perf_counter() - t0:.1f} s "
          f"({tmp / 'tree'})", file=sys.stderr)
    target = [str(tmp / "tree")]
    n = args.packages

    check(target, Settings(jobs=1))  # warm-up: imports, caches, the page cache
    disc_s, _ = _timed(lambda: discover(target), args.repeat)
    single_s, serial = _timed(lambda: check(target, Settings(jobs=1)), args.repeat)
    pool_s, pooled = _timed(lambda: check(target, Settings()), args.repeat)
    assert pooled == serial
    rows = [{"engine": "this process (jobs=1)", "workers": 1, "seconds": single_s},
            {"engine": f"local pool (jobs={(os.cpu_count() or 1) + 1})",
             "workers": (os.cpu_count() or 1) + 1, "seconds": pool_s}]
    found, _ = discover(target)
    items = [(t.path, t.display) for t in found]
    batch = batch_size(len(items))
    for w in [int(x) for x in args.workers.split(",")]:
        with daskcluster.dask_cluster(workers=w, threads=1) as cl:
            client = cl.client()
            ex = executor_of(client)
            check(target, Settings(), executor=ex)  # warm-up: workers import modelcheck
            secs, got = _timed(lambda ex=ex: check(target, Settings(), executor=ex),
                               args.repeat)
            assert got == serial, "the cluster's report differs from the single-process one"
            empty = min(_empty_tasks(ex, items, batch) for _ in range(args.repeat))
            rows.append({"engine": f"dask, {w} worker(s) x 1 thread", "workers": w,
                         "seconds": secs, "empty_tasks_s": empty})
    single_rate = n / single_s
    print(f"\n{n} packages, {os.cpu_count()} cores, batch {batch} packages/task; "
          f"best of {args.repeat}\n")
    print("| engine | pkg/s | vs one process | efficiency per worker | "
          "scheduler overhead per package |")
    print("|---|---|---|---|---|")
    for r in rows:
        rate = n / r["seconds"]
        r["pkg_s"] = rate
        r["efficiency"] = rate / r["workers"] / single_rate
        over = f"{r['empty_tasks_s'] / n * 1e3:.3f} ms" if "empty_tasks_s" in r else "-"
        print(f"| {r['engine']} | {rate:,.0f} | {rate / single_rate:.2f}x | "
              f"{r['efficiency']:.0%} | {over} |")
    # a simple model from the measured costs (a projection, not a measurement)
    c = single_s / n  # seconds of one core per package
    overheads = [r["empty_tasks_s"] / n for r in rows if "empty_tasks_s" in r]
    o = min(overheads)  # the engine's cost per package (scheduler + transfer), best case
    d = disc_s / n  # the lead's discovery per package
    print(f"\nmeasured: check {c * 1e3:.3f} ms/package on one core; engine "
          f"{o * 1e3:.3f} ms/package (empty tasks, {batch}/task); discovery on the lead "
          f"{d * 1e3:.3f} ms/package")
    print("\nPROJECTION (model, not measured): N machines x 8 cores; "
          "rate = min(8N / check, 1 / engine, 1 / discovery)")
    print("| machines | projected pkg/s | bound by |")
    print("|---|---|---|")
    proj = []
    for machines in (1, 4, 16, 64):
        caps = {"the workers' cores": 8 * machines / c, "the scheduler": 1 / o,
                "discovery on the lead": 1 / d}
        bound = min(caps, key=caps.get)
        proj.append({"machines": machines, "pkg_s": caps[bound], "bound": bound})
        print(f"| {machines} | {caps[bound]:,.0f} | {bound} |")
    if args.json:
        args.json.write_text(json.dumps({"packages": n, "batch": batch, "rows": rows,
                                         "check_s_per_pkg": c, "engine_s_per_pkg": o,
                                         "discovery_s_per_pkg": d, "projection": proj},
                                        indent=2))
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
