"""MLflow URIs against a real ``mlflow server`` on 127.0.0.1 (sqlite, --serve-artifacts).

Models are logged and registered by MLflow's own client in a subprocess (a Python with
mlflow: MODELCHECK_MLFLOW_PYTHON, default /work/venvs/mlflow3/bin/python); modelcheck then
resolves models:/, runs:/ and mlflow-artifacts:/ URIs over REST and reads the served
artifacts, and must report exactly what a local scan of the stored files reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from modelcheck.api import check
from modelcheck.engine.settings import Settings

PY = os.environ.get("MODELCHECK_MLFLOW_PYTHON", "/work/venvs/mlflow3/bin/python")
# the same tests against an MLflow 2 server (its REST API and artifact layout)
PY2 = os.environ.get("MODELCHECK_MLFLOW2_PYTHON", "/work/venvs/mlflow2/bin/python")
HERE = Path(__file__).parent
SKIP = ("no Python with mlflow at {} (set MODELCHECK_MLFLOW_PYTHON, and "
        "MODELCHECK_MLFLOW2_PYTHON for MLflow 2, to run these tests)")

sys.path.insert(0, str(HERE))
from helpers import finding_key  # noqa: E402
from s3server import free_port  # noqa: E402


def _has_mlflow(python: str) -> bool:
    """A Python that exists AND imports mlflow (a venv being set up has the first only)."""
    if not Path(python).is_file():
        return False
    return subprocess.run([python, "-c", "import mlflow"], capture_output=True,
                          timeout=120).returncode == 0


@pytest.fixture(scope="module", params=[PY, PY2], ids=["mlflow", "mlflow2"])
def server(request, tmp_path_factory):
    py = request.param
    if not _has_mlflow(py):
        pytest.skip(SKIP.format(py))
    tmp = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    art = tmp / "artifacts"
    cmd = [py, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{tmp / 'db.sqlite'}", "--serve-artifacts",
           "--artifacts-destination", str(art), "--workers", "1"]
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "server.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        env = dict(os.environ, MLFLOW_TRACKING_URI=url)
        out = subprocess.run([py, str(HERE / "mlflow_log_models.py")], env=env, cwd=tmp,
                             capture_output=True, text=True, timeout=600, check=True)
        info = json.loads(out.stdout[out.stdout.index("{"):])
        yield {"url": url, "art": art, "info": info}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def tracking(server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server["url"])
    for k in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(k, raising=False)
    return server


def _local(server) -> list[tuple]:
    loc = server["info"]["download_uri"]  # mlflow-artifacts:/<exp>/models/<id>/artifacts
    path = server["art"] / loc.split(":", 1)[1].strip("/")
    assert (path / "MLmodel").is_file()
    rep = check([str(path)], Settings())
    return [finding_key(f) for f in rep.findings]


def test_every_uri_form_reads_the_served_package(tracking):
    info = tracking["info"]
    want = _local(tracking)
    uris = ["models:/mc-iris/1", "models:/mc-iris@champion", "models:/mc-iris/latest",
            f"runs:/{info['run_id']}/model", info["download_uri"]]
    if info["model_id"]:  # MLflow 3's logged models: models:/<model id>
        uris.append(f"models:/{info['model_id']}")
    for uri in uris:
        rep = check([uri], Settings())
        assert [p.display for p in rep.packages] == [uri], uri
        assert [finding_key(f) for f in rep.findings] == want, uri
        assert rep.exit_code(Settings().fail_on) in (0, 1) and not rep.notifications, uri


def test_unknown_model_and_run_are_target_errors(tracking):
    rep = check(["models:/no-such-model/1", f"runs:/{tracking['info']['run_id']}",
                 "models:/mc-iris/1"], Settings())
    first, second, third = rep.packages
    assert first.findings[0].code == "MC902" and "RESOURCE_DOES_NOT_EXIST" in (
        first.findings[0].message)
    run_id = tracking["info"]["run_id"]
    if tracking["info"]["model_id"]:  # MLflow 3 logs the model outside the run's artifacts
        assert second.findings[0].code == "MC902" and "no MLflow model package" in (
            second.findings[0].message)
        assert len(rep.notifications) == 2
    else:  # MLflow 2: the run's artifacts hold it, under its artifact path
        assert second.display == f"runs:/{run_id}/model", second.display
        assert not [f for f in second.findings if f.code.startswith("MC9")]
        assert len(rep.notifications) == 1
    assert not [f for f in third.findings if f.code.startswith("MC9")]
    assert rep.exit_code() == 2


def test_unreachable_server_and_missing_tracking_uri(monkeypatch):
    from s3server import free_port as port

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port()}")
    rep = check(["models:/m/1"], Settings())
    assert "cannot reach" in rep.findings[0].message and rep.exit_code() == 2
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    rep = check(["runs:/abc/model"], Settings())
    assert "MLFLOW_TRACKING_URI" in rep.findings[0].message and rep.exit_code() == 2


def test_auth_headers_from_environment():
    from modelcheck.sources.mlflow_uri import Server

    s = Server("http://h", {"MLFLOW_TRACKING_TOKEN": "t0k"})
    assert s.headers["Authorization"] == "Bearer t0k"
    s = Server("http://h", {"MLFLOW_TRACKING_USERNAME": "u", "MLFLOW_TRACKING_PASSWORD": "p"})
    assert s.headers["Authorization"] == "Basic dTpw"
