"""Config discovery ([tool.modelcheck] / modelcheck.toml), validation errors, CLI overrides."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import GOOD_PKG, copy_package, run_cli

from modelcheck.engine.settings import find_config, load_settings


def _tree(tmp_path: Path) -> Path:
    pkg = copy_package(GOOD_PKG, tmp_path / "proj" / "models" / "legacy" / "a")
    (pkg / "MLmodel").rename(pkg / "MLModel")
    return tmp_path / "proj"


def test_pyproject_section_found_upward(tmp_path: Path) -> None:
    proj = _tree(tmp_path)
    (proj / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.modelcheck]\nignore = ["MC101"]\n')
    sub = proj / "models"
    assert find_config(str(sub)) == str(proj / "pyproject.toml")
    assert load_settings(str(sub)).ignore == ["MC101"]
    r = run_cli("check", ".", cwd=sub)
    assert r.returncode == 0, r.stdout


def test_pyproject_without_section_is_skipped(tmp_path: Path) -> None:
    proj = _tree(tmp_path)
    (proj / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "modelcheck.toml").write_text('fail-on = "warning"\n')
    assert find_config(str(proj)) == str(tmp_path / "modelcheck.toml")


def test_modelcheck_toml_severity_and_per_path(tmp_path: Path) -> None:
    proj = _tree(tmp_path)
    (proj / "modelcheck.toml").write_text(
        '[severity]\nMC101 = "note"\n')
    r = run_cli("check", ".", "-f", "json", cwd=proj)
    assert r.returncode == 0
    f = json.loads(r.stdout)["packages"][0]["findings"][0]
    assert f["code"] == "MC101" and f["level"] == "note"
    assert run_cli("check", ".", "--fail-on", "note", cwd=proj).returncode == 1
    (proj / "modelcheck.toml").write_text('[per-path-ignores]\n"models/legacy" = ["MC1"]\n')
    r = run_cli("check", ".", "-f", "json", cwd=proj)
    assert json.loads(r.stdout)["summary"]["error"] == 0


def test_invalid_config_is_a_clear_error(tmp_path: Path) -> None:
    proj = _tree(tmp_path)
    (proj / "modelcheck.toml").write_text('selct = ["MC1"]\nfail-on = "fatal"\n')
    r = run_cli("check", ".", cwd=proj)
    assert r.returncode == 2
    assert "invalid modelcheck config" in r.stderr
    assert "selct" in r.stderr and "fail-on" in r.stderr
    (proj / "modelcheck.toml").write_text("select = [\n")
    r = run_cli("check", ".", cwd=proj)
    assert r.returncode == 2 and "modelcheck.toml" in r.stderr


def test_cli_overrides_config(tmp_path: Path) -> None:
    proj = _tree(tmp_path)
    (proj / "modelcheck.toml").write_text('ignore = ["MC101"]\n')
    assert run_cli("check", ".", cwd=proj).returncode == 0
    assert run_cli("check", ".", "--ignore", "MC2", cwd=proj).returncode == 1
    explicit = tmp_path / "other.toml"
    explicit.write_text('select = ["MC2"]\n')
    assert run_cli("check", ".", "--config", str(explicit), cwd=proj).returncode == 0


def test_exclude_patterns(tmp_path: Path) -> None:
    proj = _tree(tmp_path)
    (proj / "modelcheck.toml").write_text('exclude = ["models/legacy/*"]\n')
    r = run_cli("check", ".", "-f", "json", cwd=proj)
    assert json.loads(r.stdout)["summary"]["packages"] == 0
