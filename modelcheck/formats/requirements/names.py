"""PEP 503 project-name normalisation.

Same result as ``packaging.utils.canonicalize_name``, without importing ``packaging.utils``,
whose ``packaging.tags`` import (sysconfig, platform probing) cost ~14 ms of start-up.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[-_.]+")


def canonicalize_name(name: str) -> str:
    return _SEPARATORS.sub("-", name).lower()
