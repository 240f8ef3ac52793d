"""MC311-MC312: the signature's `params` (ParamSchema)."""

from __future__ import annotations

from modelcheck.formats.signature.parse import PARAM, PARAM_DEFAULT
from modelcheck.package.signature import signature_hits
from modelcheck.results import Level
from modelcheck.rule import rule


@rule("MC311", "signature-param-invalid", Level.ERROR, tags=("signature", "params"))
def signature_param_invalid(pkg):
    """A param spec MLflow cannot load: missing keys, binary/unknown type, bad shape, duplicate.

    What it checks
    Each entry of `params`: `name`, `type` (or legacy `dtype`) and `default` present; the
    type one of boolean, integer, long, float, double, string, datetime, object (never
    `binary`); `shape` null or `[-1]`; names unique. The legacy `dtype` key (MLflow 2.6) is
    a note.

    Why it matters
    `ParamSpec`/`ParamSchema` raise for each of these while `Model.load` parses the
    signature, so the model cannot be loaded or served.

    Example
    `params: '[{"name": "temperature", "type": "float64", "default": 0.5}]'`

    How to fix
    Use MLflow's type names (`float64` → `double`), give a `default` (null is allowed for
    scalars), use `shape: null` or `[-1]`, and remove duplicate params.
    """
    yield from signature_hits(pkg, PARAM)


@rule("MC312", "signature-param-default-mismatch", Level.ERROR, tags=("signature", "params"))
def signature_param_default_mismatch(pkg):
    """A param's default does not fit its declared type or shape.

    What it checks
    Each param's `default` against MLflow's load-time validation: null is fine for scalars;
    ints fit integer/long/float/double, floats only float/double, booleans only boolean,
    strings only string or (parseable ISO) datetime; `shape: [-1]` needs a 1-D list whose
    elements fit the type; object params need an object.

    Why it matters
    MLflow validates defaults when it loads the signature: a mismatch raises
    `MlflowException` ("Incompatible types for param ...") inside `Model.load`, so the model
    cannot be loaded or served.

    Example
    `{"name": "max_tokens", "type": "long", "default": 1.5, "shape": null}`

    How to fix
    Make the default a value of the declared type (e.g. `1`), or change the type (`double`).
    """
    yield from signature_hits(pkg, PARAM_DEFAULT)
