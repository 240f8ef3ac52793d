"""Each file of a local package is stat'ed and opened once, whatever rules ask for it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from modelcheck.package.model_package import HEAD_WHOLE, ModelPackage
from modelcheck.sources.local import LocalSource

BASE = Path(__file__).parent.parent / "examples" / "iris-sklearn"


class CountingSource(LocalSource):
    """The real local source, counting the reads and lookups that reach the filesystem."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.reads: list[tuple[str, int]] = []
        self.resolved: list[str] = []

    def read(self, rel: str, limit: int) -> bytes:
        self.reads.append((rel, limit))
        return super().read(rel, limit)

    def resolve(self, rel: str):
        self.resolved.append(rel)
        return super().resolve(rel)


@pytest.fixture()
def pkg_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "pkg"
    shutil.copytree(BASE, dst)
    return dst


def test_heads_and_reads_share_one_read(pkg_dir: Path) -> None:
    src = CountingSource(str(pkg_dir))
    pkg = ModelPackage(src)
    assert pkg.head("MLmodel", 5) == (pkg_dir / "MLmodel").read_bytes()[:5]
    full = pkg.read("MLmodel")
    assert full.ok and full.data == (pkg_dir / "MLmodel").read_bytes()
    assert pkg.read("MLmodel", 1 << 30).data == full.data  # another cap: same bytes
    assert pkg.head("MLmodel", 3) == full.data[:3]
    assert [r for r, _ in src.reads] == ["MLmodel"]


def test_a_smaller_cap_still_refuses_a_larger_file(pkg_dir: Path) -> None:
    pkg = ModelPackage(LocalSource(str(pkg_dir)))
    size = (pkg_dir / "MLmodel").stat().st_size
    assert pkg.read("MLmodel").ok
    small = pkg.read("MLmodel", size - 1)
    assert not small.ok and small.kind == "too-large"


def test_large_file_head_reads_only_the_head(pkg_dir: Path) -> None:
    (pkg_dir / "big.bin").write_bytes(b"\x80\x04" + b"x" * (HEAD_WHOLE + 10))
    src = CountingSource(str(pkg_dir))
    pkg = ModelPackage(src)
    assert pkg.head("big.bin", 4) == b"\x80\x04xx"
    assert src.reads == [("big.bin", 4)]
    assert pkg.head("missing.bin", 4) == b"" and pkg.head("code", 4) == b""


def test_entries_come_from_the_walk(pkg_dir: Path) -> None:
    (pkg_dir / "sub").mkdir()
    (pkg_dir / "sub" / "f.txt").write_text("x")
    src = CountingSource(str(pkg_dir))
    pkg = ModelPackage(src)
    assert pkg.is_file("MLmodel") and pkg.is_file("./sub/f.txt") and pkg.is_dir("sub")
    assert pkg.entry("sub/f.txt").size == 1
    assert src.resolved == []  # all answered by the one walk
    assert pkg.entry("nope.txt").kind == "missing"
    assert src.resolved == ["nope.txt"]
    assert pkg.entry("../outside").escapes


def test_top_level_symlink_out_is_not_opened(pkg_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    os.symlink(secret, pkg_dir / "conda.yaml.link")
    os.symlink("MLmodel", pkg_dir / "inner.link")
    src = LocalSource(str(pkg_dir))
    with pytest.raises(ValueError, match="leaves the package"):
        src.read("conda.yaml.link", 100)
    assert src.read("inner.link", 1 << 20) == (pkg_dir / "MLmodel").read_bytes()
    with pytest.raises(IsADirectoryError):
        os.mkdir(pkg_dir / "d")
        src.read("d", 100)
    with pytest.raises(FileNotFoundError):
        src.read("absent", 100)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_top_level_fifo_is_not_read(pkg_dir: Path) -> None:
    os.mkfifo(pkg_dir / "pipe")
    with pytest.raises(OSError, match="not a regular file"):
        LocalSource(str(pkg_dir)).read("pipe", 100)


def test_root_given_through_a_symlink_is_made_real(pkg_dir: Path, tmp_path: Path) -> None:
    link = tmp_path / "via-link"
    os.symlink(pkg_dir, link)
    assert LocalSource(str(link)).root == os.path.realpath(pkg_dir)
    assert LocalSource(str(link) + "/").root == os.path.realpath(pkg_dir)
    assert LocalSource(str(pkg_dir / "sub" / "..")).root == os.path.realpath(pkg_dir)


def test_heads_do_not_spend_a_budget_they_would_exceed(pkg_dir: Path) -> None:
    src = CountingSource(str(pkg_dir))
    pkg = ModelPackage(src, read_budget=10)
    assert pkg.head("MLmodel", 5) == (pkg_dir / "MLmodel").read_bytes()[:5]
    assert pkg.bytes_read == 0 and src.reads == [("MLmodel", 5)]
    r = pkg.read("MLmodel")
    assert not r.ok and "read budget" in (r.problem or "")


def test_text_kinds_say_why_a_file_is_not_text() -> None:
    from modelcheck.package.model_package import decode_text

    text = "scikit-learn==1.5.2\nmlflow==3.1.0\n"
    kinds = {name: (decode_text("r.txt", data).kind, decode_text("r.txt", data).bom)
             for name, data in {
                 "utf8": text.encode(), "bom": b"\xef\xbb\xbf" + text.encode(),
                 "utf16": text.encode("utf-16"), "utf16le": text.encode("utf-16-le"),
                 "utf32": text.encode("utf-32"), "latin1": "café\n".encode("latin-1"),
                 "nul": b"\x00\x01\x02" * 50, "control": bytes(range(1, 9)) * 40 + b"\xff"}.items()}
    assert kinds == {"utf8": ("", False), "bom": ("", True), "utf16": ("utf-16", False),
                     "utf16le": ("utf-16", False), "utf32": ("utf-32", False),
                     "latin1": ("encoding", False), "nul": ("binary", False),
                     "control": ("binary", False)}
    assert decode_text("r.txt", b"\xef\xbb\xbfa\n").text == "a\n"


def test_a_file_that_vanishes_is_a_recorded_failure(pkg_dir: Path) -> None:
    pkg = ModelPackage(LocalSource(str(pkg_dir)))
    assert pkg.is_file("requirements.txt")  # listed by the walk
    (pkg_dir / "requirements.txt").unlink()
    r = pkg.read("requirements.txt")
    assert (r.ok, r.kind) == (False, "unreadable")
    assert pkg.failures == {"requirements.txt": "cannot be read (it vanished while being "
                                                "checked): modelcheck could not check it"}
    assert pkg.text("requirements.txt").kind == "unreadable"
