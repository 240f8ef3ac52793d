"""The GitHub Action: ``action.yml`` metadata and the script it runs, with GitHub's variables.

``python -m modelcheck.integrations.action`` runs with ``GITHUB_STEP_SUMMARY``/``GITHUB_OUTPUT``
files and ``INPUT_*`` variables as the runner sets them. The slow test plays the composite
action's own steps with bash the way the runner does (each step's ``env:`` expressions
resolved, a fresh ``GITHUB_OUTPUT`` per step), which installs modelcheck into its own venv
from this checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
GOOD = Path(__file__).parent / "rules" / "MC101" / "pass" / "real-sklearn-2.5"
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _action() -> dict:
    return YAML(typ="safe").load((ROOT / "action.yml").read_text())


def _project(tmp: Path, config: str = 'select = ["MC101"]\n') -> Path:
    proj = tmp / "ws"
    shutil.copytree(GOOD, proj / "models" / "good")
    shutil.copytree(GOOD, proj / "models" / "broken")
    (proj / "models" / "broken" / "MLmodel").rename(proj / "models" / "broken" / "MLModel")
    (proj / "modelcheck.toml").write_text(config)
    return proj


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _run_script(proj: Path, tmp: Path, **inputs: str) -> tuple[int, str, str, dict[str, str]]:
    summary, out = tmp / "summary.md", tmp / "output.txt"
    summary.write_text("# earlier step\n")
    out.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update({"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(out),
                "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(proj)})
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    r = subprocess.run([sys.executable, "-m", "modelcheck.integrations.action"], cwd=proj, env=env,
                       capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout, summary.read_text(), _outputs(out)


def test_action_yml_is_valid_metadata():
    schema = json.loads((ROOT / "schemas" / "github-action.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_action())
    bad = {**_action(), "runs": {"using": "composite", "steps": [{"run": "echo"}]}}
    with pytest.raises(jsonschema.ValidationError):  # a run step needs a shell
        jsonschema.Draft202012Validator(schema).validate(bad)


def test_inputs_reach_scripts_only_through_env():
    action = _action()
    steps = action["runs"]["steps"]
    used: set[str] = set()
    for step in steps:
        assert "${{" not in step.get("run", ""), f"expression pasted into run: {step['name']}"
        for value in [*step.get("env", {}).values(), *step.get("with", {}).values(),
                      step.get("if", "")]:
            used.update(re.findall(r"inputs\.([\w-]+)", str(value)))
    assert used == set(action["inputs"]), "every input is used, and only declared ones"
    env = next(s for s in steps if s.get("id") == "check")["env"]
    for name in action["inputs"]:
        if name != "python-version":
            key = "INPUT_" + name.upper().replace("-", "_")
            assert env[key] == f"${{{{ inputs.{name} }}}}"
    for name, out in action["outputs"].items():
        assert out["value"] == f"${{{{ steps.check.outputs.{name} }}}}"


def test_script_reports_findings(tmp_path):
    proj = _project(tmp_path)
    code, stdout, summary, out = _run_script(proj, tmp_path, paths="models",
                                             sarif_file="reports/modelcheck.sarif")
    assert code == 1
    assert ("::error file=models/broken/MLModel,title=MC101 mlmodel-missing::no MLmodel file, "
            "but 'MLModel' exists") in stdout
    assert "1 error, 0 warnings, 0 notes in 1 of 2 packages" in stdout
    assert summary.startswith("# earlier step\n## modelcheck\n")  # appended, not replaced
    assert "| :x: error | `MC101` | models/broken/MLModel |" in summary
    assert out == {"exit-code": "1", "sarif-file": "reports/modelcheck.sarif", "errors": "1",
                   "warnings": "0", "notes": "0", "packages": "2",
                   "packages-with-findings": "1"}
    sarif = json.loads((proj / "reports" / "modelcheck.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["MC101"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "models/broken/MLModel")
    # every output action.yml declares is one the script writes
    assert set(out) == set(_action()["outputs"])


def test_script_switches_and_clean_run(tmp_path):
    proj = _project(tmp_path)
    code, stdout, summary, out = _run_script(
        proj, tmp_path, paths="models/good", sarif_file="", annotations="false",
        summary="false", html_file="audit/report.html")
    assert code == 0 and "::" not in stdout
    assert "All checks passed: 1 package" in stdout
    assert summary == "# earlier step\n"
    assert out["sarif-file"] == "" and out["exit-code"] == "0" and out["packages"] == "1"
    assert not (proj / "modelcheck.sarif").exists()
    assert (proj / "audit" / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_script_fail_on_select_ignore_and_args(tmp_path):
    proj = _project(tmp_path, 'select = ["MC101"]\n[severity]\nMC101 = "note"\n')
    assert _run_script(proj, tmp_path, paths="models")[0] == 0  # a note: below error
    code, stdout, _, out = _run_script(proj, tmp_path, paths="models", fail_on="note")
    assert code == 1 and out["notes"] == "1" and "::notice file=models/broken/MLModel" in stdout
    # select MC101 (config) with ignore MC101 leaves no rule to run: a gate that would check
    # nothing is refused, never a pass (issue 14)
    code, stdout, _, out = _run_script(proj, tmp_path, paths="models", fail_on="note",
                                       ignore="MC101")
    assert code == 2 and out["exit-code"] == "2"
    assert "::error title=modelcheck::no rule is enabled" in stdout
    code, _, _, out = _run_script(proj, tmp_path, paths="models", fail_on="note",
                                  select="MC1", ignore="MC101")
    assert code == 0 and out["notes"] == "0"
    code, _, _, out = _run_script(proj, tmp_path, paths="models", fail_on="note",
                                  args="--exit-zero")
    assert code == 0 and out["exit-code"] == "0" and out["notes"] == "1"
    code, _, _, out = _run_script(proj, tmp_path, paths="models", select="MC2")
    assert code == 0 and out["packages-with-findings"] == "0"
    # MC9 names only the engine's own codes: no rule would run (issue 14)
    code, stdout, _, _ = _run_script(proj, tmp_path, paths="models", select="MC9")
    assert code == 2 and "no rule is enabled" in stdout


def test_script_show_level_hides_lower_findings_from_the_reports_only(tmp_path):
    """--show-level in the args input: the annotations, the text, SARIF and the job summary
    leave the lower findings out (the text says how many), as the command line does; the exit
    code and the count outputs still count them."""
    proj = _project(tmp_path, 'select = ["MC101"]\n[severity]\nMC101 = "note"\n')
    code, stdout, summary, out = _run_script(proj, tmp_path, paths="models", fail_on="note",
                                             args="--show-level warning",
                                             sarif_file="s.sarif")
    assert code == 1 and out["exit-code"] == "1" and out["notes"] == "1"
    assert "::notice" not in stdout and "MC101" not in summary
    assert "(1 note not shown: --show-level)" in stdout  # said to be hidden, not gone
    # a job that fails is never summarised as passed
    assert "All checks passed" not in summary and "1 note not shown (`--show-level`)" in summary
    assert json.loads((proj / "s.sarif").read_text())["runs"][0]["results"] == []
    code, stdout, summary, _ = _run_script(proj, tmp_path, paths="models", fail_on="note",
                                           sarif_file="s.sarif")
    assert code == 1 and "::notice file=models/broken/MLModel" in stdout and "MC101" in summary


def test_script_never_runs_input_as_shell(tmp_path):
    proj = _project(tmp_path)
    code, stdout, _, out = _run_script(proj, tmp_path, paths="models/good; touch pwned1",
                                       args="$(touch pwned2) `touch pwned3`")
    assert code == 2 and out["exit-code"] == "2"
    assert "::error title=modelcheck::" in stdout
    assert not list(proj.glob("pwned*")) and not list(tmp_path.glob("pwned*"))
    code, stdout, _, _ = _run_script(proj, tmp_path, annotations="maybe")
    assert code == 2 and "annotations must be true or false" in stdout
    code, stdout, _, _ = _run_script(proj, tmp_path, fail_on="fatal")
    assert code == 2 and "invalid modelcheck options" in stdout


# --- the composite action, step by step --------------------------------------------------

def _resolve(value: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
    def one(m: re.Match) -> str:
        expr = m.group(1)
        if expr.startswith("inputs."):
            return inputs[expr[7:]]
        parts = expr.split(".")
        if parts[0] == "steps" and parts[2] == "outputs":
            return steps.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"unsupported expression {expr!r}")
    return EXPR.sub(one, str(value))


def _play(action: dict, given: dict[str, str], ws: Path, tmp: Path) -> tuple[int, dict, str]:
    inputs = {k: v.get("default", "") for k, v in action["inputs"].items()} | given
    steps: dict[str, dict[str, str]] = {}
    summary = tmp / "step_summary.md"
    summary.write_text("")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    base |= {"GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(ws),
             "RUNNER_TEMP": str(tmp / "runner"), "GITHUB_STEP_SUMMARY": str(summary)}
    (tmp / "runner").mkdir()
    code = 0
    for i, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            assert step["if"] == "inputs.python-version != ''" and not inputs["python-version"]
            continue
        out = tmp / f"output-{i}"
        out.write_text("")
        env = base | {"GITHUB_OUTPUT": str(out)}
        env |= {k: _resolve(v, inputs, steps) for k, v in step.get("env", {}).items()}
        script = tmp / f"step-{i}.sh"
        script.write_text(step["run"])
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                           cwd=ws, env=env, capture_output=True, text=True, timeout=900)
        steps[step.get("id", str(i))] = _outputs(out)
        code = r.returncode
        if code:
            break
    outputs = {k: _resolve(v["value"], inputs, steps) for k, v in action["outputs"].items()}
    return code, outputs, summary.read_text() + (r.stdout if code else "") + r.stderr


@pytest.mark.slow
def test_composite_action_end_to_end(tmp_path):
    ws = _project(tmp_path)
    code, outputs, log = _play(_action(), {"paths": "models"}, ws, tmp_path)
    assert code == 1, log
    assert outputs["exit-code"] == "1" and outputs["errors"] == "1"
    assert outputs["sarif-file"] == "modelcheck.sarif"
    assert json.loads((ws / "modelcheck.sarif").read_text())["runs"][0]["results"]
    assert "## modelcheck" in log
    venv_py = tmp_path / "runner" / "modelcheck-venv" / "bin" / "python"
    r = subprocess.run([str(venv_py), "-c", "import modelcheck, sys; print(modelcheck.__file__)"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert "site-packages" in r.stdout  # installed into the action's own venv
