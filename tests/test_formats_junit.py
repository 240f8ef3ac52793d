"""-f junit: valid against the JUnit schema Jenkins' xUnit plugin uses (junit-10.xsd, fetched
from pytest's sdist on PyPI: see published_schemas.py), one testsuite per package and one
testcase per rule that ran, failures that name file:line, and what was not checked never
shown as a pass."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from formats_fixtures import levels_tree
from helpers import run_cli
from published_schemas import junit_xsd

from modelcheck.api import check
from modelcheck.engine.registry import all_rules
from modelcheck.reporters import Context, render
from modelcheck.results import Finding, Invocation, Level, PackageResult, Report


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(junit_xsd()))


@pytest.fixture(scope="module")
def proj(tmp_path_factory) -> Path:
    return levels_tree(tmp_path_factory.mktemp("junit"))


def _suites(xml: str) -> dict[str, ET.Element]:
    return {s.get("name"): s for s in ET.fromstring(xml).iter("testsuite")}


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name").split()[0]: c for c in suite.iter("testcase")}


def _consistent(xml: str) -> None:
    """Every count attribute says what the elements hold."""
    root = ET.fromstring(xml)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for s in root.iter("testsuite"):
        cases = list(s.iter("testcase"))
        got = {"tests": len(cases),
               "failures": sum(1 for c in cases if c.find("failure") is not None),
               "errors": sum(1 for c in cases if c.find("error") is not None),
               "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        for k, n in got.items():
            assert s.get(k) == str(n), (s.get("name"), k, s.get(k), n)
        for k in totals:
            totals[k] += got[k]
    for k, n in totals.items():
        assert root.get(k) == str(n), (k, root.get(k), n)


def test_junit_validates_and_has_a_case_per_rule(proj, schema) -> None:
    r = run_cli("check", "models", "-f", "junit", cwd=proj)
    assert r.returncode == 1, r.stderr
    schema.validate(r.stdout)
    _consistent(r.stdout)
    suites = _suites(r.stdout)
    assert set(suites) == {"modelcheck", "models/err", "models/warn", "models/note",
                           "models/clean"}
    ran = {c for c in all_rules() if c not in ("MC901", "MC902", "MC903")}
    for name in ("models/err", "models/clean"):
        assert set(_cases(suites[name])) == ran, name
    fail = _cases(suites["models/err"])["MC101"].find("failure")
    assert fail.get("type") == "MC101"
    assert fail.get("message").startswith("models/err/MLModel: no MLmodel file")
    assert "models/err/MLModel: MC101 error:" in fail.text and "fix: rename" in fail.text
    assert _cases(suites["models/err"])["MC101"].get("file") is None  # not in the schema
    # below --fail-on (error): the case passes, the finding is in its system-out
    mc301 = _cases(suites["models/warn"])["MC301"]
    assert mc301.find("failure") is None
    assert "models/warn/MLmodel:2: MC301 warning" in mc301.find("system-out").text
    assert suites["models/clean"].get("failures") == "0"
    assert suites["models/err"].get("timestamp")  # the run's start
    props = {p.get("name"): p.get("value") for p in suites["modelcheck"].iter("property")}
    assert props["target"] == "models" and props["settings.fail_on"] == '"error"'
    assert props["started"] and props["finished"] and props["modelcheck.version"]


def test_fail_on_decides_what_fails(proj, schema) -> None:
    r = run_cli("check", "models", "-f", "junit", "--fail-on", "warning", cwd=proj)
    assert r.returncode == 1
    schema.validate(r.stdout)
    suites = _suites(r.stdout)
    assert _cases(suites["models/warn"])["MC301"].find("failure") is not None
    assert _cases(suites["models/note"])["MC650"].find("failure") is None
    r = run_cli("check", "models", "-f", "junit", "--fail-on", "note", "--select", "MC6",
                cwd=proj)
    suites = _suites(r.stdout)
    assert _cases(suites["models/note"])["MC650"].find("failure") is not None
    assert "MC101" not in _cases(suites["models/err"])  # not selected: did not run


def test_a_target_that_could_not_be_read_has_no_passing_cases(tmp_path, schema) -> None:
    r = run_cli("check", str(tmp_path / "missing"), "-f", "junit")
    assert r.returncode == 2
    schema.validate(r.stdout)
    _consistent(r.stdout)
    suite = next(s for n, s in _suites(r.stdout).items() if n.endswith("missing"))
    cases = list(suite.iter("testcase"))
    assert len(cases) == 1 and cases[0].find("error").get("type") == "MC902"


def _hand_report(findings: list[Finding], **kw) -> Report:
    rules = {c: r for c, r in all_rules().items() if c in ("MC101", "MC301", "MC650", "MC901",
                                                             "MC902", "MC903")}
    inv = Invocation("0.1.0", "2024-05-01T12:00:00Z", "2024-05-01T12:00:07Z", ["m"],
                     {"fail_on": "error"})
    return Report(packages=[PackageResult("m", findings)], rules=rules, invocation=inv, **kw)


def test_crashed_and_unrun_rules_are_errors_and_skips(schema) -> None:
    crash = Finding("MC901", "rule-crashed", Level.ERROR, "internal error in rule MC301 "
                    "(signature-missing): KeyError: 'x'; the other rules still ran", "m",
                    key="MC301")
    budget = Finding("MC903", "package-time-budget", Level.ERROR, "checking this package took "
                     "more than its time budget of 60 s; 1 rule(s) did not run: MC650", "m")
    xml = render("junit", _hand_report([crash, budget]))
    schema.validate(xml)
    _consistent(xml)
    cases = _cases(_suites(xml)["m"])
    assert cases["MC301"].find("error").get("type") == "MC901"
    assert cases["MC650"].find("skipped") is not None
    assert cases["MC903"].find("error") is not None
    assert cases["MC101"].find("error") is None and cases["MC101"].find("failure") is None
    assert ET.fromstring(xml).get("time") == "7"


def test_hostile_text_stays_valid_xml(schema) -> None:
    evil = 'a\x00b\x1b[31m "quoted" <tag> & ]]> \ud800 \ufffe end\nsecond line'
    f = Finding("MC101", "mlmodel-missing", Level.ERROR, evil, "m", file='x"<&>.yaml', line=3,
                fix="\x07bell")
    xml = render("junit", _hand_report([f], notes=["\x01note"]))
    schema.validate(xml)
    fail = _cases(_suites(xml)["m"])["MC101"].find("failure")
    assert '"quoted" <tag> & ]]>' in fail.get("message")
    assert "second line" not in fail.get("message") and "second line" in fail.text


def test_partial_report_errors_on_the_run_case(schema) -> None:
    xml = render("junit", _hand_report([], interrupted="SIGTERM"), Context())
    schema.validate(xml)
    run = _cases(_suites(xml)["modelcheck"])["run"]
    assert "PARTIAL REPORT" in run.find("error").get("message")
    assert ET.fromstring(xml).get("errors") == "1"


def test_api_report_renders(proj, schema, monkeypatch) -> None:
    monkeypatch.chdir(proj)
    xml = render("junit", check(["models"]))
    schema.validate(xml)
    _consistent(xml)
