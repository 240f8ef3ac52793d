"""Registry versions whose artifacts are on a bucket, or on the server's own disk.

A real ``mlflow server`` (sqlite) with ``--default-artifact-root s3://mlflow/artifacts`` and
``--no-serve-artifacts``, beside a real S3 server (moto's, tests/s3server.py): the runs'
artifacts are put in the bucket, the versions registered over REST (as MLflow's client does
when it logs to an S3 artifact root), so each version's download URI is an ``s3://`` URL.
modelcheck must read those with its bucket readers and the credentials and endpoint given to
it (``--storage-option``), and report for every version exactly what checking its ``s3://``
URL directly reports. A denied object fails that version alone. An experiment with a local
artifact root (a path on the server's machine, not served) holds two more versions: one
whose files are on this machine too, read locally, and one whose path is not, reported
plainly.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import s3server  # noqa: E402
from mlflow_registry_populate import PACKAGES, package, register, rest  # noqa: E402
from test_mlflow_uri import _has_mlflow  # noqa: E402
from test_registry_audit import PY, SKIP, _key, _start  # noqa: E402

from modelcheck.api import check  # noqa: E402
from modelcheck.engine.settings import Settings  # noqa: E402

BUCKET, LOCKED = "mlflow", "locked"


def _upload(client, url: str, files: dict[str, bytes]) -> None:
    bucket, _, prefix = url[len("s3://"):].partition("/")
    for rel, data in files.items():
        client.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=data)


def _run(experiment: str) -> dict:
    run = rest("/runs/create", {"experiment_id": experiment})["run"]["info"]
    return {"root": run["artifact_uri"], "run_id": run["run_id"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not _has_mlflow(PY):
        pytest.skip(SKIP)
    tmp = tmp_path_factory.mktemp("bucket-registry")
    with s3server.s3_server() as srv:
        admin = srv.client()
        admin.create_bucket(Bucket=BUCKET)
        admin.create_bucket(Bucket=LOCKED)
        env = dict(os.environ, MLFLOW_S3_ENDPOINT_URL=srv.endpoint, **s3server.ADMIN)
        proc, url, _ = _start(tmp, store=["--default-artifact-root", f"s3://{BUCKET}/artifacts",
                                          "--no-serve-artifacts"], env=env)
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("MLFLOW_TRACKING_URI", url)
                info = _populate(admin, tmp)
            srv.deny(f"{info['denied_ml']}/MLmodel", f"{info['denied_env']}/conda.yaml",
                     f"{LOCKED}/")
            yield {"srv": srv, "url": url, "info": info, "tmp": tmp}
        finally:
            proc.terminate()
            proc.wait(30)


def _populate(admin, tmp: Path) -> dict:
    """Runs in the bucket (and one in a local artifact root), versions registered on them."""
    exp = rest("/experiments/create", {"name": "on-a-bucket"})["experiment_id"]
    runs = {}
    for key in ("new", "old", "denied_ml", "denied_env"):
        run = runs[key] = _run(exp)
        assert run["root"].startswith(f"s3://{BUCKET}/artifacts/"), run["root"]
        _upload(admin, run["root"], package("old" if key == "old" else "new", "model"))
    _upload(admin, f"s3://{LOCKED}/{runs['new']['run_id']}", package("new", "model"))
    locked = f"s3://{LOCKED}/{runs['new']['run_id']}/model"
    local_root = tmp / "server-disk"
    local_exp = rest("/experiments/create", {"name": "on-the-server",
                                             "artifact_location": str(local_root)}
                     )["experiment_id"]
    here, gone = _run(local_exp), _run(local_exp)
    here_dir = _local_path(here["root"]) / "model"
    here_dir.mkdir(parents=True)
    for rel, data in package("old", "model").items():
        (here_dir.parent / rel).write_bytes(data)
    src = {k: {"source": f"{r['root']}/model", "run_id": r["run_id"]} for k, r in runs.items()}
    register("s3-model", [src["new"], src["old"],
                          {"source": f"runs:/{runs['old']['run_id']}/model",
                           "run_id": runs["old"]["run_id"]}], {"champion": 2}, {})
    register("s3-denied", [src["new"], src["denied_ml"], src["denied_env"]], {}, {})
    register("s3-locked", [{"source": locked, "run_id": ""}], {}, {})
    register("server-disk", [{"source": f"{here['root']}/model", "run_id": here["run_id"]},
                             {"source": f"{gone['root']}/model", "run_id": gone["run_id"]}],
             {}, {})
    bucket_key = lambda r: f"{r['root'][len('s3://'):]}/model"  # noqa: E731
    return {"runs": runs, "denied_ml": bucket_key(runs["denied_ml"]),
            "denied_env": bucket_key(runs["denied_env"]), "locked": locked,
            "here": here_dir, "gone": f"{gone['root']}/model"}


def _local_path(uri: str) -> Path:
    from modelcheck.sources.plan import file_url_path

    return Path(file_url_path(uri) if uri.startswith("file:") else uri)


@pytest.fixture
def tracking(world, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", world["url"])
    for k in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
              "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL",
              "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    return world


def _settings(world) -> Settings:
    return Settings(storage_options=world["srv"].options())


def test_bucket_versions_equal_their_s3_urls_checked_directly(tracking):
    rep = check(["models:/s3-model/*", "models:/s3-model@champion"], _settings(tracking))
    assert [p.display for p in rep.packages] == [
        "models:/s3-model/1", "models:/s3-model/2", "models:/s3-model/3",
        "models:/s3-model@champion"]
    assert not rep.notifications and rep.exit_code() in (0, 1)
    runs = tracking["info"]["runs"]
    urls = [f"{runs[k]['root']}/model" for k in ("new", "old", "old", "old")]
    direct = check(urls, _settings(tracking))
    assert not direct.notifications
    for got, alone in zip(rep.packages, direct.packages, strict=True):
        assert [_key(f) for f in got.findings] == [_key(f) for f in alone.findings]
        assert got.findings  # real packages: warnings and notes to compare, not nothing
    # and equal to the same files checked on disk (the version 2 package: MLflow 2.5's)
    local = check([str(PACKAGES["old"])], Settings())
    assert [_key(f)[:6] for f in rep.packages[1].findings] == \
        [_key(f)[:6] for f in local.findings]
    prov = rep.packages[2].provenance
    assert prov["source"] == f"runs:/{runs['old']['run_id']}/model"  # resolved by the server
    assert rep.packages[3].provenance["selected_by"] == "@champion"


def test_denied_objects_fail_their_version_alone(tracking):
    rep = check(["models:/s3-*/*"], _settings(tracking))
    by = {p.display: p for p in rep.packages}
    assert set(by) == {"models:/s3-model/1", "models:/s3-model/2", "models:/s3-model/3",
                       "models:/s3-denied/1", "models:/s3-denied/2", "models:/s3-denied/3",
                       "models:/s3-locked/1"}
    failed = {d for d, p in by.items() if any(f.code.startswith("MC9") for f in p.findings)}
    assert failed == {"models:/s3-denied/2", "models:/s3-denied/3", "models:/s3-locked/1"}
    ml = [f for f in by["models:/s3-denied/2"].findings if f.code == "MC902"]
    assert len(ml) == 1 and "MLmodel" in ml[0].message and "denied" in ml[0].message.lower()
    env = [f for f in by["models:/s3-denied/3"].findings if f.code == "MC902"]
    assert len(env) == 1 and "conda.yaml" in env[0].message
    assert "denied" in env[0].message.lower()
    # the notification names the version asked for and the object that was refused
    (note,) = [n for n in rep.notifications if "conda.yaml" in n]
    assert note.startswith("models:/s3-denied/3: s3://") and "/conda.yaml: cannot be read" in note
    # the rest of that package is checked: its other rules ran
    assert [f for f in by["models:/s3-denied/3"].findings if f.code != "MC902"]
    locked = by["models:/s3-locked/1"].findings
    assert [f.code for f in locked] == ["MC902"] and "access denied" in locked[0].message
    assert tracking["info"]["locked"] in locked[0].message
    assert len(rep.notifications) == 3 and rep.exit_code() == 2
    # the good versions read the same as with nothing denied anywhere
    alone = check(["models:/s3-model/*"], _settings(tracking))
    for p in alone.packages:
        assert [_key(f) for f in by[p.display].findings] == [_key(f) for f in p.findings]


def test_without_the_bucket_s_credentials_every_version_is_a_tool_failure(tracking):
    """Credentials and endpoint are modelcheck's own (storage options), never the server's:
    with none given, the bucket is not reached and no version is reported as clean."""
    wrong = dict(tracking["srv"].options())
    wrong["client_kwargs.endpoint_url"] = f"http://127.0.0.1:{s3server.free_port()}"
    wrong.update({"retries": "1", "config_kwargs.retries.max_attempts": "1"})  # fail fast
    rep = check(["models:/s3-model/1", "models:/s3-model@champion"],
                Settings(storage_options=wrong))
    assert len(rep.packages) == 2 and rep.exit_code() == 2
    for p in rep.packages:
        assert [f.code for f in p.findings] == ["MC902"], p.display
        assert "s3://mlflow/artifacts/" in p.findings[0].message


def test_cli_with_storage_options(tracking, tmp_path):
    from helpers import run_cli

    opts = []
    for k, v in tracking["srv"].options().items():
        opts += ["--storage-option", f"{k}={v}"]
    out = tmp_path / "r.json"
    proc = run_cli("check", "models:/s3-model/*", *opts, "-f", "json", "-o", str(out),
                   env={"MLFLOW_TRACKING_URI": tracking["url"]})
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(out.read_text())
    got = {p["path"]: p["provenance"]["source"] for p in doc["packages"]}
    runs = tracking["info"]["runs"]
    assert got["models:/s3-model/1"] == f"{runs['new']['root']}/model"


def test_version_on_the_server_s_disk(tracking):
    """A local artifact root that is not served: the version's download URI is a path on the
    server's machine. Read when this machine has it; otherwise a clear tool failure."""
    rep = check(["models:/server-disk/*"], Settings())
    here, gone = rep.packages
    local = check([str(tracking["info"]["here"])], Settings())
    assert here.display == "models:/server-disk/1"
    assert [_key(f)[:6] for f in here.findings] == [_key(f)[:6] for f in local.findings]
    assert not [f for f in here.findings if f.code.startswith("MC9")]
    assert [f.code for f in gone.findings] == ["MC902"]
    msg = gone.findings[0].message
    assert str(_local_path(tracking["info"]["gone"])) in msg
    assert "path on the tracking server's machine" in msg and "--serve-artifacts" in msg
    assert rep.exit_code() == 2 and len(rep.notifications) == 1
