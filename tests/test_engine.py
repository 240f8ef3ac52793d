"""Engine behaviour: plugins, rule crashes, selection, discovery, baselines."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import GOOD_PKG, copy_package, run_cli, write_plugin

from modelcheck.engine.settings import Settings
from modelcheck.results import Finding, Level
from modelcheck.sources.discovery import discover

CRASHING = '''
from modelcheck.model import Hit, Level, rule

@rule("MC898", "always-crashes", Level.WARNING)
def boom(pkg):
    """Crashes on purpose.

    What it checks
    Nothing.

    Why it matters
    Tests the engine.

    Example
    n/a

    How to fix
    n/a
    """
    raise KeyError("deliberate")

@rule("MC897", "third-party-note", Level.NOTE)
def note(pkg):
    """Reports every package.

    What it checks
    Everything.

    Why it matters
    Tests plugins.

    Example
    n/a

    How to fix
    n/a
    """
    yield Hit("seen by a third-party rule", file="MLmodel", line=1)
'''


def test_third_party_plugin_and_rule_crash(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    write_plugin(site, "mc-crashy", CRASHING, "mc_crashy")
    pkg = copy_package(GOOD_PKG, tmp_path / "pkg")
    os.remove(pkg / "MLmodel")  # MC101 must still fire beside the crash
    (pkg / "registered_model_meta").write_text("model_name: x\n")
    env = {"PYTHONPATH": str(site)}
    r = run_cli("check", str(pkg), "--format", "json", env=env)
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    codes = [f["code"] for f in doc["packages"][0]["findings"]]
    assert "MC901" in codes and "MC101" in codes and "MC897" in codes
    crash = next(f for f in doc["packages"][0]["findings"] if f["code"] == "MC901")
    assert "MC898" in crash["message"] and "KeyError" in crash["message"]
    listed = run_cli("rules", env=env).stdout
    assert "MC897" in listed and "third-party-note" in listed


def test_duplicate_rule_code_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    dup = CRASHING.replace("MC898", "MC101")
    write_plugin(site, "mc-dup", dup, "mc_dup")
    r = run_cli("check", str(GOOD_PKG), env={"PYTHONPATH": str(site)})
    assert r.returncode == 2
    assert "MC101 is defined twice" in r.stderr


def test_selection_longest_prefix_wins() -> None:
    s = Settings(select=["MC1"], ignore=["MC10"], extend_select=["MC101"])
    assert s.enabled("MC101")
    assert not s.enabled("MC102")
    assert s.enabled("MC110")
    assert not s.enabled("MC201")
    s = Settings(select=["MC"], ignore=["MC3"])
    assert s.enabled("MC201") and not s.enabled("MC301")
    assert Settings(select=["MC1"], ignore=["MC1"]).enabled("MC101") is False


def test_severity_override_and_per_path_ignore() -> None:
    s = Settings(severity={"MC1": "note", "MC101": "warning"},
                 per_path_ignores={"models/legacy/**": ["MC1"], "*/old": ["MC2"]})
    assert s.level_for("MC101", Level.ERROR) is Level.WARNING
    assert s.level_for("MC102", Level.ERROR) is Level.NOTE
    assert s.level_for("MC201", Level.ERROR) is Level.ERROR
    f = Finding("MC101", "x", Level.ERROR, "m", package="models/legacy/a", file="MLmodel")
    assert s.path_ignored(f)
    g = Finding("MC201", "x", Level.ERROR, "m", package="models/new/a", file="MLmodel")
    assert not s.path_ignored(g)


def test_discovery_walks_up_dedups_and_skips(tmp_path: Path) -> None:
    a = copy_package(GOOD_PKG, tmp_path / "tree" / "a")
    copy_package(GOOD_PKG, tmp_path / "tree" / "b" / "nested")
    copy_package(GOOD_PKG, tmp_path / "tree" / ".git" / "hidden")
    copy_package(GOOD_PKG, tmp_path / "tree" / "node_modules" / "x")
    venv = tmp_path / "tree" / "env"
    copy_package(GOOD_PKG, venv / "lib" / "pkg")
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    targets, errors = discover([str(a / "conda.yaml"), str(a / "MLmodel"), str(a),
                                str(tmp_path / "tree")])
    assert errors == []
    paths = sorted(Path(t.path).resolve() for t in targets)
    assert paths == [a.resolve(), (tmp_path / "tree" / "b" / "nested").resolve()]
    _, errors = discover([str(tmp_path / "nope")])
    assert "no such file" in errors[0]


def test_missing_target_is_exit_2(tmp_path: Path) -> None:
    r = run_cli("check", str(tmp_path / "missing"), str(GOOD_PKG), "--format", "json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["summary"]["tool_failed"] is True
    assert any(f["code"] == "MC902" for p in doc["packages"] for f in p["findings"])
    assert len(doc["packages"]) == 2  # the good package was still checked


def test_baseline_round_trip(tmp_path: Path) -> None:
    pkg = copy_package(GOOD_PKG, tmp_path / "pkg")
    os.rename(pkg / "MLmodel", pkg / "MLModel")
    base = tmp_path / "baseline.json"
    r = run_cli("check", str(pkg), "--write-baseline", str(base))
    assert r.returncode == 0 and base.exists()
    assert json.loads(base.read_text())["findings"]
    r = run_cli("check", str(pkg), "--baseline", str(base), "--format", "json")
    assert r.returncode == 0, r.stdout
    assert json.loads(r.stdout)["summary"]["suppressed"] >= 1
    # a new defect in another package is not hidden
    other = copy_package(GOOD_PKG, tmp_path / "other")
    os.remove(other / "MLmodel")
    (other / "registered_model_meta").write_text("x: 1\n")
    r = run_cli("check", str(pkg), str(other), "--baseline", str(base))
    assert r.returncode == 1


def _found(report: str) -> dict:
    """A JSON report without its invocation (times and --jobs differ between the runs)."""
    doc = json.loads(report)
    doc.pop("invocation")
    return doc


def test_parallel_scan_matches_serial(tmp_path: Path) -> None:
    for i in range(30):
        p = copy_package(GOOD_PKG, tmp_path / f"p{i:02d}")
        if i % 3 == 0:
            (p / "MLmodel").write_text("flavors: [\n")
        if i % 5 == 0:
            os.rename(p / "MLmodel", p / "MLModel")
    serial = run_cli("check", str(tmp_path), "-f", "json", "-j", "1")
    parallel = run_cli("check", str(tmp_path), "-f", "json", "-j", "2")
    assert serial.returncode == parallel.returncode == 1
    assert _found(serial.stdout) == _found(parallel.stdout)
    # -j 2 without a terminal streams discovery into the pool: same packages, same order,
    # duplicates (a package also named on its own) once, failed targets first
    targets = [str(tmp_path / "missing"), str(tmp_path), str(tmp_path / "p07" / "MLmodel")]
    serial = run_cli("check", *targets, "-f", "json", "-j", "1")
    parallel = run_cli("check", *targets, "-f", "json", "-j", "2")
    assert serial.returncode == parallel.returncode == 2
    assert _found(serial.stdout) == _found(parallel.stdout)
    shown = [p["path"] for p in json.loads(parallel.stdout)["packages"]]
    assert len(shown) == 31 and shown[0].endswith("missing") and shown[1:] == sorted(shown[1:])


SLOW = '''
import time
from modelcheck.model import Hit, Level, rule

@rule("MC099", "slow-rule", Level.NOTE)
def slow(pkg):
    """Sleeps.

    What it checks
    Nothing.

    Why it matters
    Tests the time budget.

    Example
    n/a

    How to fix
    n/a
    """
    time.sleep(0.5)
    return ()
'''


def test_package_time_budget(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    write_plugin(site, "mc-slow", SLOW, "mc_slow")
    env = {"PYTHONPATH": str(site)}
    r = run_cli("check", str(GOOD_PKG), "-f", "json", "--package-timeout", "0.2", env=env)
    assert r.returncode == 2, r.stdout + r.stderr
    findings = json.loads(r.stdout)["packages"][0]["findings"]
    budget = [f for f in findings if f["code"] == "MC903"]
    assert len(budget) == 1 and "time budget of 0.2 s" in budget[0]["message"]
    r = run_cli("check", str(GOOD_PKG), "--package-timeout", "0", env=env)
    assert r.returncode == 0, r.stdout


def test_package_read_budget(tmp_path: Path) -> None:
    from modelcheck.api import check_package

    pkg = copy_package(GOOD_PKG, tmp_path / "pkg")
    res = check_package(str(pkg), Settings(package_read_bytes=500))
    assert not [f for f in res.findings if f.code in ("MC901", "MC902", "MC903")]
    msgs = " ".join(f.message for f in res.findings)
    assert "read budget" in msgs, msgs
