"""Audit a Model Registry of 500 versions on a real ``mlflow server`` (sqlite, served artifacts).

    python bench/registry_audit.py [--models 100] [--versions 5] [--jobs 1 16]

Starts a server on 127.0.0.1 with MLflow's venv (MODELCHECK_MLFLOW_PYTHON, default
/work/venvs/mlflow3/bin/python), fills it over MLflow's REST API
(tests/mlflow_registry_populate.py), then checks ``models:/reg-*/*`` once per ``--jobs``
value and prints a Markdown table: packages per second, and the requests modelcheck sent to
the server per version (REST calls and artifact GETs, counted in the client), split into the
listing (search pages) and the versions' own (download URI, artifact listing, files).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--versions", type=int, default=5)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 16])
    args = ap.parse_args()

    from test_registry_audit import _start, populate

    from modelcheck.api import check
    from modelcheck.engine.settings import Settings
    from modelcheck.sources import mlflow_uri
    from modelcheck.sources.plan import SourceOptions

    tmp = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    proc, url, art = _start(tmp)
    try:
        t0 = time.perf_counter()
        populate(url, art, args.models, args.versions)
        fill = time.perf_counter() - t0
        os.environ["MLFLOW_TRACKING_URI"] = url
        target = "models:/reg-*/*"
        before = next(mlflow_uri.REQUESTS)
        listed = list(mlflow_uri.plan_mlflow(target, SourceOptions()))
        listing = next(mlflow_uri.REQUESTS) - before - 1
        rows = []
        for jobs in args.jobs:
            check([target], Settings(jobs=jobs))  # warm: imports, rule selection, caches
            before = next(mlflow_uri.REQUESTS)
            t0 = time.perf_counter()
            rep = check([target], Settings(jobs=jobs))
            wall = time.perf_counter() - t0
            sent = next(mlflow_uri.REQUESTS) - before - 1
            n = len(rep.packages)
            assert n == len(listed) == args.models * args.versions, n
            assert not rep.notifications, rep.notifications[:3]
            rows.append((jobs, n, wall, n / wall, sent / n, (sent - listing) / n))
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"registry: {args.models} models x {args.versions} versions, filled over REST in "
          f"{fill:.1f} s; listing `{target}`: {listing} search requests\n")
    print("| --jobs | versions | wall (s) | pkg/s | requests / version | of which the "
          "version's own |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for jobs, n, wall, rate, per, own in rows:
        print(f"| {jobs} | {n} | {wall:.2f} | {rate:.1f} | {per:.2f} | {own:.2f} |")


if __name__ == "__main__":
    main()
