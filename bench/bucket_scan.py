"""Bucket scan throughput: ``--jobs 1`` against ``--jobs 16`` on a local S3 server.

Starts moto's S3 server on 127.0.0.1 (a child process), uploads N generated packages
(copies of real ones, see tests/s3server.py), and scans the bucket with the public API
twice per setting. Printed: packages/s for each setting and the ratio. Loopback has almost
no latency, so the run is repeated with an artificial per-request delay on the server
(``--latency-ms``, default 20 ms, clearly labelled) as a model of a real network.

    python bench/bucket_scan.py [--packages 500] [--latency-ms 20] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import s3server  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.settings import Settings  # noqa: E402


def scan(options: dict, jobs: int, expect: int) -> float:
    settings = Settings(storage_options=dict(options), jobs=jobs)
    t0 = time.perf_counter()
    rep = check(["s3://bench/fleet"], settings)
    dt = time.perf_counter() - t0
    if len(rep.packages) != expect or rep.notifications:
        raise SystemExit(f"scan saw {len(rep.packages)} packages (expected {expect}), "
                         f"notifications: {rep.notifications[:3]}")
    return dt


def run(root: Path, n: int, latency_ms: float, repeat: int) -> float:
    label = (f"artificial {latency_ms:g} ms per request (models a real network)"
             if latency_ms else "loopback, no added latency")
    with s3server.s3_server(latency_ms=latency_ms) as srv:
        c = srv.client()
        c.create_bucket(Bucket="bench")
        t0 = time.perf_counter()
        files = s3server.upload_tree(c, "bench", root, "fleet", workers=16)
        print(f"[{label}] uploaded {files} objects in {time.perf_counter() - t0:.1f}s")
        rates = {}
        for jobs in (1, 16):
            best = min(scan(srv.options(), jobs, n) for _ in range(repeat))
            rates[jobs] = n / best
            print(f"[{label}] --jobs {jobs:<2}  {best:6.2f}s  {rates[jobs]:7.1f} packages/s")
        ratio = rates[16] / rates[1]
        print(f"[{label}] ratio jobs16/jobs1 = {ratio:.2f}x")
        return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", type=int, default=500)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        s3server.make_tree(root, args.packages)
        n = len(check([str(root)], Settings()).packages)  # with packages nested in packages
        ratios = [run(root, n, 0, args.repeat)]
        if args.latency_ms:
            ratios.append(run(root, n, args.latency_ms, args.repeat))
    print("summary: " + ", ".join(f"{r:.2f}x" for r in ratios)
          + " (first: loopback; second: with the labelled artificial latency)")


if __name__ == "__main__":
    main()
