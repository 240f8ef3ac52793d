"""Every rule's pass/fail fixture packages under tests/rules/<CODE>/{pass,fail}/<case>/.

A fail case must produce at least one finding of its rule (and, if the case holds a
``.expect.json``, exactly what it lists); a pass case must produce none. Only the rule under
test runs, so a fixture is free to break other rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelcheck.api import check_package
from modelcheck.engine.registry import all_rules
from modelcheck.engine.settings import Settings

ROOT = Path(__file__).parent / "rules"


def _cases():
    for code_dir in sorted(ROOT.iterdir()):
        for outcome in ("pass", "fail"):
            d = code_dir / outcome
            if d.is_dir():
                for case in sorted(p for p in d.iterdir() if p.is_dir()):
                    yield pytest.param(code_dir.name, outcome, case,
                                       id=f"{code_dir.name}-{outcome}-{case.name}")


@pytest.mark.parametrize(("code", "outcome", "case"), list(_cases()))
def test_fixture(code: str, outcome: str, case: Path) -> None:
    res = check_package(str(case), Settings(select=[code]))
    crashes = [f for f in res.findings if f.code.startswith("MC9")]
    assert not crashes, crashes
    mine = [f for f in res.findings if f.code == code]
    if outcome == "pass":
        assert mine == [], [f.message for f in mine]
        return
    assert mine, f"{code} found nothing in {case}"
    for f in mine:
        assert f.message and (f.file is None or not f.file.startswith("/"))
    expect_file = case / ".expect.json"
    if expect_file.exists():
        expect = json.loads(expect_file.read_text())
        if "count" in expect:
            assert len(mine) == expect["count"], [f.message for f in mine]
        for i, sub in enumerate(expect.get("messages", [])):
            assert any(sub in f.message for f in mine), (sub, [f.message for f in mine])
            del i
        if "lines" in expect:
            assert sorted(f.line for f in mine) == sorted(expect["lines"])
        if "file" in expect:
            assert all(f.file == expect["file"] for f in mine), [f.file for f in mine]
        if "level" in expect:
            assert all(str(f.level) == expect["level"] for f in mine)


def test_every_rule_has_fixtures_and_docs() -> None:
    missing = []
    for code, r in all_rules().items():
        for heading in ("What it checks", "Why it matters", "Example", "How to fix"):
            assert r.meta.section(heading), f"{code} docs lack '{heading}'"
        if code.startswith("MC9"):
            continue  # engine codes: covered by test_engine.py
        for outcome in ("pass", "fail"):
            d = ROOT / code / outcome
            if not d.is_dir() or not any(p.is_dir() for p in d.iterdir()):
                missing.append(f"{code}/{outcome}")
    assert not missing, f"rules without fixtures: {missing}"
