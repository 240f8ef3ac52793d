"""modelcheck benchmarks: start-up, throughput, growth with size, memory, bucket scans.

    python bench/run.py            # the full table (takes a few minutes)
    python bench/run.py --quick    # the CI smoke version: small corpora, generous thresholds

Every figure is measured in this run and printed beside a baseline measured in the same run:
`python -c pass` for start-up, and MLflow's own load-and-enforce path (bench/mlflow_baseline.py)
when a Python with mlflow is available (MODELCHECK_BENCH_MLFLOW_PYTHON, or bench/.venv-mlflow
made by `python bench/run.py --setup-mlflow`). Without it that column says why it is absent.
"""

from __future__ import annotations

import argparse
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

from corpus import generate, make_package, templates  # noqa: E402

MLFLOW_VENV = HERE / ".venv-mlflow"
TARGETS = {"cold_ms": 100.0, "vs_mlflow": 15.0, "pkgs_per_s_all": 500.0, "rss_mb": 150.0}


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


def timed(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - t)
    return out


def run_measured(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) of the largest process in the tree, exit code."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


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


def bench_cold(runs: int, pkg: Path, failures: list[str], quick: bool) -> None:
    header(f"Cold start: one package, whole process, median of {runs} runs")
    base = statistics.median(timed([sys.executable, "-c", "pass"], runs))
    cold = statistics.median(timed(mc(str(pkg)), runs))
    row("python -c pass", f"{base * 1000:.0f} ms")
    row("modelcheck check PKG", f"{cold * 1000:.0f} ms", f"{base * 1000:.0f} ms (py)",
        f"{cold / base:.1f}x", f"<= {TARGETS['cold_ms']:.0f} ms")
    row("modelcheck start-up beyond the interpreter", f"{(cold - base) * 1000:.0f} ms")
    if quick and cold / base > 25:
        failures.append(f"cold start {cold / base:.1f}x python -c pass (limit 25x)")
    if not quick and cold * 1000 > TARGETS["cold_ms"]:
        failures.append(f"cold start {cold * 1000:.0f} ms > {TARGETS['cold_ms']:.0f} ms")
    py = mlflow_python()
    if py is None:
        row("MLflow load + enforce example", "(absent)", "no mlflow venv: run --setup-mlflow")
        return
    mruns = max(3, runs // 3)
    ml = statistics.median(timed([py, str(HERE / "mlflow_baseline.py"), str(pkg)], mruns))
    row(f"MLflow load + enforce (median of {mruns})", f"{cold * 1000:.0f} ms",
        f"{ml * 1000:.0f} ms", f"{ml / cold:.1f}x", f">= {TARGETS['vs_mlflow']:.0f}x faster")
    if not quick and ml / cold < TARGETS["vs_mlflow"]:
        failures.append(f"only {ml / cold:.1f}x faster than MLflow's path")
    imp = statistics.median(timed([py, "-c", "import mlflow"], mruns))
    row("  of which `import mlflow` alone", "", f"{imp * 1000:.0f} ms")


def bench_throughput(counts: list[int], failures: list[str], quick: bool) -> None:
    cpus = os.cpu_count() or 1
    header(f"Throughput over local packages ({cpus} cores)")
    for n in counts:
        root = OUT / f"corpus-{n}"
        if not (root / f"pkg{n - 1:05d}").exists():
            shutil.rmtree(root, ignore_errors=True)
            generate(root, n, seed=n)
        for jobs, label in ((1, "1 core"), (0, f"all {cpus} cores")):
            wall, rss, code = run_measured(mc(str(root), "-j", str(jobs)))
            rate = n / wall
            target = f">= {TARGETS['pkgs_per_s_all']:.0f}/s" if jobs == 0 else ""
            row(f"{n} packages, {label}", f"{rate:.0f} pkg/s", f"{wall:.2f} s wall", "",
                target)
            if code not in (0,):
                failures.append(f"scan of {n} packages exited {code}")
            if jobs == 0 and not quick and rate < TARGETS["pkgs_per_s_all"]:
                failures.append(f"{rate:.0f} pkg/s < {TARGETS['pkgs_per_s_all']:.0f} pkg/s")
            if jobs == 0 and quick and rate < 40:
                failures.append(f"throughput {rate:.0f} pkg/s (limit 40)")
        if n >= 10_000 or (quick and n == counts[-1]):
            row(f"peak RSS, {n} packages (largest process)", f"{rss:.0f} MB", "", "",
                f"<= {TARGETS['rss_mb']:.0f} MB")
            if rss > TARGETS["rss_mb"]:
                failures.append(f"peak RSS {rss:.0f} MB > {TARGETS['rss_mb']:.0f} MB")


def bench_growth(quick: bool, failures: list[str]) -> None:
    import random

    header("Growth with package size (time per package, 1 core; must stay linear)")
    tpl = templates()[0]
    n = 10 if quick else 30
    axes = {
        "columns": [(c, 10, 10) for c in (10, 100, 1000)],
        "example rows (20 columns)": [(20, r, 10) for r in (10, 1000, 10000)],
        "requirements": [(10, 10, q) for q in (5, 50, 500)],
    }
    for axis, sizes in axes.items():
        per: list[tuple[int, float]] = []
        for cols, rows, reqs in sizes:
            root = OUT / f"growth-{cols}-{rows}-{reqs}"
            if not root.exists():
                rnd = random.Random(7)
                for i in range(n):
                    make_package(tpl, root / f"p{i:03d}", cols=cols, rows=rows, reqs=reqs,
                                 rnd=rnd)
            wall, _rss, _ = run_measured(mc(str(root), "-j", "1"))
            size = {"columns": cols, "example rows (20 columns)": rows,
                    "requirements": reqs}[axis]
            per.append((size, wall / n))
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
    if not script.exists():
        row("bucket scan", "(absent)", "bench/bucket_scan.py missing")
        return
    args = [sys.executable, str(script), "--count", "60" if quick else "500", "--table"]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        row("bucket scan", "(failed)", proc.stderr.strip().splitlines()[-1][:16]
            if proc.stderr.strip() else "")
        return
    sys.stdout.write(proc.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI smoke run with generous limits")
    ap.add_argument("--setup-mlflow", action="store_true", help="make bench/.venv-mlflow")
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
    if "cold" not in args.skip:
        bench_cold(10 if args.quick else 20, pkg, failures, args.quick)
    if "throughput" not in args.skip:
        bench_throughput([300] if args.quick else [1000, 10_000], failures, args.quick)
    if "growth" not in args.skip:
        bench_growth(args.quick, failures)
    if "bucket" not in args.skip:
        bench_bucket(args.quick)
    print()
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("all targets met" if not args.quick else "no gross regression")
    return 0


if __name__ == "__main__":
    sys.exit(main())
