"""Conventions users bring from ruff, yamllint and CI tools: --statistics alone, --show-level,
--output-format, FORCE_COLOR/NO_COLOR, `modelcheck formats`, and the invocation (version,
times, targets, effective settings) in the JSON and SARIF reports."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from formats_fixtures import levels_tree
from helpers import run_cli

from modelcheck.reporters import FORMATS, mask_url


def _schema(name: str) -> dict:
    return json.loads(files("modelcheck.schemas").joinpath(name).read_text())


@pytest.fixture(scope="module")
def proj(tmp_path_factory) -> Path:
    return levels_tree(tmp_path_factory.mktemp("conv"))


def test_statistics_alone_prints_the_table(proj) -> None:
    r = run_cli("check", "models", "--statistics", cwd=proj)
    assert r.returncode == 1, r.stderr
    lines = r.stdout.rstrip("\n").splitlines()
    table = [ln.split() for ln in lines[:-2]]
    assert sorted(t[1] for t in table) == ["MC101", "MC127", "MC301", "MC650"]
    assert all(t[0] == "1" for t in table) and lines[-2] == ""
    assert lines[-1] == "1 error, 1 warning, 2 notes in 3 of 4 packages"
    assert "models/err" not in r.stdout  # no findings listed
    # a file report asked for beside it is whole
    r = run_cli("check", "models", "--statistics", "-o", "json=r.json", cwd=proj)
    assert len(json.loads((proj / "r.json").read_text())["packages"]) == 4


def test_show_level_hides_lower_levels_but_fail_on_counts_them(proj) -> None:
    r = run_cli("check", "models", "--show-level", "warning", cwd=proj)
    assert r.returncode == 1
    assert "MC650" not in r.stdout and "MC127" not in r.stdout and "MC301" in r.stdout
    assert r.stdout.rstrip().endswith(
        "1 error, 1 warning, 0 notes in 2 of 4 packages (2 notes not shown: --show-level)")
    r = run_cli("check", "models", "--select", "MC6,MC127", "--show-level", "error,warning",
                "--fail-on", "note", cwd=proj)
    assert r.returncode == 1, r.stdout  # notes fail the run though none is shown
    assert "All checks passed" not in r.stdout and "2 notes not shown" in r.stdout
    r = run_cli("check", "models", "--show-level", "error", "-f", "json", cwd=proj)
    doc = json.loads(r.stdout)
    jsonschema.Draft202012Validator(_schema("report.schema.json")).validate(doc)
    assert doc["summary"]["hidden"] == {"warning": 1, "note": 2}
    assert doc["summary"]["warning"] == doc["summary"]["note"] == 0
    assert doc["invocation"]["settings"]["show_level"] == "error"
    r = run_cli("check", "models", "--show-level", "warning", "-f", "sarif", cwd=proj)
    sarif = json.loads(r.stdout)
    assert {x["ruleId"] for x in sarif["runs"][0]["results"]} == {"MC101", "MC301"}
    assert sarif["runs"][0]["invocations"][0]["properties"]["hiddenByShowLevel"] == {"note": 2}


def test_show_level_in_the_config(proj, tmp_path) -> None:
    (proj / "modelcheck.toml").write_text('show-level = "warning"\n')
    try:
        r = run_cli("check", "models", cwd=proj)
        assert "MC650" not in r.stdout and "2 notes not shown" in r.stdout
        r = run_cli("check", "models", "--show-level", "note", cwd=proj)  # the CLI wins
        assert "MC650" in r.stdout
        r = run_cli("check", "models", "--show-settings", cwd=proj)
        assert 'show-level = "warning"  # ' in r.stdout
        (proj / "modelcheck.toml").write_text('show-level = "loud"\n')
        r = run_cli("check", "models", cwd=proj)
        assert r.returncode == 2 and "show-level" in r.stderr
    finally:
        (proj / "modelcheck.toml").unlink()


@pytest.mark.parametrize("value,message", [
    ("error,note", "a level is shown with every level above it; say --show-level note"),
    ("loud", "--show-level: unknown level 'loud'"),
    (",", "--show-level: expected error, warning or note"),
])
def test_bad_show_level_stops_before_the_scan(proj, value, message) -> None:
    r = run_cli("check", "models", "--show-level", value, cwd=proj)
    assert r.returncode == 2 and message in r.stderr and r.stdout == "", r.stderr


def test_output_format_alias_and_formats_command(proj) -> None:
    a = run_cli("check", "models", "--output-format", "github", cwd=proj)
    b = run_cli("check", "models", "-f", "github", cwd=proj)
    assert a.returncode == b.returncode == 1 and a.stdout == b.stdout
    assert a.stdout.startswith("::")
    r = run_cli("formats")
    assert r.returncode == 0
    listed = [ln.split()[0] for ln in r.stdout.splitlines()]
    assert listed == list(FORMATS) and all(len(ln.split()) > 3 for ln in r.stdout.splitlines())
    help_text = " ".join(run_cli("check", "--help").stdout.split())
    assert ", ".join(FORMATS) in help_text and "--output-format" in help_text


@pytest.mark.parametrize("env,args,colour", [
    ({"FORCE_COLOR": "1", "NO_COLOR": ""}, [], True),
    ({"FORCE_COLOR": "", "NO_COLOR": ""}, [], False),  # empty: not set
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),  # NO_COLOR wins (as CPython's)
    ({"FORCE_COLOR": "1", "NO_COLOR": ""}, ["--color", "never"], False),  # the CLI wins
    ({"FORCE_COLOR": "", "NO_COLOR": "1"}, ["--color", "always"], True),
])
def test_force_color(proj, env, args, colour) -> None:
    r = run_cli("check", "models", "-o", "text=c.txt", *args, cwd=proj, env=env)
    assert ("\033[" in r.stdout) is colour  # stdout is a pipe, not a terminal
    assert "MC101" in (proj / "c.txt").read_text()
    assert "\033[" not in (proj / "c.txt").read_text()  # a file never has colour


def test_invocation_in_json_and_sarif(proj) -> None:
    r = run_cli("check", "models", "-f", "json", "-o", "sarif=s.sarif", "--fail-on", "warning",
                "--storage-option", "key=SECRET", "--storage-option=token=HUSH", cwd=proj)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    jsonschema.Draft202012Validator(_schema("report.schema.json")).validate(doc)
    inv = doc["invocation"]
    assert inv["targets"] == ["models"] and inv["tool_version"] == doc["tool"]["version"]
    assert inv["started"].endswith("Z") and inv["finished"] >= inv["started"]
    assert inv["settings"]["fail_on"] == "warning"
    assert inv["settings"]["storage_options"] == {"key": "***", "token": "***"}
    text = (proj / "s.sarif").read_text()
    assert "SECRET" not in text and "HUSH" not in text and "SECRET" not in r.stdout
    sarif = json.loads(text)
    jsonschema.Draft4Validator(_schema("vendor/sarif-schema-2.1.0.json")).validate(sarif)
    si = sarif["runs"][0]["invocations"][0]
    assert si["startTimeUtc"] == inv["started"] and si["endTimeUtc"] == inv["finished"]
    assert si["arguments"][:2] == ["models", "-f"] and "key=***" in si["arguments"]
    assert "--storage-option=token=***" in si["arguments"]
    assert si["commandLine"].startswith("modelcheck models -f json")
    assert si["properties"]["settings"]["fail_on"] == "warning"
    assert si["properties"]["targets"] == ["models"]
    assert si["workingDirectory"]["uri"].startswith("file://")


def test_credentials_in_target_urls_are_masked() -> None:
    assert mask_url("https://user:pw@host/a/b") == "https://***@host/a/b"
    assert mask_url("s3://TOKEN@bucket/x") == "s3://***@bucket/x"
    assert mask_url("s3://bucket/a@b") == "s3://bucket/a@b"  # an @ in the path is no user
    assert mask_url("models/a@b") == "models/a@b"
    assert mask_url("models:/churn@champion") == "models:/churn@champion"
