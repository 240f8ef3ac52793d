"""MC128-MC130: local machine and workspace paths stored in MLmodel fields."""

from __future__ import annotations

import re

from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_HOME = re.compile(
    r"^(?:file:(?://)?)?/*(?:(?:[A-Za-z]:)?[\\/]*(?:Users|home|Documents and Settings)[\\/]+"
    r"(?P<user>[^\\/]+)|root(?:[\\/]|$))", re.I)
_LOCAL_ABS = re.compile(r"^(?:file:|/|[A-Za-z]:[\\/]|\\\\|~)")
_LOGGED_MODEL = re.compile(r"[\\/]models[\\/]m-[0-9a-f]{32}[\\/]artifacts[\\/]?$")
_MLRUNS = re.compile(r"^(?:\./)?mlruns/\d+/[0-9a-f]{32}(?:/|$)")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\\]*")  # scheme://user@host
_MAX_WALK = 5000  # string values looked at in one MLmodel (a pathological one stops there)


def path_email(value: str) -> str | None:
    """The e-mail address that is a whole segment of the path ``value`` (a Databricks user
    folder: `/Workspace/Users/<e-mail>/...`, `/Repos/<e-mail>/...`, `dbfs:/Users/<e-mail>`),
    or None. A URL's `user@host` authority (`abfss://container@account.dfs...`,
    `git+ssh://git@github.com/...`) is not a path segment."""
    if "@" not in value and "%40" not in value:
        return None
    rest = _AUTHORITY.sub("", value, count=1).replace("%40", "@")
    parts = re.split(r"[\\/]", rest)
    if len(parts) < 2:
        return None  # not a path: an address on its own is not this rule's business
    for part in parts:
        if _EMAIL.match(part):
            return part
    return None


def mask_email(email: str) -> str:
    """`alice@corp.com` -> `a…@corp.com`: enough to find it, without repeating it whole."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def _path_kind(value: str) -> str:
    low = value.lower()
    low = low[5:] if low.startswith("file:") else low
    low = "/" + low.lstrip("/")
    if low.startswith(("/workspace/", "/repos/", "/users/")):
        return "Databricks workspace path"
    if low.startswith(("/dbfs:/", "/dbfs/")) or value.lower().startswith("dbfs:"):
        return "DBFS path"
    if low.startswith("/volumes/"):
        return "Unity Catalog volume path"
    return "path"


def _strings(value: object, parts: tuple, out: list, budget: list[int]) -> None:
    """(pointer parts, string) for every string under ``value``, depth first."""
    if budget[0] <= 0:
        return
    if isinstance(value, str):
        budget[0] -= 1
        out.append((parts, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _strings(v, (*parts, k), out, budget)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _strings(v, (*parts, i), out, budget)


def home_user(value: str) -> str | None:
    """The user name when ``value`` points into a home directory (or '/root')."""
    m = _HOME.match(value)
    if not m:
        return None
    return m.group("user") or "root"


def is_local_abs(value: str) -> bool:
    return bool(_LOCAL_ABS.match(value))


def _logged_v3(pkg) -> bool:
    v = pkg.mlflow_version
    if v is not None:
        return v.major >= 3
    return isinstance(pkg.meta.get("model_id"), str)


@rule("MC128", "mlmodel-local-path-leak", Level.NOTE, tags=("mlmodel", "privacy"))
def mlmodel_local_path_leak(pkg):
    """`MLmodel` stores a path from the author's machine that reveals a user name.

    What it checks
    Informational fields that keep the path the author used: MLflow 3's `artifact_path`
    (the LoggedModel location), python_function `model_code_path` (only its basename is
    used), `artifacts.*.uri`, and transformers `source_model_name`, when they point into a
    home directory (`/Users/<name>`, `/home/<name>`, `C:\\Users\\<name>`, `file:///...`).

    Why it matters
    Loading is not affected, but the package discloses user names and folder layout wherever
    it is shared (public repositories, registries, model hubs).

    Example
    `model_code_path: /home/alice/exp/mfc_model.py` or an artifact `uri:
    file:///C:/Users/alice/project/mlruns/0/.../artifacts/model`.

    How to fix
    Nothing is required. To avoid the disclosure, log from a neutral directory (e.g. a CI
    workspace) or scrub the field before publishing.
    """
    meta = pkg.meta
    refs: list[tuple[str, object]] = []
    if _logged_v3(pkg):
        refs.append((join_pointer("artifact_path"), meta.get("artifact_path")))
    for name, conf in pkg.flavors.items():
        if name == "python_function":
            refs.append((join_pointer("flavors", name, "model_code_path"),
                         conf.get("model_code_path")))
            arts = conf.get("artifacts")
            if isinstance(arts, dict):
                for aname, spec in arts.items():
                    if isinstance(spec, dict):
                        refs.append((join_pointer("flavors", name, "artifacts", aname, "uri"),
                                     spec.get("uri")))
        if name == "transformers":
            refs.append((join_pointer("flavors", name, "source_model_name"),
                         conf.get("source_model_name")))
    for ptr, value in refs:
        if not isinstance(value, str):
            continue
        user = home_user(value)
        if user and path_email(value) is None:  # an e-mail in the path is MC130's
            yield Hit(f"{ptr.lstrip('/')} holds the author's local path {value!r}, which "
                      f"reveals the user name {user!r} (MLflow keeps it; loading does not "
                      "use it)", file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                      fix="log from a neutral directory, or scrub the path before publishing")


@rule("MC129", "mlmodel-artifact-path-local", Level.WARNING, tags=("mlmodel",))
def mlmodel_artifact_path_local(pkg):
    """`artifact_path` is a local filesystem path where MLflow writes a run-relative path.

    What it checks
    In MLflow 1.x/2.x, `artifact_path` is the run-relative name given to `log_model` (e.g.
    `model`); an absolute local path there (or, in 3.x, one that is not the LoggedModel
    location `.../models/m-<id>/artifacts`) means the package was edited or logged with a
    local path by mistake (warning). A relative path shaped like `mlruns/<exp>/<run_id>`
    means the run's own directory was passed as `artifact_path`, nesting `mlruns` inside the
    run's artifacts (note).

    Why it matters
    `runs:/<run_id>/<artifact_path>` URIs built from this value do not resolve, and the path
    exposes the author's machine layout.

    Example
    `artifact_path: mlruns/1/248d8038b9284c2faa4260ea67bcd635` (logged with
    `log_model(model, artifact_path=run_dir)`), or `artifact_path: /home/bob/model` in a 2.x
    package.

    How to fix
    Log with a short run-relative name (`artifact_path="model"` in 2.x, `name="model"` in
    3.x).
    """
    value = pkg.meta.get("artifact_path")
    if not isinstance(value, str) or not value:
        return
    ptr = "/artifact_path"
    v3 = _logged_v3(pkg)
    if v3 and _LOGGED_MODEL.search(value):
        return  # MLflow 3 LoggedModel location: absolute by design
    if is_local_abs(value):
        what = ("MLflow 3 writes the LoggedModel location '.../models/m-<id>/artifacts' "
                "here" if v3 else "MLflow 1.x/2.x writes the run-relative name given to "
                "log_model (e.g. 'model')")
        yield Hit(f"artifact_path is the absolute local path {value!r}; {what}",
                  file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                  fix="re-log the model with a short run-relative name such as 'model'")
    elif _MLRUNS.match(value):
        yield Hit(f"artifact_path {value!r} is a local mlruns run directory: the model was "
                  "logged with the run's own path as artifact_path, nesting mlruns inside "
                  "the run's artifacts", file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                  level=Level.NOTE,
                  fix="log with a short run-relative name such as artifact_path='model'")


@rule("MC130", "mlmodel-email-path-leak", Level.WARNING, tags=("mlmodel", "privacy"))
def mlmodel_email_path_leak(pkg):
    """`MLmodel` stores a workspace path that holds the author's e-mail address.

    What it checks
    Every string value in `MLmodel` (flavor keys such as python_function `model_code_path`,
    `artifacts.*.uri`, `model_config`, transformers `source_model_name`, `metadata`, custom
    flavors' keys; `signature` excepted) for a path with an e-mail address as one of its
    folders: the Databricks user folders `/Workspace/Users/<e-mail>/...`,
    `/Users/<e-mail>/...`, `/Workspace/Repos/<e-mail>/...`, `dbfs:/Users/<e-mail>/...` and
    `/dbfs/...`, in any scheme (`file:`, `dbfs:`) and URL-encoded (`%40`). A URL's
    `user@host` part (`abfss://container@account...`) is not a folder and is not reported.

    Why it matters
    An e-mail address identifies a person: it is personal data (GDPR and similar laws), and
    the package carries it to every registry, bucket, image and model hub it is copied to.
    MLflow keeps these fields for information; loading does not need the absolute path.

    Example
    `model_code_path: /Workspace/Users/alice@corp.com/agents/chain.py` written by a
    models-from-code `log_model` run in a Databricks notebook, or an artifact
    `uri: dbfs:/Users/alice@corp.com/encoders/enc.pkl`.

    How to fix
    Log from a shared folder (a Git folder under `/Workspace/Shared`, a Unity Catalog
    volume, or a relative path), or remove the value from `MLmodel` before publishing.
    """
    found: list[tuple[tuple, str]] = []
    budget = [_MAX_WALK]
    for key, value in pkg.meta.items():
        if key != "signature":
            _strings(value, (key,), found, budget)
    for parts, value in found:
        email = path_email(value)
        if email is None:
            continue
        ptr = join_pointer(*parts)
        shown = value.replace(email, mask_email(email))
        yield Hit(f"{ptr.lstrip('/')} holds the {_path_kind(value)} {shown!r}, whose folder is "
                  f"the author's e-mail address ({mask_email(email)}): personal data shipped "
                  f"with every copy of the package{_use(parts)}", file="MLmodel",
                  line=pkg.line(ptr), pointer=ptr,
                  fix="log from a shared folder or a relative path, or scrub the path from "
                      "MLmodel before publishing")


def _use(parts: tuple) -> str:
    """What loading does with the field at ``parts``."""
    informational = (
        parts[0] in ("artifact_path", "metadata")
        or (len(parts) == 3 and parts[0] == "flavors" and parts[2] in ("model_code_path",
                                                                       "source_model_name"))
        or (len(parts) == 5 and parts[0] == "flavors" and parts[2] == "artifacts"
            and parts[4] == "uri"))
    if informational:
        return " (MLflow keeps the field for information; loading does not use it)"
    return (" (the model may read this path when it loads, and it exists only in that "
            "workspace)")
