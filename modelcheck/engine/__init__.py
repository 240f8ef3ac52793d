"""The engine: the rules registry, settings and selection, and running the rules on ONE package.

It knows no rule by name: rules come from the ``modelcheck.rules`` entry points
(:mod:`.registry`); its own codes (MC9xx) are in :mod:`.toolcodes`.
"""
