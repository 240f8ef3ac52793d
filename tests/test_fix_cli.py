"""``--fix``, ``--diff``, ``--unsafe-fixes`` on real MLflow packages broken in the ways the fixes
repair (tests/fixtures/fixable, written by tests/gen_fixable_fixtures.py): the fixed rules are
gone when the package is checked again, nothing else changes, real MLflow still loads every
fixed package, and the fix is refused where it cannot be done safely."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gen_fixable_fixtures import CASES, add_ignored_junk, write_case
from helpers import REPO, run_cli

FIXABLE = REPO / "tests" / "fixtures" / "fixable"
MLFLOW_PY = os.environ.get("MODELCHECK_MLFLOW_PYTHON", "/work/venvs/mlflow3/bin/python")

# what each case is broken by, and the rules its fixes must clear
SAFE_CODES = {
    "safe_all": {"MC307", "MC402", "MC501", "MC512", "MC515", "MC520", "MC522", "MC650"},
    "optional_217": {"MC307", "MC515"},
    "env_disagree": set(),
}
UNSAFE_CODES = {"env_disagree": {"MC503", "MC504", "MC505", "MC506"}}


def _copy(case: str, tmp_path: Path, *, junk: bool = True) -> Path:
    dst = tmp_path / case
    shutil.copytree(FIXABLE / case, dst)
    if junk:
        add_ignored_junk(dst)
    return dst


def _codes(pkg: Path) -> set[str]:
    r = run_cli("check", "-f", "json", str(pkg))
    assert r.returncode in (0, 1), r.stderr
    return {f["code"] for p in json.loads(r.stdout)["packages"] for f in p["findings"]}


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def _mlflow_loads(pkg: Path) -> None:
    if not Path(MLFLOW_PY).exists():
        pytest.skip(f"no Python with mlflow at {MLFLOW_PY} (set MODELCHECK_MLFLOW_PYTHON)")
    code = ("import sys, mlflow.pyfunc, mlflow.models\n"
            "m = mlflow.pyfunc.load_model(sys.argv[1])\n"
            "print(mlflow.models.Model.load(sys.argv[1]).signature)\n")
    r = subprocess.run([MLFLOW_PY, "-c", code, str(pkg)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]


def test_committed_fixtures_are_what_the_script_writes(tmp_path: Path) -> None:
    for case in CASES:
        fresh = write_case(case, tmp_path / case)
        assert _tree(fresh) == _tree(FIXABLE / case), "run python tests/gen_fixable_fixtures.py"


@pytest.mark.parametrize("case", sorted(CASES))
def test_fix_clears_the_rules_and_mlflow_still_loads(case: str, tmp_path: Path) -> None:
    pkg = _copy(case, tmp_path)
    before_codes = _codes(pkg)
    fixable = SAFE_CODES[case] | UNSAFE_CODES.get(case, set())
    assert fixable <= before_codes, fixable - before_codes  # the fixture is broken as said
    model_files = {k: v for k, v in _tree(pkg).items() if k.endswith((".pkl", ".skops"))}
    unsafe = ["--unsafe-fixes"] if case in UNSAFE_CODES else []
    r = run_cli("check", "--fix", *unsafe, str(pkg))
    assert r.returncode in (0, 1), r.stderr
    assert " fixed (" in r.stderr, r.stderr
    after = _codes(pkg)
    assert not (fixable & after), fixable & after
    assert not any(c.startswith("MC9") for c in after)
    assert {k: v for k, v in _tree(pkg).items() if k in model_files} == model_files
    assert not (pkg / "__pycache__").exists() or case != "safe_all"
    _mlflow_loads(pkg)
    if case == "safe_all":  # what was not broken is byte for byte what MLflow wrote
        real = REPO / "tests" / "fixtures" / "mlflow" / "3.18.0" / "sklearn_sig_example"
        for name in ("requirements.txt", "conda.yaml", "input_example.json"):
            assert (pkg / name).read_bytes() == (real / name).read_bytes(), name


def test_diff_shows_and_writes_nothing(tmp_path: Path) -> None:
    pkg = _copy("safe_all", tmp_path)
    before = _tree(pkg)
    r = run_cli("check", "--diff", str(pkg))
    assert r.returncode == 1, r.stderr
    assert f"--- {pkg}/requirements.txt" in r.stdout
    assert "-<U+FEFF>mlflow==3.18.0" in r.stdout and "+mlflow==3.18.0" in r.stdout
    assert "+  - scikit-learn==1.9.1" in r.stdout
    assert f"deleted: {pkg}/.DS_Store" in r.stdout
    assert f"deleted: {pkg}/__pycache__/ (1 file)" in r.stdout
    assert "# MC522 (safe): conda.yaml: delete the prefix line" in r.stdout
    assert "would be fixed" in r.stderr
    assert _tree(pkg) == before
    # --fix --diff is a preview too
    r = run_cli("check", "--fix", "--diff", str(pkg))
    assert r.returncode == 1 and _tree(pkg) == before


def test_diff_of_a_clean_package_is_empty(tmp_path: Path) -> None:
    pkg = tmp_path / "clean"
    shutil.copytree(REPO / "tests" / "fixtures" / "mlflow" / "3.18.0" / "sklearn_sig_example",
                    pkg)
    r = run_cli("check", "--diff", str(pkg))
    assert r.returncode == 0 and r.stdout == "", (r.stdout, r.stderr)


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    pkg = _copy("env_disagree", tmp_path, junk=False)
    before = _tree(pkg)
    r = run_cli("check", "--fix", str(pkg))
    assert "more with --unsafe-fixes" in r.stderr, r.stderr
    assert _tree(pkg) == before  # every fix of this case is unsafe
    assert UNSAFE_CODES["env_disagree"] <= _codes(pkg)
    r = run_cli("check", "--diff", str(pkg))
    assert r.returncode == 0 and "more with --unsafe-fixes" in r.stderr
    r = run_cli("check", "--diff", "--unsafe-fixes", str(pkg))
    assert r.returncode == 1 and "# MC505 (unsafe)" in r.stdout
    conda = (pkg / "conda.yaml").read_text()
    run_cli("check", "--fix", "--unsafe-fixes", str(pkg))
    fixed = (pkg / "conda.yaml").read_text()
    assert "- python=3.11.7  # pinned by hand\n" in fixed  # the comment survives
    assert "flask" in conda and "flask" not in fixed


def test_unsafe_fixes_alone_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli("check", "--unsafe-fixes", str(FIXABLE / "env_disagree"))
    assert r.returncode == 2 and "needs --fix or --diff" in r.stderr


def test_legacy_optional_is_unsafe_before_mlflow_2_10(tmp_path: Path) -> None:
    pkg = _copy("optional_217", tmp_path)
    mlmodel = pkg / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace("mlflow_version: 2.17.2",
                                                   "mlflow_version: 2.9.0"))
    run_cli("check", "--fix", str(pkg))
    text = mlmodel.read_text()
    assert '"sepal_length", "optional": false' in text  # MLflow 2.9 cannot read `required`
    assert '"sepal_width", "required": false}' in text  # beside `required`: always safe
    r = run_cli("check", "--fix", "--unsafe-fixes", str(pkg))
    assert '"sepal_length", "required": true' in mlmodel.read_text(), r.stderr
    assert "MC307" not in _codes(pkg)


def test_remote_targets_are_refused() -> None:
    for target in ("s3://bucket/model", "models:/churn/1"):
        r = run_cli("check", "--fix", target)
        assert r.returncode == 2 and "local packages only" in r.stderr, r.stderr
        r = run_cli("check", "--diff", target)
        assert r.returncode == 2


def test_a_symlinked_file_is_left_and_said_why(tmp_path: Path) -> None:
    """requirements.txt is a symlink (to a file inside the package): never edited through
    it, and --fix and --diff say so for each of its findings a fixer handles; the rest of
    the package is fixed, and the finding is still reported."""
    pkg = _copy("safe_all", tmp_path)
    (pkg / "reqs").mkdir()
    (pkg / "requirements.txt").rename(pkg / "reqs" / "requirements.txt")
    (pkg / "requirements.txt").symlink_to("reqs/requirements.txt")
    before = (pkg / "reqs" / "requirements.txt").read_bytes()
    for flag in ("--diff", "--fix"):
        r = run_cli("check", flag, str(pkg))
        assert "requirements.txt: MC501 not fixed: the file is a symlink (to " \
               "reqs/requirements.txt); fix the file it points to" in r.stderr, r.stderr
    assert (pkg / "reqs" / "requirements.txt").read_bytes() == before
    assert (pkg / "requirements.txt").is_symlink()
    codes = _codes(pkg)
    assert "MC501" in codes and "MC650" not in codes  # the rest was fixed


def test_fix_on_a_cluster_is_refused(tmp_path: Path) -> None:
    """--dask with --fix or --diff is a usage error, not a flag silently ignored (and not a
    package written by a worker): nothing changes."""
    pkg = _copy("safe_all", tmp_path)
    before = _tree(pkg)
    for flags in (("--fix", "--dask=tcp://127.0.0.1:9"), ("--diff", "--dask=tcp://127.0.0.1:9"),
                  ("--fix", str(pkg), "--dask")):  # the address from the environment
        r = run_cli("check", *flags, str(pkg))
        assert r.returncode == 2 and "drop --dask" in r.stderr, r.stderr
    assert _tree(pkg) == before


def test_second_fix_changes_nothing(tmp_path: Path) -> None:
    pkg = _copy("safe_all", tmp_path)
    run_cli("check", "--fix", "--unsafe-fixes", str(pkg))
    once = _tree(pkg)
    r = run_cli("check", "--fix", "--unsafe-fixes", str(pkg))
    assert "modelcheck: 0 fixed" in r.stderr, r.stderr
    assert _tree(pkg) == once
    assert run_cli("check", "--diff", "--unsafe-fixes", str(pkg)).returncode == 0


def _as_nobody() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv to drop privileges")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_read_only_file_fails_clearly(tmp_path: Path) -> None:
    import tempfile

    drop = _as_nobody()
    # a folder the unprivileged user can reach (pytest's tmp_path is private to root)
    base = Path(tempfile.mkdtemp(prefix="mc-fix-ro-", dir="/tmp")) if drop else tmp_path
    try:
        pkg = _copy("safe_all", base)
        req = pkg / "requirements.txt"
        if drop:  # the user owns the package, but may not write requirements.txt
            base.chmod(0o755)
            for p in [base, *base.rglob("*")]:
                os.chown(p, 65534, 65534)
        req.chmod(0o444)
        before = _tree(pkg)
        env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
        r = subprocess.run([*drop, sys.executable, "-m", "modelcheck", "check", "--fix",
                            str(pkg)], capture_output=True, text=True, timeout=120, env=env,
                           cwd=base)
        assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
        assert "requirements.txt is read-only" in r.stderr, r.stderr
        assert _tree(pkg) == before  # nothing of the package was written
    finally:
        if drop:
            shutil.rmtree(base)


def test_changed_since_read_is_refused(tmp_path: Path) -> None:
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import check_package_obj, select_rules
    from modelcheck.engine.settings import Settings
    from modelcheck.fixes.apply import FixError, write
    from modelcheck.fixes.plan import plan_package

    pkg = _copy("safe_all", tmp_path)
    s = Settings()
    rules = select_rules(all_rules(), s)
    plan = plan_package(str(pkg), str(pkg), lambda p: check_package_obj(p, rules, s).findings)
    assert plan.changed and plan.fixed >= 10
    (pkg / "conda.yaml").write_bytes((pkg / "conda.yaml").read_bytes() + b"# edited\n")
    before = _tree(pkg)
    with pytest.raises(FixError, match="conda.yaml changed since modelcheck read it"):
        write(plan)
    assert _tree(pkg) == before


def test_symlinked_files_are_never_edited(tmp_path: Path) -> None:
    pkg = _copy("safe_all", tmp_path)
    (pkg / "reqs-real.txt").write_bytes((pkg / "requirements.txt").read_bytes())
    (pkg / "requirements.txt").unlink()
    (pkg / "requirements.txt").symlink_to("reqs-real.txt")
    real = (pkg / "reqs-real.txt").read_bytes()
    run_cli("check", "--fix", str(pkg))
    assert (pkg / "requirements.txt").is_symlink()
    assert (pkg / "reqs-real.txt").read_bytes() == real


def test_rule_docs_say_whether_there_is_a_fix() -> None:
    from modelcheck.fixes.registry import NOTES, fixers

    assert {f.code for f in fixers()} == set(NOTES)
    r = run_cli("rule", "MC515")
    assert "Fix: safe" in r.stdout
    r = run_cli("rule", "MC101")
    assert "Fix: none" in r.stdout
    from modelcheck.engine.ruledocs import table

    assert "*(--fix: unsafe)*" in table() and "*(--fix: safe or unsafe)*" in table()


def test_a_check_does_not_import_the_fixes() -> None:
    code = ("import sys, contextlib, io; from modelcheck.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['check', {str(FIXABLE / 'safe_all')!r}])\n"
            "print(sorted(m for m in sys.modules if m.startswith('modelcheck.fixes.')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # the rule docs' registry is plain data; no fixer, plan or writer is loaded by a check
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout + r.stderr


def test_junk_that_may_be_work_is_never_deleted(tmp_path: Path) -> None:
    pkg = _copy("safe_all", tmp_path)
    (pkg / ".git").mkdir()
    (pkg / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    (pkg / "model.skops.bak").write_bytes(b"backup")
    (pkg / "code").mkdir()
    (pkg / "code" / "helper.pyc").write_bytes(b"\x00")  # no helper.py: maybe the only copy
    (pkg / "code" / "other.pyc").write_bytes(b"\x00")
    (pkg / "code" / "other.py").write_bytes(b"x = 1\n")
    run_cli("check", "--fix", "--unsafe-fixes", str(pkg))
    for rel in (".git/HEAD", "model.skops.bak", "code/helper.pyc", "code/other.py"):
        assert (pkg / rel).exists(), rel
    assert not (pkg / "code" / "other.pyc").exists() and not (pkg / ".DS_Store").exists()


def test_sklearn_keeps_a_version_only_scikit_learn_has(tmp_path: Path) -> None:
    pkg = _copy("env_disagree", tmp_path, junk=False)
    mlmodel = pkg / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace("    sklearn_version: 1.9.1\n", ""))
    for name in ("requirements.txt", "conda.yaml"):
        f = pkg / name
        f.write_text(f.read_text().replace("scikit-learn==1.0", "sklearn==1.0"))
    run_cli("check", "--fix", str(pkg))
    assert "scikit-learn==1.0" in (pkg / "requirements.txt").read_text()
    assert "  - scikit-learn==1.0\n" in (pkg / "conda.yaml").read_text()
    assert "MC515" not in _codes(pkg)
