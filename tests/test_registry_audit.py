"""Registry targets against a real ``mlflow server`` (sqlite, --serve-artifacts) on 127.0.0.1.

One server for the module (two workers: the registry is asked in parallel), filled by
``tests/mlflow_registry_populate.py`` over MLflow's REST API: 50 ``reg-NNN`` models with 3
versions each (aliases, stages), a model whose Production version lost its pickle, one whose
``@champion`` came from a deleted run whose files are gone, names with LIKE wildcards and a
quote, and a version with its package one folder down.
Every registry form must give exactly what checking each version's ``models:/NAME/VERSION``
one by one gives, with each package's provenance.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jsonschema
import pytest

from modelcheck.api import check
from modelcheck.engine.settings import Settings
from modelcheck.reporters import Context, render

PY = os.environ.get("MODELCHECK_MLFLOW_PYTHON", "/work/venvs/mlflow3/bin/python")
HERE = Path(__file__).parent
SKIP = f"no Python with mlflow at {PY} (set MODELCHECK_MLFLOW_PYTHON to run these tests)"
N_REG, N_VERSIONS = 50, 3

sys.path.insert(0, str(HERE))
from s3server import free_port  # noqa: E402
from test_mlflow_uri import PY2, _has_mlflow  # noqa: E402


def _key(f) -> tuple:
    """A finding; a tool failure's reason without the runner's words around it."""
    msg = f.message
    if f.code == "MC902":
        msg = msg.split(": ", 1)[1].removeprefix("cannot be checked: TargetFailed: ")
    return (f.code, str(f.level), f.file, f.line, f.col, f.pointer, msg)


def _start(tmp: Path, workers: int = 1, store: list[str] | None = None,
           env: dict[str, str] | None = None, py: str = PY
           ) -> tuple[subprocess.Popen, str, Path]:
    """An ``mlflow server`` on a free port over ``tmp/db.sqlite``; artifacts served from
    ``tmp/artifacts`` unless ``store`` gives other artifact options. MLflow 3's job runner
    (eight huey consumers, each importing mlflow and polling) is switched off: nothing here
    uses it, and it cost seconds of start-up and CPU beside every test."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    art = tmp / "artifacts"
    if store is None:
        store = ["--serve-artifacts", "--artifacts-destination", str(art)]
    cmd = [py, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{tmp / 'db.sqlite'}", *store,
           "--workers", str(workers)]
    env = dict(os.environ if env is None else env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - the server's own log, kept open
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, env=env)
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return proc, url, art
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((tmp / "server.log").read_text()[-3000:]) from None
            time.sleep(0.2)


def populate(url: str, art: Path, models: int, versions: int, py: str = PY) -> dict:
    env = dict(os.environ, MLFLOW_TRACKING_URI=url)
    out = subprocess.run([py, str(HERE / "mlflow_registry_populate.py"), "--models",
                          str(models), "--versions", str(versions), "--artifacts", str(art)],
                         env=env, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout[out.stdout.index("{"):])


@pytest.fixture(scope="module", params=[PY, PY2], ids=["mlflow", "mlflow2"])
def registry(request, tmp_path_factory):
    py = request.param  # the same audit against an MLflow 2 server (MODELCHECK_MLFLOW2_PYTHON)
    if not _has_mlflow(py):
        pytest.skip(f"no Python with mlflow at {py}")
    tmp = tmp_path_factory.mktemp("registry")
    proc, url, art = _start(tmp, workers=2, py=py)
    try:
        info = populate(url, art, N_REG, N_VERSIONS, py=py)
        yield {"url": url, "info": info, "cache": {}}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def tracking(registry, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry["url"])
    for k in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(k, raising=False)
    return registry


def _all(tracking) -> tuple:
    """``models:/*/*`` and the same versions checked one by one (cached for the module)."""
    cache = tracking["cache"]
    if "all" not in cache:
        rep = check(["models:/*/*"], Settings())
        one = check([p.display for p in rep.packages], Settings())
        cache["all"] = (rep, one)
    return cache["all"]


def _by_display(rep) -> dict:
    return {p.display: p for p in rep.packages}


def test_every_version_equals_one_by_one(tracking):
    rep, one = _all(tracking)
    names = tracking["info"]["models"]
    want = {f"models:/reg-{i:03d}/{v}" for i in range(N_REG) for v in range(1, N_VERSIONS + 1)}
    want |= {"models:/broken-model/1", "models:/broken-model/2", "models:/ghost-model/1",
             "models:/ghost-model/2", "models:/under_score/1", "models:/underXscore/1",
             "models:/Odd'name/1", "models:/nested-model/1"}
    assert len(names) == N_REG + 6 and len(want) >= 150
    assert [p.display for p in rep.packages] == [p.display for p in one.packages]
    assert set(_by_display(rep)) == want and len(rep.packages) == len(want)
    for got, alone in zip(rep.packages, one.packages, strict=True):
        assert [_key(f) for f in got.findings] == [_key(f) for f in alone.findings], got.display
        name, version = got.display[len("models:/"):].rsplit("/", 1)
        assert got.provenance["model"] == name and got.provenance["version"] == version
        assert got.provenance["selected_by"] == "*"
        assert alone.provenance["selected_by"] == "version"
        for k in ("aliases", "stage", "run_id", "source", "status"):
            assert got.provenance[k] == alone.provenance[k], (got.display, k)
    by = _by_display(rep)
    p = by["models:/reg-000/2"].provenance
    assert (p["aliases"], p["stage"], p["status"]) == ("champion", "Production", "READY")
    assert by["models:/reg-000/3"].provenance["aliases"] == "challenger"
    assert by["models:/reg-001/1"].provenance["stage"] == "None"
    assert by["models:/broken-model/2"].provenance["source"] == (
        tracking["info"]["sources"]["broken"]["source"])
    # the broken version: a finding, not a tool failure; the rest goes on
    assert "MC209" in [f.code for f in by["models:/broken-model/2"].findings]
    ghost = by["models:/ghost-model/2"]
    assert [f.code for f in ghost.findings] == ["MC902"]
    assert "is deleted" in ghost.findings[0].message and ghost.provenance["aliases"] == \
        "champion"
    nested = by["models:/nested-model/1"]
    assert [f.code for f in nested.findings] == ["MC902"]
    assert "no MLmodel at the root" in nested.findings[0].message
    assert len(rep.notifications) == 2 and rep.exit_code() == 2
    assert not [f for p in rep.packages if p.display not in (ghost.display, nested.display)
                for f in p.findings if f.code.startswith("MC9")]


def _same_as_one_by_one(tracking, rep) -> None:
    _, one = _all(tracking)
    alone = _by_display(one)
    for p in rep.packages:
        assert [_key(f) for f in p.findings] == [_key(f) for f in alone[p.display].findings]


def test_latest_of_every_model(tracking):
    rep = check(["models:/*"], Settings())
    assert len(rep.packages) == N_REG + 6
    versions = {p.provenance["model"]: p.provenance["version"] for p in rep.packages}
    assert versions["reg-000"] == "3" and versions["broken-model"] == "2"
    assert all(p.provenance["selected_by"] == "latest" for p in rep.packages)
    _same_as_one_by_one(tracking, rep)
    # the same selections, planned only (their checks would repeat the ones above)
    assert _planned("models:/") == [p.display for p in rep.packages]
    assert _planned("models:/reg-01*/latest") + _planned("models:/reg-02*") == (
        [f"models:/reg-01{i}/3" for i in range(10)] + [f"models:/reg-02{i}/3" for i in range(10)])


def _planned(target: str) -> list[str]:
    from modelcheck.sources.mlflow_uri import plan_mlflow
    from modelcheck.sources.plan import SourceOptions

    return [j.display for j in plan_mlflow(target, SourceOptions())]


def test_alias_and_stage_selections(tracking):
    rep = check(["models:/*@champion", "models:/reg-*/production"], Settings())
    champions = [p for p in rep.packages if p.provenance["selected_by"] == "@champion"]
    prod = [p for p in rep.packages if p.provenance["selected_by"] == "Production"]
    assert len(champions) == N_REG + 3  # reg-*, broken-model, ghost-model, Odd'name
    assert {p.display for p in prod} == {f"models:/reg-{i:03d}/2" for i in range(0, N_REG, 3)}
    assert all(p.provenance["stage"] == "Production" for p in prod)
    by = {p.provenance["model"]: p for p in champions}
    assert by["Odd'name"].display == "models:/Odd'name/1"
    assert by["ghost-model"].findings[0].code == "MC902"  # with its provenance
    assert by["ghost-model"].provenance["run_id"] == (
        tracking["info"]["sources"]["ghost"]["run_id"])
    _same_as_one_by_one(tracking, rep)
    # a version selected twice is checked twice (like the same URL twice), summarized once
    from modelcheck.reporters.registry import registry_summary

    summary = {m.model: m for m in registry_summary(rep)}
    assert summary["reg-000"].versions == 1
    assert [p.label for p in summary["reg-000"].pointers] == ["@champion", "Production"]
    broken = summary["broken-model"]
    assert broken.failing == 1 and broken.pointers[0].verdict == "fail"
    assert summary["ghost-model"].unchecked == 1


def test_like_wildcards_and_quotes_are_matched_exactly(tracking):
    rep = check(["models:/under_score/*", "models:/Odd'*/*", "models:/*Xscore"], Settings())
    assert [p.display for p in rep.packages] == [
        "models:/under_score/1", "models:/Odd'name/1", "models:/underXscore/1"]
    _same_as_one_by_one(tracking, rep)


def test_name_without_version_and_no_match_are_clear_errors(tracking):
    rep = check(["models:/reg-001", "models:/nothing-like-this*", "models:/reg-00*/Nope",
                 "models:/reg-*@nobody"], Settings())
    msgs = [p.findings[0].message for p in rep.packages]
    assert "names a registered model but no version" in msgs[0]
    assert "models:/NAME@ALIAS" in msgs[0] and "models:/NAME/*" in msgs[0]
    assert "no registered model matching 'nothing-like-this*'" in msgs[1]
    assert "invalid model version stage 'Nope'" in msgs[2]
    assert "has alias @nobody" in msgs[3]
    assert rep.exit_code() == 2 and len(rep.notifications) == 4


def test_pages_are_followed_and_listing_streams(tracking, monkeypatch):
    from modelcheck.sources import mlflow_registry, mlflow_uri
    from modelcheck.sources.plan import SourceOptions

    def listed(target: str) -> list[tuple]:
        return [(j.display, tuple(sorted(j.provenance.items())))
                for j in mlflow_uri.plan_mlflow(target, SourceOptions())]

    whole = listed("models:/*/*"), listed("models:/*@champion")
    monkeypatch.setattr(mlflow_registry, "MODEL_PAGE", 7)
    monkeypatch.setattr(mlflow_registry, "VERSION_PAGE", 11)
    assert (listed("models:/*/*"), listed("models:/*@champion")) == whole
    assert len(whole[0]) == len(_all(tracking)[0].packages)
    # a generator: the first job comes after the first page, not after the whole listing
    before = next(mlflow_uri.REQUESTS)
    jobs = iter(mlflow_uri.plan_mlflow("models:/*/*", SourceOptions()))
    first = next(jobs)
    asked = next(mlflow_uri.REQUESTS) - before - 1
    assert first.display == whole[0][0][0] and asked <= 2  # a version page, a model page
    rest = list(jobs)
    assert len(rest) + 1 == len(whole[0])
    assert next(mlflow_uri.REQUESTS) - before - 2 > 3 * asked


def test_reports_carry_provenance(tracking):
    rep = check(["models:/broken-model/*", "models:/ghost-model@champion"], Settings())
    text = render("text", rep, Context())
    assert "models:/broken-model/2  (broken-model v2 · Production · run " in text
    assert "Registry: 2 registered models" in text
    assert "@champion  -> v2  fail (1 error)" in text
    assert "Production -> v2  fail (1 error)" in text
    assert "@champion -> v2  not checked" in text
    md = render("markdown", rep, Context())
    assert "| model | version | selected by | message |" in md
    assert "| broken-model | Production | 2 | :x: fail | 1 error |" in md
    doc = json.loads(render("json", rep, Context()))
    jsonschema.Draft202012Validator(_schema("report.schema.json")).validate(doc)
    provs = {p["path"]: p.get("provenance") for p in doc["packages"]}
    assert provs["models:/broken-model/2"]["stage"] == "Production"
    assert provs["models:/ghost-model@champion"]["version"] == "2"
    sarif = json.loads(render("sarif", rep, Context()))
    jsonschema.Draft4Validator(_schema("vendor/sarif-schema-2.1.0.json")).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert all(r["properties"]["provenance"]["model"] in ("broken-model", "ghost-model")
               for r in results)


def _schema(name: str) -> dict:
    from importlib.resources import files

    return json.loads(files("modelcheck.schemas").joinpath(name).read_text())
