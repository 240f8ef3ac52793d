"""Deprecated: the rule API moved to :mod:`modelcheck.rule` (and the values to
:mod:`modelcheck.results`).

``from modelcheck.model import Hit, Level, rule`` keeps working for existing rule plugins, with
a ``DeprecationWarning``; write ``from modelcheck.rule import Hit, Level, rule`` instead.
"""

from __future__ import annotations

import warnings

from modelcheck.results import Finding, Hit, Level, Rule, RuleMeta, doc_sections
from modelcheck.rule import CODE_RE, DOC_HEADINGS, NAME_RE, rule

__all__ = ["CODE_RE", "DOC_HEADINGS", "NAME_RE", "Finding", "Hit", "Level", "Rule", "RuleMeta",
           "doc_sections", "rule"]

warnings.warn("modelcheck.model is deprecated: import the rule API from modelcheck.rule "
              "(from modelcheck.rule import Hit, Level, rule)", DeprecationWarning, stacklevel=2)
