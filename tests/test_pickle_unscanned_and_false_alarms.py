"""Issues 13 and 14 on pickles: unscanned is an error, local files are scanned in place, and
sound pickles the scanner once misjudged are judged by what they do.

- The scanner gives the same facts from ``bytes`` and from a read-only ``mmap`` of the same
  file (real fixture pickles, hostile ones, the real-library cases of tests/data/pickles),
  also when large operands stay in the buffer (``ops.BIG_OPERAND`` lowered).
- A dangerous pickle larger than ``--max-pickle-bytes`` in a local package is scanned in place
  (memory-mapped) and reported; from a remote source (S3, a real server on 127.0.0.1) it is
  not read, and that is an MC623 error, not a warning that passes the gate.
- Bytes that merely start like a pickle are data; a loader's argument is not.
- joblib arrays are skipped exactly as joblib reads them.
- ``builtins.getattr`` is judged by what it reaches.
- A pickle MLmodel does not reference is scanned, but its corruption is a warning.
Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gen_hostile_fixtures import HOSTILE
from helpers import CORPUS

import modelcheck.formats.pickle.ops as ops
from modelcheck.api import check, check_package
from modelcheck.engine.settings import Settings
from modelcheck.formats.pickle.policy import dangerous
from modelcheck.formats.pickle.scanner import PickleScan, scan_bytes
from modelcheck.formats.pickle.values import Blob, GlobalRef, Obj, Unknown, _Set
from modelcheck.package.model_package import ModelPackage

HERE = Path(__file__).parent
DATA = HERE / "data" / "pickles"
BASE = HERE / "rules" / "MC620" / "pass" / "sklearn_cloudpickle"
EXTS = {".pkl", ".pt", ".pth", ".pickle", ".joblib", ".bin", ".ckpt", ".sav"}


def _files() -> list[Path]:
    seen: dict[str, Path] = {}
    for root in (HERE / "rules", HERE / "fixtures", DATA, CORPUS, CORPUS.parent / "realworld2"):
        if root.exists():
            for p in sorted(root.rglob("*")):
                if p.suffix in EXTS and p.is_file() and p.stat().st_size > 0:
                    seen.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), p)
    return sorted(seen.values())


FILES = _files()


def _norm(v: Any, depth: int = 0) -> Any:
    if depth > 30:
        return "<deep>"
    if v is None or isinstance(v, (bool, int, float, str, bytes)):
        return (type(v).__name__, repr(v))
    if isinstance(v, Blob):
        return ("blob", v.kind, len(v), v.head(16))
    if isinstance(v, GlobalRef):
        return ("ref", v.module, v.name, v.opcode, v.where)
    if isinstance(v, Obj):
        return ("obj", _norm(v.func, depth + 1), _norm(v.args, depth + 1))
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, [_norm(x, depth + 1) for x in v[:50]])
    if isinstance(v, dict):
        return ("dict", [(_norm(k, depth + 1), _norm(x, depth + 1))
                         for k, x in list(v.items())[:50]])
    if isinstance(v, (_Set, Unknown)):
        return type(v).__name__
    return ("other", type(v).__name__)


def facts(scan: PickleScan) -> dict[str, Any]:
    return {"globals": [(g.module, g.name, g.opcode, g.where) for g in scan.globals],
            "calls": [(_norm(c.ref), _norm(c.args)) for c in scan.calls],
            "called": [_norm(o) for o in scan.called],
            "qualnames": scan.qualnames, "dynamic": scan.dynamic, "problems": scan.problems,
            "limits": scan.limits, "protocols": sorted(scan.protocols),
            "pickles": scan.pickles, "is_pickle": scan.is_pickle}


def _mapped_facts(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        got = facts(scan_bytes(m))
        view = memoryview(m)
        try:
            assert facts(scan_bytes(view)) == got
        finally:
            view.release()
        return got


# -- the same facts from bytes and from an mmap ---------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_mmap_gives_the_same_facts_as_bytes(path: Path) -> None:
    assert _mapped_facts(path) == facts(scan_bytes(path.read_bytes()))


def test_hostile_from_mmap(tmp_path: Path) -> None:
    for name, make in sorted(HOSTILE.items()):
        p = tmp_path / f"{name}.pkl"
        p.write_bytes(make())
        assert _mapped_facts(p) == facts(scan_bytes(p.read_bytes())), name
        assert dangerous(scan_bytes(p.read_bytes())), name


def test_big_operands_stay_in_the_buffer(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setattr(ops, "BIG_OPERAND", 16)
    for path in FILES[:40]:
        assert _mapped_facts(path) == facts(scan_bytes(path.read_bytes())), path
    # a hostile pickle nested in a large BINBYTES, and one handed to a loader, still caught
    inner = HOSTILE["posix_system_p2"]()
    nested = b"\x80\x03]B" + struct.pack("<I", len(inner)) + inner + b"a."
    loaded = (b"\x80\x03ctorch.storage\n_load_from_bytes\nB" + struct.pack("<I", 40)
              + b"cposix\nsystem\n(S'id'\ntR." + b"." * 15 + b"\x85R.")
    for data in (nested, loaded):
        p = tmp_path / "x.pkl"
        p.write_bytes(data)
        scan = scan_bytes(data)
        assert any(isinstance(a, Blob) for c in scan.calls for a in c.args) or \
            data is nested
        assert [r.qualname for r, _ in dangerous(scan) if r] == ["posix.system"]
        assert _mapped_facts(p) == facts(scan)


# -- unscanned is an error; local files are scanned in place --------------------------------
def _big_hostile(size: int) -> bytes:
    """A protocol-2 pickle: ``size`` bytes of data popped, then os.system('id')."""
    return (b"\x80\x02B" + struct.pack("<I", size) + b"\0" * size + b"0"
            + b"cposix\nsystem\nX\x02\x00\x00\x00id\x85R.")


def _package(tmp_path: Path, model: bytes) -> Path:
    pkg = tmp_path / "pkg"
    shutil.copytree(BASE, pkg)
    (pkg / "model.pkl").write_bytes(model)
    return pkg


@pytest.mark.skipif(not hasattr(ModelPackage, "mapped"),
                    reason="needs ModelPackage.mapped (the source layer's memory map)")
def test_local_pickle_over_the_cap_is_scanned_in_place(tmp_path: Path) -> None:
    pkg = _package(tmp_path, _big_hostile(20 * 1024 * 1024))
    res = check_package(str(pkg), Settings(select=["MC620", "MC623"],
                                           max_pickle_bytes=1024 * 1024))
    found = [(f.code, str(f.level)) for f in res.findings]
    assert found == [("MC620", "error")], [f.message for f in res.findings]
    assert "posix.system" in res.findings[0].message


def test_scanning_a_large_local_pickle_keeps_memory_bounded(tmp_path: Path) -> None:
    size = 192 * 1024 * 1024
    p = tmp_path / "big.pkl"
    with open(p, "wb") as fh:  # written in pieces: the test itself stays small
        fh.write(b"\x80\x04\x8e" + struct.pack("<Q", size))
        chunk = b"\x80\x02" + b"\0" * (1024 * 1024 - 2)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
        fh.write(b"0cposix\nsystem\nX\x02\x00\x00\x00id\x85R.")
    code = ("import mmap, resource, sys\n"
            "from modelcheck.formats.pickle.scanner import scan_bytes\n"
            "from modelcheck.formats.pickle.policy import dangerous\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "with open(sys.argv[1], 'rb') as fh:\n"
            "    m = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)\n"
            "    s = scan_bytes(m)\n"
            "    print([r.qualname for r, _ in dangerous(s) if r], s.problems, s.limits)\n"
            "    m.close()\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n")
    out = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.splitlines()
    assert out[0] == "['posix.system'] [] []"
    assert int(out[1]) < 64, f"peak RSS grew by {out[1]} MiB scanning a 192 MiB pickle"


def test_remote_pickle_over_the_cap_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    import s3server

    pkg = _package(tmp_path, _big_hostile(4096))
    with s3server.s3_server() as srv:
        admin = srv.client()
        admin.create_bucket(Bucket="models")
        s3server.upload_tree(admin, "models", pkg, "pkg")
        settings = Settings(select=["MC620", "MC623"], max_pickle_bytes=1024,
                            storage_options=dict(srv.options()))
        res = check(["s3://models/pkg"], settings)
        found = [(f.code, str(f.level)) for f in res.findings]
        assert found == [("MC623", "error")], [f.message for f in res.findings]
        assert "not trusted" in res.findings[0].message
        assert "--max-pickle-bytes" in res.findings[0].message
        settings.max_pickle_bytes = 1024 * 1024  # within the cap: read and scanned
        found = [(f.code, str(f.level)) for f in check(["s3://models/pkg"], settings).findings]
        assert found == [("MC620", "error")]


def test_unreadable_pickle_is_an_error(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges to another user")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="mc623-"))  # pytest's tmp dirs are root-only
    try:
        base.chmod(0o755)
        pkg = _package(base, _big_hostile(10))
        for p in (pkg, *pkg.rglob("*")):
            p.chmod(0o755 if p.is_dir() else 0o644)
        (pkg / "model.pkl").chmod(0o600)
        _check_as_nobody(pkg)
    finally:
        shutil.rmtree(base)


def _check_as_nobody(pkg: Path) -> None:
    code = ("import sys\nfrom modelcheck.api import check_package\n"
            "from modelcheck.engine.settings import Settings\n"
            "r = check_package(sys.argv[1], Settings(select=['MC623']))\n"
            "print([(f.code, str(f.level)) for f in r.findings])\n")
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          sys.executable, "-c", code, str(pkg)], capture_output=True,
                         text=True, timeout=60)
    # (the engine may add its own MC9xx note of the unreadable file)
    assert "('MC623', 'error')" in out.stdout, (out.stdout, out.stderr)


def test_lz4_joblib_is_unscanned() -> None:
    scan = scan_bytes(b"\x04\x22\x4d\x18" + bytes(40))
    assert not scan.problems and "lz4" in scan.limits[0]


# -- bytes that look like a pickle ------------------------------------------------------------
def test_numpy_scalar_bytes_are_data() -> None:
    scan = scan_bytes((DATA / "numpy_scalar_bytes.pkl").read_bytes())
    assert not scan.problems and not scan.limits and scan.pickles == 1


def test_looks_like_a_pickle_but_handed_to_a_loader_is_corrupt() -> None:
    junk = b"\x80\x02\x00\x00\x00\x00\x00\x00"
    plain = b"\x80\x03]C\x08" + junk + b"a."
    assert not scan_bytes(plain).problems
    loaded = b"\x80\x03cpickle\nloads\nC\x08" + junk + b"\x85R."
    scan = scan_bytes(loaded)
    assert scan.problems and "#bytes@" in scan.problems[0]


def test_truncated_hostile_payload_in_bytes_is_still_dangerous() -> None:
    # a loader runs the opcodes before the damage: what they import is reported
    inner = HOSTILE["posix_system_p2"]()[:-1]  # no STOP
    data = b"\x80\x03]B" + struct.pack("<I", len(inner)) + inner + b"a."
    scan = scan_bytes(data)
    assert not scan.problems
    assert [r.qualname for r, _ in dangerous(scan) if r] == ["posix.system"]


def test_tensor_member_that_starts_like_a_pickle_is_data() -> None:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02]q\x00.")
        zf.writestr("archive/data/0", b"\x80\x02" + bytes(range(200)))
    scan = scan_bytes(buf.getvalue())
    assert not scan.problems and not scan.limits and scan.pickles == 1


# -- joblib -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(DATA.glob("joblib_*")), ids=lambda p: p.name)
def test_joblib_layouts(path: Path) -> None:
    scan = scan_bytes(path.read_bytes())
    assert not scan.problems and not scan.limits, scan
    # the pickle went on after the array: the dict's last key was read
    assert scan.pickles == 1 and dangerous(scan) == []


def test_joblib_object_array_is_scanned_as_a_pickle() -> None:
    data = (DATA / "joblib_structobj.joblib").read_bytes()
    assert any(g.where.endswith("#joblib-array") for g in scan_bytes(data).globals)


# -- getattr --------------------------------------------------------------------------------
def test_cpython_bound_methods_are_not_dangerous() -> None:
    scan = scan_bytes((DATA / "bound_methods.pkl").read_bytes())
    assert any(g.qualname == "builtins.getattr" for g in scan.globals)
    assert dangerous(scan) == []


@pytest.mark.parametrize("name", sorted(n for n in HOSTILE if n.startswith("getattr")))
def test_getattr_gadgets_are_dangerous(name: str) -> None:
    found = dangerous(scan_bytes(HOSTILE[name]()))
    assert any(r is not None and r.qualname == "builtins.getattr" for r, _ in found), found


@pytest.mark.parametrize(("attr", "expect"), [
    ("_wrap_in_lst", False), ("transform", False), ("__init__", True), ("system", True),
    ("popen", True), ("exec", True), ("open", True), ("os", True), ("builtins", True),
    ("__globals__", True), ("a.b", True),
])
def test_getattr_attribute_names(attr: str, expect: bool) -> None:
    # getattr(<a class from a plain import>, attr), as AzureML AutoML pickles a method
    b = attr.encode()
    data = (b"\x80\x04\x8c\x08builtins\x8c\x07getattr\x93\x8c\x0csklearn.base\x8c\x0d"
            b"BaseEstimator\x93\x8c" + bytes([len(b)]) + b + b"\x86R.")
    assert bool(dangerous(scan_bytes(data))) is expect


# -- files MLmodel does not reference -----------------------------------------------------
def test_stray_pickle_corruption_is_a_warning_referenced_is_an_error(tmp_path: Path) -> None:
    pkg = _package(tmp_path, (BASE / "model.pkl").read_bytes())
    good = (BASE / "model.pkl").read_bytes()
    (pkg / "old").mkdir()
    (pkg / "old" / "backup.pkl").write_bytes(good[: len(good) // 2])
    res = check_package(str(pkg), Settings(select=["MC623", "MC626"]))
    levels = {(f.code, f.file): str(f.level) for f in res.findings}
    assert levels[("MC623", "old/backup.pkl")] == "warning"
    mc626 = [f.message for f in res.findings if f.code == "MC626"]
    assert mc626 and "old/backup.pkl" not in mc626[0] and "model.pkl" in mc626[0]
    (pkg / "model.pkl").write_bytes(good[: len(good) // 2])
    res = check_package(str(pkg), Settings(select=["MC623"]))
    assert {f.file: str(f.level) for f in res.findings} == {
        "model.pkl": "error", "old/backup.pkl": "warning"}


def test_file_in_a_directory_mlmodel_names_is_referenced(tmp_path: Path) -> None:
    pkg = _package(tmp_path, (BASE / "model.pkl").read_bytes())
    text = (pkg / "MLmodel").read_text()
    (pkg / "MLmodel").write_text(text.replace("flavors:\n", "flavors:\n  pytorch:\n"
                                              "    model_data: data\n", 1))
    (pkg / "data").mkdir()
    (pkg / "data" / "model.pth").write_bytes(b"\x80\x02]q\x00")  # truncated
    res = check_package(str(pkg), Settings(select=["MC623"]))
    assert [(f.file, str(f.level)) for f in res.findings] == [("data/model.pth", "error")]
