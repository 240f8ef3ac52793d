"""MC122-MC127: top-level MLmodel fields with the wrong type or shape, and unknown keys."""

from __future__ import annotations

from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

KNOWN_KEYS = frozenset({
    "flavors", "utc_time_created", "run_id", "artifact_path", "signature",
    "saved_input_example_info", "model_uuid", "mlflow_version", "databricks_runtime",
    "metadata", "model_size_bytes", "resources", "env_vars", "is_signature_from_type_hint",
    "type_hint_from_example", "prompts", "auth_policy", "model_id",
})
_TYPO_ONLY = {"signatures": "signature", "saved_input_example": "saved_input_example_info",
              "flavor": "flavors", "input_example_info": "saved_input_example_info",
              "mlflowversion": "mlflow_version", "time_created": "utc_time_created",
              "runid": "run_id", "model_version": "mlflow_version"}
RESOURCE_TYPES = frozenset({
    "serving_endpoint", "vector_search_index", "sql_warehouse", "function", "genie_space",
    "table", "uc_connection", "app", "lakebase", "uc_model_service"})


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {"str": "a string", "list": "a list", "dict": "a mapping", "int": "an integer",
            "float": "a number", "bool": "a boolean"}.get(type(value).__name__,
                                                        type(value).__name__)


def _hit(pkg, field: str, message: str, fix: str, **kw) -> Hit:
    ptr = join_pointer(field)
    return Hit(message, file="MLmodel", line=pkg.line(ptr), pointer=ptr, fix=fix, **kw)


@rule("MC122", "mlmodel-field-type", Level.WARNING, tags=("mlmodel",))
def mlmodel_field_type(pkg):
    """A top-level MLmodel field has the wrong type.

    What it checks
    `artifact_path` and `databricks_runtime` are strings, `model_size_bytes` is a
    non-negative integer, `is_signature_from_type_hint` / `type_hint_from_example` are
    booleans, `metadata` is a mapping and `prompts` is null or a list of strings. (It never
    compares `model_size_bytes` with the folder size: MLflow measures it part-way through
    saving.)

    Why it matters
    MLflow stores these values without checking them; tools that read them (registries,
    serving, prompt linking) then fail or show nonsense. A wrong type means a hand edit or a
    different writer.

    Example
    `model_size_bytes: '4 MB'`, `metadata: [team-a]`, `prompts: prompts:/qa/1`.

    How to fix
    Give the field the type MLflow writes (see the message), or remove it.
    """
    meta = pkg.meta
    fix = "give the field the type MLflow writes, or remove it"
    for key in ("artifact_path", "databricks_runtime"):
        v = meta.get(key)
        if v is not None and not isinstance(v, str):
            yield _hit(pkg, key, f"{key} is {_kind(v)} ({v!r}); expected a string", fix)
    if "model_size_bytes" in meta:
        v = meta["model_size_bytes"]
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            yield _hit(pkg, "model_size_bytes", f"model_size_bytes is {_kind(v)} ({v!r}); "
                       "expected a non-negative integer (bytes)", fix)
    for key in ("is_signature_from_type_hint", "type_hint_from_example"):
        v = meta.get(key)
        if v is not None and not isinstance(v, bool):
            yield _hit(pkg, key, f"{key} is {_kind(v)} ({v!r}); expected true or false", fix)
    v = meta.get("metadata")
    if v is not None and not isinstance(v, dict):
        yield _hit(pkg, "metadata", f"metadata is {_kind(v)}; expected a mapping of "
                   "key: value pairs", fix)
    v = meta.get("prompts")
    if v is not None and not (isinstance(v, list) and all(isinstance(p, str) for p in v)):
        yield _hit(pkg, "prompts", f"prompts is {_kind(v)} ({v!r}); expected null or a list "
                   "of prompt URIs such as 'prompts:/name/1'", fix)


@rule("MC123", "mlmodel-env-vars-invalid", Level.ERROR, tags=("mlmodel",))
def mlmodel_env_vars_invalid(pkg):
    """`env_vars` is not a list of strings.

    What it checks
    The top-level `env_vars` (2.18+), the names of environment variables the model reads,
    must be a list of strings.

    Why it matters
    MLflow 3 checks it in `Model.load` and raises `TypeError: env_vars must be a list of
    strings`, so no loader can load the model (2.17 and older ignore it).

    Example
    `env_vars: OPENAI_API_KEY` (a string, not a list).

    How to fix
    Write it as a list: `env_vars: [OPENAI_API_KEY]`, or remove it.
    """
    v = pkg.meta.get("env_vars")
    if v is not None and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
        yield _hit(pkg, "env_vars", f"env_vars is {_kind(v)} ({v!r}); MLflow 3 raises "
                   "TypeError on load unless it is a list of strings",
                   "write env_vars as a list of variable names, or remove it")


@rule("MC124", "mlmodel-resources-and-auth-policy", Level.ERROR, tags=("mlmodel",))
def mlmodel_resources_and_auth_policy(pkg):
    """`MLmodel` has both `resources` and `auth_policy`.

    What it checks
    The two Databricks serving fields `resources` and `auth_policy` are mutually exclusive.

    Why it matters
    `log_model` raises `ValueError` when both are given, so a package with both was edited by
    hand; Databricks serving cannot tell which credentials to use.

    Example
    `resources: {api_version: '1', databricks: {...}}` next to `auth_policy: {...}`.

    How to fix
    Keep one: move the resources into `auth_policy.system_auth_policy.resources`, or drop
    `auth_policy`.
    """
    meta = pkg.meta
    if meta.get("resources") is not None and meta.get("auth_policy") is not None:
        yield _hit(pkg, "auth_policy", "MLmodel has both 'resources' and 'auth_policy'; "
                   "MLflow's log_model refuses that combination",
                   "keep one: put the resources under auth_policy.system_auth_policy, or "
                   "remove auth_policy")


def _resources_problems(res: object, where: str) -> list[str]:
    if not isinstance(res, dict):
        return [f"{where} is {_kind(res)}; expected a mapping {{api_version: '1', "
                "databricks: {<type>: [...]}}"]
    out = []
    ver = res.get("api_version")
    if ver != "1":
        out.append(f"{where}.api_version is {ver!r}; MLflow only accepts the string '1'")
    for target, conf in res.items():
        if target == "api_version":
            continue
        if not isinstance(conf, dict):
            out.append(f"{where}.{target} is {_kind(conf)}; expected a mapping of resource "
                       "type to a list")
            continue
        for rtype, values in conf.items():
            if rtype not in RESOURCE_TYPES:
                out.append(f"{where}.{target} has unknown resource type {rtype!r} (known: "
                           f"{', '.join(sorted(RESOURCE_TYPES))})")
            elif not isinstance(values, list):
                out.append(f"{where}.{target}.{rtype} is {_kind(values)}; expected a list")
    return out


@rule("MC125", "mlmodel-resources-invalid", Level.WARNING, tags=("mlmodel",))
def mlmodel_resources_invalid(pkg):
    """`resources` or `auth_policy` does not have the shape Databricks serving parses.

    What it checks
    `resources` is `{api_version: '1', databricks: {<type>: [{name: ...}, ...]}}` with known
    resource types; `auth_policy` is `{system_auth_policy: {resources: <same shape>},
    user_auth_policy: {api_scopes: [str]}}`. A string `resources` is an error: MLflow 3's
    `Model.load` treats it as a YAML file path and fails when the file is not there.

    Why it matters
    `Model.load` stores these mappings unparsed; Databricks serving parses them at deployment
    and rejects an unknown `api_version` or resource type, so the deployment fails late.

    Example
    `resources: {api_version: 2, databricks: {serving_endpoints: [...]}}`.

    How to fix
    Re-log the model with `resources=[DatabricksServingEndpoint(...)]` (or `auth_policy=`)
    instead of editing the mapping.
    """
    meta = pkg.meta
    fix = "re-log the model with resources=[...] / auth_policy=... instead of hand-editing"
    res = meta.get("resources")
    if isinstance(res, str):
        yield _hit(pkg, "resources", f"resources is the string {res!r}; MLflow's Model.load "
                   "reads a string as a resources YAML file path and fails unless that file "
                   "exists where the model is loaded", fix, level=Level.ERROR)
    elif res is not None:
        for msg in _resources_problems(res, "resources"):
            yield _hit(pkg, "resources", msg, fix, key=msg)
    ap = meta.get("auth_policy")
    if ap is None:
        return
    if not isinstance(ap, dict):
        yield _hit(pkg, "auth_policy", f"auth_policy is {_kind(ap)}; expected a mapping with "
                   "system_auth_policy and/or user_auth_policy", fix)
        return
    sys_pol, user_pol = ap.get("system_auth_policy"), ap.get("user_auth_policy")
    if isinstance(sys_pol, dict) and sys_pol.get("resources") is not None:
        for msg in _resources_problems(sys_pol["resources"],
                                       "auth_policy.system_auth_policy.resources"):
            yield _hit(pkg, "auth_policy", msg, fix, key=msg)
    elif sys_pol is not None and not isinstance(sys_pol, dict):
        yield _hit(pkg, "auth_policy", "auth_policy.system_auth_policy is "
                   f"{_kind(sys_pol)}; expected a mapping with 'resources'", fix)
    if user_pol is not None:
        scopes = user_pol.get("api_scopes") if isinstance(user_pol, dict) else None
        if not isinstance(user_pol, dict) or not (
                scopes is None or (isinstance(scopes, list)
                                   and all(isinstance(s, str) for s in scopes))):
            yield _hit(pkg, "auth_policy", "auth_policy.user_auth_policy must be a mapping "
                       f"with api_scopes: [str]; found {user_pol!r}", fix)


@rule("MC126", "mlmodel-external-artifacts", Level.WARNING, tags=("mlmodel",))
def mlmodel_external_artifacts(pkg):
    """`metadata` marks the model as external (`mlflow.model.isExternal: true`).

    What it checks
    `metadata["mlflow.model.isExternal"]` set to the YAML boolean `true` (the string `'true'`
    does not count, as in MLflow).

    Why it matters
    It says the model's artifacts are not in the package. MLflow 3's `pyfunc.load_model`
    refuses such a model (2.17 still loads it), so serving this package fails.

    Example
    A package registered from an external LoggedModel: `metadata: {mlflow.model.isExternal:
    true}`.

    How to fix
    Log the real model artifacts into the package (and drop the flag), or load the model from
    where its artifacts live.
    """
    md = pkg.meta.get("metadata")
    if isinstance(md, dict) and md.get("mlflow.model.isExternal") is True:
        ptr = join_pointer("metadata", "mlflow.model.isExternal")
        yield Hit("metadata['mlflow.model.isExternal'] is true: the artifacts live outside the "
                  "package and MLflow 3's pyfunc.load_model refuses to load it",
                  file="MLmodel", line=pkg.line(ptr), pointer=ptr,
                  fix="log the model's artifacts into the package and remove the flag")


@rule("MC127", "mlmodel-unknown-key", Level.NOTE, tags=("mlmodel",))
def mlmodel_unknown_key(pkg):
    """`MLmodel` has a top-level key MLflow does not write (often a typo).

    What it checks
    Top-level keys other than those MLflow 1.x-3.x writes (`flavors`, `signature`,
    `saved_input_example_info`, `run_id`, `model_uuid`, ...). A close match is suggested.

    Why it matters
    MLflow keeps unknown keys without complaint, so a typo such as `signatures` silently
    drops the signature: serving then skips input validation.

    Example
    `signatures: {inputs: ..., outputs: ...}` instead of `signature:`.

    How to fix
    Rename the key to the one MLflow reads, or remove it if it is not needed.
    """
    for key in pkg.meta:
        if key in KNOWN_KEYS:
            continue
        name = str(key)
        import difflib  # only unknown keys need it

        close = _TYPO_ONLY.get(name.lower()) or next(
            iter(difflib.get_close_matches(name.lower(), KNOWN_KEYS, n=1, cutoff=0.75)), None)
        hint = f"; did you mean {close!r}?" if close and close not in pkg.meta else ""
        ptr = join_pointer(name)
        yield Hit(f"unknown top-level key {name!r}: MLflow keeps it but never reads it{hint}",
                  file="MLmodel", line=pkg.line(ptr), pointer=ptr, key=name,
                  fix=f"rename it to {close!r}" if hint else "remove the key if it is not used")
