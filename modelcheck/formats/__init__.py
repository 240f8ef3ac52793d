"""Parsers and MLflow semantics that know nothing of a package: they take text, bytes or
values and return values (YAML, requirements and specifiers, the signature, example
conformance, pickles and skops, MLflow's flavor keys)."""
