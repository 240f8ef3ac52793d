"""Scans on a real Dask cluster (a scheduler and two worker processes on 127.0.0.1, started
here), over a local tree and over a real S3 server (moto's), compared with a run in one
process: the same packages, findings, order, notifications and exit code. A worker killed
with SIGKILL mid-scan is replaced and its tasks run again; workers that cannot give the
lead's answer (a rule plugin installed where modelcheck runs, not on the workers) make every
package an MC902 that says why, never a package dropped or reported clean.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

sys.path.insert(0, str(Path(__file__).parent))
import daskcluster  # noqa: E402
import s3server  # noqa: E402
from helpers import REPO, run_cli, write_plugin  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402
from modelcheck.scan import executor as runner  # noqa: E402
from modelcheck.scan.cluster import ClusterError, connect, executor_of, scheduler_address

N_PACKAGES = int(os.environ.get("MODELCHECK_TEST_DASK_PACKAGES", "90"))


@pytest.fixture(scope="module")
def cluster():
    with daskcluster.dask_cluster(workers=2, threads=1) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    return cluster.client()


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    s3server.make_tree(root, N_PACKAGES)
    return root


def _same(serial, cluster_run) -> None:
    """Two reports of the same scan: equal package by package (findings, order), and in
    notifications, notes, rules and exit code."""
    assert [p.display for p in cluster_run.packages] == [p.display for p in serial.packages]
    for a, b in zip(serial.packages, cluster_run.packages, strict=True):
        assert b == a, a.display
    assert cluster_run.notifications == serial.notifications
    assert cluster_run == serial
    assert cluster_run.exit_code() == serial.exit_code()


def test_local_tree_same_as_serial_run(tree, client):
    targets = [str(tree), str(REPO / "tests" / "fixtures" / "mlflow"), "/no/such/tree"]
    settings = Settings()
    serial = check(targets, Settings(jobs=1))
    from distributed import get_task_stream

    with get_task_stream(client) as ts:
        got = check(targets, settings, executor=executor_of(client))
    _same(serial, got)
    assert serial.exit_code() == 2 and len(serial.packages) > N_PACKAGES  # a real mix
    assert {"MC101", "MC103", "MC501"} <= {f.code for f in serial.findings}
    workers = {t["worker"] for t in ts.data if t["key"].startswith("check_local_batch")}
    assert len(workers) == 2  # both workers did part of it


def test_per_path_ignores_and_exclude_applied_as_here(tree, client, monkeypatch):
    """Patterns relative to this process's working directory mean the same on the cluster
    (the workers' working directories are elsewhere)."""
    monkeypatch.chdir(tree)
    settings = Settings(per_path_ignores={"team1/**": ["MC"], "**/conda.yaml": ["MC5"]},
                        exclude=["team2/**"])
    serial = check(["."], settings)
    got = check(["."], settings, executor=executor_of(client))
    _same(serial, got)
    shown = {p.display.split("/")[0] for p in serial.packages}
    assert "team2" not in shown and "team1" in shown
    assert not [f for p in serial.packages if p.display.startswith("team1/")
                for f in p.findings if f.code != "MC902"]


@pytest.fixture(scope="module")
def bucket(tree):
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    good = sorted(str(p.parent.relative_to(tree)) for p in tree.glob("team3/*/conda.yaml"))
    with s3server.s3_server() as srv:
        admin = srv.client()
        admin.create_bucket(Bucket="models")
        s3server.upload_tree(admin, "models", tree, "fleet")
        s3server.upload_tree(admin, "models", tree / good[0], "single/pkg")
        srv.deny(f"models/fleet/{good[1]}/MLmodel", f"models/fleet/{good[2]}/conda.yaml")
        yield srv


def test_bucket_same_as_serial_run(bucket, client):
    from distributed import get_task_stream

    settings = Settings(storage_options=bucket.options(), jobs=4)
    targets = ["s3://models/fleet", "s3://models/single/pkg", "s3://no-such-bucket/x",
               "s3://models/fleet/team4"]
    from modelcheck.sources.plan import SourceOptions, pool_options

    prefixes = runner.split("s3://models/fleet",
                            pool_options("s3://models/fleet", SourceOptions(bucket.options())))
    assert prefixes is not None and len(prefixes) >= runner.SPLIT_MIN  # listed in parallel
    assert runner.split("s3://models/single/pkg", bucket.options()) is None  # one package
    serial = check(targets, settings)
    with get_task_stream(client) as ts:
        got = check(targets, settings, executor=executor_of(client))
    _same(serial, got)
    assert serial.exit_code() == 2
    assert any("access denied" in n for n in serial.notifications)
    assert any(f.code == "MC902" and "MLmodel cannot be read" in f.message
               for f in serial.findings)
    assert any(p.display == "s3://no-such-bucket/x" for p in serial.packages)
    names = {t["key"].split("-")[0] for t in ts.data}
    assert {"list_prefix", "check_fsspec_batch", "check_target"} <= names, names


def test_worker_killed_mid_scan_is_retried(tree, cluster, client):
    """SIGKILL one worker process while it holds tasks: its nanny starts a new one, the
    scheduler runs the lost tasks again, and the report is the serial run's."""
    serial = check([str(tree)], Settings())
    before = cluster.worker_pids(client)
    killed: list[tuple[str, int, int]] = []

    def kill_once(i: int, n: int) -> None:
        if killed:
            return
        # between two tasks the scheduler may have assigned nothing yet (a queued task waits
        # for a free slot): ask again until a worker holds one; none for 10 s: try at the
        # next progress call
        deadline = time.monotonic() + 10
        while not (busy := {w: len(keys) for w, keys in client.processing().items() if keys}):
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        victim = max(busy, key=busy.get)
        killed.append((victim, before[victim], busy[victim]))
        os.kill(before[victim], signal.SIGKILL)

    ex = executor_of(client)
    got = check([str(tree)], Settings(), executor=ex, progress=kill_once)
    _same(serial, got)
    assert killed, "no worker held a task at any progress call: nothing was killed"
    victim, pid, holding = killed[0]
    assert holding >= 1  # it was working on something when it died
    client.wait_for_workers(2, timeout=60)
    after = cluster.worker_pids(client)
    assert pid not in after.values() and len(after) == 2  # replaced by its nanny


PLUGIN = '''
from modelcheck.rule import Hit, Level, rule


@rule("MC896", "team-flavor-named", Level.ERROR)
def team(pkg):
    """Every package names its team."""
    yield Hit("no team named in MLmodel", file="MLmodel")
'''


def test_rule_plugin_missing_on_workers_is_mc902(tmp_path, cluster):
    """The lead has a rule plugin the workers lack: the workers refuse (their answer would
    not be the lead's), each package is an MC902 naming the rule, exit 2."""
    site = tmp_path / "site"
    site.mkdir()
    write_plugin(site, "team-rules", PLUGIN, "team_rules")
    env = {"PYTHONPATH": str(site)}
    pkgs = [str(REPO / "examples" / "iris-sklearn"),
            str(REPO / "tests" / "fixtures" / "mlflow" / "3.18.0" / "sklearn_sig_example")]
    here = run_cli("check", "-f", "json", *pkgs, env=env)
    assert here.returncode == 1 and '"MC896"' in here.stdout  # the plugin runs here
    r = run_cli("check", "-f", "json", *pkgs, "--dask", cluster.address, env=env)
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    assert [p["path"] for p in doc["packages"]] == [p["path"] for p in
                                                    json.loads(here.stdout)["packages"]]
    for p in doc["packages"]:
        (f,) = p["findings"]
        assert f["code"] == "MC902" and "the worker failed" in f["message"]
        assert "MC896 are not registered on this worker" in f["message"]
    assert len(doc["notifications"]) == len(pkgs)


def test_cli_on_cluster_prints_what_a_run_here_prints(tree, cluster):
    here = run_cli("check", "--no-progress", str(tree))
    there = run_cli("check", "--no-progress", str(tree), "--dask", cluster.address)
    assert there.returncode == here.returncode == 1
    assert there.stdout == here.stdout and there.stdout.count("MC") > 50
    env_run = run_cli("check", "--no-progress", str(tree), "--dask",
                      env={"DASK_SCHEDULER_ADDRESS": cluster.address})
    assert env_run.stdout == here.stdout and env_run.returncode == 1


def test_cli_usage_errors():
    r = run_cli("check", "--dask", "examples/iris-sklearn", cwd=REPO)
    assert r.returncode == 2 and "is not a Dask scheduler address" in r.stderr
    r = run_cli("check", "examples/iris-sklearn", "--dask", cwd=REPO,
                env={"DASK_SCHEDULER_ADDRESS": ""})
    assert r.returncode == 2 and "needs DASK_SCHEDULER_ADDRESS" in r.stderr
    assert scheduler_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert scheduler_address("scheduler.internal:8786") == "scheduler.internal:8786"


def test_unreachable_scheduler_is_a_clear_error():
    port = s3server.free_port()  # nothing listens there
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
        connect(f"tcp://127.0.0.1:{port}", timeout=2)


def test_without_dask_installed_the_hint_and_exit_2(tmp_path):
    """distributed made unimportable in the child (``sys.modules`` entry None: the import
    raises ImportError as when it is not installed)."""
    import subprocess

    code = ("import sys; sys.modules['distributed'] = None\n"
            "from modelcheck.cli import main\n"
            f"sys.exit(main(['check', {str(REPO / 'examples' / 'iris-sklearn')!r}, "
            "'--dask', 'tcp://127.0.0.1:1']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert "pip install 'modelcheck[dask]'" in r.stderr
