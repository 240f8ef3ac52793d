"""Which rules have a fix, and how certain it is: what ``modelcheck rule CODE`` and the README
rule table say (``NOTES``), and the fixers themselves (``fixers()``, imported on first use).

``NOTES`` is plain data so that the rule docs can show it without importing any fixer;
``tests/test_fix_cli.py`` checks that it names exactly the codes that have a fixer.
"""

from __future__ import annotations

from modelcheck.fixes.base import Fixer

NOTES: dict[str, str] = {
    "MC307": "safe where the package's mlflow_version is 2.10 or later (`\"optional\": true` "
             "becomes `\"required\": false`, `false` becomes `true`; beside a `required` key "
             "`optional` is removed); unsafe where it is older or unknown (MLflow 2.4-2.9, which "
             "such a package pins, cannot read `required`)",
    "MC402": "safe: removes the UTF-8 byte-order mark from the input example file",
    "MC501": "safe: removes a UTF-8 byte-order mark from requirements.txt / constraints.txt",
    "MC503": "unsafe: rewrites the pip list of conda.yaml as the lines of requirements.txt "
             "(the file virtualenv/uv restores install)",
    "MC504": "unsafe: pins MLmodel's python_version in python_env.yaml and conda.yaml",
    "MC505": "unsafe: pins mlflow==<mlflow_version> in requirements.txt and conda.yaml "
             "(added when missing)",
    "MC506": "unsafe: pins the flavor library to the version MLmodel records (added when no "
             "requirement provides it)",
    "MC512": "safe: deletes standard-library modules from the requirement lists; unsafe for "
             "names that are also PyPI backports (`dataclasses`, `typing`...)",
    "MC515": "safe: replaces `sklearn` with `scikit-learn` in every requirement list, pinned "
             "to MLmodel's sklearn_version when it has one, else keeping the line's own "
             "specifiers unless they name the 0.0 shim",
    "MC520": "safe: deletes `pip` from the requirement lists when pip is pinned elsewhere "
             "(python_env.yaml build_dependencies or a conda dependency); unsafe otherwise",
    "MC522": "safe: deletes the `prefix:` line from conda.yaml",
    "MC650": "safe: deletes `__pycache__` and tool caches, stray `.pyc` next to their source, "
             "`.DS_Store`, `Thumbs.db`, `desktop.ini`, `._*` resource forks and conda's temp "
             "requirement files; never `.git`, IDE folders or backup files",
}


def note(code: str) -> str | None:
    """``--fix`` availability of rule ``code`` as the rule docs show it, or None."""
    return NOTES.get(code)


def fixers() -> list[Fixer]:
    """Every fixer, ordered by rule code (imports the fixer modules)."""
    from modelcheck.fixes import (  # noqa: F401  (each module declares its fixers)
        agreement,
        bom,
        junk,
        prefix,
        requirements,
        signature,
    )
    from modelcheck.fixes.base import declared

    return declared()
