"""The rule API plugins import: ``modelcheck.rule`` (and ``modelcheck.package.ModelPackage``),
with the old ``modelcheck.model`` still working behind a deprecation warning."""

from __future__ import annotations

import subprocess
import sys

import pytest

from modelcheck import results
from modelcheck.rule import Hit, Level, Rule, rule


def test_rule_api_names_are_the_shared_values() -> None:
    assert Hit is results.Hit and Level is results.Level and Rule is results.Rule

    @rule("MC801", "team-metadata-missing", Level.WARNING)
    def team(pkg):
        """Doc.

        What it checks
        x
        """
        yield Hit("metadata.team is missing", file="MLmodel")

    assert isinstance(team, Rule) and team.meta.level is Level.WARNING
    assert [h.message for h in team.check(None)] == ["metadata.team is missing"]
    assert team.meta.section("What it checks") == "x"


def test_old_import_path_warns_and_gives_the_same_objects() -> None:
    code = ("import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            "from modelcheck.model import Hit, Level, rule\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 1
    assert "modelcheck.model is deprecated" in r.stderr and "modelcheck.rule" in r.stderr
    with pytest.warns(DeprecationWarning, match="modelcheck.rule"):
        sys.modules.pop("modelcheck.model", None)
        import modelcheck.model as old
    assert old.Hit is Hit and old.Level is Level and old.rule is rule
    assert old.Finding is results.Finding and old.RuleMeta is results.RuleMeta
