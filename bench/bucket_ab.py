"""Bucket scans by two whole versions of modelcheck, alternately, against one server in one run.

This VM's speed drifts by up to 2x within minutes, which moves every CPU figure with it; a
figure measured beside a baseline on the same server, minutes apart at most, does not drift
with it. Each side is installed as a user installs it (a wheel, like bench/ab.py), runs in its
own process (imports, caches and collector of its own), scans the bucket once to warm up and
once measured; the server's stats are reset between the two. Printed per scan: packages/s,
client CPU per package (the scanning process, all threads; in brackets the part spent in the
kernel, mostly socket calls), server CPU per package, the share
of the CPU bound (cores / (client + server CPU per package)), and, at the end, each side's
best scan and the ratio of client CPU per package; with several rounds also each round's
ratio (its base scan against the scan right after it) and their median, which the VM's
drift moves less than a ratio of two best scans taken minutes apart.

``--instructions`` runs each side's process under valgrind's callgrind instead and counts the
instructions of its measured scan (all threads; the counters are zeroed when the warm-up scan
is done and dumped when the measured one is): a count the VM's drift does not move. The
client then runs ~50x slower, so the modelled latency is hidden whatever it is, and the
server and wall-clock figures mean nothing; instructions are not time (cache misses and
system calls weigh more than their count), so this backs the CPU figures, not replaces them.

    python bench/bucket_ab.py --base 18321a6 [--this REV] [--count 500] [--jobs 256]
                              [--latency-ms 50] [--rounds 3] [--servers 3] [--instructions]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))
import s3server  # noqa: E402
from ab import OUT, base_tree, install  # noqa: E402

CORES = os.cpu_count() or 1

# run by each side's own Python process: warm-up scan, wait for "go", measured scan
CHILD = r"""
import json, resource, sys, time
from modelcheck.api import check
from modelcheck.engine.settings import Settings
opts, jobs, url = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime
check([url], Settings(storage_options=opts, jobs=jobs))
print("ready", flush=True)
sys.stdin.readline()
(u0, s0), t0 = cpu(), time.perf_counter()
rep = check([url], Settings(storage_options=opts, jobs=jobs))
(u1, s1), wall = cpu(), time.perf_counter() - t0
print(json.dumps({"cpu": u1 - u0 + s1 - s0, "sys": s1 - s0, "wall": wall,
                  "n": len(rep.packages), "notes": len(rep.notifications)}), flush=True)
sys.stdin.readline()  # under callgrind: the parent dumps the counters first
"""


def scan(site: Path, srv, jobs: int, counts: Path | None = None) -> dict:
    """One side's measured scan; with ``counts`` (a folder), under callgrind: ``"ir"`` is the
    instructions of the measured scan alone."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    cmd = [sys.executable, "-c", CHILD, json.dumps(srv.options()), str(jobs), "s3://bench/fleet"]
    if counts is not None:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file="
               f"{counts}/cg.%p", *cmd]
    proc = subprocess.Popen(cmd, env=env, cwd=site.parent, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL if counts is not None else None)
    assert proc.stdin is not None and proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit(f"the scan of {site} failed (rc {proc.wait()})")
    if counts is not None:
        _callgrind(proc.pid, "--zero")
    before = srv.stats(reset=True)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    got = json.loads(proc.stdout.readline())
    if counts is not None:
        got["ir"] = _callgrind(proc.pid, "--dump", counts)
    proc.stdin.write("done\n")
    proc.stdin.flush()
    proc.wait()
    after = srv.stats()
    got["server"] = after["cpu_s"] - before["cpu_s"]
    got["gets"] = sum(after["gets"].values())
    return got


def _callgrind(pid: int, what: str, counts: Path | None = None) -> int:
    """``callgrind_control`` on ``pid``; for ``--dump``, the instructions the dump counts."""
    before = set(counts.iterdir()) if counts is not None else set()
    subprocess.run(["callgrind_control", what, str(pid)], check=True, capture_output=True)
    if counts is None:
        return 0
    for _ in range(600):
        new = [p for p in set(counts.iterdir()) - before if p.stat().st_size]
        if new:
            time.sleep(0.5)  # the dump is written whole before the next poll
            m = re.search(r"^(?:summary|totals): (\d+)", new[0].read_text(), re.M)
            if m:
                return int(m.group(1))
        time.sleep(0.5)
    raise SystemExit(f"callgrind wrote no dump for process {pid}")


def line(name: str, s: dict) -> str:
    n = s["n"]
    if "ir" in s:
        return (f"{name:<12} {s['ir'] / n / 1e6:6.2f} M instructions per package (client, all "
                f"threads, under callgrind)  GETs/pkg {s['gets'] / n:.2f}")
    client, server = s["cpu"] / n, s["server"] / n
    bound = CORES / (client + server)
    rate = n / s["wall"]
    return (f"{name:<12} {rate:6.1f} pkg/s  client CPU/pkg {client * 1000:5.2f} ms (system "
            f"{s['sys'] / n * 1000:4.2f})  server "
            f"CPU/pkg {server * 1000:5.2f} ms  share of the bound {rate / bound:4.0%}  "
            f"GETs/pkg {s['gets'] / n:.2f}")


def cost(s: dict) -> float:
    """What the comparison ranks: instructions (``--instructions``) or CPU per package."""
    return s.get("ir", s["cpu"]) / s["n"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="the baseline commit")
    ap.add_argument("--this", default=None, help="the commit to measure (default: work tree)")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=256)
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--servers", type=int, default=3)
    ap.add_argument("--instructions", action="store_true",
                    help="count the client's instructions under callgrind instead of its CPU")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sides = {f"base {args.base}": base_tree(args.base),
             "this" if args.this is None else f"this {args.this}":
                 REPO if args.this is None else base_tree(args.this)}
    with tempfile.TemporaryDirectory(prefix="modelcheck-bucket-ab-") as tmp:
        work = Path(tmp)
        sites = {}
        for i, (name, tree) in enumerate(sides.items()):
            sites[name] = work / f"site-{i}" / "site"
            sites[name].parent.mkdir()
            install(tree, sites[name])
        counts = work / "callgrind" if args.instructions else None
        if counts is not None:
            counts.mkdir()
        root = work / "tree"
        root.mkdir()
        s3server.make_tree(root, args.count)
        with s3server.s3_server(latency_ms=args.latency_ms, processes=args.servers) as srv:
            s3server.fill_servers(srv, root)
            print(f"{args.count} packages generated, --jobs {args.jobs}, +{args.latency_ms:g} "
                  f"ms per request (artificial), {args.servers} server processes", flush=True)
            best: dict[str, dict] = {}
            ratios: list[float] = []  # base / this, each round's pair
            for _ in range(args.rounds):
                pair = []
                for name, site in sites.items():
                    s = scan(site, srv, args.jobs, counts)
                    if s["notes"]:
                        raise SystemExit(f"{name}: {s['notes']} notifications")
                    print(line(name, s), flush=True)
                    if name not in best or cost(s) < cost(best[name]):
                        best[name] = s
                    pair.append(cost(s))
                ratios.append(pair[0] / pair[1])
    what = "instructions" if args.instructions else "CPU"
    print(f"best scan of each (lowest client {what} per package):")
    for name, s in best.items():
        print("  " + line(name, s))
    (b, bs), (t, ts) = best.items()
    print(f"client {what} per package: {b} / {t} = {cost(bs) / cost(ts):.2f}x")
    if len(ratios) > 1:
        print(f"each round's pair, {b} / {t}: " + ", ".join(f"{r:.2f}x" for r in ratios)
              + f"; median {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
