"""What modelcheck could not read is never reported as clean (issue 14), and a package's
Unity Catalog ``metadata/`` copy is part of the package (issue 13).

OS refusals (permission denied, a folder that cannot be listed, a file that vanished) are tool
failures: MC902 naming the path and the OS's reason, exit 2. Content that cannot be decoded
(binary, UTF-16, over the size limit) is an error of that file's own rule family, exit 1.

Real permission faults: CI runs as root, where ``chmod 000`` does not stop reads, so the check
runs in a subprocess that drops to uid/gid 65534 (nobody) on a copy in a world-traversable tmp
dir. Without root, the test runs as the current user when ``chmod 000`` does stop it, and is
skipped (with the reason) otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelcheck.engine.settings import Settings
from modelcheck.package.model_package import ModelPackage
from modelcheck.sources.discovery import discover, package_of
from modelcheck.sources.fsspec_source import Listing, ListingSource
from tests.helpers import GOOD_PKG, copy_package, run_cli

NOBODY = 65534
REALWORLD2 = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "realworld2"


# -- running the CLI without the right to read ------------------------------------------------

def _drop() -> None:  # preexec_fn: become nobody, with no supplementary groups
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


SETPRIV = shutil.which("setpriv")


def _run_dropped(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``cmd`` as uid/gid 65534 when root (setpriv, else a preexec_fn), else as this user."""
    env = {**os.environ, "NO_COLOR": "1"}
    kw: dict = {"cwd": cwd, "env": env, "capture_output": True, "text": True, "timeout": 120}
    if os.geteuid() != 0:
        return subprocess.run(cmd, **kw)
    if SETPRIV:
        return subprocess.run([SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}",
                               "--clear-groups", *cmd], **kw)
    return subprocess.run(cmd, preexec_fn=_drop, **kw)


def _as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return _run_dropped([sys.executable, "-m", "modelcheck", *args], cwd)


@pytest.fixture()
def world_tmp() -> Iterator[Path]:
    """A tmp dir nobody may traverse (pytest's own tmp_path is private to its user)."""
    d = Path(tempfile.mkdtemp(prefix="mc-faults-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        for p in [d, *d.rglob("*")]:
            try:
                p.chmod(0o755 if p.is_dir() else 0o644)
            except OSError:
                pass
        shutil.rmtree(d, ignore_errors=True)


def _copy(dst: Path) -> Path:
    copy_package(GOOD_PKG, dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def _deny(path: Path) -> None:
    """chmod 000 ``path``; skip the test unless the checking process will then be refused."""
    path.chmod(0)
    try:
        probe = _run_dropped([sys.executable, "-c", f"import modelcheck, os; p = {str(path)!r}; "
                              "os.listdir(p) if os.path.isdir(p) else open(p).close()"])
    except OSError as exc:  # the interpreter itself cannot be run by the dropped user
        pytest.skip(f"cannot run {sys.executable} as uid {NOBODY}: {exc}")
    if "PermissionError" not in probe.stderr:
        pytest.skip(f"cannot make {path.name} unreadable for the checking process "
                    f"(uid {os.geteuid()} without root, or: {probe.stderr[-200:]!r})")


def _report(r: subprocess.CompletedProcess) -> dict:
    assert r.stdout, r.stderr
    return json.loads(r.stdout)


def _findings(doc: dict, code: str | None = None) -> list[dict]:
    return [f for p in doc["packages"] for f in p["findings"] if code in (None, f["code"])]


# -- OS refusals: MC902, exit 2 ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["requirements.txt", "MLmodel", "conda.yaml",
                                  "python_env.yaml", "input_example.json",
                                  "serving_input_example.json", "model.skops"])
def test_unreadable_file_is_a_tool_failure(world_tmp: Path, name: str) -> None:
    pkg = _copy(world_tmp / "pkg")
    _deny(pkg / name)
    r = _as_nobody("check", "pkg", "-f", "json", cwd=world_tmp)
    doc = _report(r)
    assert r.returncode == 2, r.stdout
    assert doc["summary"]["tool_failed"] is True
    assert doc["packages"][0]["status"] != "clean"
    tool = _findings(doc, "MC902")
    assert [f["file"] for f in tool] == [name]
    assert tool[0]["message"] == (f"{name} cannot be read (Permission denied): modelcheck could "
                                  "not check it, so this package is not known to be clean")
    # not misreported as a content defect of the file
    content = [f for f in _findings(doc) if f["code"] in ("MC102", "MC402", "MC406", "MC501",
                                                          "MC508", "MC509")]
    assert content == []


def test_unreadable_folder_inside_a_package(world_tmp: Path) -> None:
    pkg = _copy(world_tmp / "pkg")
    (pkg / "code").mkdir()
    (pkg / "code" / "helpers.py").write_text("X = 1\n")
    (pkg / "code" / "helpers.py").chmod(0o644)
    _deny(pkg / "code")
    r = _as_nobody("check", "pkg", "-f", "json", cwd=world_tmp)
    doc = _report(r)
    assert r.returncode == 2
    assert [(f["file"], f["message"]) for f in _findings(doc, "MC902")] == [
        ("code", "code cannot be listed (Permission denied): nothing in it was checked, so "
                 "this package is not known to be clean")]


def test_unreadable_folder_in_a_tree_is_named_not_skipped(world_tmp: Path) -> None:
    _copy(world_tmp / "tree" / "good")
    _copy(world_tmp / "tree" / "locked" / "pkg")
    _deny(world_tmp / "tree" / "locked")
    r = _as_nobody("check", "tree", "-f", "json", cwd=world_tmp)
    doc = _report(r)
    assert r.returncode == 2
    assert doc["notifications"] == [
        "tree/locked: cannot be listed (Permission denied): model packages in it were not "
        "checked"]
    checked = {p["path"]: p["status"] for p in doc["packages"]}
    assert checked["tree/good"] == "clean"
    assert [f["code"] for f in _findings(doc) if f["code"].startswith("MC9")] == ["MC902"]


def test_unreadable_folder_given_directly(world_tmp: Path) -> None:
    _copy(world_tmp / "locked" / "pkg")
    _deny(world_tmp / "locked")
    r = _as_nobody("check", "locked", "-f", "json", cwd=world_tmp)
    doc = _report(r)
    assert r.returncode == 2
    assert doc["notifications"] == [
        "locked: cannot be listed (Permission denied): model packages in it were not checked"]
    assert "no MLmodel file" not in r.stdout


def test_unreadable_package_folder_given_directly(world_tmp: Path) -> None:
    pkg = _copy(world_tmp / "pkg")
    _deny(pkg)
    r = _as_nobody("check", "pkg", "-f", "json", cwd=world_tmp)
    doc = _report(r)
    assert r.returncode == 2
    msgs = [f["message"] for f in _findings(doc, "MC902")]
    assert msgs and all("Permission denied" in m for m in msgs), msgs
    assert "no MLmodel file" not in r.stdout


def test_file_listed_then_gone_is_a_tool_failure(tmp_path: Path) -> None:
    """The same place classifies a remote source's failure: a key listed, then removed."""
    import fsspec

    pkg = _copy(tmp_path / "pkg")
    fs = fsspec.filesystem("file")
    listing = Listing.of(fs, str(pkg), f"file://{pkg}")
    (pkg / "requirements.txt").unlink()
    source = listing.source("")
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import check_package_obj, select_rules

    res = check_package_obj(ModelPackage(source), select_rules(all_rules(), Settings()),
                            Settings())
    tool = [f for f in res.findings if f.code == "MC902"]
    assert [f.file for f in tool] == ["requirements.txt"]
    assert "not found (it was listed, then removed)" in tool[0].message
    assert isinstance(source, ListingSource)


def test_symlinked_folder_is_said_not_dropped(tmp_path: Path) -> None:
    """A symlinked folder the walk does not follow is named in every report (text, JSON,
    SARIF), without failing the run: the package beside it is checked as usual."""
    tree = tmp_path / "tree"
    _copy(tree / "real")
    outside = _copy(tmp_path / "elsewhere" / "other")
    (tree / "linked").symlink_to(outside.parent, target_is_directory=True)
    r = run_cli("check", str(tree), "-o", f"sarif={tmp_path / 'r.sarif'}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 package" in r.stdout
    assert f"note: {tree / 'linked'}: a symlinked folder (-> {outside.parent}), not followed" \
        in r.stdout
    rc, doc = _check(tree)
    assert rc == 0 and len(doc["packages"]) == 1
    [note] = doc["notes"]
    assert note.startswith(f"{tree / 'linked'}: a symlinked folder") and "not checked" in note
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    inv = sarif["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is True
    assert [n["level"] for n in inv["toolExecutionNotifications"]] == ["note"]


# -- content that cannot be decoded: the file's own rule, exit 1 ------------------------------

def _check(pkg: Path, *extra: str) -> tuple[int, dict]:
    r = run_cli("check", str(pkg), "-f", "json", *extra)
    return r.returncode, _report(r)


def test_random_bytes_requirements(tmp_path: Path) -> None:
    pkg = _copy(tmp_path / "pkg")
    (pkg / "requirements.txt").write_bytes(bytes(range(256)) * 4)
    rc, doc = _check(pkg)
    assert rc == 1
    [f] = _findings(doc, "MC501")
    assert f["level"] == "error" and f["file"] == "requirements.txt"
    assert f["message"] == ("requirements.txt cannot be read as UTF-8 text: requirements.txt is "
                            "binary data (it contains NUL bytes), not text; it is not a text "
                            "file")


def test_powershell_utf16_requirements(tmp_path: Path) -> None:
    pkg = _copy(tmp_path / "pkg")
    text = (pkg / "requirements.txt").read_text()
    (pkg / "requirements.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-16"))
    rc, doc = _check(pkg)
    assert rc == 1
    [f] = _findings(doc, "MC501")
    assert f["level"] == "error" and f["line"] == 1
    assert f["message"].startswith("requirements.txt cannot be read as UTF-8 text: "
                                   "requirements.txt is UTF-16 text (it starts with a UTF-16 "
                                   "byte-order mark), not UTF-8; pip decodes it by its "
                                   "byte-order mark, but MLflow reads it itself as UTF-8")
    assert f["fix"].startswith("PowerShell's `>` writes UTF-16; re-save requirements.txt as "
                               "UTF-8 (Out-File -Encoding utf8")


def test_utf8_bom_requirements_is_a_warning(tmp_path: Path) -> None:
    pkg = _copy(tmp_path / "pkg")
    (pkg / "requirements.txt").write_bytes(b"\xef\xbb\xbf" + (pkg / "requirements.txt")
                                           .read_bytes())
    rc, doc = _check(pkg)
    assert rc == 0  # pip installs it: a warning, not a failure
    [f] = _findings(doc, "MC501")
    assert f["level"] == "warning" and f["line"] == 1
    assert "starts with a UTF-8 byte-order mark: pip skips it, but MLflow" in f["message"]
    assert f["fix"] == "re-save requirements.txt as UTF-8 without a byte-order mark"


def _small_cap(pkg: Path, cap: int = 4000) -> None:
    (pkg / "modelcheck.toml").write_text(f"max-file-bytes = {cap}\n")


def test_oversized_requirements_is_an_error(tmp_path: Path) -> None:
    pkg = _copy(tmp_path / "pkg")
    _small_cap(pkg)
    with (pkg / "requirements.txt").open("a") as fh:
        fh.write("# padding\n" * 500)
    rc, doc = _check(pkg, "--config", str(pkg / "modelcheck.toml"))
    assert rc == 1
    [f] = _findings(doc, "MC501")
    assert f["level"] == "error"
    size = (pkg / "requirements.txt").stat().st_size
    assert f["message"] == (f"requirements.txt is {size} bytes, over modelcheck's 4000-byte "
                            "limit for the files it reads: it was not checked; a file "
                            "modelcheck did not check does not pass")
    assert "max-file-bytes" in f["fix"]


def test_oversized_example_is_an_error_like_the_env_files(tmp_path: Path) -> None:
    pkg = _copy(tmp_path / "pkg")
    _small_cap(pkg)
    body = json.loads((pkg / "input_example.json").read_text())
    (pkg / "input_example.json").write_text(json.dumps(body) + " " * 5000)
    rc, doc = _check(pkg, "--config", str(pkg / "modelcheck.toml"))
    assert rc == 1
    [f] = _findings(doc, "MC402")
    assert f["level"] == "error" and "over modelcheck's 4000-byte limit" in f["message"]
    assert "max-file-bytes" in f["fix"]


def test_utf16_mlmodel_and_conda(tmp_path: Path) -> None:
    pkg = _copy(tmp_path / "pkg")
    for name in ("MLmodel", "conda.yaml"):
        (pkg / name).write_bytes((pkg / name).read_text().encode("utf-16"))
    rc, doc = _check(pkg)
    assert rc == 1
    [m] = _findings(doc, "MC102")
    assert m["message"] == ("MLmodel cannot be read as UTF-8 YAML text: MLmodel is UTF-16 text "
                            "(it starts with a UTF-16 byte-order mark), not UTF-8")
    assert m["fix"].startswith("PowerShell's `>` writes UTF-16")
    [c] = _findings(doc, "MC509")
    assert c["message"].startswith("conda.yaml cannot be read as UTF-8 text: conda.yaml is "
                                   "UTF-16 text")


def test_latin1_python_env_names_the_line(tmp_path: Path) -> None:
    pkg = _copy(tmp_path / "pkg")
    (pkg / "python_env.yaml").write_bytes((pkg / "python_env.yaml").read_bytes()
                                          + b"# caf\xe9\n")
    rc, doc = _check(pkg)
    assert rc == 1
    [f] = _findings(doc, "MC508")
    lines = (pkg / "python_env.yaml").read_bytes().count(b"\n")
    assert "is not UTF-8: byte 0xe9" in f["message"] and f"(line {lines})" in f["message"]
    assert f["line"] == lines


# -- discovery: symlinked folders, Unity Catalog metadata copies ------------------------------

def test_symlinked_folder_is_named_by_discovery(tmp_path: Path) -> None:
    _copy(tmp_path / "elsewhere" / "pkg")
    _copy(tmp_path / "tree" / "real")
    (tmp_path / "tree" / "linked").symlink_to(tmp_path / "elsewhere")
    notes: list[str] = []
    found, errors = discover([str(tmp_path / "tree")], notes)
    assert errors == [] and [Path(t.path).name for t in found] == ["real"]
    assert len(notes) == 1 and "linked: a symlinked folder (-> " in notes[0]
    assert "not followed" in notes[0]


def _with_uc_metadata(dst: Path, extra: tuple[str, ...] = ()) -> Path:
    """A package as MLflow logs it on Databricks: metadata/ holds copies of METADATA_FILES."""
    pkg = _copy(dst)
    (pkg / "metadata").mkdir()
    for name in ("MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt", *extra):
        shutil.copyfile(pkg / name, pkg / "metadata" / name)
    return pkg


def test_uc_metadata_copy_is_part_of_its_package(tmp_path: Path) -> None:
    pkg = _with_uc_metadata(tmp_path / "tree" / "model")
    found, errors = discover([str(tmp_path / "tree")])
    assert errors == [] and [t.path for t in found] == [str(pkg)]
    # given directly, or a file in it: the package that holds it
    assert [t.path for t in discover([str(pkg / "metadata")])[0]] == [str(pkg)]
    assert package_of(str(pkg / "metadata" / "conda.yaml")) == str(pkg)
    rc, doc = _check(tmp_path / "tree")
    assert rc == 0 and [p["path"] for p in doc["packages"]] == [f"{tmp_path}/tree/model"]


def test_a_metadata_folder_with_more_is_a_package(tmp_path: Path) -> None:
    pkg = _with_uc_metadata(tmp_path / "model")
    shutil.copyfile(pkg / "model.skops", pkg / "metadata" / "model.skops")
    found, _ = discover([str(tmp_path)])
    assert sorted(Path(t.path).name for t in found) == ["metadata", "model"]


def test_uc_metadata_copy_in_a_bucket_listing(tmp_path: Path) -> None:
    files = {"MLmodel": 10, "conda.yaml": 5, "model.pkl": 9}
    keys = {f"m/{k}": v for k, v in files.items()}
    keys.update({f"m/metadata/{k}": 5 for k in ("MLmodel", "conda.yaml", "python_env.yaml",
                                                 "requirements.txt")})
    keys.update({"other/metadata/MLmodel": 3, "other/metadata/model.pkl": 3})
    listing = Listing(None, "root", "s3://b/root", sorted(keys), keys)
    assert listing.packages() == ["m", "other/metadata"]


@pytest.mark.skipif(not REALWORLD2.is_dir(), reason="realworld2 corpus not present")
def test_realworld2_uc_metadata_folders() -> None:
    found, errors = discover([str(REALWORLD2)])
    assert errors == []
    paths = [t.path for t in found]
    assert not [p for p in paths if p.endswith("/metadata")]
    with_copy = sorted(Path(p).name for p in paths if (Path(p) / "metadata" / "MLmodel").is_file())
    assert with_copy == [
        "043_MattiaMaroniAguilar__ML-Random-Forest-Classifier-for-cancer-detection",
        "071_darasiemi__mental_health_mlops_project",
        "109_sanghvirajit__Parkinson_disease_MLOps_Pipeline_xgboost",
        "111_sanghvirajit__Parkinson_disease_MLOps_Pipeline_sklearn",
    ]
