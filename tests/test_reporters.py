"""Output formats: SARIF against the official 2.1.0 schema, JSON against ours, text, github."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from helpers import CORPUS, GOOD_PKG, copy_package, run_cli

from modelcheck.api import check
from modelcheck.reporters import Context, render


def _schema(name: str) -> dict:
    return json.loads(files("modelcheck.schemas").joinpath(name).read_text())


@pytest.fixture(scope="module")
def broken_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    a = copy_package(GOOD_PKG, root / "with space" / "a")
    (a / "MLmodel").rename(a / "MLModel")
    b = copy_package(GOOD_PKG, root / "b")
    (b / "MLmodel").write_text("flavors: [\n")
    copy_package(GOOD_PKG, root / "clean")
    return root


def test_sarif_validates_against_official_schema(broken_tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(broken_tree)
    report = check(["."])
    sarif = json.loads(render("sarif", report))
    jsonschema.Draft4Validator(_schema("vendor/sarif-schema-2.1.0.json")).validate(sarif)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["results"], "expected findings"
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and " " not in uri
        assert res["partialFingerprints"]["modelcheck/v1"]
    for r in rules:
        assert r["help"]["markdown"] and r["help"]["text"] and r["helpUri"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_tool_failure_notifications(tmp_path: Path) -> None:
    r = run_cli("check", str(tmp_path / "missing"), "-f", "sarif")
    assert r.returncode == 2
    sarif = json.loads(r.stdout)
    jsonschema.Draft4Validator(_schema("vendor/sarif-schema-2.1.0.json")).validate(sarif)
    inv = sarif["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["descriptor"]["id"] == "MC902"


def test_sarif_and_json_on_real_corpus(monkeypatch) -> None:
    # the shared real-world corpus where it is beside this checkout, else the packages real
    # MLflow wrote for the tests (committed)
    corpus = CORPUS if CORPUS.is_dir() else Path(__file__).parent / "fixtures" / "mlflow"
    monkeypatch.chdir(corpus.parent)
    report = check([corpus.name])
    assert len(report.packages) >= 15
    sarif = json.loads(render("sarif", report))
    jsonschema.Draft4Validator(_schema("vendor/sarif-schema-2.1.0.json")).validate(sarif)
    doc = json.loads(render("json", report))
    jsonschema.Draft202012Validator(_schema("report.schema.json")).validate(doc)


def test_json_report_schema(broken_tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(broken_tree)
    doc = json.loads(render("json", check(["."])))
    jsonschema.Draft202012Validator(_schema("report.schema.json")).validate(doc)
    statuses = {p["path"]: p["status"] for p in doc["packages"]}
    assert statuses["clean"] == "clean"
    assert statuses["with space/a"] == "error"


def test_text_output_and_color(broken_tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(broken_tree)
    report = check(["."])
    plain = render("text", report, Context(color=False))
    assert "\033[" not in plain
    assert "with space/a/MLModel: MC101 error:" in plain
    assert "b/MLmodel:1:" in plain or "b/MLmodel:2:" in plain
    assert plain.rstrip().splitlines()[-1].startswith(("1 error", "2 errors", "3 errors"))
    colored = render("text", report, Context(color=True))
    assert "\033[31m" in colored
    r = run_cli("check", ".", "--color", "auto", cwd=broken_tree)  # not a TTY: no colour
    assert "\033[" not in r.stdout and r.returncode == 1
    r = run_cli("check", ".", "--color", "always", cwd=broken_tree, env={"NO_COLOR": ""})
    assert "\033[" in r.stdout


def test_github_annotations(broken_tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(broken_tree)
    out = render("github", check(["."]))
    line = next(x for x in out.splitlines() if "MC101" in x)
    assert line.startswith("::error file=with space/a/MLModel,")
    assert "title=MC101 mlmodel-missing::" in line


def test_outputs_to_files_and_exit_codes(broken_tree: Path, tmp_path: Path) -> None:
    sarif, js = tmp_path / "o.sarif", tmp_path / "o.json"
    r = run_cli("check", ".", "-o", f"sarif={sarif}", "-o", f"json={js}", "-q",
                cwd=broken_tree)
    assert r.returncode == 1
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert json.loads(js.read_text())["summary"]["error"] >= 2
    assert run_cli("check", ".", "--exit-zero", cwd=broken_tree).returncode == 0
    assert run_cli("check", "clean", cwd=broken_tree).returncode == 0
    assert run_cli("check", ".", "--select", "MC2", cwd=broken_tree).returncode in (0, 1)
    assert run_cli("check", ".", "--ignore", "MC1", "--fail-on", "error",
                   cwd=broken_tree).returncode in (0, 1)
    assert run_cli("check", ".", "--fail-on", "bogus", cwd=broken_tree).returncode == 2


def test_rule_docs_command() -> None:
    r = run_cli("rule", "mc101")
    assert r.returncode == 0
    for heading in ("What it checks", "Why it matters", "Example", "How to fix"):
        assert heading in r.stdout
    assert run_cli("rule", "MC000").returncode == 2
