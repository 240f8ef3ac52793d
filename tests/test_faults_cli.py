"""Issue 14 on the faces: a gate that never passes what it could not check.

Options, config and Action inputs are validated before any work (exit 2, one line naming the
bad value); reports go where they were asked or the run is refused; SIGINT/SIGTERM stop a
real scan within a second and still write partial reports; a closed pipe ends quietly;
results pickle across processes; config is found from the targets; and a real ``pre-commit``
that splits a long file list into several invocations checks each package once, with one
summary.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import GOOD_PKG, REPO, copy_package, run_cli

from modelcheck.engine.settings import ConfigError, Settings

BROKEN = REPO / "tests" / "rules" / "MC101" / "pass" / "real-sklearn-2.5"


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _tree(tmp: Path) -> Path:
    """A project: one clean package and one that lost its MLmodel (an MC101 error)."""
    proj = tmp / "proj"
    copy_package(GOOD_PKG, proj / "models" / "good")
    copy_package(GOOD_PKG, proj / "models" / "broken")
    (proj / "models" / "broken" / "MLmodel").rename(proj / "models" / "broken" / "MLModel")
    return proj


# --- rule codes: CLI, config, API ----------------------------------------------------------

@pytest.mark.parametrize("argv,bad,near", [
    (["--select", "MC999"], "'MC999'", "MC901"),
    (["--ignore", "MC30l"], "'MC30L'", "did you mean MC301"),
    (["--select", "XYZ"], "'XYZ'", None),
    (["--extend-select", "MC7"], "'MC7'", None),
    (["--select", "MC3,MC31O"], "'MC31O'", "did you mean MC310"),
])
def test_unknown_codes_on_the_command_line_stop_before_any_work(tmp_path, argv, bad, near):
    # the target does not exist: a run that started would say so; validation comes first
    r = run_cli("check", str(tmp_path / "missing"), *argv)
    line = _one_line(r.stderr)
    assert r.returncode == 2, r.stderr
    assert line.startswith(f"modelcheck: {argv[0]}: unknown rule code or prefix {bad}"), line
    assert "missing" not in line and r.stdout == ""
    if near:
        assert near in line, line


def test_valid_prefixes_are_accepted(tmp_path):
    proj = _tree(tmp_path)
    r = run_cli("check", ".", "--select", "MC1,mc3", "--ignore", "MC31", cwd=proj)
    assert r.returncode == 1 and "MC101" in r.stdout, r.stderr


@pytest.mark.parametrize("argv", [["--select", "MC9"], ["--ignore", "MC"],
                                  ["--select", "MC1", "--ignore", "MC1"], ["--select", ""]])
def test_a_selection_that_enables_no_rule_is_refused(tmp_path, argv):
    r = run_cli("check", str(_tree(tmp_path)), *argv)
    assert r.returncode == 2
    assert "no rule is enabled" in _one_line(r.stderr)


@pytest.mark.parametrize("config,where", [
    ('select = ["MC999"]\n', "select: unknown rule code or prefix 'MC999'"),
    ('ignore = ["MC30"]\nextend-select = ["MC8"]\n', "extend-select: unknown rule code or "
                                                    "prefix 'MC8'"),
    ('[per-path-ignores]\n"models/*" = ["MC1", "MC77"]\n',
     "per-path-ignores 'models/*': unknown rule code or prefix 'MC77'"),
    ('[severity]\nMC55 = "note"\n', "severity key: unknown rule code or prefix 'MC55'"),
])
@pytest.mark.parametrize("name", ["modelcheck.toml", "pyproject.toml"])
def test_unknown_codes_in_the_config_are_refused(tmp_path, config, where, name):
    proj = _tree(tmp_path)
    if name == "pyproject.toml":
        config = "[tool.modelcheck]\n" + config.replace("[per-path-ignores]",
                                                        "[tool.modelcheck.per-path-ignores]"
                                                        ).replace("[severity]",
                                                                  "[tool.modelcheck.severity]")
    (proj / name).write_text(config)
    r = run_cli("check", "models", cwd=proj)
    line = _one_line(r.stderr)
    assert r.returncode == 2 and r.stdout == ""
    assert f"{proj / name}: {where}" in line, line


def test_api_refuses_unknown_codes_and_bad_numbers(tmp_path):
    import modelcheck

    with pytest.raises(ConfigError, match="unknown rule code or prefix 'MC999'"):
        modelcheck.check([str(GOOD_PKG)], Settings(select=["MC999"]))
    with pytest.raises(ConfigError, match="no rule is enabled"):
        modelcheck.check_package(str(GOOD_PKG), Settings(ignore=["MC"]))
    with pytest.raises(ConfigError, match="jobs: expected a whole number 0 or more, got -3"):
        modelcheck.check([str(GOOD_PKG)], Settings(jobs=-3))


# --- numbers, formats, outputs -------------------------------------------------------------

@pytest.mark.parametrize("argv,message", [
    (["--jobs", "-3"], "--jobs: expected a whole number 0 or more, got -3"),
    (["--package-timeout", "-1"], "--package-timeout: expected a number 0 or more, got -1.0"),
    (["--package-timeout", "nan"], "--package-timeout: expected a number 0 or more, got nan"),
    (["--max-pickle-bytes", "0"], "--max-pickle-bytes: expected a whole number more than 0"),
    (["--jobs", "two"], "argument --jobs/-j: invalid int value: 'two'"),
    (["-f", "bogus"], "unknown format 'bogus' in -f/--format bogus"),
    (["-f", "sarf"], "did you mean sarif?"),
    (["-o", "sarf=x.sarif"], "unknown format 'sarf' in -o sarf=x.sarif; did you mean sarif?"),
    (["-o", "a.txt", "-o", "b.txt"], "-o given 2 times for the text report (a.txt, b.txt)"),
    (["-o", "out/x.json"], "-o out/x.json: folder 'out' does not exist"),
    (["-o", "x.json", "-o", "json=./x.json"], "-o json=./x.json: the same file as -o x.json"),
    (["-o", "."], "-o .: is a folder"),
])
def test_bad_options_stop_before_the_scan(tmp_path, argv, message):
    proj = _tree(tmp_path)
    start = time.monotonic()
    r = run_cli("check", "models", "--no-progress", *argv, cwd=proj)
    line = _one_line(r.stderr)
    assert r.returncode == 2 and message in line, line
    assert r.stdout == "" and sorted(p.name for p in proj.iterdir()) == ["models"]
    assert time.monotonic() - start < 30


def test_jobs_zero_means_automatic_and_timeout_zero_disables(tmp_path):
    proj = _tree(tmp_path)
    r = run_cli("check", "models", "--jobs", "0", "--package-timeout", "0", "--select", "MC1",
                cwd=proj)
    assert r.returncode == 1 and "MC101" in r.stdout, r.stderr


def test_outputs_are_all_written_where_asked(tmp_path):
    proj = _tree(tmp_path)
    (proj / "reports").mkdir()
    r = run_cli("check", "models", "-f", "json", "-o", "reports/a.json", "-o",
                "sarif=reports/b.sarif", "-o", "./name=x.txt", cwd=proj)
    assert r.returncode == 2, r.stderr  # two plain -o: refused
    r = run_cli("check", "models", "-f", "json", "-o", "reports/a.json", "-o",
                "sarif=reports/b.sarif", "-o", "text=./name=x.txt", "--select", "MC1", cwd=proj)
    assert r.returncode == 1 and r.stdout == "", r.stderr
    assert json.loads((proj / "reports" / "a.json").read_text())["summary"]["error"] == 1
    assert json.loads((proj / "reports" / "b.sarif").read_text())["version"] == "2.1.0"
    assert "MC101" in (proj / "name=x.txt").read_text()
    # a file whose name holds '=' and is not FORMAT=...: written as named
    r = run_cli("check", "models", "-o", "./plain=file.txt", "--select", "MC1", cwd=proj)
    assert r.returncode == 1 and "MC101" in (proj / "plain=file.txt").read_text()


# --- closed pipes --------------------------------------------------------------------------

def _closed_stdout(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run with stdout a pipe whose reader has already gone (what `| head` leaves)."""
    r_fd, w_fd = os.pipe()
    os.close(r_fd)
    try:
        return subprocess.run([sys.executable, "-m", "modelcheck", *args], stdout=w_fd,
                              stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=120,
                              env={**os.environ, "NO_COLOR": "1"})
    finally:
        os.close(w_fd)


def test_closed_pipe_ends_quietly(tmp_path):
    r = _closed_stdout("rules")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = _closed_stdout("rule", "MC301")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    proj = _tree(tmp_path)
    r = _closed_stdout("check", "models", "-o", "json=out.json", "--select", "MC1", cwd=proj)
    assert r.stderr == "" and r.returncode == 1  # the check's own verdict
    assert json.loads((proj / "out.json").read_text())["summary"]["error"] == 1
    shell = subprocess.run(f"{sys.executable} -m modelcheck rules | head -5", shell=True,
                           capture_output=True, text=True, timeout=120)
    assert len(shell.stdout.splitlines()) == 5 and shell.stderr == "", shell.stderr


# --- signals -------------------------------------------------------------------------------

N_BIG = 4000


def _link(src: str, dst: str) -> None:
    """A hard link where the file system allows one, else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


@pytest.fixture(scope="module")
def bigtree(tmp_path_factory) -> Path:
    """Thousands of copies of the example package (hard links: cheap to make)."""
    root = tmp_path_factory.mktemp("big") / "tree"
    for i in range(N_BIG):
        shutil.copytree(GOOD_PKG, root / f"g{i // 100:02d}" / f"p{i:04d}",
                        copy_function=_link)
    return root


def _interrupt(cmd: list[str], sig: int, cwd: Path, *, group: bool = False,
               after: float = 1.5) -> tuple[int, str, str, float]:
    p = subprocess.Popen([sys.executable, "-m", "modelcheck", *cmd], cwd=cwd,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, env={**os.environ, "NO_COLOR": "1"})
    time.sleep(after)
    assert p.poll() is None, "the scan ended before the signal: make the tree bigger"
    sent = time.monotonic()
    if group:  # a terminal's Ctrl-C: the whole process group, pool workers included
        os.killpg(p.pid, sig)
    else:
        p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err, time.monotonic() - sent


@pytest.mark.parametrize("sig,code,extra,group", [
    (signal.SIGINT, 130, [], False),
    (signal.SIGTERM, 143, [], False),
    (signal.SIGINT, 130, [], True),  # workers get it too: they must stay quiet
    (signal.SIGINT, 130, ["--jobs", "1"], False),  # in-process scan
    (signal.SIGTERM, 143, ["--jobs", "4"], False),
], ids=["sigint", "sigterm", "sigint-group", "sigint-serial", "sigterm-4-workers"])
def test_signal_stops_a_scan_and_writes_partial_reports(bigtree, tmp_path, sig, code, extra,
                                                       group):
    cmd = ["check", str(bigtree), "-f", "json", "-o", "out.json", "-o", "sarif=out.sarif",
           "-o", "text=out.txt", "-o", "markdown=out.md", "-o", "html=out.html", *extra]
    rc, out, err, took = _interrupt(cmd, sig, tmp_path, group=group)
    assert rc == code, err
    assert "Traceback" not in err and "Error" not in err, err
    assert took < 2.0, took
    name = signal.Signals(sig).name
    assert f"interrupted by {name}" in err
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["partial"] is True and doc["interrupted"] == name
    import jsonschema

    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert 0 < len(doc["packages"]) < N_BIG
    assert doc["summary"]["packages"] == len(doc["packages"])
    inv = json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False and inv["exitSignalName"] == name
    assert "interrupted" in inv["toolExecutionNotifications"][0]["message"]["text"]
    for f in ("out.txt", "out.md", "out.html"):
        assert f"PARTIAL REPORT: modelcheck was interrupted by {name}" in (
            tmp_path / f).read_text(), f
    assert "All checks passed" not in (tmp_path / "out.txt").read_text()


def test_signal_stops_the_remote_pipeline(bigtree, tmp_path):
    """file:// targets go through scan/remote.py (planned jobs, threads in flight)."""
    rc, out, err, took = _interrupt(["check", bigtree.as_uri(), "-f", "json", "-o",
                                     "out.json", "--jobs", "8"], signal.SIGINT, tmp_path)
    assert rc == 130 and "Traceback" not in err and took < 2.0, err
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["partial"] is True and 0 < len(doc["packages"]) < N_BIG


def test_text_on_stdout_is_marked_partial(bigtree, tmp_path):
    rc, out, err, took = _interrupt(["check", str(bigtree), "-q"], signal.SIGINT, tmp_path)
    assert rc == 130 and "Traceback" not in err and took < 2.0, err
    assert out.rstrip().splitlines()[-1].startswith("PARTIAL REPORT: modelcheck was "
                                                    "interrupted by SIGINT")


# --- pickling ------------------------------------------------------------------------------

def test_everything_the_api_returns_pickles_across_processes(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import modelcheck
    from modelcheck.engine.registry import all_rules
    from modelcheck.results import Interrupted, Report

    proj = _tree(tmp_path)
    targets = [str(proj / "models")]
    here = modelcheck.check(targets)
    assert here.findings and pickle.loads(pickle.dumps(here)) == here
    for rule in all_rules().values():
        again = pickle.loads(pickle.dumps(rule))
        assert again is rule  # by reference: the same registered rule
        assert pickle.loads(pickle.dumps(rule.meta)) == rule.meta
    one = modelcheck.check_package(str(proj / "models" / "broken"))
    assert pickle.loads(pickle.dumps(one)) == one
    stopped = pickle.loads(pickle.dumps(Interrupted("SIGTERM", Report(interrupted="SIGTERM"))))
    assert stopped.signal == "SIGTERM" and stopped.report.partial
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        there = pool.submit(modelcheck.check, targets).result(timeout=120)
        pkg = pool.submit(modelcheck.check_package,
                          str(proj / "models" / "broken")).result(timeout=120)
    assert there == here and pkg == one
    assert [f.fingerprint for f in there.findings] == [f.fingerprint for f in here.findings]


# --- the Action ----------------------------------------------------------------------------

def _action(proj: Path, tmp: Path, **inputs: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    out = tmp / "gh-output.txt"
    out.write_text("")
    env.update({"GITHUB_OUTPUT": str(out), "INPUT_SARIF_FILE": ""})
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    r = subprocess.run([sys.executable, "-m", "modelcheck.integrations.action"], cwd=proj,
                       env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in r.stderr, r.stderr
    assert "exit-code=2" in out.read_text() or r.returncode != 2
    return r.returncode, r.stdout


@pytest.mark.parametrize("inputs,message", [
    ({"select": "MC99"}, "--select: unknown rule code or prefix 'MC99'"),
    ({"ignore": "MC30l"}, "did you mean MC301"),
    ({"args": "-f json"}, "the args input holds -f/--format"),
    ({"args": "--output=x.json"}, "the args input holds -o/--output"),
    ({"args": "--hook"}, "the args input holds --hook"),
    ({"args": "--statistics"}, "the args input holds --statistics"),
    ({"args": "--write-baseline b.json"}, "the args input holds --write-baseline"),
    ({"args": "--jobs -2"}, "--jobs: expected a whole number 0 or more"),
])
def test_action_refuses_what_it_cannot_honour(tmp_path, inputs, message):
    proj = _tree(tmp_path)
    code, stdout = _action(proj, tmp_path, paths="models", **inputs)
    assert code == 2, stdout
    errors = [ln for ln in stdout.splitlines() if ln.startswith("::error")]
    assert len(errors) == 1 and message in errors[0], stdout
    assert not (proj / "b.json").exists() and not (proj / "x.json").exists()


# --- config found from the targets ---------------------------------------------------------

def test_config_is_found_from_the_targets(tmp_path):
    proj = _tree(tmp_path)
    (proj / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.modelcheck]\n'
                                         'select = ["MC1"]\nignore = ["MC101"]\n'
                                         'exclude = ["models/legacy"]\n')
    copy_package(BROKEN, proj / "models" / "legacy" / "old")
    (proj / "models" / "legacy" / "old" / "MLmodel").unlink()
    # from the parent folder: repo/pyproject.toml still governs (and its relative exclude)
    r = run_cli("check", "proj/models", "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [p["path"] for p in json.loads(r.stdout)["packages"]] == [
        "proj/models/broken", "proj/models/good"]
    r = run_cli("check", "proj/models/broken/MLModel", cwd=tmp_path)  # a file: its folder
    assert r.returncode == 0, r.stdout + r.stderr
    # --config wins
    (tmp_path / "strict.toml").write_text('select = ["MC1"]\n')
    r = run_cli("check", "proj/models", "--config", "strict.toml", cwd=tmp_path)
    assert r.returncode == 1 and "MC101" in r.stdout
    # --show-settings names the file and where each value came from
    r = run_cli("check", "proj/models", "--show-settings", "--ignore", "MC2", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"# config: {proj / 'pyproject.toml'}"
    assert 'ignore = ["MC2"]  # --ignore' in r.stdout
    assert f'exclude = ["models/legacy"]  # {proj / "pyproject.toml"}: exclude' in r.stdout
    # --show-files lists, checks nothing (exit 0 although a package is broken)
    (proj / "pyproject.toml").write_text('[tool.modelcheck]\nexclude = ["models/legacy"]\n')
    r = run_cli("check", "proj/models", "--show-files", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.splitlines() == [
        "proj/models/broken", "proj/models/good"], r.stdout + r.stderr
    r = run_cli("check", "proj/models", "missing", "--show-files", cwd=tmp_path)
    assert r.returncode == 2 and "missing" in r.stderr


def test_targets_under_different_configs_are_refused(tmp_path):
    proj = _tree(tmp_path)
    other = tmp_path / "other"
    copy_package(GOOD_PKG, other / "pkg")
    (other / "modelcheck.toml").write_text('select = ["MC1"]\nfail-on = "note"\n')
    r = run_cli("check", str(proj / "models"), str(other / "pkg"))
    line = _one_line(r.stderr)
    assert r.returncode == 2 and "the targets have different configs" in line, line
    assert str(other / "modelcheck.toml") in line and "none (defaults)" in line
    r = run_cli("check", str(proj / "models"), str(other / "pkg"), "--config",
                str(other / "modelcheck.toml"))
    assert r.returncode == 1 and "MC101" in r.stdout


# --- pre-commit: one run, several invocations ----------------------------------------------

def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


N_HOOK = 1500  # ~300 KB of file names: pre-commit cuts its command line at 128 KiB


def _local_hook_config() -> str:
    """A ``repo: local`` config holding this repository's ``modelcheck`` hook as declared in
    .pre-commit-hooks.yaml (files, require_serial, pass_filenames), run by this interpreter:
    real pre-commit, without installing a clone (``try-repo`` sees only committed files)."""
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "modelcheck")
    assert hook["require_serial"] is True and hook["pass_filenames"] is True
    entry = hook["entry"].replace("modelcheck ", f"{sys.executable} -m modelcheck ", 1)
    local = {**hook, "entry": entry, "language": "system"}
    local.pop("minimum_pre_commit_version", None)
    return json.dumps({"repos": [{"repo": "local", "hooks": [local]}]})


@pytest.mark.slow
def test_real_pre_commit_splitting_the_files_checks_each_package_once(tmp_path):
    pytest.importorskip("pre_commit", reason="pre-commit not installed (pip install .[test])")
    if shutil.which("git") is None:
        pytest.skip("pre-commit needs git")
    proj = tmp_path / "proj"
    for i in range(N_HOOK):
        pkg = proj / "models" / f"package-{i:05d}"
        shutil.copytree(BROKEN, pkg, copy_function=_link)
        if i % 100 == 7:
            (pkg / "MLmodel").rename(pkg / "MLModel")
    (proj / "modelcheck.toml").write_text('select = ["MC101"]\n')
    (proj / ".pre-commit-config.yaml").write_text(_local_hook_config())
    _git(proj, "init", "-q")
    _git(proj, "add", ".")
    _git(proj, "-c", "user.name=t", "-c", "user.email=t@example.invalid",
         "commit", "-q", "-m", "packages")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "NO_COLOR": "1",
           "PRE_COMMIT_COLOR": "never", "SKIP": ""}
    r = subprocess.run([sys.executable, "-m", "pre_commit", "run", "modelcheck",
                        "--all-files", "--verbose"], cwd=proj, env=env,
                       capture_output=True, text=True, timeout=1800)
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "Traceback" not in out
    broken = [f"models/package-{i:05d}" for i in range(N_HOOK) if i % 100 == 7]
    for b in broken:  # each broken package reported exactly once
        assert out.count(f"{b}/MLModel: MC101 error") == 1, b
    summaries = [ln for ln in out.splitlines() if re.match(r"\d+ errors?, ", ln)]
    assert len(summaries) == 1, summaries
    m = re.match(r"(\d+) errors?, 0 warnings, 0 notes in (\d+) of (\d+) packages \(pre-commit "
                 r"split the changed files into (\d+) invocations", summaries[0])
    assert m, summaries[0]
    assert (int(m[1]), int(m[2]), int(m[3])) == (len(broken), len(broken), N_HOOK)
    assert int(m[4]) >= 2  # the split really happened
    assert "All checks passed" not in out
    # a second run is a new run: every package is checked again
    r2 = subprocess.run([sys.executable, "-m", "pre_commit", "run", "modelcheck",
                         "--all-files", "--verbose"], cwd=proj, env=env,
                        capture_output=True, text=True, timeout=1800)
    assert r2.returncode == 1 and f"in {len(broken)} of {N_HOOK} packages" in r2.stdout
