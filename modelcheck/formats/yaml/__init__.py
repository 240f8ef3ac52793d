"""YAML read the way MLflow reads it (PyYAML safe_load, YAML 1.1), with node positions."""
