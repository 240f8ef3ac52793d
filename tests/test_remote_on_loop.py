"""Bucket packages checked on the backend's event loop as their batches land
(modelcheck/scan/remote.py, ``_Flight._check_on_loop``), against a real moto server: the rules
run on the loop's thread; a package whose rules ask for a file its batch does not hold is not
read there (the loop would wait for itself) but checked again on a thread, with the same
findings a local check gives."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402

import modelcheck.scan.remote as remote  # noqa: E402
from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402
from modelcheck.sources import fsspec_source  # noqa: E402

N = 6


def _key(f) -> tuple:
    return (f.code, str(f.level), f.file, f.line, f.col, f.pointer, f.message)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    pad = "".join(f"# {i:04d} a comment line that makes the file bigger than a peek\n"
                  for i in range(24))  # over LFS_PEEK bytes: a .yaml is not fetched below
    for i in range(N):
        shutil.copytree(s3server.SKLEARN, root / f"p{i}", copy_function=shutil.copyfile)
        conda = root / f"p{i}" / "conda.yaml"
        conda.write_text(pad + conda.read_text())
    (root / "p1" / "conda.yaml").write_text(pad + "name: broken\ndependencies: [python=3.10\n")
    with s3server.s3_server() as srv:
        c = srv.client()
        c.create_bucket(Bucket="loop")
        s3server.upload_tree(c, "loop", root, "fleet")
        yield {"root": root, "srv": srv}


def _scan(world) -> tuple:
    local = check([str(world["root"])], Settings(jobs=1))
    remote_rep = check(["s3://loop/fleet"], Settings(storage_options=world["srv"].options(),
                                                     jobs=4))
    return local, remote_rep


def _same(local, remote_rep) -> None:
    assert [p.display.rsplit("/", 1)[-1] for p in remote_rep.packages] == \
        [p.display.rsplit("/", 1)[-1] for p in local.packages]
    assert [[_key(f) for f in p.findings] for p in remote_rep.packages] == \
        [[_key(f) for f in p.findings] for p in local.packages]
    assert not remote_rep.notifications


def test_rules_run_on_the_loop_thread(world, monkeypatch):
    threads: list[str] = []
    inner = remote.check_package_obj

    def where(*a, **kw):
        threads.append(threading.current_thread().name)
        return inner(*a, **kw)

    monkeypatch.setattr(remote, "check_package_obj", where)
    local, remote_rep = _scan(world)
    _same(local, remote_rep)
    # every package checked where its batch landed: not the calling thread, not a side one
    assert len(threads) == N and set(threads) <= {"fsspecIO"}, threads


def test_a_read_outside_the_batch_is_checked_again_on_a_thread(world, monkeypatch):
    """conda.yaml left out of every batch (as if the plan had not foreseen it): read on the
    loop it would wait for the loop itself, so the package is checked again on a thread,
    which reads it; findings as a local check's."""
    threads: list[str] = []
    inner = remote.check_package_obj

    def where(*a, **kw):
        threads.append(threading.current_thread().name)
        return inner(*a, **kw)

    monkeypatch.setattr(remote, "check_package_obj", where)
    monkeypatch.setattr(fsspec_source, "UNREAD_EXTS", fsspec_source.UNREAD_EXTS + (".yaml",))
    local, remote_rep = _scan(world)
    _same(local, remote_rep)
    # each package started on the loop, stopped at conda.yaml, and was checked on a thread
    assert threads.count("fsspecIO") == N
    assert len([t for t in threads if t.startswith("modelcheck")]) == N
    assert any(f.code.startswith("MC5") for f in remote_rep.packages[1].findings)
