"""The README's promises: its two set-up commands, and a rule table generated from rule docs."""

from __future__ import annotations

from helpers import REPO

from modelcheck.engine.registry import all_rules
from modelcheck.engine.ruledocs import rewrite

README = (REPO / "README.md").read_text()


def test_rule_table_is_current() -> None:
    assert rewrite(README) == README, (
        "README rule table is stale: run python -m modelcheck.engine.ruledocs --write README.md")
    for code in all_rules():
        assert f"`{code}`" in README


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```bash", 1)[1].split("```", 1)[0]
    commands = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(commands) == 2
    assert "modelcheck check examples/iris-sklearn" in commands[0]
    assert (REPO / "examples" / "iris-sklearn" / "MLmodel").is_file()
    ci = (REPO / ".ci" / "run").read_text()
    assert commands[1].strip() in ci, "the CI script must run the README's test command"
