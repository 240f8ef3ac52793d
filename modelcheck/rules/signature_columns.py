"""MC305-MC307: column specs (ColSpec) of a signature schema."""

from __future__ import annotations

from modelcheck.formats.signature.parse import COLUMN, LEGACY_OPTIONAL, REQUIRED_MISSING
from modelcheck.package.signature import signature_hits
from modelcheck.results import Level
from modelcheck.rule import rule


@rule("MC305", "signature-column-invalid", Level.ERROR, tags=("signature",))
def signature_column_invalid(pkg):
    """A column spec MLflow cannot load: missing or unknown type, bad nesting, unknown key.

    What it checks
    Every column spec in `inputs`/`outputs` (and the nested items, values and properties):
    `type` present and one of boolean, integer, long, float, double, string, binary,
    datetime, array, object, map, any, sparkml_vector; arrays have `items`, maps `values`
    (each a mapping with a `type`, never `tensor`); objects have non-empty `properties`, each
    with a `type`; scalar columns carry only `type`, `name` and `required`. A non-boolean
    `required` is a warning.

    Why it matters
    MLflow builds scalar columns with `ColSpec(**spec)` and nested ones with
    `Array/Map/Object.from_json_dict`: any of these defects raises inside `Model.load`, so
    the model cannot be loaded or served at all.

    Example
    `{"name": "age", "type": "int"}` (MLflow's names are `integer` for int32 and `long` for
    int64), or `{"name": "tags", "type": "array"}` without `items`.

    How to fix
    Use MLflow's type names (`int`/`int64` → `long`, `str` → `string`, `float64` → `double`,
    `bool` → `boolean`), add the missing `items`/`values`/`properties`, and drop unknown keys.
    """
    yield from signature_hits(pkg, COLUMN)


@rule("MC306", "signature-required-missing", Level.WARNING, tags=("signature",))
def signature_required_missing(pkg):
    """An array/object/map/any column has no `required` key, which MLflow 2 and 3 read apart.

    What it checks
    Column specs of type array, object, map, any or sparkml_vector without `required`
    (MLflow 2.10+ always writes it).

    Why it matters
    MLflow 2.x reads a missing `required` as required, MLflow 3.x as optional: the same
    package enforces inputs differently depending on the serving environment's MLflow, so a
    request missing the column is rejected by one and accepted by the other.

    Example
    `{"name": "tags", "type": "array", "items": {"type": "string"}}`

    How to fix
    Add `"required": true` (or `false`) explicitly.
    """
    yield from signature_hits(pkg, REQUIRED_MISSING)


@rule("MC307", "signature-legacy-optional", Level.ERROR, tags=("signature",))
def signature_legacy_optional(pkg):
    """A column spec uses the legacy `optional` key, which MLflow 2.18 and later cannot load.

    What it checks
    Column specs carrying `"optional": ...` (written by MLflow 2.4-2.9), alone or together
    with `required`.

    Why it matters
    From MLflow 2.18 `ColSpec(**spec)` raises `TypeError: unexpected keyword argument
    'optional'`, so `Model.load` and every loader fail on current MLflow. MLflow 2.10-2.17
    also reject a spec that has both `optional` and `required`.

    Example
    `inputs: '[{"name": "a", "type": "long", "optional": true}]'` in a package logged by
    MLflow 2.5.

    How to fix
    Replace `"optional": true` with `"required": false` (and `"optional": false` with
    `"required": true`); keep only one of the two keys.
    """
    yield from signature_hits(pkg, LEGACY_OPTIONAL)
