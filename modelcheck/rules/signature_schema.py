"""MC309-MC310: schema-level consistency of a signature (names, spec kinds)."""

from __future__ import annotations

from modelcheck.formats.signature.parse import MIXED, NAMES
from modelcheck.package.signature import signature_hits
from modelcheck.results import Level
from modelcheck.rule import rule


@rule("MC309", "signature-schema-inconsistent", Level.ERROR, tags=("signature",))
def signature_schema_inconsistent(pkg):
    """A schema mixes named and unnamed specs or tensors and columns, or has unnamed optionals.

    What it checks
    Within `inputs` and within `outputs`: all specs named or all unnamed; all column specs or
    all tensor specs; several tensors only when all are named; no optional column in an
    unnamed schema.

    Why it matters
    `Schema.__init__` raises for each of these, so `Model.load` fails and the model cannot be
    loaded or served.

    Example
    `inputs: '[{"name": "a", "type": "long"}, {"type": "double"}]'`

    How to fix
    Name every spec (or none), do not combine `tensor` specs with column specs, name every
    tensor when there are several, and name columns that are `"required": false`.
    """
    yield from signature_hits(pkg, MIXED)


@rule("MC310", "signature-duplicate-name", Level.ERROR, tags=("signature",))
def signature_duplicate_name(pkg):
    """Two specs of one schema share a name, or a name is empty or not a string.

    What it checks
    Names in `inputs` and in `outputs`: duplicates are errors; an empty name `""` or a name
    that is not a string or integer (MLflow itself writes integer names for unnamed
    DataFrame columns) is a warning.

    Why it matters
    MLflow does not reject duplicates, but it maps inputs by name (`input_dict()`), so one of
    the columns silently disappears and enforcement checks the wrong data. An empty name is
    treated as unnamed (its index is used) when matching input columns.

    Example
    `inputs: '[{"name": "age", "type": "long"}, {"name": "age", "type": "double"}]'`

    How to fix
    Give every spec a unique, non-empty string name matching the model's input columns.
    """
    yield from signature_hits(pkg, NAMES)
