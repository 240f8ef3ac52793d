"""pre-commit mode (``modelcheck check --hook FILE...``): changed files to packages.

pre-commit passes the changed files that match the hook's ``files:`` pattern. Each file maps
to the package that holds it (:func:`modelcheck.sources.discovery.discover` walks up to the folder
with ``MLmodel`` and checks each package once). Unlike a plain ``modelcheck check``, a file
outside any model package (the project's own ``requirements.txt``, a ``code/`` folder of the
application) is not an error: it is skipped. Files and packages matched by the config's
``exclude`` patterns are skipped too, even though pre-commit named them explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from modelcheck.engine.settings import Settings
from modelcheck.sources.discovery import looks_like_orphan, package_of


def in_package(path: str) -> bool:
    """True when ``path`` lies inside a model package (or a package that lost its MLmodel)."""
    if os.path.isdir(path):
        return package_of(path) is not None
    if package_of(path) is not None:
        return True
    try:
        names = set(os.listdir(os.path.dirname(os.path.abspath(path))))
    except OSError:
        return False
    return looks_like_orphan(names)


def hook_targets(paths: Iterable[str], settings: Settings) -> list[str]:
    """The paths worth checking: inside a package, existing, and not excluded."""
    out = []
    for p in paths:
        if not os.path.lexists(p) or settings.excluded(p.replace(os.sep, "/")):
            continue
        if in_package(p):
            out.append(p)
    return out
