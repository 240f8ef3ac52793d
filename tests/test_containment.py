"""The reader never leaves the package root: symlinks out, FIFOs, loops (real files in tmp)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from modelcheck.package.model_package import ModelPackage
from modelcheck.rules.containment_entries import unsafe_package_entry
from modelcheck.sources.local import LocalSource

BASE = Path(__file__).parent / "rules" / "MC610" / "pass" / "plain_files"


@pytest.fixture()
def pkg_dir(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:SECRET-OUTSIDE:/root:/bin/bash\n")
    pkg = tmp_path / "pkg"
    shutil.copytree(BASE, pkg)
    return pkg, outside


def _pkg(path: Path) -> ModelPackage:
    return ModelPackage(LocalSource(str(path)))


def test_symlink_out_is_reported_and_never_read(pkg_dir) -> None:
    pkg, outside = pkg_dir
    os.symlink(outside / "passwd", pkg / "conda.yaml.link")
    os.symlink("../outside/passwd", pkg / "rel.txt")
    os.symlink(outside, pkg / "artifacts")
    p = _pkg(pkg)
    for rel in ("conda.yaml.link", "rel.txt", "artifacts/passwd"):
        r = p.read(rel)
        assert not r.ok and r.kind in ("outside", "missing"), (rel, r)
        assert "SECRET-OUTSIDE" not in (r.problem or "")
    hits = list(unsafe_package_entry.check(p))
    assert {h.file for h in hits} == {"conda.yaml.link", "rel.txt", "artifacts"}
    assert all("SECRET-OUTSIDE" not in h.message for h in hits)


def test_mlmodel_symlinked_out_is_not_read(pkg_dir) -> None:
    pkg, outside = pkg_dir
    (outside / "MLmodel").write_text((pkg / "MLmodel").read_text())
    (pkg / "MLmodel").unlink()
    os.symlink(outside / "MLmodel", pkg / "MLmodel")
    assert _pkg(pkg).meta == {}


def test_fifo_does_not_block(pkg_dir) -> None:
    pkg, _ = pkg_dir
    os.mkfifo(pkg / "model.pkl.fifo")
    os.mkfifo(pkg / "requirements.txt.new")
    result: dict = {}

    def work() -> None:
        p = _pkg(pkg)
        result["read"] = p.read("model.pkl.fifo")
        result["hits"] = list(unsafe_package_entry.check(p))
        from modelcheck.package.pickle_files import pickle_files
        result["pickles"] = pickle_files(p)

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert not result["read"].ok and result["read"].kind == "special"
    assert {h.file for h in result["hits"]} == {"model.pkl.fifo", "requirements.txt.new"}


def test_symlink_loop(pkg_dir) -> None:
    pkg, _ = pkg_dir
    os.symlink("loop_b", pkg / "loop_a")
    os.symlink("loop_a", pkg / "loop_b")
    os.symlink("self", pkg / "self")
    p = _pkg(pkg)
    assert not p.read("loop_a").ok
    assert not p.exists("self")
    files = {h.file for h in unsafe_package_entry.check(p)}
    assert {"loop_a", "loop_b", "self"} <= files


@pytest.mark.parametrize("rel", ["/etc/passwd", "../outside/passwd", "a/../../outside/passwd",
                                 "C:\\Windows\\win.ini", "code\\evil.py", "c:evil"])
def test_escaping_paths_refused(pkg_dir, rel: str) -> None:
    pkg, _ = pkg_dir
    r = _pkg(pkg).read(rel)
    assert not r.ok and "SECRET" not in (r.problem or "")


def test_symlink_inside_is_followed(pkg_dir) -> None:
    pkg, _ = pkg_dir
    os.symlink("conda.yaml", pkg / "env.yaml")
    p = _pkg(pkg)
    assert p.read("env.yaml").ok
    assert list(unsafe_package_entry.check(p)) == []
