"""MC313: signature features newer than the package's `mlflow_version`."""

from __future__ import annotations

from modelcheck.formats.signature.parse import TOO_NEW
from modelcheck.package.signature import signature_hits
from modelcheck.results import Level
from modelcheck.rule import rule


@rule("MC313", "signature-feature-too-new", Level.WARNING, tags=("signature", "versions"))
def signature_feature_too_new(pkg):
    """The signature uses a feature the package's `mlflow_version` did not have.

    What it checks
    Features against `mlflow_version`: params (2.6), array/object types and the `required`
    key (2.10), map (2.12), sparkml_vector (2.16), any (2.19), object params (2.20), tensor
    specs (1.14).

    Why it matters
    That MLflow could not have written the signature, so it was edited by hand, and a serving
    environment pinned to that MLflow version (as `requirements.txt` usually pins it) fails to
    load it: e.g. MLflow 2.17 raises `KeyError: 'object'` on object params.

    Example
    `mlflow_version: 2.9.2` with `inputs: '[{"name": "tags", "type": "array", ...}]'`.

    How to fix
    Re-log the model with the MLflow version that serves it, or raise the `mlflow` pin and
    `mlflow_version` to at least the version named in the message.
    """
    yield from signature_hits(pkg, TOO_NEW)
