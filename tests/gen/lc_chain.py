"""Models-from-code source for the ``langchain_code`` fixture: a chain with no LLM."""

import mlflow
from langchain_core.runnables import RunnableLambda


def _answer(inputs: dict) -> str:
    return f"echo: {inputs['question']}"


mlflow.models.set_model(RunnableLambda(_answer))
