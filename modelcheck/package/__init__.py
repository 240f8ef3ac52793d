"""One package as the rules see it: :class:`ModelPackage` (contained, capped, cached reads of
its files and MLmodel) and the documents built from it once per package (environment files,
signature, input example, pickle scans).

``from modelcheck.package import ModelPackage`` is the name rule plugins use.
"""

from modelcheck.package.model_package import ModelPackage

__all__ = ["ModelPackage"]
