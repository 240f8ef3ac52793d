"""Packages written by REAL, unedited MLflow must come out clean.

tests/fixtures/mlflow/<mlflow version>/<case>/ were written by tests/generate_fixtures.py with
MLflow's own save_model/log_model. Each must get no tool error (MC9xx) and no error or warning,
except the defects that MLflow itself writes on purpose, which CASES.json lists under
``expected`` for the case; those must then be reported, once a rule that reports them exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelcheck.api import check_package
from modelcheck.engine.registry import all_rules
from modelcheck.results import Finding, Level

ROOT = Path(__file__).parent / "fixtures" / "mlflow"

# Rule code -> why its findings on genuine MLflow output are wrong. A package whose only
# unexpected findings come from these codes is reported as xfail (not a pass, not a failure),
# so CI stays green while the rule's owner fixes it; any other finding still fails the test.
KNOWN_FALSE_POSITIVES: dict[str, str] = {}

# Rule code -> why its warning is TRUE of every package MLflow writes in that shape; tolerated.
TRUE_BY_DESIGN: dict[str, str] = {
    "MC624": "a cloudpickled python_model.pkl executes byte code when loaded and is refused "
             "under MLFLOW_ALLOW_MODEL_CODE_EXECUTION=false (issue 5 asks for a warning)",
}


def _index() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for ver_dir in sorted(p for p in ROOT.iterdir() if (p / "CASES.json").is_file()):
        cases = json.loads((ver_dir / "CASES.json").read_text())["cases"]
        for name, info in sorted(cases.items()):
            out.append((ver_dir.name, name, info))
    return out


INDEX = _index()
_results: dict[Path, list[Finding]] = {}


def _findings(path: Path) -> list[Finding]:
    if path not in _results:
        _results[path] = check_package(str(path)).findings
    return _results[path]


def _matches(f: Finding, exp: dict[str, Any]) -> bool:
    code = exp.get("code")
    if code and f.code != code:
        return False
    if not f.code.startswith(exp.get("code_prefix", "MC")):
        return False
    if exp.get("file") and f.file != exp["file"]:
        return False
    return all(s in f.message for s in exp.get("contains", []))


def _show(f: Finding) -> str:
    where = f"{f.file or '<package>'}:{f.line or '?'} {f.pointer}".rstrip()
    return f"  {f.code} [{f.level}] {where}: {f.message}"


def test_fixture_tree_is_present() -> None:
    versions = {ver for ver, _, _ in INDEX}
    assert "3.18.0" in versions and "2.17.2" in versions, sorted(versions)
    for ver, case, _ in INDEX:
        pkg = ROOT / ver / case
        assert (pkg / "MLmodel").is_file(), pkg
        assert not list(pkg.rglob("__pycache__")), pkg


@pytest.mark.parametrize(
    ("ver", "case", "info"),
    [pytest.param(v, c, i, id=f"{v}-{c}") for v, c, i in INDEX],
)
def test_real_mlflow_package_is_clean(ver: str, case: str, info: dict[str, Any]) -> None:
    findings = _findings(ROOT / ver / case)
    tolerated = info.get("expected", []) + info.get("allowed", [])
    crashes = [f for f in findings if f.code.startswith("MC9")]
    bad = [
        f for f in findings
        if f.code.startswith("MC9")
        or (f.level >= Level.WARNING and f.code not in TRUE_BY_DESIGN
            and not any(_matches(f, e) for e in tolerated))
    ]
    if bad and all(f.code in KNOWN_FALSE_POSITIVES for f in bad):
        pytest.xfail("; ".join(f"{c} false positive: {KNOWN_FALSE_POSITIVES[c]}"
                               for c in sorted({f.code for f in bad})))
    assert not bad, (
        f"real MLflow {ver} output '{case}' ({info['what']}) got "
        f"{len(bad)} unexpected finding(s){' incl. tool errors' if crashes else ''}:\n"
        + "\n".join(_show(f) for f in bad)
    )


EXPECTED = [
    pytest.param(v, c, n, e, id=f"{v}-{c}-{n}")
    for v, c, i in INDEX
    for n, e in enumerate(i.get("expected", []))
]


@pytest.mark.parametrize(("ver", "case", "n", "exp"), EXPECTED)
def test_documented_mlflow_defect_is_reported(
    ver: str, case: str, n: int, exp: dict[str, Any]
) -> None:
    codes = set(all_rules())
    code = exp.get("code")
    if code and code not in codes:
        pytest.skip(f"rule {code} not registered yet ({exp['why']})")
    prefix = exp.get("code_prefix", "MC")
    if not any(c.startswith(prefix) for c in codes):
        pytest.skip(f"no {prefix}xx rule registered yet ({exp['why']})")
    findings = _findings(ROOT / ver / case)
    hits = [f for f in findings if _matches(f, exp)]
    if not hits and not code:
        pytest.skip(f"no registered {prefix}xx rule reports this yet: {exp['why']}")
    assert hits, (
        f"{code} should report in {ver}/{case}: {exp['why']}; findings were:\n"
        + "\n".join(_show(f) for f in findings)
    )
