"""Input examples against a signature: MLflow's schema enforcement, modelled value by value."""
