"""``--fix``: fixes for what the rules found, where the right content is certain.

One module per family of fixes (``bom``, ``prefix``, ``requirements``, ``junk``, ``signature``,
``agreement``), each declaring a fixer per rule code (:mod:`modelcheck.fixes.base`); the plan
(:mod:`modelcheck.fixes.plan`) works them out in memory and checks the result again;
:mod:`modelcheck.fixes.apply` writes it atomically or shows it as a diff. Nothing here runs
unless ``--fix`` or ``--diff`` is given. This layer sits beside the rules: it reads the package
through the same documents and knows no rule (the caller hands it the check to run).
"""
