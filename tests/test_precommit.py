"""The pre-commit hooks: file-to-package mapping, excludes, and a real ``pre-commit try-repo``.

The slow test installs this repository into pre-commit's own virtualenv (from a clone of
HEAD plus tracked changes, dependencies from the package index) and runs both hooks in a
temporary git repository holding a good package, a broken one and an excluded broken one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelcheck.cli import main
from modelcheck.engine.settings import Settings
from modelcheck.integrations.precommit import hook_targets

ROOT = Path(__file__).resolve().parents[1]
GOOD = Path(__file__).parent / "rules" / "MC101" / "pass" / "real-sklearn-2.5"


def _project(tmp: Path) -> Path:
    """A project: a good package, a package that lost its MLmodel, an excluded broken one."""
    proj = tmp / "proj"
    shutil.copytree(GOOD, proj / "models" / "good")
    shutil.copytree(GOOD, proj / "models" / "broken")
    (proj / "models" / "broken" / "MLmodel").rename(proj / "models" / "broken" / "MLModel")
    shutil.copytree(GOOD, proj / "legacy" / "old")
    (proj / "legacy" / "old" / "MLmodel").unlink()
    (proj / "legacy" / "old" / "registered_model_meta").write_text("model_name: old\n")
    (proj / "models" / "good" / "code").mkdir()
    (proj / "models" / "good" / "code" / "helpers.py").write_text("X = 1\n")
    (proj / "requirements.txt").write_text("mlflow==2.5.0\n")  # the project's, no package
    (proj / "app" / "code").mkdir(parents=True)
    (proj / "app" / "code" / "main.py").write_text("print('app')\n")
    # only MC101 (the defect made here): the test is about the hook's plumbing, not the rules
    (proj / "modelcheck.toml").write_text('select = ["MC101"]\nexclude = ["legacy"]\n')
    return proj


def _files_pattern() -> re.Pattern[str]:
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert by_id["modelcheck"]["require_serial"] is True
    assert by_id["modelcheck-all"]["pass_filenames"] is False
    assert by_id["modelcheck-all"]["always_run"] is True and by_id["modelcheck-all"]["args"]
    return re.compile(by_id["modelcheck"]["files"])


@pytest.mark.parametrize("path,hit", [
    ("MLmodel", True), ("models/a/MLmodel", True), ("models/a/MLModel", True),
    ("m/conda.yaml", True), ("m/python_env.yaml", True), ("m/requirements.txt", True),
    ("m/constraints.txt", True), ("m/input_example.json", True),
    ("m/serving_input_example.json", True), ("m/code/pkg/util.py", True),
    ("m/registered_model_meta", True),
    ("m/model.pkl", False), ("m/myconda.yaml", False), ("src/barcode/x.py", False),
    ("README.md", False), ("m/requirements.txt.bak", False),
])
def test_files_pattern(path, hit):
    assert bool(_files_pattern().search(path)) is hit


def test_hook_targets_skip_files_outside_packages_and_excluded(tmp_path, monkeypatch):
    proj = _project(tmp_path)
    monkeypatch.chdir(proj)
    files = ["models/good/MLmodel", "models/good/code/helpers.py", "models/broken/conda.yaml",
             "requirements.txt", "app/code/main.py", "legacy/old/conda.yaml", "gone/MLmodel"]
    s = Settings(exclude=["legacy"])
    assert hook_targets(files, s) == files[:3]
    assert hook_targets(files, Settings()) == files[:3] + ["legacy/old/conda.yaml"]


def _run(argv, capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().out


def test_hook_mode_checks_each_package_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(_project(tmp_path))
    code, out = _run(["check", "--hook", "-f", "json", "models/good/MLmodel",
                      "models/good/conda.yaml", "models/good/code/helpers.py",
                      "models/broken/conda.yaml", "models/broken/requirements.txt",
                      "requirements.txt"], capsys)
    doc = json.loads(out)
    assert [p["path"] for p in doc["packages"]] == ["models/broken", "models/good"]
    broken, good = doc["packages"]
    assert good["findings"] == [] and code == 1
    assert [f["code"] for f in broken["findings"]] == ["MC101"]
    assert "'MLModel' exists" in broken["findings"][0]["message"]


def test_hook_mode_passes_when_nothing_is_a_package(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(_project(tmp_path))
    assert _run(["check", "--hook", "requirements.txt", "app/code/main.py"], capsys) == (0, "")
    # without --hook the same files are target errors (exit 2)
    assert main(["check", "requirements.txt"]) == 2


def test_hook_mode_honours_config_exclude(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(_project(tmp_path))
    assert _run(["check", "--hook", "legacy/old/conda.yaml"], capsys) == (0, "")
    # a file named explicitly inside an excluded package is skipped, not only tree scans
    assert _run(["check", "--hook", "legacy/old/registered_model_meta",
                 "models/good/MLmodel"], capsys)[0] == 0
    code, out = _run(["check", "--hook", "--config", os.devnull + "x", "x"], capsys)
    assert code == 2  # a config that cannot be read is a usage error, never a silent pass


# --- a real pre-commit -------------------------------------------------------------------

def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _pre_commit(proj: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), *args],
                          cwd=proj, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_real_pre_commit_try_repo(tmp_path):
    pytest.importorskip("pre_commit", reason="pre-commit not installed (pip install .[test])")
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("try-repo needs this repository's git checkout")
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"],
                             cwd=ROOT, capture_output=True)
    assert tracked.returncode == 0, "commit .pre-commit-hooks.yaml: try-repo clones HEAD"
    proj = _project(tmp_path)
    _git(proj, "init", "-q")
    _git(proj, "add", ".")
    _git(proj, "-c", "user.name=t", "-c", "user.email=t@example.invalid",
         "commit", "-q", "-m", "packages")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "NO_COLOR": "1",
           "PRE_COMMIT_COLOR": "never", "SKIP": ""}

    good = ["models/good/MLmodel", "models/good/conda.yaml", "models/good/code/helpers.py",
            "requirements.txt", "legacy/old/conda.yaml"]
    r = _pre_commit(proj, env, "modelcheck", "--files", *good)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"modelcheck \(MLflow model packages\)\.+Passed", r.stdout), r.stdout

    r = _pre_commit(proj, env, "--all-files")  # both hooks
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"modelcheck \(MLflow model packages\)\.+Failed", out), out
    assert re.search(r"modelcheck \(all MLflow model packages\)\.+Failed", out), out
    assert out.count("models/broken/MLModel: MC101 error: no MLmodel file, but 'MLModel'") == 2
    assert "legacy/old" not in out and "models/good:" not in out
