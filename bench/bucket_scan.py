"""Bucket scan throughput: ``--jobs 1`` against ``--jobs 4`` and ``--jobs 16`` on a local S3 server.

Starts moto's S3 server on 127.0.0.1 (a child process, see tests/s3server.py), uploads N
generated packages (copies of real ones), and scans the bucket with the public API. Loopback
has almost no latency, so the scans are repeated with an artificial delay the server adds to
every request (``--latency-ms``, default 20 and 50 ms: typical S3 first-byte latencies; each
result line says which). Printed per setting: packages/s, GET requests per package (counted by
the server), client CPU per package (this process, all threads) and server CPU per package
(moto shares this machine's cores; a real S3 does not).

    python bench/bucket_scan.py [--count 500] [--jobs 1,4,16] [--latency-ms 0,20,50]
                                [--repeat 1] [--table] [--close] [--client-rev REV]
                                [--compare REV]

``--table`` prints markdown rows for bench/run.py (| measure | modelcheck | baseline | ratio |
target |). ``--close`` makes the server close every connection (werkzeug's default, how this
bench ran before); ``--client-rev`` measures the bucket-scan client of an older commit (its
modelcheck/sources/remote.py and fsspec_source.py), for before/after tables; ``--compare``
runs that older client and the current one alternately on the same server (the machine's
load from other processes drifts: scans minutes apart are not comparable).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
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

    @property
    def rate(self) -> float:
        return self.packages / self.seconds


CLIENT_MODULES = ("modelcheck.sources.fsspec_source", "modelcheck.scan.remote")


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
        code = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{path}"], check=True,
                              capture_output=True, text=True).stdout
        mod = out[name] = sys.modules[name] = types.ModuleType(name)
        mod.__file__ = str(REPO / path)
        exec(compile(code, mod.__file__, "exec"), mod.__dict__)  # noqa: S102 - our own code
    use_client(saved)
    return out


def use_client(mods: dict[str, types.ModuleType]) -> None:
    sys.modules.update(mods)


def scan(srv: s3server.S3Server, jobs: int, expect: int) -> Scan:
    from modelcheck.api import check
    from modelcheck.engine.settings import Settings

    settings = Settings(storage_options=srv.options(), jobs=jobs)
    before = srv.stats(reset=True)
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
                after["requests"] - sum(gets.values()))


def label_of(latency_ms: float) -> str:
    return (f"+{latency_ms:g} ms/request (artificial, models S3 latency)" if latency_ms
            else "loopback, no added latency")


def run(root: Path, n: int, latency_ms: float, jobs_list: list[int], repeat: int,
        keepalive: bool, quiet: bool, clients: dict[str, dict] | None = None
        ) -> dict[str, list[Scan]]:
    """Scans at each ``--jobs``; with several ``clients`` (name -> modules), each setting is
    scanned by each client in turn, ``repeat`` rounds, the best scan of each kept."""
    label = label_of(latency_ms)
    with s3server.s3_server(latency_ms=latency_ms, keepalive=keepalive) as srv:
        c = srv.client()
        c.create_bucket(Bucket="bench")
        t0 = time.perf_counter()
        files = s3server.upload_tree(c, "bench", root, "fleet", workers=16)
        if not quiet:
            print(f"[{label}] uploaded {files} objects in {time.perf_counter() - t0:.1f}s",
                  flush=True)
        clients = clients or {"": current_client()}
        for mods in clients.values():
            use_client(mods)
            scan(srv, jobs_list[-1], n)  # warm-up: imports, connections, server caches
        out: dict[str, list[Scan]] = {name: [] for name in clients}
        for jobs in jobs_list:
            tries: dict[str, list[Scan]] = {name: [] for name in clients}
            for _ in range(repeat):
                for name, mods in clients.items():
                    use_client(mods)
                    tries[name].append(scan(srv, jobs, n))
            for name in clients:
                best = min(tries[name], key=lambda s: s.seconds)
                out[name].append(best)
                if not quiet:
                    print(f"[{label}]{name} --jobs {jobs:<2} {best.seconds:6.2f}s "
                          f"{best.rate:6.1f} pkg/s  GETs/pkg {best.gets / n:.2f} (repeated "
                          f"{best.repeated_gets}, other requests {best.other})  client CPU/pkg"
                          f" {best.client_cpu / n * 1000:.1f} ms  server CPU/pkg"
                          f" {best.server_cpu / n * 1000:.1f} ms", flush=True)
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
            is_last = s is scans[-1] and len(scans) > 1
            row(f"{n} pkgs, {where}, --jobs {s.jobs}", f"{s.rate:.1f} pkg/s",
                f"{first.rate:.1f} at -j {first.jobs}" if s is not first else "",
                f"{s.rate / first.rate:.2f}x" if s is not first else "",
                f">= {TARGET_RATIO:g}x" if is_last else "")
    scans = [s for ss in results.values() for s in ss]
    gets = max(s.gets for s in scans) / n
    row("S3 GETs per package (server count)", f"{gets:.2f}",
        f"{max(s.repeated_gets for s in scans)} repeated", "", "1 per file read")
    client = min(s.client_cpu for s in scans) / n
    row("client CPU per package (all threads)", f"{client * 1000:.1f} ms",
        f"{local * 1000:.1f} ms (local)", f"{client / local:.1f}x", "")
    server = min(s.server_cpu for s in scans) / n
    row("moto server CPU per package (same cores)", f"{server * 1000:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", "--packages", type=int, default=500, dest="count",
                    help="packages to generate (nested ones come on top)")
    ap.add_argument("--jobs", default="1,4,16", help="comma-separated --jobs values")
    ap.add_argument("--latency-ms", default="0,20,50",
                    help="comma-separated artificial per-request latencies (0: loopback)")
    ap.add_argument("--repeat", type=int, default=1, help="scans per setting (best kept)")
    ap.add_argument("--table", action="store_true", help="markdown rows for bench/run.py")
    ap.add_argument("--close", action="store_true",
                    help="server closes every connection (werkzeug's default)")
    ap.add_argument("--client-rev", help="measure the bucket-scan client of this commit")
    ap.add_argument("--compare", metavar="REV",
                    help="alternate the client of this commit and the current one")
    args = ap.parse_args()
    clients = None
    if args.client_rev:
        use_client(client_of(args.client_rev))
    elif args.compare:
        clients = {f" before ({args.compare})": client_of(args.compare),
                   " after": current_client()}
    jobs_list = [int(j) for j in args.jobs.split(",")]
    latencies = [float(x) for x in args.latency_ms.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        s3server.make_tree(root, args.count)
        n, local = local_cpu(root)
        if not args.table:
            print(f"{n} packages ({args.count} generated + nested); local scan CPU/pkg "
                  f"{local * 1000:.1f} ms; {'close' if args.close else 'keep-alive'} server"
                  + (f"; client of {args.client_rev}" if args.client_rev else ""), flush=True)
        results = {lat: run(root, n, lat, jobs_list, args.repeat, not args.close, args.table,
                            clients) for lat in latencies}
    if args.table:
        table(n, {lat: next(iter(r.values())) for lat, r in results.items()}, local)
        return
    for name in next(iter(results.values())):
        ratios = [f"{label_of(lat)}: {r[name][-1].rate / r[name][0].rate:.2f}x"
                  for lat, r in results.items()]
        print(f"summary{name}: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
