"""Where modelcheck meets other tools: the GitHub Action and the pre-commit hook."""
