"""Audit a Model Registry of 500 versions on a real ``mlflow server`` (sqlite, served artifacts).

    python bench/registry_audit.py [--models 100] [--versions 5] [--jobs 1 16]
                                   [--workers 1 4] [--keepalive yes no]

Starts a server on 127.0.0.1 with MLflow's venv (MODELCHECK_MLFLOW_PYTHON, default
/work/venvs/mlflow3/bin/python), fills it over MLflow's REST API
(tests/mlflow_registry_populate.py), then, for each server ``--workers`` value (the server is
restarted on the same database and artifacts), checks ``models:/reg-*/*`` once per ``--jobs``
value and prints a Markdown table: packages per second; the requests modelcheck sent to the
server per version (counted in the client), split into REST calls and artifact downloads;
the client's CPU per version (this process, every thread: listing, HTTP and rules) and the
server's (its whole process tree); and the CPU bound of this machine (its cores / (client +
server CPU per version): no audit on these cores can go faster). ``--keepalive no`` sends
every request through urllib on a new connection (the client before keep-alive); ``yes no``
measures both, one after the other on the same server.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
CORES = os.cpu_count() or 1


def client_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its living descendants (the server's workers)."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--versions", type=int, default=5)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--keepalive", nargs="+", choices=("yes", "no"), default=["yes"])
    args = ap.parse_args()

    from test_registry_audit import _start, populate

    from modelcheck.api import check
    from modelcheck.engine.settings import Settings
    from modelcheck.sources import mlflow_uri
    from modelcheck.sources.plan import SourceOptions

    tmp = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    target = "models:/reg-*/*"
    rows = []
    try:
        proc, url, art = _start(tmp, workers=2)
        try:
            t0 = time.perf_counter()
            populate(url, art, args.models, args.versions)
            fill = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(30)
        for workers in args.workers:
            proc, url, art = _start(tmp, workers=workers)
            os.environ["MLFLOW_TRACKING_URI"] = url
            try:
                before = mlflow_uri.counts()
                listed = list(mlflow_uri.plan_mlflow(target, SourceOptions()))
                listing = mlflow_uri.counts()[0] - before[0]
                for jobs, keep in [(j, k) for j in args.jobs for k in args.keepalive]:
                    mlflow_uri.KEEPALIVE = keep == "yes"
                    # warm: imports, rule selection, the server's own caches
                    check(["models:/reg-000/*"], Settings(jobs=jobs))
                    time.sleep(1)
                    before, s0 = mlflow_uri.counts(), tree_cpu(proc.pid)
                    c0, t0 = client_cpu(), time.perf_counter()
                    rep = check([target], Settings(jobs=jobs))
                    wall, c1, s1 = time.perf_counter() - t0, client_cpu(), tree_cpu(proc.pid)
                    after = mlflow_uri.counts()
                    n = len(rep.packages)
                    assert n == len(listed) == args.models * args.versions, n
                    assert not rep.notifications, rep.notifications[:3]
                    rest = (after[0] - before[0] - (after[1] - before[1])) / n
                    gets = (after[1] - before[1]) / n
                    rows.append((workers, jobs, keep, n, wall, rest, gets, (c1 - c0) / n,
                                 (s1 - s0) / n))
            finally:
                proc.terminate()
                proc.wait(30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"registry: {args.models} models x {args.versions} versions, filled over REST in "
          f"{fill:.1f} s; listing `{target}`: {listing} search requests; {CORES} cores\n")
    print("| server workers | --jobs | keep-alive | versions | wall (s) | pkg/s | REST / version | "
          "artifact GETs / version | client CPU / version (ms) | server CPU / version (ms) "
          "| CPU bound (pkg/s) |")
    print("| ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for workers, jobs, keep, n, wall, rest, gets, ccpu, scpu in rows:
        print(f"| {workers} | {jobs} | {keep} | {n} | {wall:.2f} | {n / wall:.1f} | {rest:.2f} | "
              f"{gets:.2f} | {ccpu * 1000:.1f} | {scpu * 1000:.1f} | "
              f"{CORES / (ccpu + scpu):.0f} |")


if __name__ == "__main__":
    main()
