"""Write the MC412/MC416 fixtures for json_object and sparse examples with REAL MLflow.

Run from the repository root with an MLflow 3 interpreter (these were written by 3.18.0)::

    /work/venvs/diff3/bin/python tests/gen_example_fixtures.py

``save_model`` stores the example exactly as MLflow does (``_Example``). ``pyfunc.save_model``
then refuses an example that does not fit the signature ("Input example does not match the
model signature": ``_validate_prediction_input`` on the example object, which for a dict or
list is what ``Model.load_input_example`` gives back), so a failing fixture is saved with a
signature that fits and its MLmodel then gets the signature under test (as a package edited by
hand, written by a flavor that does not validate, or by an older MLflow). What ``predict`` does
with the loaded example is what the fixtures pin (tests/gen_differential.py, ``run_loaded``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent / "rules"


def main() -> int:
    import logging
    import warnings

    import mlflow
    import numpy as np
    from mlflow.models import Model, ModelSignature
    from mlflow.types.schema import Array, ColSpec, Object, Property, Schema, TensorSpec
    from scipy.sparse import csr_matrix

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return model_input

    def save(rel: str, example: Any, inputs: Schema, fits: Schema | None = None) -> None:
        path = ROOT / rel
        if path.exists():
            shutil.rmtree(path)
        mlflow.pyfunc.save_model(str(path), python_model=Echo(), input_example=example,
                                 signature=ModelSignature(inputs=fits or inputs))
        if fits is not None:
            model = Model.load(str(path))
            model.signature = ModelSignature(inputs=inputs)
            model.save(str(path / "MLmodel"))
        print("wrote", path, file=sys.stderr)

    records = [{"a": 1, "b": 2.5}, {"a": 2, "b": 3.5}]
    # int64 values for an int32 column: the served path casts them, the loaded one refuses
    fit = Schema([ColSpec("long", "a"), ColSpec("double", "b")])
    save("MC412/fail/json-records-int64-for-integer", records,
         Schema([ColSpec("integer", "a"), ColSpec("double", "b")]), fit)
    save("MC412/pass/json-records-3.18", records, fit)
    chat = {"messages": [{"role": "user", "content": "hi"}]}
    msg = Object([Property("role", "string"), Property("content", "string")])
    save("MC412/pass/json-chat-3.18", chat, Schema([ColSpec(Array(msg), "messages")]))
    msg_int = Object([Property("role", "string"), Property("content", "long")])
    save("MC412/fail/json-chat-content-not-string",
         {"messages": [{"role": "user", "content": 5}]},
         Schema([ColSpec(Array(msg), "messages")]), Schema([ColSpec(Array(msg_int), "messages")]))
    sparse = csr_matrix(np.array([[0.0, 1.5], [2.5, 0.0]]))
    # a scipy matrix keeps float64: a float32 tensor refuses it when loaded (no cast)
    save("MC416/fail/sparse-float64-for-float32", sparse,
         Schema([TensorSpec(np.dtype("float32"), (-1, 2))]),
         Schema([TensorSpec(np.dtype("float64"), (-1, 2))]))
    save("MC416/pass/sparse-float64-3.18", sparse,
         Schema([TensorSpec(np.dtype("float64"), (-1, 2))]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
