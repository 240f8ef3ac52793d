"""Shared test helpers: run the CLI in a subprocess, copy fixture packages."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOOD_PKG = REPO / "examples" / "iris-sklearn"  # written by real MLflow 3.18.0, clean
CORPUS = REPO.parent / "shared" / "corpus" / "realworld"
CORPUS2 = REPO.parent / "shared" / "corpus" / "realworld2"


def run_cli(*args: str, cwd: str | Path | None = None, env: dict | None = None,
            ) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "modelcheck", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


def finding_key(f) -> tuple:
    """What two runs must agree on for a finding (to compare a remote scan with a local one)."""
    return (f.code, str(f.level), f.file, f.line, f.col, f.pointer, f.message)


def copy_package(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


def write_plugin(site: Path, dist: str, module_src: str, entry: str) -> None:
    """Install a real third-party plugin distribution (dist-info + entry point) into ``site``."""
    mod = dist.replace("-", "_")
    (site / f"{mod}.py").write_text(module_src)
    info = site / f"{mod}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[modelcheck.rules]\n{dist} = {entry}\n")
