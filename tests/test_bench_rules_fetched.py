"""bench/rules_fetched.py checks the package it times: a fetched bucket package object gives
the findings a local check of the same folder gives, and the script runs end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import rules_fetched  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.registry import all_rules  # noqa: E402
from modelcheck.engine.run import check_package_obj, select_rules  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402

FIXTURES = [rules_fetched.SKLEARN,
            REPO / "tests" / "rules" / "MC501" / "fail" / "bad-requirement-line"]


def _key(f):
    return (f.code, f.file, f.line, f.message)


def test_fetched_package_has_the_local_findings():
    settings = Settings()
    rules = select_rules(all_rules(), settings)
    for root in FIXTURES:
        assert root.is_dir(), root
        fetched = check_package_obj(rules_fetched.loader(root)(), rules, settings).findings
        local = check([str(root)], settings).packages[0].findings
        assert fetched, root
        assert sorted(map(_key, fetched)) == sorted(map(_key, local)), root


def test_script_reports_cpu_and_rules():
    out = subprocess.run([sys.executable, str(REPO / "bench" / "rules_fetched.py"),
                          "--repeat", "2", "--per-rule"], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    assert "real-sklearn-2.5:" in out and "us of CPU per package" in out
    assert " MC601 " in out and "warm" in out
