"""MC301-MC304: the ``signature`` container in MLmodel (presence, JSON strings, empty)."""

from __future__ import annotations

from modelcheck.formats.signature.parse import BAD_JSON, EMPTY, NOT_STRING
from modelcheck.package.signature import signature_hits
from modelcheck.results import Hit, Level
from modelcheck.rule import rule


@rule("MC301", "signature-missing", Level.WARNING, tags=("signature",))
def signature_missing(pkg):
    """A pyfunc-capable model has no signature, so serving cannot check its inputs.

    What it checks
    An `MLmodel` with a `python_function` flavor and no `signature` key (or `signature: null`).

    Why it matters
    Without a signature `pyfunc.predict` and `mlflow models serve` accept any input: wrong
    column names, types or shapes reach the model unchecked and fail deep inside it (or,
    worse, silently produce garbage). The model registry and serving UIs also cannot show what
    the model expects.

    Example
    `mlflow.sklearn.log_model(clf, name="model")` without `signature=` or `input_example=`.

    How to fix
    Log the model with `signature=infer_signature(X, model.predict(X))`, or pass an
    `input_example` so MLflow infers one.
    """
    if not pkg.mlmodel.ok or pkg.pyfunc is None or pkg.meta.get("signature") is not None:
        return
    line = pkg.line("/flavors/python_function")
    yield Hit("model has a python_function flavor but no signature: serving cannot enforce "
              "input names or types", file="MLmodel", pointer="/signature", line=line,
              fix="log the model with signature=infer_signature(X, model.predict(X)) or an "
                  "input_example")


@rule("MC302", "signature-not-json-string", Level.ERROR, tags=("signature",))
def signature_not_json_string(pkg):
    """A signature section is YAML structure instead of a string holding JSON.

    What it checks
    `signature.inputs`, `outputs` and `params` must be strings whose content is JSON; the
    `signature` itself must be a mapping. Also reports unknown keys under `signature` (ignored
    by MLflow, usually a typo such as `input:`) as warnings.

    Why it matters
    MLflow's `ModelSignature.from_dict` calls `json.loads` on each value: a hand-written YAML
    list raises `TypeError` inside `Model.load`, so every loader and `mlflow models serve`
    fail before the model is touched.

    Example
    ```yaml
    signature:
      inputs:
        - {name: age, type: long}
    ```

    How to fix
    Quote the JSON text: `inputs: '[{"name": "age", "type": "long", "required": true}]'`
    (exactly what `json.dumps` of the list gives).
    """
    yield from signature_hits(pkg, NOT_STRING)


@rule("MC303", "signature-invalid-json", Level.ERROR, tags=("signature",))
def signature_invalid_json(pkg):
    """A signature section is not valid JSON, not a JSON list, or an empty list.

    What it checks
    The JSON text of `inputs`, `outputs` and `params`: it must parse, be a list, and (for
    inputs/outputs) hold at least one spec, each a JSON object.

    Why it matters
    `Model.load` parses the signature on every load: invalid JSON (single quotes, trailing
    commas, Python `True`), a JSON object instead of a list, or `[]` ("Creating Schema with
    empty inputs is not allowed") make every loader fail.

    Example
    `inputs: "[{'name': 'age', 'type': 'long'}]"` (Python repr, not JSON).

    How to fix
    Regenerate the value with `json.dumps` (or re-log the model with a signature); use `null`
    rather than `[]` for an absent section.
    """
    yield from signature_hits(pkg, BAD_JSON)


@rule("MC304", "signature-empty", Level.ERROR, tags=("signature",))
def signature_empty(pkg):
    """The signature has no sections, or lacks inputs where the writer's MLflow requires them.

    What it checks
    A `signature` mapping whose `inputs`, `outputs` and `params` are all null/empty, and a
    signature without `inputs` in a package whose `mlflow_version` is before 2.7.

    Why it matters
    `ModelSignature` raises "At least one of inputs, outputs or params must be provided", so
    `Model.load` fails. MLflow before 2.7 requires `inputs` whenever a signature exists.

    Example
    ```yaml
    signature:
      inputs: null
      outputs: null
      params: null
    ```

    How to fix
    Remove the `signature` key, or fill in `inputs` (e.g. re-log with `infer_signature`).
    """
    yield from signature_hits(pkg, EMPTY)
