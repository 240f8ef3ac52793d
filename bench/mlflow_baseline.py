"""MLflow's own load-and-validate path for one package (the baseline modelcheck is compared to).

Run with a Python that has mlflow installed (the bench-only venv):
    <mlflow-python> bench/mlflow_baseline.py PACKAGE [--serving]

It does what a user without modelcheck does to learn whether a package is sound: import mlflow,
load the MLmodel (which parses the signature), load the input example and enforce it against
the signature; with --serving also run `validate_serving_input` on the serving example.
"""

from __future__ import annotations

import sys


def main() -> int:
    path = sys.argv[1]
    import mlflow  # noqa: F401 - the import is part of the cost being measured
    from mlflow.models import Model
    from mlflow.models.utils import _enforce_schema

    model = Model.load(path)
    if model.signature is not None and model.saved_input_example_info:
        example = model.load_input_example(path)
        _enforce_schema(example, model.signature.inputs)
    if "--serving" in sys.argv[2:]:
        import json
        import os

        from mlflow.models import validate_serving_input

        with open(os.path.join(path, "serving_input_example.json")) as fh:
            validate_serving_input(path, json.load(fh))
    return 0


if __name__ == "__main__":
    sys.exit(main())
