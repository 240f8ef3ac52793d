"""The bucket-scan client's CPU outside the rules, per package, split by thread.

Same server and tree as bench/bucket_scan.py (moto processes on 127.0.0.1, +latency per
request, make_tree's packages), but each scan runs with the rules timed apart
(``time.thread_time_ns`` around ``check_package_obj``), and, with ``--no-rules``, also with
an empty rule set: what is left is listing, planning, transport, hand-offs and the package
plumbing. Printed per scan: wall time, client CPU/pkg (all threads), rules CPU/pkg, non-rule
CPU/pkg, the calling thread's and the event loop thread's CPU/pkg, and the share of the
machine's CPU bound (cores / (client + server CPU per package)).

    python bench/bucket_overhead.py [--count 500] [--latency-ms 50] [--jobs 64,256]
                                    [--repeat 2] [--no-rules] [--profile FILE]
                                    [--compare REV]

``--profile FILE`` writes cProfile stats of the calling thread (FILE.main) and of the
backend's loop thread (FILE.loop) for the last scan. ``--compare REV`` alternates the client
modules of commit REV (see bucket_scan.client_of) and the working tree's.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bucket_scan  # noqa: E402
from bucket_scan import CORES, cpu_s, s3server  # noqa: E402


class RuleClock:
    """Thread CPU spent in ``check_package_obj`` (patched into the client's remote module)."""

    def __init__(self) -> None:
        self.ns = 0

    def install(self) -> None:
        remote = sys.modules["modelcheck.scan.remote"]
        inner = getattr(remote.check_package_obj, "__wrapped__", remote.check_package_obj)

        def timed(*a, **kw):
            t0 = time.thread_time_ns()
            try:
                return inner(*a, **kw)
            finally:
                self.ns += time.thread_time_ns() - t0

        timed.__wrapped__ = inner  # type: ignore[attr-defined]
        remote.check_package_obj = timed


def loop_thread_cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of fsspec's loop thread (the backend's loop), from /proc."""
    import os

    for t in threading.enumerate():
        if t.name == "fsspecIO" and t.native_id:
            with open(f"/proc/self/task/{t.native_id}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            tick = os.sysconf("SC_CLK_TCK")
            return int(parts[11]) / tick, int(parts[12]) / tick
    return 0.0, 0.0


def process_cpu() -> tuple[float, float]:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def one_scan(srv, jobs: int, expect: int, rules: bool, profile: str | None = None) -> dict:
    from modelcheck.api import check  # noqa: F401 - imports as a real run does
    from modelcheck.engine.settings import Settings
    from modelcheck.scan.remote import check_remote

    settings = Settings(storage_options=srv.options(), jobs=jobs)
    if rules:
        from modelcheck.engine.registry import all_rules
        from modelcheck.engine.run import select_rules

        ruleset = select_rules(all_rules(), settings)
    else:
        ruleset = {}
    clock = RuleClock()
    clock.install()
    before = srv.stats(reset=True)
    profs = None
    if profile:
        import fsspec.asyn

        loop = fsspec.asyn.get_loop()
        profs = (cProfile.Profile(), cProfile.Profile())
        ready = threading.Event()
        loop.call_soon_threadsafe(lambda: (profs[1].enable(), ready.set()))
        ready.wait()
        profs[0].enable()
    lt0 = loop_thread_cpu()
    m0 = time.thread_time()
    p0 = process_cpu()
    c0, t0 = cpu_s(), time.perf_counter()
    notes: list[str] = []
    res = check_remote(["s3://bench/fleet"], ruleset, settings, notes)
    dt, c1 = time.perf_counter() - t0, cpu_s()
    p1 = process_cpu()
    m1 = time.thread_time()
    lt1 = loop_thread_cpu()
    if profs:
        profs[0].disable()
        done = threading.Event()
        import fsspec.asyn

        fsspec.asyn.get_loop().call_soon_threadsafe(lambda: (profs[1].disable(), done.set()))
        done.wait()
        profs[0].dump_stats(profile + ".main")
        profs[1].dump_stats(profile + ".loop")
    after = srv.stats()
    if len(res) != expect or notes:
        raise SystemExit(f"saw {len(res)} packages (expected {expect}): {notes[:3]}")
    n = expect
    client = c1 - c0
    server = after["cpu_s"] - before["cpu_s"]
    bound = CORES * n / (client + server)
    gets = sum(after["gets"].values())
    return {"jobs": jobs, "s": dt, "rate": n / dt, "client": client / n * 1e3,
            "rules": clock.ns / n / 1e6, "nonrule": (client - clock.ns / 1e9) / n * 1e3,
            "main": (m1 - m0) / n * 1e3, "loop": (sum(lt1) - sum(lt0)) / n * 1e3,
            "loop_sys": (lt1[1] - lt0[1]) / n * 1e3, "sys": (p1[1] - p0[1]) / n * 1e3,
            "server": server / n * 1e3, "share": n / dt / bound, "gets": gets / n}


def line(r: dict) -> str:
    return (f"-j {r['jobs']:<3} {r['s']:5.2f}s {r['rate']:6.1f} pkg/s  client {r['client']:.2f}"
            f" ms/pkg (rules {r['rules']:.2f}, non-rule {r['nonrule']:.2f}; calling thread "
            f"{r['main']:.2f}, loop thread {r['loop']:.2f} (sys {r['loop_sys']:.2f}); all sys "
            f"{r['sys']:.2f})  server {r['server']:.2f}  "
            f"share {r['share']:.0%}  GETs/pkg {r['gets']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--jobs", default="64,256")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--servers", type=int, default=3)
    ap.add_argument("--no-rules", action="store_true", help="also scan with no rules")
    ap.add_argument("--only-no-rules", action="store_true", help="scan with no rules only")
    ap.add_argument("--profile", help="cProfile output prefix (last scan)")
    ap.add_argument("--compare", metavar="REV")
    args = ap.parse_args()
    clients = {"": bucket_scan.current_client()}
    if args.compare:
        clients = {f"before({args.compare})": bucket_scan.client_of(args.compare),
                   "after": bucket_scan.current_client()}
    modes = [False] if args.only_no_rules else ([True, False] if args.no_rules else [True])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        s3server.make_tree(root, args.count)
        from modelcheck.api import check
        from modelcheck.engine.settings import Settings

        n = len(check([str(root)], Settings(jobs=1)).packages)
        with s3server.s3_server(latency_ms=args.latency_ms, processes=args.servers) as srv:
            s3server.fill_servers(srv, root)
            jobs_list = [int(j) for j in args.jobs.split(",")]
            for mods in clients.values():
                bucket_scan.use_client(mods)
                one_scan(srv, jobs_list[-1], n, True)  # warm-up
            print(f"{n} packages, +{args.latency_ms:g} ms/request, {args.servers} servers",
                  flush=True)
            for jobs in jobs_list:
                for rules in modes:
                    for _ in range(args.repeat):
                        for name, mods in clients.items():
                            bucket_scan.use_client(mods)
                            r = one_scan(srv, jobs, n, rules, args.profile)
                            tag = "rules" if rules else "NO rules"
                            print(f"{name:>16} {tag:8} {line(r)}", flush=True)


if __name__ == "__main__":
    main()
