"""MC117-MC121: `run_id`, `model_uuid`, `model_id` and `mlflow_version` are malformed."""

from __future__ import annotations

import re

from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def _is_v3(pkg) -> bool:
    v = pkg.mlflow_version
    return v is not None and v.major >= 3


# What MLflow's tracking API accepts as a run id (mlflow/utils/validation.py `_RUN_ID_REGEX`,
# checked by `_validate_run_id` in the file and SQL stores and on `runs:/` look-ups): a letter
# or digit, then up to 255 word characters or dashes. Stores write several forms of it: OSS
# and Databricks `uuid4().hex` (32 hex), AzureML and Microsoft Fabric dashed GUIDs and job
# names (`loving_cup_abc123xyz`, `AutoML_<guid>_0`, `regressao-casas_9`).
_MLFLOW_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")


def _run_id_problem(rid: str) -> str:
    if len(rid) > 256:
        return f"is {len(rid)} characters long; MLflow accepts at most 256"
    if not rid[0].isascii() or not rid[0].isalnum():
        return f"starts with {rid[0]!r}; MLflow's run ids start with a letter or digit"
    bad = sorted({c for c in rid[1:] if not (c.isalnum() or c in "_-")})
    if not bad:
        return "is outside the form letter-or-digit, then letters, digits, '_' or '-'"
    shown = ", ".join(repr(c) for c in bad[:5])
    return f"holds {shown}; MLflow's run ids hold only letters, digits, '_' and '-'"


@rule("MC117", "mlmodel-run-id-invalid", Level.WARNING, tags=("mlmodel",))
def mlmodel_run_id_invalid(pkg):
    """`run_id` is not a run id any MLflow tracking store writes or accepts.

    What it checks
    A non-null `run_id` must be a non-empty string that MLflow's own run-id validation
    accepts: a letter or digit, then up to 255 letters, digits, `_` or `-`. That covers every
    store: OSS and Databricks write 32 lowercase hex digits (`f8ce29e5a1d2456bb72ad9603e84f4aa`),
    AzureML and Microsoft Fabric write dashed GUIDs and job names (`loving_cup_abc123xyz`).
    `run_id: null` (written by 1.x-2.11 `save_model`) is fine.

    Why it matters
    Tools use `run_id` to find the run that produced the model (`runs:/<run_id>/...`); MLflow
    rejects an id outside that form ("Invalid run ID"), and a number, an empty string or a
    pasted URI breaks the link to the run.

    Example
    `run_id: ''`, `run_id: 42` after a hand edit, or `run_id: runs:/f8ce29e5.../model`.

    How to fix
    Put back the id of the run that logged the model, or remove the key for a saved model.
    """
    meta = pkg.meta
    if meta.get("run_id") is None:
        return
    rid = meta["run_id"]
    ptr = "/run_id"
    if not isinstance(rid, str) or not rid.strip():
        yield Hit(f"run_id is {rid!r}; expected a run id string such as "
                  "'f8ce29e5a1d2456bb72ad9603e84f4aa'", file="MLmodel", line=pkg.line(ptr),
                  pointer=ptr, fix="set the id of the run that logged the model, or remove it")
    elif not _MLFLOW_RUN_ID.match(rid):
        yield Hit(f"run_id {rid!r} is not a run id any MLflow tracking store writes: it "
                  f"{_run_id_problem(rid)}, so MLflow rejects it as 'Invalid run ID'",
                  file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                  fix="set the id of the run that logged the model, or remove the key")


@rule("MC118", "mlmodel-model-uuid-invalid", Level.WARNING, tags=("mlmodel",))
def mlmodel_model_uuid_invalid(pkg):
    """`model_uuid` is neither `uuid4().hex` nor (3.x logged models) `m-<32 hex>`.

    What it checks
    `model_uuid` (written since 1.25) is 32 lowercase hex digits, or, in a model logged by
    MLflow 3.x, equal to `model_id` (`m-` + 32 hex). Null or absent is accepted.

    Why it matters
    Registries and serving use `model_uuid` to tell models apart; a copied, edited or
    non-string value makes two different models look the same or breaks the look-up.

    Example
    `model_uuid: my-model` or `model_uuid: 1234`.

    How to fix
    Re-save the model (MLflow generates a fresh uuid) or restore the original value.
    """
    value = pkg.meta.get("model_uuid")
    if value is None:
        return
    ok = isinstance(value, str) and (
        _HEX32.match(value) or (_MODEL_ID.match(value) and (pkg.mlflow_version is None
                                                            or _is_v3(pkg))))
    if not ok:
        want = "32 lowercase hex digits (uuid4().hex)"
        if _is_v3(pkg):
            want += " or, for a logged model, the model_id 'm-<32 hex>'"
        yield Hit(f"model_uuid is {value!r}; expected {want}", file="MLmodel",
                  line=pkg.line("/model_uuid"), pointer="/model_uuid",
                  fix="re-save the model or restore the original model_uuid")


@rule("MC119", "mlmodel-model-id-invalid", Level.WARNING, tags=("mlmodel",))
def mlmodel_model_id_invalid(pkg):
    """`model_id` is neither null nor `m-<32 hex>`.

    What it checks
    `model_id` (MLflow 3.x) is `null` for a plain `save_model`, or the LoggedModel id
    `m-` + 32 lowercase hex digits for a logged model.

    Why it matters
    MLflow 3 uses `model_id` to link the package to its LoggedModel (metrics, traces,
    `models:/m-...` URIs); a malformed id breaks those links.

    Example
    `model_id: 3e526e2fe1a94c52b778e7e9b0ff554e` (the `m-` prefix dropped).

    How to fix
    Restore the LoggedModel id (`m-...`) or set `model_id: null` for a saved model.
    """
    meta = pkg.meta
    value = meta.get("model_id")
    if value is None:
        return
    if not isinstance(value, str) or not _MODEL_ID.match(value):
        yield Hit(f"model_id is {value!r}; expected null or a LoggedModel id 'm-<32 hex>'",
                  file="MLmodel", line=pkg.line("/model_id"), pointer="/model_id",
                  fix="restore the LoggedModel id or set model_id: null")


@rule("MC120", "mlmodel-model-id-mismatch", Level.WARNING, tags=("mlmodel",))
def mlmodel_model_id_mismatch(pkg):
    """`model_uuid` differs from `model_id` in an MLflow 3 logged model.

    What it checks
    When `model_id` is set (a model logged with MLflow 3.x), MLflow writes the same value to
    `model_uuid`; the two must be equal.

    Why it matters
    A mismatch means `MLmodel` was pieced together from two packages or edited, so the
    package may not be the LoggedModel it claims to be.

    Example
    `model_id: m-3e52...554e` with `model_uuid: m-9f01...77aa` (copied from another model).

    How to fix
    Restore the package from the LoggedModel's artifacts so both ids agree.
    """
    meta = pkg.meta
    mid, uuid = meta.get("model_id"), meta.get("model_uuid")
    if not isinstance(mid, str) or not _MODEL_ID.match(mid) or uuid is None or uuid == mid:
        return
    yield Hit(f"model_uuid {uuid!r} differs from model_id {mid!r}; MLflow 3 writes the same "
              "value to both for a logged model", file="MLmodel",
              line=pkg.line("/model_uuid"), pointer="/model_uuid",
              fix="restore the package from the LoggedModel's artifacts")


@rule("MC121", "mlmodel-version-invalid", Level.WARNING, tags=("mlmodel",))
def mlmodel_version_invalid(pkg):
    """`mlflow_version` is not a PEP 440 version string.

    What it checks
    `mlflow_version` (written since 1.25) parses as a PEP 440 version, e.g. `3.18.0` or
    `2.8.1.dev0`, and is a string (an unquoted `2.10` is the YAML float 2.1).

    Why it matters
    modelcheck and other tools compare it with the environment files and with the features
    the package uses; a malformed value hides those checks and signals a hand edit.

    Example
    `mlflow_version: latest` or `mlflow_version: 2.10` (read as 2.1).

    How to fix
    Write the MLflow version that saved the model, as a quoted string if needed.
    """
    meta = pkg.meta
    value = meta.get("mlflow_version")
    if value is None:
        return
    ptr = "/mlflow_version"
    if isinstance(value, bool) or not isinstance(value, str):
        yield Hit(f"mlflow_version is the {type(value).__name__} {value!r}, not a string (an "
                  "unquoted '2.10' is read as 2.1)", file="MLmodel", line=pkg.line(ptr),
                  pointer=ptr, fix="quote the version, e.g. mlflow_version: '2.10.0'")
    elif pkg.mlflow_version is None:
        yield Hit(f"mlflow_version {value!r} is not a PEP 440 version (expected e.g. '3.18.0')",
                  file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                  fix="write the MLflow version that saved the model, e.g. 3.18.0")
