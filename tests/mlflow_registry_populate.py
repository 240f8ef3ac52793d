"""Fill a tracking server's Model Registry fast, for the registry tests and bench.

``python tests/mlflow_registry_populate.py --models 55 --versions 3`` with
MLFLOW_TRACKING_URI set. Everything goes through MLflow's REST API, as its client speaks it
(runs/create, artifact uploads to the server's proxy, registered-models/create,
model-versions/create...): importing mlflow and logging models with it costs a minute on a
busy machine, and registering a version copies nothing, so 500 versions take seconds.

Two real packages are logged once as run artifacts (MLflow 3.4's and MLflow 2.5's sklearn
packages from the rule fixtures); every version points at one of them. Besides the
``reg-NNN`` models (each with ``--versions`` versions; aliases ``champion`` and, on even
models, ``challenger``; on every third model, stages Archived/Production/Staging on versions
1/2/3), the registry holds:

- ``broken-model``: v1 good, v2 (``@champion``, Production) whose package lost its pickle;
- ``ghost-model``: v1 good, v2 (``@champion``) from a run that was deleted and whose
  artifacts were removed (what ``mlflow gc`` does): nothing can be read behind it;
- ``under_score`` and ``underXscore``: ``_`` is LIKE's one-character wildcard;
- ``Odd'name`` (a quote in a name) and ``nested-model`` (a version whose artifact root holds
  the package one folder down).

Prints one JSON object: the sources and the models registered.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
RULES = Path(__file__).parent / "rules"
PACKAGES = {"new": RULES / "MC125" / "pass" / "real-sklearn-3.4",
            "old": RULES / "MC101" / "pass" / "real-sklearn-2.5"}


def call(path: str, body: dict | None = None, data: bytes | None = None,
         method: str = "POST") -> dict:
    base = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
    payload = json.dumps(body).encode() if body is not None else data
    req = urllib.request.Request(base + path, data=payload, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read() or b"{}")


def rest(path: str, body: dict) -> dict:
    return call(API + path, body)


def log_run(experiment: str, files: dict[str, bytes]) -> dict:
    """A run with ``files`` (run-relative paths) as its artifacts, uploaded to the proxy."""
    run = rest("/runs/create", {"experiment_id": experiment})["run"]["info"]
    root = run["artifact_uri"]  # mlflow-artifacts:/<exp>/<run>/artifacts
    for rel, data in files.items():
        call(f"{ARTIFACTS}/{quote(root.split(':', 1)[1].strip('/'))}/{quote(rel)}",
             data=data, method="PUT")
    rest("/runs/update", {"run_id": run["run_id"], "status": "FINISHED"})
    return {"root": root, "run_id": run["run_id"],
            "folder": root.split(":", 1)[1].strip("/").rsplit("/", 1)[0]}


def package(key: str, prefix: str, drop: str = "") -> dict[str, bytes]:
    src = PACKAGES[key]
    return {f"{prefix}/{p.name}": p.read_bytes() for p in sorted(src.iterdir())
            if p.is_file() and p.name != drop}


def log_models() -> dict:
    exp = rest("/experiments/create", {"name": "modelcheck-registry-test"})["experiment_id"]
    out = {}
    for key in PACKAGES:
        run = log_run(exp, package(key, "model"))
        out[key] = {"source": f"{run['root']}/model", "run_id": run["run_id"]}
    run = log_run(exp, package("new", "model", drop="model.pkl"))
    out["broken"] = {"source": f"{run['root']}/model", "run_id": run["run_id"]}
    run = log_run(exp, package("old", "inner"))
    out["nested"] = {"source": run["root"], "run_id": run["run_id"]}
    run = log_run(exp, package("old", "model"))
    out["ghost"] = {"source": f"{run['root']}/model", "run_id": run["run_id"],
                    "folder": run["folder"]}
    return out


def register(name: str, sources: list[dict], aliases: dict[str, int],
             stages: dict[int, str]) -> None:
    rest("/registered-models/create", {"name": name})
    for src in sources:
        body = {"name": name, "source": src["source"]}
        if src.get("run_id"):
            body["run_id"] = src["run_id"]
        if src.get("model_id"):
            body["model_id"] = src["model_id"]
        rest("/model-versions/create", body)
    for version, stage in stages.items():
        rest("/model-versions/transition-stage", {"name": name, "version": str(version),
                                                  "stage": stage,
                                                  "archive_existing_versions": False})
    for alias, version in aliases.items():
        rest("/registered-models/alias", {"name": name, "alias": alias,
                                          "version": str(version)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=55)
    ap.add_argument("--versions", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--artifacts", help="the server's --artifacts-destination folder")
    args = ap.parse_args()
    src = log_models()
    good = [src["new"], src["old"]]
    plan = []
    for i in range(args.models):
        sources = [good[(i + v) % 2] for v in range(args.versions)]
        aliases = {"champion": min(2, args.versions)}
        if args.versions >= 3 and i % 2 == 0:
            aliases["challenger"] = 3
        stages = {v: s for v, s in ((1, "Archived"), (2, "Production"), (3, "Staging"))
                  if v <= args.versions and i % 3 == 0}  # a third of the models: stages
        plan.append((f"reg-{i:03d}", sources, aliases, stages))
    plan += [
        ("broken-model", [src["new"], src["broken"]], {"champion": 2},
         {1: "Archived", 2: "Production"}),
        ("ghost-model", [src["old"], src["ghost"]], {"champion": 2}, {}),
        ("under_score", [src["old"]], {}, {}),
        ("underXscore", [src["new"]], {}, {}),
        ("Odd'name", [src["old"]], {"champion": 1}, {}),
        ("nested-model", [src["nested"]], {}, {}),
    ]
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda p: register(*p), plan))
    rest("/runs/delete", {"run_id": src["ghost"]["run_id"]})
    if args.artifacts:  # what `mlflow gc` does to a deleted run: its files go
        shutil.rmtree(Path(args.artifacts) / src["ghost"]["folder"])
    json.dump({"sources": src, "models": [p[0] for p in plan]}, sys.stdout)


if __name__ == "__main__":
    main()
