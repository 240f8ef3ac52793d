"""-f gitlab: a Code Quality report valid against the schema GitLab's parser checks each
issue with and the format GitLab documents (tests/data/schemas/), with fingerprints unique
in a report and stable across runs and checkouts, and paths relative to the repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from formats_fixtures import levels_tree
from helpers import CORPUS, run_cli

from modelcheck.api import check
from modelcheck.reporters import render
from modelcheck.results import Finding, Level, PackageResult, Report

SCHEMAS = Path(__file__).parent / "data" / "schemas"


def _valid(doc: list) -> None:
    report = json.loads((SCHEMAS / "gitlab-code-quality-report.schema.json").read_text())
    jsonschema.Draft202012Validator(report).validate(doc)
    prints = [i["fingerprint"] for i in doc]
    assert len(prints) == len(set(prints)), "GitLab keeps one issue per fingerprint"


@pytest.fixture(scope="module")
def proj(tmp_path_factory) -> Path:
    return levels_tree(tmp_path_factory.mktemp("gitlab") / "repo")


def test_gitlab_report_validates_with_mapped_severities(proj) -> None:
    r = run_cli("check", "models", "-f", "gitlab", cwd=proj)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    _valid(doc)
    by = {(i["check_name"], i["location"]["path"]): i for i in doc}
    assert by[("MC101", "models/err/MLModel")]["severity"] == "major"
    assert by[("MC301", "models/warn/MLmodel")]["severity"] == "minor"
    assert by[("MC301", "models/warn/MLmodel")]["location"]["lines"]["begin"] == 2
    assert by[("MC650", "models/note/.DS_Store")]["severity"] == "info"
    assert by[("MC650", "models/note/.DS_Store")]["location"]["lines"]["begin"] == 1
    assert by[("MC101", "models/err/MLModel")]["description"].startswith("MC101: no MLmodel")
    assert len(doc) == 4


def test_fingerprints_are_stable_across_runs_and_checkouts(proj, tmp_path) -> None:
    other = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(proj, other)
    first = json.loads(run_cli("check", "models", "-f", "gitlab", cwd=proj).stdout)
    again = json.loads(run_cli("check", "models", "-f", "gitlab", cwd=proj).stdout)
    moved = json.loads(run_cli("check", str(other / "models"), "-f", "gitlab",
                               cwd=other).stdout)  # an absolute target: still repo-relative
    assert first == again == moved
    # a finding that moves to another line keeps its fingerprint
    mlmodel = other / "models" / "note" / "MLmodel"
    mlmodel.write_text("\n\n" + mlmodel.read_text())
    shifted = json.loads(run_cli("check", "models", "-f", "gitlab", cwd=other).stdout)
    assert {i["fingerprint"] for i in shifted} == {i["fingerprint"] for i in first}
    assert [i["location"] for i in shifted] != [i["location"] for i in first]


def test_repeated_findings_and_tool_failures(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    same = [Finding("MC511", "requirement-duplicate", Level.WARNING, "x is required 2 times",
                    "pkg", file="requirements.txt", line=n) for n in (3, 9)]
    crash = Finding("MC902", "target-unreadable", Level.ERROR, "pkg: cannot be read", "pkg")
    sec = Finding("MC610", "pickle-dangerous", Level.ERROR, "runs os.system", "pkg",
                  file="model.pkl", security_severity=9.8)
    report = Report(packages=[PackageResult("pkg", [*same, crash, sec]),
                              PackageResult("pkg2", [same[0]])],
                    notifications=["s3://b: access denied"], interrupted="SIGINT")
    doc = json.loads(render("gitlab", report))
    _valid(doc)
    assert len(doc) == 7  # 4 + 1 in pkg2 + the partial run + the notification
    sev = {i["check_name"]: i["severity"] for i in doc}
    assert sev["MC902"] == sev["MC610"] == "critical"
    run = [i for i in doc if i["check_name"] == "modelcheck"]
    assert any("PARTIAL REPORT" in i["description"] for i in run)
    assert any("access denied" in i["description"] for i in run)


def test_real_corpus(monkeypatch) -> None:
    corpus = CORPUS if CORPUS.is_dir() else Path(__file__).parent / "fixtures" / "mlflow"
    monkeypatch.chdir(corpus.parent)
    report = check([corpus.name])
    doc = json.loads(render("gitlab", report))
    _valid(doc)
    assert len(doc) == len(report.findings)
    assert all(not i["location"]["path"].startswith(("/", "./")) for i in doc)
