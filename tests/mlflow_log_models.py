"""Log and register real models on a tracking server with MLflow's own client.

Run by the MLflow URI tests with a Python that has mlflow (never imported by modelcheck):
``python tests/mlflow_log_models.py`` with MLFLOW_TRACKING_URI set. Prints one JSON object:
the run id, the logged model's id and artifact URI, and the registered name.
"""

from __future__ import annotations

import json
import sys

import mlflow
import numpy as np
from sklearn.linear_model import LogisticRegression


def main() -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])  # noqa: N806
    y = np.array([0, 1, 0, 1])
    clf = LogisticRegression().fit(X, y)
    mlflow.set_experiment("modelcheck-uri-test")
    with mlflow.start_run() as run:
        # MLflow 3 names the logged model; MLflow 2 gives its artifact path
        where = {"name": "model"} if int(mlflow.__version__.split(".")[0]) >= 3 else \
            {"artifact_path": "model"}
        info = mlflow.sklearn.log_model(clf, **where, input_example=X[:2],
                                        registered_model_name="mc-iris")
    client = mlflow.MlflowClient()
    client.set_registered_model_alias("mc-iris", "champion", "1")
    out = {
        "run_id": run.info.run_id,
        "model_id": getattr(info, "model_id", None),
        "artifact_uri": info.artifact_path if hasattr(info, "artifact_path") else None,
        "model_uri": info.model_uri,
        "download_uri": client.get_model_version_download_uri("mc-iris", "1"),
        "name": "mc-iris",
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
