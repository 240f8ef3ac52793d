"""modelcheck benchmarks: start-up, throughput, growth with size, memory, bucket scans.

    python bench/run.py            # the full table (takes a few minutes)
    python bench/run.py --quick    # the CI smoke version: small corpora, generous thresholds

Every figure is measured in this run and printed beside a baseline measured in the same run:
`python -c pass` for start-up, and MLflow's own load-and-enforce path (bench/mlflow_baseline.py)
when a Python with mlflow is available (MODELCHECK_BENCH_MLFLOW_PYTHON, or bench/.venv-mlflow
made by `python bench/run.py --setup-mlflow`). Without it that column says why it is absent.

Wall time is what a user waits for, but on a shared machine it mostly measures the neighbours;
CPU time (user + system of the measured processes) is printed beside it and is what `--quick`
judges, always as a ratio to `python -c pass` measured in the same run, so a slow or busy
machine cannot fail a good build: `--quick` exits 1 only on gross regressions.
Modules are byte-compiled first (as a pip install does), so start-up is not source compilation.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

from check_loop import per_package_cpu  # noqa: E402
from corpus import generate, make_package, templates  # noqa: E402

MLFLOW_VENV = HERE / ".venv-mlflow"
TARGETS = {"cold_ms": 100.0, "vs_mlflow": 15.0, "pkgs_per_s_all": 500.0, "rss_mb": 150.0}
# --quick fails only on gross regressions, in units of `python -c pass` CPU time measured in
# the same run (about 4x and 0.2x at the time of writing)
QUICK_LIMITS = {"cold_cpu_x_py": 12.0, "pkg_cpu_x_py": 1.0}


def mlflow_python() -> str | None:
    env = os.environ.get("MODELCHECK_BENCH_MLFLOW_PYTHON")
    for cand in (env, str(MLFLOW_VENV / "bin" / "python"), "/work/venvs/mlflow3/bin/python"):
        if cand and Path(cand).exists():
            ok = subprocess.run([cand, "-c", "import mlflow"], capture_output=True)
            if ok.returncode == 0:
                return cand
    return None


def setup_mlflow() -> None:
    subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
    subprocess.run([str(MLFLOW_VENV / "bin" / "pip"), "install", "-q", "mlflow==3.18.0",
                    "scikit-learn", "skops"], check=True)


def timed(cmd: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (user + system of the process tree) of each of ``runs`` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, _rss, _code = run_measured(cmd)
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


def run_measured(cmd: list[str]) -> tuple[float, float, float, int]:
    """Wall s, CPU s (whole tree), peak RSS (MB) of the largest process in the tree, exit code."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def mc(*args: str) -> list[str]:
    return [sys.executable, "-m", "modelcheck", "check", "-q", "--exit-zero", "--no-progress",
            *args]


def row(name: str, value: str, baseline: str = "", ratio: str = "", target: str = "") -> None:
    print(f"| {name:<44} | {value:>14} | {baseline:>16} | {ratio:>9} | {target:<14} |")


def header(title: str) -> None:
    print(f"\n### {title}\n")
    print(f"| {'measure':<44} | {'modelcheck':>14} | {'baseline':>16} | {'ratio':>9} | "
          f"{'target':<14} |")
    print(f"|{'-' * 46}|{'-' * 16}:|{'-' * 18}:|{'-' * 10}:|{'-' * 16}|")


def bench_cold(runs: int, pkg: Path, failures: list[str], quick: bool) -> float:
    """Returns the CPU seconds of `python -c pass` (the unit of the --quick limits)."""
    header(f"Cold start: one package, whole process, median of {runs} runs")
    bw, bc, cw, cc = interleaved([sys.executable, "-c", "pass"], mc(str(pkg)), runs)
    base, cold, base_cpu, cold_cpu = med(bw), med(cw), med(bc), med(cc)
    row("python -c pass (wall / CPU)", f"{base * 1000:.0f} ms", f"CPU {base_cpu * 1000:.0f} ms")
    row("modelcheck check PKG (wall)", f"{cold * 1000:.0f} ms", f"{base * 1000:.0f} ms (py)",
        f"{cold / base:.1f}x", f"<= {TARGETS['cold_ms']:.0f} ms")
    row("modelcheck check PKG (CPU)", f"{cold_cpu * 1000:.0f} ms",
        f"{base_cpu * 1000:.0f} ms (py)", f"{cold_cpu / base_cpu:.1f}x", "")
    row("  beyond the interpreter (wall / CPU)", f"{(cold - base) * 1000:.0f} ms",
        f"CPU {(cold_cpu - base_cpu) * 1000:.0f} ms")
    if quick and cold_cpu / base_cpu > QUICK_LIMITS["cold_cpu_x_py"]:
        failures.append(f"cold start CPU {cold_cpu / base_cpu:.1f}x python -c pass "
                        f"(limit {QUICK_LIMITS['cold_cpu_x_py']:.0f}x)")
    if not quick and cold * 1000 > TARGETS["cold_ms"]:
        failures.append(f"cold start {cold * 1000:.0f} ms > {TARGETS['cold_ms']:.0f} ms")
    py = mlflow_python()
    if py is None:
        row("MLflow load + enforce example", "(absent)", "no mlflow: skipped")
        print("\n(no Python with mlflow found: the MLflow column is skipped; set "
              "MODELCHECK_BENCH_MLFLOW_PYTHON or run --setup-mlflow)")
        return base_cpu
    mruns = max(3, runs // 3)
    mw, mcpu = timed([py, str(HERE / "mlflow_baseline.py"), str(pkg)], mruns)
    ml, ml_cpu = med(mw), med(mcpu)
    row(f"MLflow load + enforce (median of {mruns}), wall", f"{cold * 1000:.0f} ms",
        f"{ml * 1000:.0f} ms", f"{ml / cold:.1f}x", f">= {TARGETS['vs_mlflow']:.0f}x faster")
    row("MLflow load + enforce, CPU", f"{cold_cpu * 1000:.0f} ms", f"{ml_cpu * 1000:.0f} ms",
        f"{ml_cpu / cold_cpu:.1f}x", "")
    if not quick and ml / cold < TARGETS["vs_mlflow"]:
        failures.append(f"only {ml / cold:.1f}x faster than MLflow's path")
    iw, _ic = timed([py, "-c", "import mlflow"], mruns)
    row("  of which `import mlflow` alone", "", f"{med(iw) * 1000:.0f} ms")
    return base_cpu


def interleaved(a: list[str], b: list[str], runs: int
                ) -> tuple[list[float], list[float], list[float], list[float]]:
    """:func:`timed` for two commands, run alternately: a machine whose speed drifts (a
    shared host) then slows both alike."""
    aw, ac, bw, bc = [], [], [], []
    for _ in range(runs):
        for cmd, walls, cpus in ((a, aw, ac), (b, bw, bc)):
            wall, cpu, _rss, _code = run_measured(cmd)
            walls.append(wall)
            cpus.append(cpu)
    return aw, ac, bw, bc


def instructions(cmd: list[str]) -> int | None:
    """Instructions the command executes (valgrind's callgrind), or None without valgrind.
    Unlike seconds, the count does not depend on what else the machine is doing."""
    if shutil.which("valgrind") is None:
        return None
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           *cmd], capture_output=True, text=True)
    for line in proc.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    return None


def bench_instructions(pkg: Path) -> None:
    """Cold start in instructions: the same figures as wall/CPU time, free of machine noise."""
    base = instructions([sys.executable, "-c", "pass"])
    cold = instructions(mc(str(pkg)))
    if base is None or cold is None:
        row("instructions (valgrind)", "(absent)", "no valgrind: skipped")
        return
    row("modelcheck check PKG, instructions", f"{cold / 1e6:.0f} M", f"{base / 1e6:.0f} M (py)",
        f"{cold / base:.1f}x", "")


def bench_package_instructions(root: Path) -> None:
    """Instructions per package (valgrind), warm: the checks of every package under ``root``
    run twice minus once, in one process, so start-up and first-use costs cancel out."""
    n = sum(1 for p in root.iterdir() if p.is_dir())
    loop = str(HERE / "check_loop.py")
    once = instructions([sys.executable, loop, str(root), "1"])
    twice = instructions([sys.executable, loop, str(root), "2"])
    if once is None or twice is None:
        row("per package, instructions", "(absent)", "no valgrind: skipped")
        return
    py = instructions([sys.executable, "-c", "pass"]) or 1
    per = (twice - once) / n
    row(f"per package, instructions ({n} pkgs, warm)", f"{per / 1e6:.1f} M",
        f"{py / 1e6:.0f} M (py)", f"{per / py:.2f}x", "")


def drop_page_cache() -> bool:
    """Empty the kernel's page cache (root only), so a scan reads its corpus from disk."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("3\n")
        return True
    except OSError:
        return False


def bench_throughput(counts: list[int], failures: list[str], quick: bool,
                     base_cpu: float, cold_cache: bool = False) -> None:
    cpus = os.cpu_count() or 1
    if cold_cache and not drop_page_cache():
        print("\n(--cold-cache needs root: scans read the page cache as found)")
        cold_cache = False
    how = "page cache dropped before each scan" if cold_cache else "page cache as found"
    header(f"Throughput over local packages ({cpus} cores; CPU = all processes; {how})")
    for n in counts:
        root = OUT / f"corpus-{n}"
        if not (root / f"pkg{n - 1:05d}").exists():
            shutil.rmtree(root, ignore_errors=True)
            generate(root, n, seed=n)
        for jobs, label in ((1, "1 core"), (0, f"all {cpus} cores ({cpus + 1} workers)")):
            if cold_cache:
                drop_page_cache()
            wall, cpu, rss, code = run_measured(mc(str(root), "-j", str(jobs)))
            rate = n / wall
            target = f">= {TARGETS['pkgs_per_s_all']:.0f}/s" if jobs == 0 else ""
            row(f"{n} packages, {label}", f"{rate:.0f} pkg/s", f"{wall:.2f} s wall",
                f"{cpu / n * 1000:.1f} ms", target)
            if code not in (0,):
                failures.append(f"scan of {n} packages exited {code}")
            if jobs == 0 and not quick and rate < TARGETS["pkgs_per_s_all"]:
                failures.append(f"{rate:.0f} pkg/s < {TARGETS['pkgs_per_s_all']:.0f} pkg/s")
            per_pkg = cpu / n / base_cpu
            if quick and per_pkg > QUICK_LIMITS["pkg_cpu_x_py"]:
                failures.append(f"{cpu / n * 1000:.1f} ms CPU per package = {per_pkg:.2f}x "
                                f"python -c pass (limit {QUICK_LIMITS['pkg_cpu_x_py']}x)")
        if n >= 10_000 or (quick and n == counts[-1]):
            row(f"peak RSS, {n} packages (largest process)", f"{rss:.0f} MB", "", "",
                f"<= {TARGETS['rss_mb']:.0f} MB")
            if rss > TARGETS["rss_mb"]:
                failures.append(f"peak RSS {rss:.0f} MB > {TARGETS['rss_mb']:.0f} MB")
    if not quick:
        root = OUT / "corpus-200"
        if not (root / "pkg00199").exists():
            shutil.rmtree(root, ignore_errors=True)
            generate(root, 200, seed=200)
        bench_package_instructions(root)
    print("\n(ratio column: CPU per package, all processes"
          + ("; instructions: python -c pass)" if not quick else ")"))


def bench_growth(quick: bool, failures: list[str]) -> None:
    import random

    sys.path.insert(0, str(REPO))
    header("Growth with package size (CPU per package, warm, best of 3; must stay linear)")
    tpl = templates()[0]
    n = 5 if quick else 10
    axes = {
        "columns": [(c, 10, 10) for c in (10, 100, 1000)],
        "example rows (20 columns)": [(20, r, 10) for r in (10, 1000, 10000)],
        "requirements": [(10, 10, q) for q in (5, 50, 500)],
    }
    for axis, sizes in axes.items():
        per: list[tuple[int, float]] = []
        for cols, rows, reqs in sizes:
            root = OUT / f"growth-{cols}-{rows}-{reqs}-{n}"
            if not root.exists():
                rnd = random.Random(7)
                for i in range(n):
                    make_package(tpl, root / f"p{i:03d}", cols=cols, rows=rows, reqs=reqs,
                                 rnd=rnd)
            size = {"columns": cols, "example rows (20 columns)": rows,
                    "requirements": reqs}[axis]
            per.append((size, per_package_cpu(root, 3)))
        (s0, t0), (s2, t2) = per[0], per[-1]
        growth = t2 / t0
        label = ", ".join(f"{s}: {t * 1000:.1f} ms" for s, t in per)
        row(f"{axis}", f"x{growth:.1f} time", f"x{s2 / s0:.0f} size", "",
            "sub-linear ok")
        print(f"|   {label:<150} |")
        if growth > (s2 / s0) * 1.5:
            failures.append(f"{axis}: time grew x{growth:.1f} for x{s2 / s0:.0f} size")


def bench_bucket(quick: bool) -> None:
    script = HERE / "bucket_scan.py"
    header("Bucket scan: local S3-compatible server (moto) on 127.0.0.1")
    if quick:
        row("bucket scan", "(skipped)", "--quick: see tests")
        return
    if not script.exists():
        row("bucket scan", "(absent)", "bench/bucket_scan.py missing")
        return
    args = [sys.executable, str(script), "--count", "500", "--table"]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        row("bucket scan", "(failed)", last[:16])
        print(f"\n(bucket_scan.py failed: {last})")
        return
    sys.stdout.write(proc.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI smoke run with generous limits")
    ap.add_argument("--setup-mlflow", action="store_true", help="make bench/.venv-mlflow")
    ap.add_argument("--cold-cache", action="store_true",
                    help="drop the page cache before each throughput scan (needs root)")
    ap.add_argument("--skip", action="append", default=[],
                    choices=["cold", "throughput", "growth", "bucket"])
    args = ap.parse_args()
    if args.setup_mlflow:
        setup_mlflow()
    OUT.mkdir(exist_ok=True)
    failures: list[str] = []
    print(f"modelcheck benchmarks - {time.strftime('%Y-%m-%d %H:%M')} - "
          f"Python {sys.version.split()[0]} - {os.cpu_count()} cores"
          + (" - QUICK" if args.quick else ""))
    pkg = OUT / "cold-pkg"
    if not pkg.exists():
        make_package(templates()[0], pkg, cols=20, rows=50, reqs=8,
                     rnd=__import__("random").Random(3))
    # byte-compile as an install does (PYTHONDONTWRITEBYTECODE would otherwise make every
    # run compile modelcheck from source, ~100 ms that no installed user pays)
    for d in ("modelcheck", "rules"):
        compileall.compile_dir(str(REPO / d), quiet=1)
    base_cpu = statistics.median(timed([sys.executable, "-c", "pass"], 5)[1])
    if "cold" not in args.skip:
        base_cpu = bench_cold(10 if args.quick else 20, pkg, failures, args.quick)
        if not args.quick:
            bench_instructions(pkg)
    if "throughput" not in args.skip:
        bench_throughput([200] if args.quick else [1000, 10_000], failures, args.quick,
                         base_cpu, args.cold_cache)
    if "growth" not in args.skip:
        bench_growth(args.quick, failures)
    if "bucket" not in args.skip:
        bench_bucket(args.quick)
    print()
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("all targets met" if not args.quick else "no gross regression (quick limits: "
          + ", ".join(f"{k} {v}" for k, v in QUICK_LIMITS.items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
