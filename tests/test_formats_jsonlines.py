"""-f json-lines: one finding per line, written as packages finish (to stdout or a file), then
a summary line; the API's ``on_package`` hook that streams it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from formats_fixtures import levels_tree
from helpers import GOOD_PKG, run_cli

from modelcheck.api import check
from modelcheck.engine.settings import Settings
from modelcheck.reporters import render
from modelcheck.results import Finding, Level, PackageResult, Report

N_BIG = 1200


@pytest.fixture(scope="module")
def proj(tmp_path_factory) -> Path:
    return levels_tree(tmp_path_factory.mktemp("jsonl"))


@pytest.fixture(scope="module")
def bigtree(tmp_path_factory) -> Path:
    """Many packages that each lost their MLmodel (one MC101 finding each; hard links)."""
    root = tmp_path_factory.mktemp("bigjsonl") / "tree"
    for i in range(N_BIG):
        d = root / f"g{i // 100:02d}" / f"p{i:04d}"
        d.mkdir(parents=True)
        for f in GOOD_PKG.iterdir():
            dst = d / ("MLModel" if f.name == "MLmodel" else f.name)
            try:
                os.link(f, dst)
            except OSError:
                shutil.copyfile(f, dst)
    return root


def _lines(text: str) -> list[dict]:
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_lines_match_the_report(proj, monkeypatch) -> None:
    r = run_cli("check", "models", "-f", "json-lines", cwd=proj)
    assert r.returncode == 1, r.stderr
    lines = _lines(r.stdout)
    *found, summary = lines
    assert all(x["type"] == "finding" for x in found)
    assert sorted((x["package"], x["code"], x["line"]) for x in found) == [
        ("models/err", "MC101", None), ("models/note", "MC127", 36),
        ("models/note", "MC650", None), ("models/warn", "MC301", 2)]
    first = next(x for x in found if x["code"] == "MC301")
    assert first["path"] == "models/warn/MLmodel" and first["level"] == "warning"
    assert first["message"] and first["fingerprint"] and "column" in first
    assert summary["type"] == "summary" and summary["error"] == 1 and summary["note"] == 2
    assert summary["packages"] == 4 and summary["partial"] is False
    assert summary["invocation"]["targets"] == ["models"]
    monkeypatch.chdir(proj)  # the API's report renders the same lines
    again = _lines(render("json-lines", check(["models"])))
    assert sorted(map(json.dumps, again[:-1])) == sorted(map(json.dumps, found))


def test_show_level_and_provenance() -> None:
    f = Finding("MC301", "signature-missing", Level.WARNING, "no signature", "models:/m/3",
                file="MLmodel", line=2)
    prov = {"model": "m", "version": "3", "selected_by": "@champion"}
    lines = _lines(render("json-lines", Report(packages=[
        PackageResult("models:/m/3", [f], provenance=prov)])))
    assert lines[0]["provenance"] == prov and lines[0]["package"] == "models:/m/3"


def test_show_level_hides_streamed_lines(proj) -> None:
    r = run_cli("check", "models", "-f", "json-lines", "--show-level", "warning", cwd=proj)
    *found, summary = _lines(r.stdout)
    assert {x["code"] for x in found} == {"MC101", "MC301"}
    assert summary["hidden"] == {"note": 2} and summary["note"] == 0


def test_api_hands_each_package_over_as_it_finishes(proj) -> None:
    events: list[tuple] = []
    report = check([str(proj / "models")], Settings(jobs=1),
                   on_package=lambda p: events.append(("package", p.display)),
                   progress=lambda i, n: events.append(("progress", i)))
    # each package is handed over before the scan moves on (progress after each one)
    assert [e[0] for e in events] == ["package", "progress"] * 4
    assert sorted(e[1] for e in events if e[0] == "package") == sorted(
        p.display for p in report.packages)


def test_api_stream_applies_the_baseline(proj, tmp_path) -> None:
    base = tmp_path / "baseline.json"
    r = run_cli("check", "models", "--write-baseline", str(base), cwd=proj)
    assert r.returncode == 0, r.stderr
    got: list[PackageResult] = []
    cwd = os.getcwd()
    os.chdir(proj)
    try:
        report = check(["models"], Settings(baseline=str(base)), on_package=got.append)
    finally:
        os.chdir(cwd)
    assert len(got) == 4 and not any(p.findings for p in got)
    assert report.suppressed == 4 and not report.findings
    with pytest.raises(OSError):  # read before the scan: a missing baseline stops it
        check([str(proj)], Settings(baseline=str(tmp_path / "none.json")),
              on_package=got.append)


def _rest_of(p: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """(the rest of stdout, stderr) once ``p`` ends, after a ``readline()`` of its stdout.

    Read through the same buffered file: readline may already hold later lines in its
    buffer, which ``communicate()`` (it reads the pipe itself) would never return. Both
    pipes are drained on threads, so neither can fill up and stall the process, and a process
    that never ends fails the test after ``timeout`` instead of hanging it."""
    got: dict[str, str] = {}
    readers = [threading.Thread(target=lambda n=n, f=f: got.__setitem__(n, f.read()),
                                daemon=True)
               for n, f in (("out", p.stdout), ("err", p.stderr)) if f is not None]
    for t in readers:
        t.start()
    p.wait(timeout=timeout)  # raises TimeoutExpired: the caller's finally kills the process
    for t in readers:
        t.join(timeout=timeout)
    return got.get("out", ""), got.get("err", "")


def _first_line_then_sigint(cmd: list[str], cwd: Path, out=subprocess.PIPE,
                            wait_for: Path | None = None) -> tuple[int, str, str]:
    p = subprocess.Popen([sys.executable, "-m", "modelcheck", *cmd], cwd=cwd, stdout=out,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    try:
        if wait_for is None:
            first = p.stdout.readline()
        else:
            deadline = time.monotonic() + 60
            while not (wait_for.exists() and wait_for.read_text().count("\n")):
                assert time.monotonic() < deadline and p.poll() is None
                time.sleep(0.02)
            first = wait_for.read_text().splitlines()[0] + "\n"
        assert json.loads(first)["type"] == "finding"
        assert p.poll() is None, "the scan ended before its first line was read"
        p.send_signal(signal.SIGINT)
        rest, err = _rest_of(p, timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    return p.returncode, first + (rest or ""), err


def test_cli_streams_to_stdout_while_the_scan_runs(bigtree, tmp_path) -> None:
    rc, out, err = _first_line_then_sigint(["check", str(bigtree), "-f", "json-lines",
                                            "--jobs", "2"], tmp_path)
    assert rc == 130 and "Traceback" not in err, err
    *found, summary = _lines(out)
    assert summary["type"] == "summary" and summary["partial"] is True
    assert summary["interrupted"] == "SIGINT"
    assert "PARTIAL REPORT" in summary["notifications"][0]
    assert 0 < len(found) == summary["error"] == summary["packages"] < N_BIG
    assert len({x["package"] for x in found}) == len(found)  # each package once


def test_cli_streams_to_a_file_too(bigtree, tmp_path) -> None:
    target = tmp_path / "out.jsonl"
    rc, out, err = _first_line_then_sigint(
        ["check", str(bigtree), "-o", f"json-lines={target}", "-q", "--jobs", "1"], tmp_path,
        wait_for=target)
    assert rc == 130, err
    *found, summary = _lines(target.read_text())
    assert summary["partial"] is True and 0 < len(found) == summary["packages"] < N_BIG


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="drops privileges with setpriv (runs as root in CI)")
def test_unwritable_stream_file_stops_before_the_scan() -> None:
    """A real permission fault: the json-lines file is opened before any work, and a file
    that cannot be written stops the run there (exit 2), not after the scan."""
    base = Path(tempfile.mkdtemp(prefix="mc-jsonl-"))
    try:
        base.chmod(0o777)  # the folder is writable, the file is not (owned by root, 0444)
        levels_tree(base)
        for p in [base, *base.rglob("*")]:
            p.chmod(0o777 if p.is_dir() else 0o644)
        target = base / "ro.jsonl"
        target.write_text("")
        target.chmod(0o444)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            sys.executable, "-m", "modelcheck", "check", "models", "-o",
                            f"json-lines={target}"], cwd=base, capture_output=True, text=True,
                           timeout=120, env={**os.environ, "NO_COLOR": "1"})
        assert r.returncode == 2, r.stderr
        assert "cannot write the json-lines report" in r.stderr and "Permission" in r.stderr
        assert r.stdout == "" and target.read_text() == ""
    finally:
        shutil.rmtree(base)


def test_url_targets_interrupted_keep_every_finished_package(bigtree, tmp_path) -> None:
    """file:// targets go through scan/remote.py, whose results are handed over when its scan
    ends: an interrupt still writes each finished package's line once, then the summary."""
    p = subprocess.Popen([sys.executable, "-m", "modelcheck", "check", bigtree.as_uri(), "-f",
                          "json-lines", "--jobs", "4"], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    time.sleep(2.0)
    assert p.poll() is None, "the scan ended before the signal: make the tree bigger"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "Traceback" not in err, err
    *found, summary = _lines(out)
    assert summary["partial"] is True
    assert len(found) == summary["packages"] == len({x["package"] for x in found}) < N_BIG


# -- URL targets and executors stream too ------------------------------------------------------

N_BUCKET = 120


@pytest.fixture(scope="module")
def bucket():
    """A moto S3 server holding N_BUCKET packages that lost their MLmodel (one MC101 each)."""
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    sys.path.insert(0, str(Path(__file__).parent))
    from concurrent.futures import ThreadPoolExecutor

    import s3server

    files = {("MLModel" if f.name == "MLmodel" else f.name): f.read_bytes()
             for f in GOOD_PKG.iterdir()}
    with s3server.s3_server() as srv:
        c = srv.client()
        c.create_bucket(Bucket="jsonl")
        puts = [(f"fleet/p{i:04d}/{name}", body) for i in range(N_BUCKET)
                for name, body in files.items()]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda kb: c.put_object(Bucket="jsonl", Key=kb[0], Body=kb[1]), puts))
        yield srv


def test_bucket_packages_are_handed_over_as_they_finish(bucket) -> None:
    events: list[tuple] = []
    report = check(["s3://jsonl/fleet"], Settings(storage_options=bucket.options(), jobs=4),
                   on_package=lambda p: events.append(("package", p.display)),
                   progress=lambda i, n: events.append(("progress", i)))
    assert len(report.packages) == N_BUCKET and not report.notifications
    # each package is handed over as it finishes, before its progress call (not at the end)
    assert [e[0] for e in events] == ["package", "progress"] * N_BUCKET
    assert sorted(e[1] for e in events if e[0] == "package") == sorted(
        p.display for p in report.packages)


def test_remote_runner_streams_before_the_last_job_is_started(bucket) -> None:
    """A lister that pages (a generator of jobs): packages are handed over while it is
    still giving jobs, each once, target errors included."""
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import select_rules
    from modelcheck.scan.remote import plan, run_jobs
    from modelcheck.sources.plan import Job

    settings = Settings(storage_options=bucket.options(), jobs=8)
    planned = plan("s3://jsonl/fleet", settings)
    handed: list[str] = []
    when_yielded: list[int] = []

    def boom():
        raise RuntimeError("no source")

    def lister():
        for k, job in enumerate(planned):
            when_yielded.append(len(handed))
            if k == 50:
                yield Job("s3://jsonl/gone", boom)
            yield job

    notes: list[str] = []
    got = run_jobs(lister(), select_rules(all_rules(), settings), settings, notes, None,
                   on_package=lambda p: handed.append(p.display))
    assert when_yielded[-1] > 0  # packages were handed over before the last job was made
    assert sorted(handed) == sorted(r.display for r in got) and len(handed) == len(set(handed))
    assert len(got) == N_BUCKET + 1 and "s3://jsonl/gone" in handed


def test_cli_streams_a_bucket_scan_to_stdout(bucket, tmp_path) -> None:
    opts = []
    for k, v in bucket.options().items():
        opts += ["--storage-option", f"{k}={v}"]
    p = subprocess.Popen([sys.executable, "-m", "modelcheck", "check", "s3://jsonl/fleet", *opts,
                          "-f", "json-lines", "--jobs", "2"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "NO_COLOR": "1"})
    try:
        first = p.stdout.readline()
        running = p.poll() is None  # the first line came while the scan was still running
        rest, err = _rest_of(p, timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    # every message carries what the run printed, so a failure says which part broke
    seen = f"first line {first[:300]!r}; stderr {err[-2000:]!r}"
    assert first and json.loads(first)["type"] == "finding", seen
    assert running, "the first line came only when the scan ended; " + seen
    assert p.returncode == 1, f"exit {p.returncode}; " + seen
    *found, summary = _lines(first + rest)
    assert summary["packages"] == N_BUCKET, summary
    assert {x["code"] for x in found} == {"MC101"}, found[:3]
    assert len(found) == N_BUCKET == len({x["package"] for x in found})


def test_executor_results_are_handed_over_as_tasks_finish(bigtree) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from modelcheck.scan.executor import check_local_on

    events: list[str] = []
    settings = Settings(jobs=2)
    from modelcheck.engine.registry import all_rules
    from modelcheck.engine.run import select_rules

    with ThreadPoolExecutor(2) as pool:
        results, errors = check_local_on(
            pool, [str(bigtree / "g00"), str(bigtree / "g01")],
            select_rules(all_rules(), settings), settings,
            progress=lambda i, n: events.append("progress"), batch=20,
            on_package=lambda p: events.append("package"))
    assert not errors and len(results) == 200 and events.count("package") == 200
    # packages come with their task's progress call, the first well before the end
    assert events.index("package") < events.index("progress") < len(events) - 1


def test_executor_bucket_scan_hands_packages_over_as_tasks_finish(bucket) -> None:
    from concurrent.futures import ThreadPoolExecutor

    events: list[tuple] = []
    with ThreadPoolExecutor(2) as pool:
        report = check(["s3://jsonl/fleet"], Settings(storage_options=bucket.options(), jobs=4),
                       executor=pool, on_package=lambda p: events.append(("package", p.display)),
                       progress=lambda i, n: events.append(("progress", i)))
    assert len(report.packages) == N_BUCKET and not report.notifications
    kinds = [e[0] for e in events]
    assert kinds.count("package") == N_BUCKET  # each once
    # handed over with their tasks' progress, not all after the scan
    assert kinds.index("package") < len(kinds) - 1 - kinds[::-1].index("progress")
    assert sorted(e[1] for e in events if e[0] == "package") == sorted(
        p.display for p in report.packages)
