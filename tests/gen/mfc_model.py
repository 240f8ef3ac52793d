"""Models-from-code source for the ``models_from_code`` fixture (MLflow 2.12+)."""

import mlflow
from mlflow.pyfunc import PythonModel


class EchoModel(PythonModel):
    def predict(self, context, model_input: list[str]) -> list[str]:
        return [str(x) for x in model_input]


mlflow.models.set_model(EchoModel())
