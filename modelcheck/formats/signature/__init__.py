"""MLflow model signatures: the data model, the parser and its checks."""
