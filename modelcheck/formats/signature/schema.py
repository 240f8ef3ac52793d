"""The MLflow model signature's data model (shared by the MC3xx and MC4xx rules).

:mod:`.parse` builds a :class:`Signature` from MLmodel's ``signature`` value: the parsed schemas
(as far as they could be parsed) and a list of :class:`SigProblem` describing every defect,
each tagged with the rule code that reports it.

The data model mirrors MLflow's (``mlflow.types.schema``) without importing it:
``Schema`` is a list of ``ColSpec`` or ``TensorSpec``; a ``ColSpec``'s type is a
``DataType`` (scalar, array, object, map, any, sparkml_vector); params are ``ParamSpec``.
"""

from __future__ import annotations

from typing import Any

from modelcheck.records import FACTORY, Record

SCALAR_TYPES = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")
COMPOSITE_TYPES = ("array", "object", "map", "any", "sparkml_vector")
PARAM_TYPES = ("boolean", "integer", "long", "float", "double", "string", "datetime", "object")


class DataType(Record):
    """A column type. ``kind`` is a scalar name or one of COMPOSITE_TYPES."""

    _fields = ("kind", "items", "properties", "values")

    def __init__(self, kind: str, items: DataType | None = None,
                 properties: dict[str, Property] = FACTORY, values: DataType | None = None) -> None:
        self.kind = kind
        self.items = items  # array
        self.properties = {} if properties is FACTORY else properties  # object
        self.values = values  # map

    def __str__(self) -> str:
        if self.kind == "array":
            return f"Array({self.items})"
        if self.kind == "map":
            return f"Map(str -> {self.values})"
        if self.kind == "object":
            inner = ", ".join(f"{n}: {p.type}" for n, p in self.properties.items())
            return f"Object({inner})"
        return self.kind


class Property(Record):
    """One property of an object column type."""

    _fields = ("name", "type", "required")

    def __init__(self, name: str, type: DataType, required: bool = True) -> None:
        self.name = name
        self.type = type
        self.required = required


class ColSpec(Record):
    """One column of a column-based schema."""

    _fields = ("type", "name", "required", "legacy_optional")

    def __init__(self, type: DataType, name: str | int | None = None, required: bool | None = None,
                 legacy_optional: bool = False) -> None:
        self.type = type
        self.name = name
        # ``required`` as written: True/False, or None when the key is absent. What a missing key
        # means depends on the reader's MLflow version: see :meth:`is_required`.
        self.required = required
        self.legacy_optional = legacy_optional  # MLflow 2.4-2.9 ``"optional": true``

    def is_required(self, reader_major: int = 3) -> bool:
        if self.legacy_optional:
            return False
        if self.required is not None:
            return bool(self.required)
        if self.type.kind in SCALAR_TYPES:
            return True
        # array/object/map/any without "required": 3.x reads optional, 2.x required
        return reader_major < 3


class TensorSpec(Record):
    """One tensor of a tensor-based schema."""

    _fields = ("dtype", "shape", "name")

    def __init__(self, dtype: str, shape: tuple[int, ...], name: str | None = None) -> None:
        self.dtype = dtype  # numpy dtype name as written, e.g. "float32", "str", "object"
        self.shape = shape
        self.name = name


class Schema(Record):
    """A signature's inputs or outputs: column specs or tensor specs."""

    _fields = ("specs",)

    def __init__(self, specs: list[ColSpec | TensorSpec]) -> None:
        self.specs = specs

    @property
    def is_tensor(self) -> bool:
        return bool(self.specs) and isinstance(self.specs[0], TensorSpec)

    @property
    def has_names(self) -> bool:
        return bool(self.specs) and all(s.name not in (None, "") for s in self.specs)

    def names(self) -> list[str | int | None]:
        return [s.name for s in self.specs]


class ParamSpec(Record):
    """One inference parameter of the signature's ``params``."""

    _fields = ("name", "type", "default", "shape")

    def __init__(self, name: str, type: DataType, default: Any = None,
                 shape: tuple[int, ...] | None = None) -> None:
        self.name = name
        self.type = type  # scalar kind, or "object" with properties
        self.default = default
        self.shape = shape


class SigProblem(Record):
    """One signature defect. ``code`` is the MC3xx rule that reports it."""

    _fields = ("code", "message", "section", "pointer", "level", "fix", "key")

    def __init__(self, code: str, message: str, section: str | None = None,
                 pointer: str = "/signature", level: str | None = None, fix: str | None = None,
                 key: str | None = None) -> None:
        self.code = code
        self.message = message
        self.section = section  # "inputs" / "outputs" / "params" / None for the container
        self.pointer = pointer
        self.level = level  # overrides the rule's default level ("error"/"warning"/"note")
        self.fix = fix
        self.key = key


class Signature(Record):
    """MLmodel's ``signature``, parsed, with the defects found."""

    _fields = ("present", "inputs", "outputs", "params", "problems", "raw")

    def __init__(self, present: bool = False, inputs: Schema | None = None,
                 outputs: Schema | None = None, params: list[ParamSpec] | None = None,
                 problems: list[SigProblem] = FACTORY, raw: dict[str, Any] = FACTORY) -> None:
        self.present = present
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.problems = [] if problems is FACTORY else problems
        # raw JSON text of each section as found (for positions and messages)
        self.raw = {} if raw is FACTORY else raw
