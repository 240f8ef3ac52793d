"""Before/after in one run: instructions of a cold check and per package, for a base commit and
the working tree, each installed as a user installs it (a wheel, not an editable tree).

    python bench/ab.py --base HEAD~3          # 200 packages, two rounds
    python bench/ab.py --base main --packages 400 --rounds 3
    python bench/ab.py --base HEAD~1 --this HEAD   # two commits, whatever the working tree

Both sides run with the same Python, the same dependencies, the same corpus and the same
hash seed; only modelcheck differs. Instruction counts (valgrind's callgrind) do not depend on
what else the machine is doing, so a change within a fraction of a percent is visible. Each
side uses its own ``bench/check_loop.py`` (the loop imports the API of its own commit).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "ab"
sys.path.insert(0, str(HERE))

from corpus import generate, make_package, templates  # noqa: E402
from run import instructions  # noqa: E402


def install(tree: Path, site: Path) -> None:
    """modelcheck from ``tree`` as a wheel into ``site`` (no dependencies: this Python's)."""
    if site.exists():
        shutil.rmtree(site)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-compile", "--target", str(site), str(tree)],
                   check=True, cwd=tree)
    # byte-compiled as pip does by default: start-up is not source compilation
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(site / "modelcheck")],
                   check=True)


def base_tree(rev: str) -> Path:
    """A clean checkout of ``rev`` (a git worktree under bench/out/ab)."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", rev + "^{commit}"],
                         check=True, capture_output=True, text=True).stdout.strip()
    tree = OUT / f"base-{sha[:12]}"
    if not tree.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f",
                        str(tree), sha], check=True, capture_output=True)
    return tree


def measure(site: Path, tree: Path, pkg: Path, corpus: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONHASHSEED": "0"}
    os.environ.update(env)
    cwd = os.getcwd()
    # `python -m` puts the working directory first on sys.path: run where no modelcheck/ is,
    # or both sides would import the source tree instead of their own install
    os.chdir(site.parent)
    try:
        cold = instructions([sys.executable, "-m", "modelcheck", "check", "-q", str(pkg)])
        loop = str(tree / "bench" / "check_loop.py")
        once = instructions([sys.executable, loop, str(corpus), "1"])
        twice = instructions([sys.executable, loop, str(corpus), "2"])
    finally:
        os.chdir(cwd)
        for k in ("PYTHONPATH", "PYTHONHASHSEED"):
            os.environ.pop(k, None)
    if cold is None or once is None or twice is None:
        raise SystemExit("valgrind is needed (apt-get install valgrind), or a run failed")
    n = sum(1 for p in corpus.iterdir() if p.is_dir())
    return {"cold": cold, "per_pkg": (twice - once) / n}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="the commit to compare the working tree with")
    ap.add_argument("--this", default=None,
                    help="the commit to measure against the base (default: the working tree)")
    ap.add_argument("--packages", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (best kept)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is needed: apt-get install valgrind", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    sides = {"base": base_tree(args.base), "this": base_tree(args.this) if args.this else REPO}
    with tempfile.TemporaryDirectory(prefix="modelcheck-ab-") as tmp:
        work = Path(tmp)
        pkg = work / "cold-pkg"
        make_package(templates()[0], pkg, cols=20, rows=50, reqs=8,
                     rnd=__import__("random").Random(3))
        corpus = work / "corpus"
        generate(corpus, args.packages, seed=args.packages)
        sites = {name: work / f"site-{name}" for name in sides}
        for name, tree in sides.items():
            install(tree, sites[name])
        py = instructions([sys.executable, "-c", "pass"]) or 1
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for name, tree in sides.items():
                got = measure(sites[name], tree, pkg, corpus)
                prev = best.setdefault(name, got)
                for k, v in got.items():
                    prev[k] = min(prev[k], v)
    base, this = best["base"], best["this"]
    print(f"modelcheck A/B - base {args.base} vs {args.this or 'the working tree'} - "
          f"{args.packages} packages, "
          f"best of {args.rounds} alternating rounds - python -c pass: {py / 1e6:.1f} M")
    print()
    print("| measure (instructions)                 |        base |        this |  change |")
    print("|----------------------------------------|------------:|------------:|--------:|")
    for key, label in (("cold", "modelcheck check PKG (cold process)"),
                       ("per_pkg", f"per package, warm ({args.packages} pkgs)")):
        change = (this[key] - base[key]) / base[key] * 100
        print(f"| {label:<38} | {base[key] / 1e6:9.2f} M | {this[key] / 1e6:9.2f} M | "
              f"{change:+6.2f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
