"""Bucket scan throughput: ``--jobs 1`` against ``--jobs 16/64/256`` on a local S3 server.

Starts moto's S3 server on 127.0.0.1 (child processes, see tests/s3server.py; ``--servers N``
processes behind one port, each with a copy of the bucket: one moto process is one GIL, at
most one core, and would be the bottleneck), uploads N generated packages (copies of real
ones), and scans the bucket with the public API. Loopback has almost no latency, so the scans
are repeated with an artificial delay the server adds to every request (``--latency-ms``,
default 20 and 50 ms: typical S3 first-byte latencies; a sleep, no server CPU). Printed per
setting: packages/s, GET requests per package (counted by the server), client CPU per package
(this process, all threads: rules included; split into the thread CPU inside
``check_package_obj``, "rules", and "the rest": listing, planning, transport, hand-offs,
package plumbing), server CPU per package (all server processes),
the CPU bound of this machine (its cores / (client + server CPU per package): no scan on these
cores can go faster), the fraction of it reached, client-side packages/s per core (1 / client
CPU per package: what carries to a machine whose S3 is elsewhere) and the peak RSS during
the scan.

    python bench/bucket_scan.py [--count 500] [--jobs 1,16,64,256] [--latency-ms 0,20,50]
                                [--servers 3] [--repeat 1] [--table] [--close]
                                [--client-rev REV] [--compare REV] [--one-rule CODE] [--tls]

``--table`` prints markdown rows for bench/run.py (| measure | modelcheck | baseline | ratio |
target |), and a projection for N machines from the measured per-package costs.
``--close`` makes the server close every connection (werkzeug's default);
``--client-rev`` measures the bucket-scan client of an older commit (its
modelcheck/scan/remote.py and sources/fsspec_source.py, s3_direct.py, s3_http.py,
s3_list.py), for before/after tables; ``--compare`` runs that older client and the current
one alternately on the same server (the machine's load from other processes drifts: scans
minutes apart are not comparable); ``--one-rule CODE`` alternates each scan with one that runs
only that rule (same fetches: what a package's batch holds does not depend on the rules), so
the client CPU of the transport and plumbing is measured beside the full scan's. ``--tls``
serves S3 over HTTPS (a throw-away certificate authority the client is told to trust), as
production S3 is reached: the client's CPU then includes TLS.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import types
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import s3server  # noqa: E402

TARGET_RATIO = 5.0  # issue #6: --jobs 16 at least 5x faster than --jobs 1


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


@dataclass
class Scan:
    jobs: int
    seconds: float
    packages: int
    client_cpu: float
    server_cpu: float
    gets: int
    repeated_gets: int  # GETs of a key already fetched in the same scan
    other: int  # listings, HEADs and the rest
    rss_mb: float = 0.0  # peak resident memory of this process during the scan
    rules_cpu: float = 0.0  # thread CPU inside check_package_obj (the rules and the engine)

    @property
    def rate(self) -> float:
        return self.packages / self.seconds

    @property
    def bound(self) -> float:
        """Packages/s no scan on this machine's cores can beat: its CPU over what one
        package costs the client and the server together."""
        return CORES * self.packages / (self.client_cpu + self.server_cpu)

    @property
    def per_core(self) -> float:
        """Client-side packages/s per core (1 / client CPU per package)."""
        return self.packages / self.client_cpu

    def line(self) -> str:
        n = self.packages
        return (f"--jobs {self.jobs:<3} {self.seconds:6.2f}s {self.rate:6.1f} pkg/s  GETs/pkg "
                f"{self.gets / n:.2f} (repeated {self.repeated_gets}, other {self.other})  "
                f"client CPU/pkg {self.client_cpu / n * 1000:.2f} ms (rules "
                f"{self.rules_cpu / n * 1000:.2f}, the rest "
                f"{(self.client_cpu - self.rules_cpu) / n * 1000:.2f})  server CPU/pkg "
                f"{self.server_cpu / n * 1000:.2f} ms  bound {self.bound:.0f} pkg/s "
                f"({self.rate / self.bound:.0%} of it)  client {self.per_core:.0f} pkg/s/core"
                f"  peak RSS {self.rss_mb:.0f} MB")


CORES = os.cpu_count() or 1


class PeakRss:
    """Highest resident memory of this process while in use: the kernel's high-water mark
    (``VmHWM``), reset on entry through ``/proc/self/clear_refs``, so nothing runs during the
    scan (a sampling thread would add its own CPU to the client's figure). Where the mark
    cannot be reset, a thread samples ``/proc/self/statm`` every 20 ms instead."""

    def __enter__(self) -> PeakRss:
        self._thread = None
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak RSS to the current RSS
            self.peak = 0.0
            return self
        except OSError:
            pass
        self.peak = self._now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is None:
            self.peak = self._hwm()
            return
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._now())

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._now())

    @staticmethod
    def _hwm() -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
        return 0.0

    @staticmethod
    def _now() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


# imported in this order (each may import the ones before it at import time)
CLIENT_MODULES = ("modelcheck.sources.s3_http", "modelcheck.sources.s3_list",
                  "modelcheck.sources.s3_direct", "modelcheck.sources.fsspec_source",
                  "modelcheck.scan.remote")


def current_client() -> dict[str, types.ModuleType]:
    import importlib

    return {name: importlib.import_module(name) for name in CLIENT_MODULES}


def client_of(rev: str) -> dict[str, types.ModuleType]:
    """The bucket-scan client modules of commit ``rev``; :func:`use_client` switches to them
    (they import each other lazily, through sys.modules, so they switch together)."""
    saved = current_client()
    out = {}
    for name in CLIENT_MODULES:
        path = name.replace(".", "/") + ".py"
        got = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{path}"],
                             capture_output=True, text=True)
        if got.returncode:  # not in that commit: its client did without
            continue
        code = got.stdout
        mod = out[name] = sys.modules[name] = types.ModuleType(name)
        mod.__file__ = str(REPO / path)
        exec(compile(code, mod.__file__, "exec"), mod.__dict__)  # noqa: S102 - our own code
    use_client(saved)
    return out


def use_client(mods: dict[str, types.ModuleType]) -> None:
    sys.modules.update(mods)


class RuleClock:
    """Thread CPU spent in ``check_package_obj`` (the rules, and the engine around them),
    timed in the client's remote module while in use; the rest of the client CPU is the
    scan's own: listing, planning, transport, hand-offs, package plumbing."""

    def __enter__(self) -> RuleClock:
        self.ns = 0
        self.remote = sys.modules["modelcheck.scan.remote"]
        self.inner = self.remote.check_package_obj

        def timed(*a, **kw):
            t0 = time.thread_time_ns()
            try:
                return self.inner(*a, **kw)
            finally:
                self.ns += time.thread_time_ns() - t0

        self.remote.check_package_obj = timed
        return self

    def __exit__(self, *exc) -> None:
        self.remote.check_package_obj = self.inner


def scan(srv: s3server.S3Server, jobs: int, expect: int, select: list[str] | None = None
         ) -> Scan:
    import modelcheck.scan.remote  # noqa: F401 - the module RuleClock patches
    from modelcheck.api import check
    from modelcheck.engine.settings import Settings

    settings = Settings(storage_options=srv.options(), jobs=jobs,
                        **({"select": select} if select else {}))
    before = srv.stats(reset=True)
    with PeakRss() as rss, RuleClock() as rules:
        c0, t0 = cpu_s(), time.perf_counter()
        rep = check(["s3://bench/fleet"], settings)
        dt, c1 = time.perf_counter() - t0, cpu_s()
    after = srv.stats()
    if len(rep.packages) != expect or rep.notifications:
        raise SystemExit(f"scan saw {len(rep.packages)} packages (expected {expect}), "
                         f"notifications: {rep.notifications[:3]}")
    gets = after["gets"]
    return Scan(jobs, dt, expect, c1 - c0, after["cpu_s"] - before["cpu_s"],
                sum(gets.values()), sum(v - 1 for v in gets.values()),
                after["requests"] - sum(gets.values()), rss.peak, rules.ns / 1e9)


def label_of(latency_ms: float) -> str:
    return (f"+{latency_ms:g} ms/request (artificial, models S3 latency)" if latency_ms
            else "loopback, no added latency")


def run(root: Path, n: int, latency_ms: float, jobs_list: list[int], repeat: int,
        keepalive: bool, quiet: bool, clients: dict[str, dict] | None = None,
        servers: int = 1, selects: dict[str, list[str]] | None = None, tls: bool = False
        ) -> dict[str, list[Scan]]:
    """Scans at each ``--jobs``; with several ``clients`` (name -> modules), each setting is
    scanned by each client in turn, ``repeat`` rounds, the best scan of each kept; a client
    named in ``selects`` runs only those rules."""
    selects = selects or {}
    label = label_of(latency_ms)
    with s3server.s3_server(latency_ms=latency_ms, keepalive=keepalive,
                            processes=servers, tls=tls) as srv:
        t0 = time.perf_counter()
        files = s3server.fill_servers(srv, root)  # every server process holds a copy
        if not quiet:
            print(f"[{label}] uploaded {files} objects in {time.perf_counter() - t0:.1f}s",
                  flush=True)
        clients = clients or {"": current_client()}
        for name, mods in clients.items():
            use_client(mods)
            # warm-up: imports, connections, server caches
            scan(srv, jobs_list[-1], n, selects.get(name))
        out: dict[str, list[Scan]] = {name: [] for name in clients}
        for jobs in jobs_list:
            tries: dict[str, list[Scan]] = {name: [] for name in clients}
            for _ in range(repeat):
                for name, mods in clients.items():
                    use_client(mods)
                    tries[name].append(scan(srv, jobs, n, selects.get(name)))
            for name in clients:
                best = min(tries[name], key=lambda s: s.seconds)
                out[name].append(best)
                if not quiet:
                    spread = ", ".join(f"{t.rate:.0f}" for t in tries[name])
                    print(f"[{label}]{name} {best.line()}"
                          + (f"  (pkg/s of the {repeat} tries: {spread})" if repeat > 1
                             else ""), flush=True)
        if not quiet:
            for name, scans in out.items():
                print(f"[{label}]{name} ratio --jobs {jobs_list[-1]} / --jobs {jobs_list[0]} ="
                      f" {scans[-1].rate / scans[0].rate:.2f}x (target {TARGET_RATIO:g}x)",
                      flush=True)
        return out


def local_cpu(root: Path) -> tuple[int, float]:
    """Packages under ``root`` (nested ones too) and CPU per package of a local scan."""
    from modelcheck.api import check
    from modelcheck.engine.settings import Settings

    n = len(check([str(root)], Settings(jobs=1)).packages)  # also warms imports
    c0 = cpu_s()
    check([str(root)], Settings(jobs=1))
    return n, (cpu_s() - c0) / n


def row(name: str, value: str, baseline: str = "", ratio: str = "", target: str = "") -> None:
    """One row in bench/run.py's table format."""
    print(f"| {name:<44} | {value:>14} | {baseline:>16} | {ratio:>9} | {target:<14} |")


def table(n: int, results: dict[float, list[Scan]], local: float) -> None:
    for lat, scans in results.items():
        where = f"+{lat:g} ms/req (artificial)" if lat else "loopback"
        first = scans[0]
        for s in scans:
            row(f"{n} pkgs, {where}, --jobs {s.jobs}", f"{s.rate:.1f} pkg/s",
                f"{first.rate:.1f} at -j {first.jobs}" if s is not first else "",
                f"{s.rate / first.rate:.2f}x" if s is not first else "",
                f">= {TARGET_RATIO:g}x" if s.jobs == 16 and lat else "")
        if lat:
            for s in scans[1:]:
                row(f"  -j {s.jobs}: share of the CPU bound", f"{s.rate / s.bound:.0%}",
                    f"bound {s.bound:.0f} pkg/s", "", ">= 85%" if s.jobs >= 64 else "")
    scans = [s for ss in results.values() for s in ss]
    gets = max(s.gets for s in scans) / n
    row("S3 GETs per package (server count)", f"{gets:.2f}",
        f"{max(s.repeated_gets for s in scans)} repeated", "", "1 per file read")
    busy = [s for s in scans if s.jobs > 1] or scans
    client = median(s.client_cpu for s in busy) / n
    row("client CPU per package (all threads)", f"{client * 1000:.2f} ms",
        f"{local * 1000:.2f} ms (local)", f"{client / local:.2f}x", "<= 1.5 ms")
    server = median(s.server_cpu for s in busy) / n
    row("moto server CPU per package (same cores)", f"{server * 1000:.2f} ms")
    row("client-side packages/s per core", f"{1 / client:.0f} pkg/s")
    for s in results[max(results)]:
        row(f"peak RSS during the scan, --jobs {s.jobs}", f"{s.rss_mb:.0f} MB")
    print()
    for line in projection(client, max(results), max(s.jobs for s in scans)):
        print(line)


def median(values) -> float:
    v = sorted(values)
    return v[len(v) // 2]


def projection(client_s: float, latency_ms: float, jobs: int) -> list[str]:
    """A model, not a measurement: N machines with C cores each scanning disjoint prefixes
    of a bucket on a real S3 (server CPU not theirs). Each machine checks at most C / client
    CPU per package (the client runs one interpreter: one core for the rules and transport
    unless the work is split over processes, so C = 1 here) and at most jobs / latency
    packages/s (one round trip per package batch); S3 itself serves 5,500 GET/s per prefix."""
    per_machine = min(1 / client_s, jobs / (latency_ms / 1000 or 1e-9))
    out = ["PROJECTION (model from the measured per-package client CPU, not a measurement): "
           f"one machine, one client process: min(1 / {client_s * 1000:.2f} ms, {jobs} in "
           f"flight / {latency_ms:g} ms) = {per_machine:.0f} pkg/s; N machines on disjoint "
           "prefixes:"]
    for machines in (1, 4, 16, 64):
        out.append(f"  N={machines:<3} ~{machines * per_machine:,.0f} pkg/s "
                   f"(~{machines * per_machine * 3600:,.0f} packages/hour)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", "--packages", type=int, default=500, dest="count",
                    help="packages to generate (nested ones come on top)")
    ap.add_argument("--jobs", default="1,16,64,256", help="comma-separated --jobs values")
    ap.add_argument("--servers", type=int, default=3,
                    help="moto server processes behind the one endpoint")
    ap.add_argument("--latency-ms", default="0,20,50",
                    help="comma-separated artificial per-request latencies (0: loopback)")
    ap.add_argument("--repeat", type=int, default=1, help="scans per setting (best kept)")
    ap.add_argument("--table", action="store_true", help="markdown rows for bench/run.py")
    ap.add_argument("--close", action="store_true",
                    help="server closes every connection (werkzeug's default)")
    ap.add_argument("--client-rev", help="measure the bucket-scan client of this commit")
    ap.add_argument("--compare", metavar="REV",
                    help="alternate the client of this commit and the current one")
    ap.add_argument("--one-rule", metavar="CODE",
                    help="alternate each scan with one running only rule CODE (e.g. MC102, "
                         "which parses MLmodel): the client CPU of the transport and plumbing")
    ap.add_argument("--tls", action="store_true", help="serve S3 over HTTPS")
    args = ap.parse_args()
    clients = None
    selects = None
    if args.client_rev:
        use_client(client_of(args.client_rev))
    elif args.compare:
        clients = {f" before ({args.compare})": client_of(args.compare),
                   " after": current_client()}
    elif args.one_rule:
        clients = {" all rules": current_client(), f" only {args.one_rule}": current_client()}
        selects = {f" only {args.one_rule}": [args.one_rule]}
    jobs_list = [int(j) for j in args.jobs.split(",")]
    latencies = [float(x) for x in args.latency_ms.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        s3server.make_tree(root, args.count)
        n, local = local_cpu(root)
        if not args.table:
            print(f"{n} packages ({args.count} generated + nested); local scan CPU/pkg "
                  f"{local * 1000:.1f} ms; {'close' if args.close else 'keep-alive'} server"
                  + (" over HTTPS" if args.tls else "")
                  + (f"; client of {args.client_rev}" if args.client_rev else ""), flush=True)
        results = {lat: run(root, n, lat, jobs_list, args.repeat, not args.close, args.table,
                            clients, args.servers, selects, args.tls) for lat in latencies}
    if args.table:
        table(n, {lat: next(iter(r.values())) for lat, r in results.items()}, local)
        return
    for name in next(iter(results.values())):
        ratios = [f"{label_of(lat)}: {r[name][-1].rate / r[name][0].rate:.2f}x"
                  for lat, r in results.items()]
        print(f"summary{name}: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
