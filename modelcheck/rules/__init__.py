"""Built-in modelcheck rules, one module per rule or tight group of rules.

Each module defines ``Rule`` objects with :func:`modelcheck.rule.rule`. The registry scans
every module here through the ``modelcheck.rules`` entry point, as it does third-party plugins.
"""
